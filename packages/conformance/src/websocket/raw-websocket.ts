/**
 * The kit's own WebSocket client, written apart from any implementation it judges (it imports
 * nothing from @http-kit/websocket): it opens a socket (TCP, or TLS for wss:), does the opening
 * handshake by hand, writes any frame, valid or not (any opcode, RSV bits, masked or not, an
 * announced length that differs from the payload), in one write, in chunks or byte by byte, and
 * reads back what the server sends as frames, checking what RFC 6455 asks of a server's frames.
 * Every frame both ways is kept in a transcript for the report.
 *
 * Every wait is bounded: a silent server fails the case with what was awaited and what came.
 *
 * @example
 * const ws = await RawWebSocket.open('ws://127.0.0.1:9001/');
 * await ws.sendFrame(Op.Text, 'hello', { split: 'bytewise' });
 * await ws.expectMessage(Op.Text, 'hello');
 * await ws.sendClose(1000);
 * await ws.expectClose(1000);
 * await ws.expectTcpClosed();
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
import zlib from 'node:zlib';

/** Opcodes (RFC 6455 5.2), written here again rather than imported from the code under test. */
export const Op = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

/** RSV bits as a 3-bit number: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
export const Rsv = { None: 0, Rsv1: 4, Rsv2: 2, Rsv3: 1 } as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const DEFAULT_WAIT = 5_000;
/** Lines kept in a connection's transcript; a report does not need every frame of 4 MiB in 64-byte pieces. */
const TRANSCRIPT_LINES = 200;

/** base64(sha1(key + GUID)), RFC 6455 4.2.2 step 5.4. */
export function expectedAccept(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/**
 * How bytes are written: at once, one byte per write, in writes of `chunk` bytes, or cut at the
 * given offsets. Between pieces the client yields a turn (or waits `pauseMs`), so the server
 * mostly reads them apart.
 */
export type Split = 'whole' | 'bytewise' | { chunk: number; pauseMs?: number } | { at: readonly number[]; pauseMs?: number };

export interface FrameOptions {
  /** FIN (default true). */
  fin?: boolean;
  /** RSV bits, 0..7 (see `Rsv`). */
  rsv?: number;
  /** Mask the payload (default true, with a random key), or the key to use, or false for none. */
  mask?: boolean | Buffer;
  /** How the frame is written (default whole). */
  split?: Split;
  /** The payload length to announce when it must differ from the payload's (a lying header). */
  announce?: number;
}

/**
 * The bytes of one client frame. The length uses its shortest form; `announce` writes another
 * length than the payload has (to announce a large message and send nothing).
 */
export function encodeFrame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const data = Buffer.from(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
  const length = options.announce ?? data.length;
  const mask = options.mask === false ? null : Buffer.isBuffer(options.mask) ? options.mask : randomBytes(4);
  const b0 = (options.fin === false ? 0 : 0x80) | ((options.rsv ?? 0) << 4) | (opcode & 0x0f);
  const m = mask === null ? 0 : 0x80;
  let header: Buffer;
  if (length < 126) header = Buffer.from([b0, m | length]);
  else if (length < 0x10000) header = Buffer.from([b0, m | 126, length >> 8, length & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = m | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (mask === null) return Buffer.concat([header, data]);
  for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
  return Buffer.concat([header, mask, data]);
}

/** A close frame's payload: the code (big-endian) and the reason bytes; `null` code for none. */
export function closePayload(code: number | null, reason: Buffer | string = ''): Buffer {
  if (code === null) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason, 'utf8') : reason]);
}

/** Where a server listens: host, port, request target, and whether to speak TLS. */
export interface WebSocketTarget {
  host: string;
  port: number;
  /** Request target, with its query (default '/'). */
  path: string;
  tls: boolean;
}

/**
 * Reads `ws://host:port/path` (or `wss://`) into a target; a bare number is a port on
 * 127.0.0.1. Throws naming the URL when it is not a WebSocket URL.
 *
 * @example
 * parseTarget('ws://127.0.0.1:9001/echo'); // { host: '127.0.0.1', port: 9001, path: '/echo', tls: false }
 */
export function parseTarget(target: string | URL | number | WebSocketTarget): WebSocketTarget {
  if (typeof target === 'number') return { host: '127.0.0.1', port: target, path: '/', tls: false };
  if (typeof target === 'object' && !(target instanceof URL)) return target;
  let url: URL;
  try {
    url = new URL(String(target));
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(String(target))}; give one like ws://127.0.0.1:9001/`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new Error(`${JSON.stringify(String(target))} is not a ws:// or wss:// URL; give one like ws://127.0.0.1:9001/`);
  const tls = url.protocol === 'wss:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port || (tls ? 443 : 80)), path: `${url.pathname || '/'}${url.search}`, tls };
}

