/**
 * The codec against the `ws` package: ws's frames read by our reader, our frames read by ws's
 * receiver, and both ends of a connection with permessage-deflate negotiated and compressed by
 * one side and inflated by the other (ws server with our client codec, ws client with our server
 * codec, over real sockets).
 */
import { describe, it, expect, afterEach } from 'vitest';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameReader, type FrameReaderEvents } from '../src/codec/frame-reader.js';
import { encodeClose, encodeFrame } from '../src/codec/frame-writer.js';
import { randomMask } from '../src/codec/mask.js';
import { Opcode } from '../src/codec/opcodes.js';
import { acceptKey, isValidKey, parseTokenList } from '../src/codec/handshake.js';
import {
  acceptServerResponse,
  clientOffer,
  negotiateServer,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
} from '../src/codec/permessage-deflate.js';

// ws's frame encoder and receiver: exported by ws, not declared by @types/ws.
interface WsInternals {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => Writable;
}
const { Sender, Receiver } = wsModule as unknown as WsInternals;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Logged {
  log: string[];
  events: FrameReaderEvents;
}

function logger(onResume: () => void = () => {}): Logged {
  const log: string[] = [];
  return {
    log,
    events: {
      onMessage: (data, isText) =>
        log.push(
          isText
            ? `text:${data.length > 64 ? data.length : data.toString()}`
            : `binary:${data.length}:${data.subarray(0, 8).toString('hex')}`,
        ),
      onPing: (p) => log.push(`ping:${p.toString()}`),
      onPong: (p) => log.push(`pong:${p.toString()}`),
      onCloseFrame: (code, reason) => log.push(`close:${code}:${reason}`),
      onProtocolError: (code, reason) => log.push(`error:${code}:${reason}`),
      onResume,
    },
  };
}

const payloads = [
  Buffer.alloc(0),
  Buffer.from('hello'),
  randomBytes(125),
  randomBytes(126),
  randomBytes(65535),
  randomBytes(65536),
  randomBytes(200_000),
];

describe('frames made by ws, read by FrameReader', () => {
  for (const masked of [true, false]) {
    it(`reads ws's ${masked ? 'masked client' : 'unmasked server'} frames of every length form, fragmented, with control frames`, () => {
      const frames: Buffer[] = [];
      const frame = (data: Buffer, opcode: number, fin = true) =>
        frames.push(Buffer.concat(Sender.frame(data, { fin, opcode, mask: masked, readOnly: true, rsv1: false })));
      const want: string[] = [];
      for (const data of payloads) {
        frame(data, Opcode.Binary);
        want.push(`binary:${data.length}:${data.subarray(0, 8).toString('hex')}`);
      }
      frame(Buffer.from('frag'), Opcode.Text, false);
      frame(Buffer.from('ping!'), Opcode.Ping);
      frame(Buffer.from('ment€'), Opcode.Continuation, true);
      want.push('ping:ping!', 'text:fragment€');
      frame(Buffer.from([0x03, 0xe9, 0x68, 0x69]), Opcode.Close);
      want.push('close:1001:hi');
      const stream = Buffer.concat(frames);
      for (const chunkSize of [stream.length, 1000, 7]) {
        const { log, events } = logger();
        const reader = new FrameReader(events, { expectMasked: masked, maxMessageSize: Infinity, deflate: null });
        const copy = Buffer.from(stream);
        for (let offset = 0; offset < copy.length; offset += chunkSize) reader.push(copy.subarray(offset, offset + chunkSize));
        expect(log).toEqual(want);
      }
    });
  }
});

describe('frames made by encodeFrame, read by ws', () => {
  for (const masked of [true, false]) {
    it(`ws reads our ${masked ? 'masked client' : 'unmasked server'} frames`, async () => {
      // ws's receiver on the server side expects masked frames.
      const receiver = new Receiver({ isServer: masked, maxPayload: 0 });
      const log: string[] = [];
      receiver.on('message', (data: Buffer, isBinary: boolean) =>
        log.push(isBinary ? `binary:${data.length}:${data.subarray(0, 8).toString('hex')}` : `text:${data.toString()}`),
      );
      receiver.on('ping', (data: Buffer) => log.push(`ping:${data.toString()}`));
      receiver.on('pong', (data: Buffer) => log.push(`pong:${data.toString()}`));
      receiver.on('conclude', (code: number, reason: Buffer) => log.push(`close:${code}:${reason.toString()}`));
      receiver.on('error', (error: Error) => log.push(`error:${error.message}`));
      const mask = () => (masked ? randomMask() : null);
      const write = (frame: Buffer | [Buffer, Buffer]) =>
        Array.isArray(frame) ? frame.forEach((f) => receiver.write(f)) : receiver.write(frame);
      const want: string[] = [];
      for (const data of payloads) {
        write(encodeFrame(Opcode.Binary, data, true, false, mask()));
        want.push(`binary:${data.length}:${data.subarray(0, 8).toString('hex')}`);
      }
      write(encodeFrame(Opcode.Text, Buffer.from('a'), false, false, mask()));
      write(encodeFrame(Opcode.Pong, Buffer.from('p'), true, false, mask()));
      write(encodeFrame(Opcode.Continuation, Buffer.from('b✓'), true, false, mask()));
      want.push('pong:p', 'text:ab✓');
      write(encodeClose(4001, 'done', mask()));
      want.push('close:4001:done');
      await new Promise((resolve) => setImmediate(resolve));
      expect(log).toEqual(want);
    });
  }
});