/** The Host header for a target (brackets around an IPv6 address). */
export function hostHeader(target: WebSocketTarget): string {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

/** A frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  /** RSV bits as 0..7 (RSV1 = 4). */
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** The length was written in more bytes than needed (RFC 6455 5.2 asks for the minimal form). */
  longLengthForm: boolean;
}

export interface OpenOptions {
  /** Request target (default: the URL's). */
  path?: string;
  /** Sec-WebSocket-Extensions to offer. */
  extensions?: string;
  /** More request header lines, as [name, value]. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Connect and handshake within this many ms (default 2000). */
  timeout?: number;
}

/** The server's answer to a handshake, parsed. */
export interface HandshakeAnswer {
  status: number;
  /** Lower-cased names; repeated ones joined with ', '. */
  headers: Record<string, string>;
  /** The response head as text. */
  head: string;
}

export interface PerMessageDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/**
 * Reads a server's permessage-deflate response (RFC 7692 7.1) into the parameters in force;
 * null when there is none. Throws on anything a client must reject.
 */
export function parseDeflateResponse(header: string | undefined): PerMessageDeflateParams | null {
  if (header === undefined || header.trim() === '') return null;
  const elements = header
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (elements.length !== 1) throw new Error(`expected one extension in the response, got ${JSON.stringify(header)}`);
  const [name, ...params] = elements[0].split(';').map((p) => p.trim());
  if (name !== 'permessage-deflate') throw new Error(`unexpected extension ${JSON.stringify(name)}`);
  const out: PerMessageDeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const seen = new Set<string>();
  for (const param of params) {
    const [key, value] = param.split('=').map((p) => p.trim());
    if (seen.has(key)) throw new Error(`parameter ${key} repeated in ${JSON.stringify(header)}`);
    seen.add(key);
    const bits = value === undefined ? NaN : Number(value.replace(/^"(.*)"$/, '$1'));
    switch (key) {
      case 'server_no_context_takeover':
        if (value !== undefined) throw new Error(`${key} takes no value`);
        out.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== undefined) throw new Error(`${key} takes no value`);
        out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits':
        if (!(Number.isInteger(bits) && bits >= 8 && bits <= 15))
          throw new Error(`${key} must be 8..15 in a response, got ${JSON.stringify(value)}`);
        if (key === 'server_max_window_bits') out.serverMaxWindowBits = bits;
        else out.clientMaxWindowBits = bits;
        break;
      default:
        throw new Error(`unknown parameter ${JSON.stringify(key)} in ${JSON.stringify(header)}`);
    }
  }
  return out;
}

/**
 * The client's half of permessage-deflate, on node:zlib streams of our own: compress what we
 * send (without the trailing 00 00 ff ff, RFC 7692 7.2.1) and inflate what the server sends
 * (with it put back, 7.2.2), with or without context takeover in each direction, and with the
 * window the handshake agreed: the server's messages are inflated with exactly its window, so a
 * server that looks further back than it may fails the inflate.
 */
export class ClientDeflate {
  private deflater: zlib.DeflateRaw | null = null;
  private inflater: zlib.InflateRaw | null = null;
  /** Window bits and context rule of what we send, and of what the peer sends (by our role). */
  private readonly own: { bits: number; noContext: boolean };
  private readonly peer: { bits: number; noContext: boolean };
  /**
   * The inflater's output chunk in bytes. zlib checks a distance against the window only past
   * what the current call has written, so a peer looking back too far is caught once it reaches
   * beyond window + chunk: 64 (zlib's least) checks the window within 64 bytes, at ~0.5 s per
   * MiB. By default the chunk is the window itself (caught beyond twice the window).
   */
  inflateChunk: number;

  /**
   * `role` 'client' (the default): we deflate by the client_* parameters and inflate by the
   * server_* ones; 'server': the reverse, for the kit playing the server.
   */
  constructor(
    readonly params: PerMessageDeflateParams,
    readonly role: 'client' | 'server' = 'client',
  ) {
    const client = { bits: params.clientMaxWindowBits, noContext: params.clientNoContextTakeover };
    const server = { bits: params.serverMaxWindowBits, noContext: params.serverNoContextTakeover };
    [this.own, this.peer] = role === 'client' ? [client, server] : [server, client];
    this.inflateChunk = this.peer.bits < 15 ? Math.max(64, 1 << this.peer.bits) : 16 * 1024;
  }