// -- over sockets, with permessage-deflate

/** Reads an HTTP head off `socket`: the status or request line, lower-cased headers, and the bytes after it. */
async function readHead(socket: net.Socket): Promise<{ line: string; headers: Record<string, string>; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end === -1) continue;
    socket.pause();
    const [line, ...fields] = buffered.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const colon = field.indexOf(':');
      const name = field.slice(0, colon).trim().toLowerCase();
      const value = field.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    return { line, headers, rest: buffered.subarray(end + 4) };
  }
}

/**
 * Feeds a socket's bytes (after `first`, what came with the HTTP head) to a reader made by
 * `attach`, holding what it does not take until its onResume, as a protocol on our socket loop does.
 */
function pump(socket: net.Socket, first: Buffer) {
  let held: Buffer[] = [];
  let reader: FrameReader | null = null;
  const feed = (chunk: Buffer) => {
    if (held.length > 0) {
      held.push(chunk);
      return;
    }
    const taken = reader!.push(chunk);
    if (taken < chunk.length) held.push(chunk.subarray(taken));
  };
  const { log, events } = logger(() => {
    const pending = held;
    held = [];
    for (const [i, chunk] of pending.entries()) {
      feed(chunk);
      if (held.length > 0) {
        held.push(...pending.slice(i + 1));
        return;
      }
    }
  });
  const attach = (made: FrameReader) => {
    reader = made;
    if (first.length > 0) feed(first);
    socket.on('data', feed);
    socket.resume();
  };
  return { log, events, attach };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const compress = (p: PerMessageDeflate, data: Buffer) =>
  new Promise<Buffer>((resolve, reject) => p.compress(data, (error, out) => (error ? reject(error) : resolve(out))));

describe('our client codec against a ws server with permessage-deflate', () => {
  const cases: Array<[string, PerMessageDeflateOptions, object]> = [
    ['defaults', {}, {}],
    [
      'no context takeover both ways, small windows',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
      {},
    ],
    ['a server that limits our window', {}, { clientMaxWindowBits: 11, serverNoContextTakeover: true }],
  ];
  for (const [name, ours, theirs] of cases) {
    it(`negotiates and exchanges compressed messages: ${name}`, async () => {
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...theirs } });
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
      await once(server, 'listening');
      const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      cleanups.push(() => void socket.destroy());
      await once(socket, 'connect');
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${clientOffer(ours)}\r\n\r\n`,
      );
      const head = await readHead(socket);
      expect(head.line).toBe('HTTP/1.1 101 Switching Protocols');
      expect(head.headers['sec-websocket-accept']).toBe(acceptKey(key));
      const params = acceptServerResponse(head.headers['sec-websocket-extensions'], ours);
      expect(typeof params === 'object' && params !== null, String(params)).toBe(true);
      const client = new PerMessageDeflate(params as Exclude<typeof params, string | null>, false, ours, Infinity);
      cleanups.push(() => client.close());
      const inflater = new PerMessageDeflate(params as Exclude<typeof params, string | null>, false, ours, Infinity);
      cleanups.push(() => inflater.close());
      const p = pump(socket, head.rest);
      p.attach(new FrameReader(p.events, { expectMasked: false, maxMessageSize: Infinity, deflate: inflater }));

      const messages = [
        Buffer.from('hello, ws'),
        Buffer.from('hello, ws'),
        Buffer.from('x'.repeat(100_000)),
        Buffer.from('é€𝄞'.repeat(1000)),
      ];
      const want: string[] = [];
      for (const message of messages) {
        const compressed = await compress(client, message);
        // sent as three fragments, RSV1 on the first
        const third = Math.ceil(compressed.length / 3);
        socket.write(encodeFrame(Opcode.Text, compressed.subarray(0, third), false, true, randomMask()) as Buffer);
        socket.write(encodeFrame(Opcode.Ping, Buffer.from('between'), true, false, randomMask()) as Buffer);
        socket.write(encodeFrame(Opcode.Continuation, compressed.subarray(third, 2 * third), false, false, randomMask()) as Buffer);
        socket.write(encodeFrame(Opcode.Continuation, compressed.subarray(2 * third), true, false, randomMask()) as Buffer);
        want.push('pong:between', `text:${message.length > 64 ? message.length : message.toString()}`);
      }
      const binary = randomBytes(3000);
      socket.write(encodeFrame(Opcode.Binary, await compress(client, binary), true, true, randomMask()) as Buffer);
      want.push(`binary:3000:${binary.subarray(0, 8).toString('hex')}`);
      socket.write(encodeClose(1000, 'bye', randomMask()));
      want.push('close:1000:bye');
      await waitFor(() => p.log.length >= want.length, 'the echoes');
      expect(p.log).toEqual(want);
    });
  }
});

describe('a ws client against our server codec with permessage-deflate', () => {
  const cases: Array<[string, object, PerMessageDeflateOptions]> = [
    ['defaults', {}, {}],
    [
      'client asks for no context takeover and small windows',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
      {},
    ],
    [
      'server limits the client window and keeps no context',
      { clientMaxWindowBits: true },
      { clientMaxWindowBits: 9, serverNoContextTakeover: true },
    ],
    ['window bits 8', { serverMaxWindowBits: 8, clientMaxWindowBits: 8 }, {}],
  ];
  for (const [name, theirs, ours] of cases) {
    it(`negotiates and exchanges compressed messages: ${name}`, async () => {
      const server = net.createServer();
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const sockets: net.Socket[] = [];
      cleanups.push(() => sockets.forEach((s) => s.destroy()));
      let agreed: string | undefined;
      server.on('connection', async (socket) => {
        sockets.push(socket);
        const head = await readHead(socket);
        const key = head.headers['sec-websocket-key'];
        expect(isValidKey(key)).toBe(true);
        expect(parseTokenList(head.headers.connection).map((t) => t.toLowerCase())).toContain('upgrade');
        const negotiated = negotiateServer(head.headers['sec-websocket-extensions'], ours);
        expect(negotiated).not.toBe(null);
        agreed = negotiated!.response;
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key!)}\r\nSec-WebSocket-Extensions: ${negotiated!.response}\r\n\r\n`,
        );
        const deflate = new PerMessageDeflate(negotiated!.params, true, ours, 1 << 20);
        const sender = new PerMessageDeflate(negotiated!.params, true, { ...ours, threshold: 0 }, 1 << 20);
        cleanups.push(() => (deflate.close(), sender.close()));
        const p = pump(socket, head.rest);
        // Echo: each message compressed back; a close answered with a close.
        let queue = Promise.resolve();
        const events = p.events;
        p.attach(
          new FrameReader(
            {
              ...events,
              onMessage: (data, isText) => {
                const copy = Buffer.from(data);
                queue = queue.then(async () => {
                  const out = await compress(sender, copy);
                  const frame = encodeFrame(isText ? Opcode.Text : Opcode.Binary, out, true, true, null);
                  if (Array.isArray(frame)) socket.write(Buffer.concat(frame));
                  else socket.write(frame);
                });
              },
              onPing: (payload) => socket.write(encodeFrame(Opcode.Pong, Buffer.from(payload), true, false, null) as Buffer),
              onCloseFrame: (code, reason) => {
                void queue.then(() => socket.end(encodeClose(code, reason, null)));
              },
            },
            { expectMasked: true, maxMessageSize: 1 << 20, deflate },
          ),
        );
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, {
        perMessageDeflate: { threshold: 0, ...theirs },
      });
      cleanups.push(() => ws.terminate());
      const received: string[] = [];
      ws.on('message', (data: Buffer, isBinary) =>
        received.push(isBinary ? `binary:${data.length}` : `text:${data.length > 64 ? data.length : data.toString()}`),
      );
      const closed = once(ws, 'close');
      await once(ws, 'open');
      expect(ws.extensions).toBe('permessage-deflate');
      expect(agreed).toMatch(/^permessage-deflate/);
      const want: string[] = [];
      for (const message of ['hello', 'hello', 'y'.repeat(50_000), '✓'.repeat(5000)]) {
        ws.send(message);
        want.push(`text:${message.length > 64 ? Buffer.byteLength(message) : message}`);
      }
      ws.send(randomBytes(10_000), { binary: true });
      want.push('binary:10000');
      await waitFor(() => received.length >= want.length, 'the echoes');
      expect(received).toEqual(want);
      ws.close(1000, 'done');
      const [code, reason] = (await closed) as [number, Buffer];
      expect(code).toBe(1000);
      expect(reason.toString()).toBe('done');
    });
  }
});