  async compress(data: Buffer): Promise<Buffer> {
    // zlib cannot deflate with 8 bits; with 9 it never looks back more than 250 bytes.
    const deflater = (this.deflater ??= zlib.createDeflateRaw({ windowBits: Math.max(9, this.own.bits) }));
    const out = await run(deflater, data);
    if (this.own.noContext) this.dropDeflater();
    if (!out.subarray(out.length - 4).equals(TRAILER)) throw new Error('deflate output does not end with 00 00 ff ff');
    return out.subarray(0, out.length - 4);
  }

  async decompress(data: Buffer): Promise<Buffer> {
    const inflater = (this.inflater ??= zlib.createInflateRaw({ windowBits: this.peer.bits, chunkSize: this.inflateChunk }));
    try {
      return await run(inflater, Buffer.concat([data, TRAILER]));
    } finally {
      if (this.peer.noContext) this.dropInflater();
    }
  }

  close(): void {
    this.dropDeflater();
    this.dropInflater();
  }

  private dropDeflater(): void {
    this.deflater?.close();
    this.deflater = null;
  }

  private dropInflater(): void {
    this.inflater?.close();
    this.inflater = null;
  }
}

/** Writes `data` to a zlib stream and collects what one Z_SYNC_FLUSH gives back. */
function run(stream: zlib.DeflateRaw | zlib.InflateRaw, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onError = (error: Error) => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** What a short description of bytes in an error message looks like. */
export function show(data: Buffer, max = 48): string {
  return data.length <= max ? `<${data.toString('hex')}>` : `<${data.subarray(0, max).toString('hex')}... ${data.length} bytes>`;
}

export class RawWebSocket {
  readonly socket: Socket;
  /** The handshake's answer (status 101 when open). */
  answer!: HandshakeAnswer;
  /** permessage-deflate when the server accepted it (or, on an accepted socket, when we did). */
  deflate: ClientDeflate | null = null;
  /** On an accepted socket: the client's Sec-WebSocket-Extensions (null when it sent none). */
  offered: string | null = null;
  /** Frames read and not yet taken. */
  private readonly frames: ServerFrame[] = [];
  /** Bytes received and not yet parsed into frames (after the handshake). */
  private pending: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  /** Set once the server's FIN (or a reset, or the close) arrived. */
  ended = false;
  closed = false;
  /** A socket error (a reset while we wrote, say). */
  error: NodeJS.ErrnoException | null = null;
  /** Everything the server sent after the handshake, for error messages. */
  private total = 0;
  private waiters: Array<() => void> = [];
  /** Frames read so far (all of them, for diagnostics). */
  readonly log: string[] = [];
  /** What went each way, in order: '>' lines we sent, '<' lines the server sent (capped). */
  readonly transcript: string[] = [];
  private readonly opened = Date.now();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.note('=', 'the server closed its side (FIN)');
      this.ended = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.note('=', `socket error ${error.code ?? error.message}`);
      this.error = error;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.wake();
    });
  }

  /**
   * The server's side of an accepted socket: reads the client's opening handshake and, when it
   * is one (GET, Upgrade: websocket, a key), answers 101; then frames are read as the client
   * sends them (masked, as RFC 6455 5.1 asks of a client). `negotiate` gets the client's
   * Sec-WebSocket-Extensions and answers permessage-deflate (its response and the parameters in
   * force, `deflate` then set up for the server's side) or declines it (null, the default).
   * Resolves to the connection and the request head; a request that is no handshake is answered
   * 400 and rejected.
   */
  static async accept(
    socket: Socket,
    timeout = DEFAULT_WAIT,
    negotiate: (offers: string | undefined) => { response: string; params: PerMessageDeflateParams } | null = () => null,
  ): Promise<{ ws: RawWebSocket; head: string }> {
    socket.setNoDelay(true);
    const ws = new RawWebSocket(socket);
    await ws.waitUntil(() => ws.pending.indexOf('\r\n\r\n') !== -1 || ws.ended, timeout, 'the client handshake');
    const end = ws.pending.indexOf('\r\n\r\n');
    if (end === -1) {
      ws.destroy();
      throw new Error(`the client sent no handshake within ${timeout} ms; got ${show(ws.pending)}`);
    }
    const head = ws.pending.subarray(0, end).toString('latin1');
    ws.pending = ws.pending.subarray(end + 4);
    ws.note('<', head.split('\r\n').join(' | '));
    const key = /^sec-websocket-key:[ \t]*(.*?)[ \t]*$/im.exec(head)?.[1];
    if (!/^GET /.test(head) || !/^upgrade:.*websocket/im.test(head) || key === undefined) {
      await ws.write(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
      ws.destroy();
      throw new Error(`the client's request is not a WebSocket handshake: ${head.split('\r\n').join(' | ')}`);
    }
    const offers = head
      .split('\r\n')
      .filter((line) => /^sec-websocket-extensions:/i.test(line))
      .map((line) => line.slice(line.indexOf(':') + 1).trim());
    const agreed = negotiate(offers.length === 0 ? undefined : offers.join(', '));
    ws.offered = offers.length === 0 ? null : offers.join(', ');
    if (agreed !== null) ws.deflate = new ClientDeflate(agreed.params, 'server');
    const extensions = agreed === null ? '' : `Sec-WebSocket-Extensions: ${agreed.response}\r\n`;
    const answer = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${expectedAccept(key)}\r\n${extensions}\r\n`;
    ws.note('>', answer.trim().split('\r\n').join(' | '));
    await ws.write(Buffer.from(answer, 'latin1'));
    ws.handshakeDone = true;
    ws.parseFrames();
    return { ws, head };
  }

  /** Opens a connection to the target (no handshake yet); a number is a port on 127.0.0.1. */
  static async connect(where: string | URL | number | WebSocketTarget, timeout = DEFAULT_WAIT): Promise<RawWebSocket> {
    const target = parseTarget(where);
    // Judging a server's certificate is not the kit's job: a test server's is often self-signed.
    const socket = target.tls
      ? connectTls({ host: target.host, port: target.port, servername: target.host, rejectUnauthorized: false })
      : connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RawWebSocket: connecting to ${hostHeader(target)} timed out after ${timeout} ms`));
      }, timeout);
      socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return new RawWebSocket(socket);
  }

  /**
   * Connects and does the opening handshake; resolves once the 101 is in, after checking
   * Upgrade, Connection and Sec-WebSocket-Accept (RFC 6455 4.1, the client's checks). Sets up
   * permessage-deflate when the server accepted it.
   */
  static async open(where: string | URL | number | WebSocketTarget, options: OpenOptions = {}): Promise<RawWebSocket> {
    const target = parseTarget(where);
    const ws = await RawWebSocket.connect(target, options.timeout);
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${options.path ?? target.path} HTTP/1.1`,
      `Host: ${hostHeader(target)}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    for (const [name, value] of options.headers ?? []) lines.push(`${name}: ${value}`);
    ws.note('>', lines.join(' | '));
    await ws.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
    const answer = await ws.readAnswer(options.timeout);
    if (answer.status !== 101) {
      ws.destroy();
      throw new Error(`RawWebSocket: expected 101, got ${answer.status}:\n${answer.head}`);
    }
    const upgrade = answer.headers['upgrade'] ?? '';
    const connection = answer.headers['connection'] ?? '';
    if (upgrade.toLowerCase() !== 'websocket') throw new Error(`RawWebSocket: Upgrade is ${JSON.stringify(upgrade)}`);
    if (!connection.split(',').some((t) => t.trim().toLowerCase() === 'upgrade'))
      throw new Error(`RawWebSocket: Connection is ${JSON.stringify(connection)}`);
    if (answer.headers['sec-websocket-accept'] !== expectedAccept(key)) {
      throw new Error(
        `RawWebSocket: Sec-WebSocket-Accept ${answer.headers['sec-websocket-accept']} for key ${key}, expected ${expectedAccept(key)}`,
      );
    }
    const params = parseDeflateResponse(answer.headers['sec-websocket-extensions']);
    if (params !== null) {
      if (options.extensions === undefined) throw new Error('RawWebSocket: the server accepted an extension that was not offered');
      // RFC 7692 7.1.2.2: a client_max_window_bits=N in our offer promises a window of at most N,
      // whether or not the server's response names the parameter.
      const hint = /client_max_window_bits\s*=\s*"?(\d+)/.exec(options.extensions.split(',')[0])?.[1];
      if (hint !== undefined && !/client_max_window_bits/.test(answer.headers['sec-websocket-extensions'] ?? ''))
        params.clientMaxWindowBits = Math.min(params.clientMaxWindowBits, Number(hint));
      ws.deflate = new ClientDeflate(params);
    }
    return ws;
  }

  /**
   * Sends `request` (a whole request head, and anything after it) and reads the server's answer
   * head; used for handshakes that should be refused. The connection stays open.
   */
  static async request(
    where: string | URL | number | WebSocketTarget,
    request: string | Buffer,
    timeout = DEFAULT_WAIT,
  ): Promise<{ ws: RawWebSocket; answer: HandshakeAnswer }> {
    const ws = await RawWebSocket.connect(where, timeout);
    const text = typeof request === 'string' ? request : request.toString('latin1');
    ws.note(
      '>',
      text
        .slice(0, Math.max(0, text.indexOf('\r\n\r\n')))
        .split('\r\n')
        .join(' | ') || show(Buffer.from(text, 'latin1')),
    );
    await ws.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    const answer = await ws.readAnswer(timeout);
    return { ws, answer };
  }

  // -- writing ---------------------------------------------------------------------------------

  /** Writes bytes as `split` says; a socket the server has closed swallows them quietly. */
  async send(bytes: Buffer, split: Split = 'whole'): Promise<void> {
    if (this.handshakeDone) this.noteSent(bytes, split);
    if (split === 'whole') return this.write(bytes);
    if (split === 'bytewise') {
      for (let i = 0; i < bytes.length; i++) {
        await this.write(bytes.subarray(i, i + 1));
        await immediate();
      }
      return;
    }
    const cuts = 'chunk' in split ? range(split.chunk, bytes.length, split.chunk) : split.at;
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut <= start || cut > bytes.length) continue;
      await this.write(bytes.subarray(start, cut));
      start = cut;
      if (start < bytes.length) {
        if (split.pauseMs) await delay(split.pauseMs);
        else await immediate();
      }
    }
  }

  /** Writes one frame (masked unless told otherwise). */
  sendFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), options: FrameOptions = {}): Promise<void> {
    return this.send(encodeFrame(opcode, payload, options), options.split);
  }

  /** Writes a close frame with `code` (null: no payload) and `reason`. */
  sendClose(code: number | null, reason: Buffer | string = '', options: FrameOptions = {}): Promise<void> {
    return this.sendFrame(Op.Close, closePayload(code, reason), options);
  }

  /** Writes a whole message compressed (RSV1 on the first frame), cut in `fragments` frames. */
  async sendCompressed(opcode: number, data: Buffer | string, options: { fragments?: number; split?: Split } = {}): Promise<Buffer> {
    if (this.deflate === null) throw new Error('RawWebSocket: permessage-deflate was not agreed');
    const compressed = await this.deflate.compress(Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data));
    const pieces = cut(compressed, options.fragments ?? 1);
    const frames = pieces.map((piece, i) =>
      encodeFrame(i === 0 ? opcode : Op.Continuation, piece, { fin: i === pieces.length - 1, rsv: i === 0 ? Rsv.Rsv1 : 0 }),
    );
    await this.send(Buffer.concat(frames), options.split);
    return compressed;
  }

  private write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Adds a line to the transcript ('>' sent, '<' received, '=' what happened), with the time since opening. */
  note(direction: '>' | '<' | '=', text: string): void {
    if (this.transcript.length < TRANSCRIPT_LINES)
      this.transcript.push(`${String(Date.now() - this.opened).padStart(5)} ms ${direction} ${text}`);
    else if (this.transcript.length === TRANSCRIPT_LINES) this.transcript.push('... (transcript cut)');
  }

  /** The frames in bytes we send, described (a client's frames are masked: unmasked to show them). */
  private noteSent(bytes: Buffer, split: Split): void {
    const how =
      split === 'whole'
        ? ''
        : split === 'bytewise'
          ? ' (byte by byte)'
          : 'chunk' in split
            ? ` (in writes of ${split.chunk})`
            : ' (in pieces)';
    let offset = 0;
    let count = 0;
    while (offset < bytes.length && count < 64) {
      const frame = readFrame(bytes, offset);
      if (frame === null) {
        this.note('>', `${show(bytes.subarray(offset))} (not a whole frame)${how}`);
        return;
      }
      this.note('>', `${describeFrame(frame.frame)}${frame.frame.masked ? '' : ' unmasked'}${how}`);
      offset = frame.end;
      count++;
    }
    if (offset < bytes.length) this.note('>', `... ${bytes.length - offset} more bytes${how}`);
  }

  /** Stops reading from the socket (the server's writes then back up), until `resumeReading()`. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Half-closes our side (FIN). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.deflate?.close();
    this.socket.destroy();
  }

  // -- reading ---------------------------------------------------------------------------------

  /** The next frame from the server, at most `timeout` ms away; fails on TCP close. */
  async nextFrame(timeout = DEFAULT_WAIT, what = 'a frame'): Promise<ServerFrame> {
    await this.waitFor(() => this.frames.length > 0, timeout, what);
    return this.frames.shift()!;
  }

  /**
   * The next frame, which must be `opcode` (with `payload` when given), final, unmasked
   * (RFC 6455 5.1: a server never masks), with no RSV bit (no extension is in use on it).
   */
  async expectFrame(opcode: number, payload?: Buffer | string, timeout = DEFAULT_WAIT): Promise<ServerFrame> {
    const frame = await this.nextFrame(timeout, `opcode ${opcode}`);
    checkServerFrame(frame);
    if (frame.opcode !== opcode)
      throw new Error(`expected opcode ${opcode}, got ${describeFrame(frame)}; frames so far: ${this.log.join(' ')}`);
    if (frame.rsv !== 0) throw new Error(`expected no RSV bit on ${describeFrame(frame)}`);
    if (!frame.fin) throw new Error(`expected a final frame, got ${describeFrame(frame)}`);
    if (payload !== undefined) expectBytes(frame.payload, payload, `payload of opcode ${opcode}`);
    return frame;
  }

  /**
   * The next whole message: data frames (a first one, continuations) reassembled, with control
   * frames between them not allowed here, inflated when RSV1 is on the first. Checks the
   * opcode and, when given, the bytes. Returns the message, whether it came compressed, and its
   * payload bytes on the wire (`wire`).
   */
  async nextMessage(timeout = DEFAULT_WAIT): Promise<{ opcode: number; data: Buffer; compressed: boolean; frames: number; wire: number }> {
    const first = await this.nextFrame(timeout, 'a data message');
    checkServerFrame(first);
    if (first.opcode !== Op.Text && first.opcode !== Op.Binary)
      throw new Error(`expected a text or binary frame, got ${describeFrame(first)}; frames so far: ${this.log.join(' ')}`);
    const compressed = (first.rsv & Rsv.Rsv1) !== 0;
    if ((first.rsv & 3) !== 0) throw new Error(`RSV2/RSV3 set on ${describeFrame(first)}`);
    if (compressed && this.deflate === null) throw new Error(`RSV1 set on ${describeFrame(first)} without permessage-deflate`);
    const parts = [first.payload];
    let last = first;
    let frames = 1;
    while (!last.fin) {
      last = await this.nextFrame(timeout, 'a continuation frame');
      checkServerFrame(last);
      frames++;
      if (last.opcode !== Op.Continuation) throw new Error(`expected a continuation frame, got ${describeFrame(last)}`);
      if (last.rsv !== 0) throw new Error(`RSV bits set on a continuation frame ${describeFrame(last)}`);
      parts.push(last.payload);
    }
    let data: Buffer = Buffer.concat(parts);
    const wire = data.length;
    if (compressed) data = await this.deflate!.decompress(data);
    return { opcode: first.opcode, data, compressed, frames, wire };
  }

  /** The next message must be `opcode` with `data`. */
  async expectMessage(opcode: number, data: Buffer | string, timeout = DEFAULT_WAIT): Promise<{ compressed: boolean; wire: number }> {
    const message = await this.nextMessage(timeout);
    if (message.opcode !== opcode)
      throw new Error(`expected a message with opcode ${opcode}, got opcode ${message.opcode} ${show(message.data)}`);
    expectBytes(message.data, data, `message (opcode ${opcode})`);
    return { compressed: message.compressed, wire: message.wire };
  }

  /**
   * The next frame must be a close with `code` (null: a close with no payload), unmasked, with
   * a reason that is valid UTF-8 of at most 123 bytes. Returns the reason.
   */
  async expectClose(code: number | null, timeout = DEFAULT_WAIT): Promise<string> {
    const frame = await this.nextFrame(timeout, `a close frame with ${code ?? 'no code'}`);
    checkServerFrame(frame);
    if (frame.opcode !== Op.Close)
      throw new Error(`expected a close frame (${code}), got ${describeFrame(frame)}; frames so far: ${this.log.join(' ')}`);
    if (frame.rsv !== 0) throw new Error(`RSV bits set on the close frame ${describeFrame(frame)}`);
    const payload = frame.payload;
    if (code === null) {
      if (payload.length !== 0) throw new Error(`expected a close frame without payload, got ${describeFrame(frame)}`);
      return '';
    }
    if (payload.length < 2) throw new Error(`expected close ${code}, got a close frame ${show(payload)}`);
    const got = payload.readUInt16BE(0);
    const reason = payload.subarray(2);
    if (got !== code) throw new Error(`expected close ${code}, got close ${got} (${JSON.stringify(reason.toString())})`);
    if (!Buffer.from(reason.toString('utf8'), 'utf8').equals(reason))
      throw new Error(`the close reason is not valid UTF-8: ${show(reason)}`);
    return reason.toString('utf8');
  }

  /**
   * The server must close the TCP connection within `timeout` ms (RFC 6455 7.1.1: after the
   * close handshake the server closes first), sending nothing more: no frame left unread, no
   * stray bytes.
   */
  async expectTcpClosed(timeout = DEFAULT_WAIT): Promise<void> {
    await this.waitUntil(() => this.ended, timeout, 'the server to close the TCP connection');
    if (this.frames.length > 0) throw new Error(`the server sent more after the close: ${this.frames.map(describeFrame).join(' ')}`);
    if (this.pending.length > 0) throw new Error(`the server sent a partial frame before closing: ${show(this.pending)}`);
  }

  /** No frame arrives (and the connection stays open) for `ms`. */
  async expectSilence(ms: number): Promise<void> {
    await delay(ms);
    if (this.frames.length > 0) throw new Error(`expected nothing, got ${this.frames.map(describeFrame).join(' ')}`);
    if (this.ended) throw new Error('expected the connection to stay open; the server closed it');
  }

  /** Frames received and not yet taken. */
  get unread(): readonly ServerFrame[] {
    return this.frames;
  }

  /** The oldest frame received and not yet taken, if any (no wait). */
  takeFrame(): ServerFrame | undefined {
    return this.frames.shift();
  }

  /** Whether the handshake answer came and was 101 (frames are being read). */
  get switched(): boolean {
    return this.handshakeDone;
  }

  /** Bytes received after the handshake that do not make a whole frame yet. */
  get unparsed(): Buffer {
    return this.pending;
  }

  /** Resolves when `predicate` holds or the connection ended, or after `timeout` ms; never rejects. */
  async settle(predicate: () => boolean, timeout: number): Promise<void> {
    try {
      await this.waitUntil(() => predicate() || this.closed, timeout, 'settling');
    } catch {
      // The caller looks at the state itself.
    }
  }

  /** Wakes whoever waits on this connection (after a state change made outside it). */
  poke(): void {
    this.wake();
  }

  private onData(chunk: Buffer): void {
    this.total += chunk.length;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.handshakeDone) this.parseFrames();
    this.wake();
  }

  /** Reads the response head; what follows it stays pending for the frame parser. */
  async readAnswer(timeout = DEFAULT_WAIT): Promise<HandshakeAnswer> {
    await this.waitUntil(() => this.pending.indexOf('\r\n\r\n') !== -1 || this.ended, timeout, 'the handshake answer');
    const end = this.pending.indexOf('\r\n\r\n');
    if (end === -1)
      throw new Error(
        `RawWebSocket: the server closed before answering the handshake; got ${JSON.stringify(this.pending.toString('latin1'))}`,
      );
    const head = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 4);
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.answer = { status, headers, head };
    this.note('<', head.split('\r\n').join(' | '));
    if (status === 101) {
      this.handshakeDone = true;
      this.parseFrames();
    }
    return this.answer;
  }

  /** Bytes after a refused handshake's head (its body, and whatever follows). */
  get rest(): Buffer {
    return this.pending;
  }

  /** Waits for the server to end the connection (any answer), at most `timeout`. */
  async waitEnded(timeout = DEFAULT_WAIT): Promise<void> {
    await this.waitUntil(() => this.ended, timeout, 'the server to close the connection');
  }

  private parseFrames(): void {
    for (;;) {
      const read = readFrame(this.pending, 0);
      if (read === null) return;
      this.frames.push(read.frame);
      const description = describeFrame(read.frame);
      if (this.log.length < TRANSCRIPT_LINES) this.log.push(description);
      this.note('<', description);
      this.pending = this.pending.subarray(read.end);
      this.onFrame?.();
    }
  }

  /** Called after each frame read (the judge of a case listens here). */
  onFrame: (() => void) | null = null;

  /** Resolves once `predicate` holds; rejects after `timeout`, or when the connection ended first. */
  private async waitFor(predicate: () => boolean, timeout: number, what: string): Promise<void> {
    await this.waitUntil(() => predicate() || this.ended, timeout, what);
    if (!predicate()) {
      const why = this.error !== null ? `failed (${this.error.code})` : 'was closed by the server';
      throw new Error(
        `RawWebSocket: the connection ${why} while waiting for ${what}; frames: ${this.log.join(' ') || 'none'}; unparsed ${show(this.pending)}`,
      );
    }
  }

  private async waitUntil(predicate: () => boolean, timeout: number, what: string): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `RawWebSocket: timed out after ${timeout} ms waiting for ${what}; frames: ${this.log.join(' ') || 'none'}; unparsed ${show(this.pending)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * One frame from `buffer` at `offset` (unmasked when masked), and where it ends; null when the
 * bytes there are not a whole frame yet.
 */
export function readFrame(buffer: Buffer, offset: number): { frame: ServerFrame; end: number } | null {
  if (buffer.length < offset + 2) return null;
  const b0 = buffer[offset];
  const b1 = buffer[offset + 1];
  let length = b1 & 0x7f;
  let at = offset + 2;
  let longLengthForm = false;
  if (length === 126) {
    if (buffer.length < at + 2) return null;
    length = buffer.readUInt16BE(at);
    at += 2;
    longLengthForm = length < 126;
  } else if (length === 127) {
    if (buffer.length < at + 8) return null;
    length = buffer.readUInt32BE(at) * 2 ** 32 + buffer.readUInt32BE(at + 4);
    at += 8;
    longLengthForm = length < 0x10000;
  }
  const masked = (b1 & 0x80) !== 0;
  const maskKey = masked ? buffer.subarray(at, at + 4) : null;
  if (masked) at += 4;
  if (buffer.length < at + length) return null;
  const payload = Buffer.from(buffer.subarray(at, at + length));
  if (maskKey !== null) for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i & 3];
  return { frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload, longLengthForm }, end: at + length };
}

/** RFC 6455 5.1 and 5.2: a server's frame is never masked and uses a known opcode. */
export function checkServerFrame(frame: ServerFrame): void {
  if (frame.masked) throw new Error(`the server masked a frame: ${describeFrame(frame)}`);
  if (frame.longLengthForm) throw new Error(`the server wrote a length in a longer form than needed: ${describeFrame(frame)}`);
  if (![0, 1, 2, 8, 9, 10].includes(frame.opcode)) throw new Error(`the server sent reserved opcode ${frame.opcode}`);
  if (frame.opcode >= 8 && (!frame.fin || frame.payload.length > 125))
    throw new Error(`the server sent a bad control frame: ${describeFrame(frame)}`);
}

/** RFC 6455 5.1 and 5.2: a client's frame is always masked and uses a known opcode. */
export function checkClientFrame(frame: ServerFrame): void {
  if (!frame.masked) throw new Error(`the client sent an unmasked frame: ${describeFrame(frame)}`);
  if (![0, 1, 2, 8, 9, 10].includes(frame.opcode)) throw new Error(`the client sent reserved opcode ${frame.opcode}`);
  if (frame.opcode >= 8 && (!frame.fin || frame.payload.length > 125))
    throw new Error(`the client sent a bad control frame: ${describeFrame(frame)}`);
}

export function describeFrame(frame: ServerFrame): string {
  return `[op ${frame.opcode}${frame.fin ? '' : ' nofin'}${frame.rsv ? ` rsv ${frame.rsv}` : ''}${frame.masked ? ' MASKED' : ''} ${show(frame.payload, 16)}]`;
}

function expectBytes(got: Buffer, want: Buffer | string, what: string): void {
  const expected = typeof want === 'string' ? Buffer.from(want, 'utf8') : want;
  if (!got.equals(expected)) throw new Error(`${what}: expected ${show(expected)}, got ${show(got)}`);
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i += step) out.push(i);
  return out;
}

/** `data` cut into `n` pieces of about equal size (at least one; empty pieces when n > length). */
export function cut(data: Buffer, n: number): Buffer[] {
  const pieces: Buffer[] = [];
  const size = Math.ceil(data.length / n);
  for (let i = 0; i < n; i++) pieces.push(data.subarray(Math.min(i * size, data.length), Math.min((i + 1) * size, data.length)));
  return pieces;
}

/** Frames of one fragmented message: `pieces` as a first frame (`opcode`) and continuations. */
export function fragments(opcode: number, pieces: ReadonlyArray<Buffer | string>, options: FrameOptions = {}): Buffer {
  return Buffer.concat(
    pieces.map((piece, i) => encodeFrame(i === 0 ? opcode : Op.Continuation, piece, { ...options, fin: i === pieces.length - 1 })),
  );
}
