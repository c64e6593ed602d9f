/**
 * A WebSocket case's view of the server under test: where it is, what the user told about it
 * (its message size limit), and the connections the case opened, each destroyed when the case
 * ends and each giving its transcript to the report.
 *
 * The kit's own cases reach their context through `connect()` and friends, which find the case
 * running in the current async flow.
 *
 * @example
 * const ws = await connect();                 // inside a case
 * await ws.sendFrame(Op.Text, 'hello');
 */
import { type CaseHost, type ConformanceCase, currentHost } from '../run.js';
import { NonStrict, Unimplemented } from '../verdict.js';
import { Conversation } from './autobahn/conversation.js';
import { type HandshakeAnswer, type OpenOptions, parseTarget, RawWebSocket, type WebSocketTarget } from './raw-websocket.js';

/** The offer most cases make: permessage-deflate, letting the server limit our window. */
export const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

export interface WebSocketSuiteOptions {
  /** The echo server: ws://host:port/path or wss://... */
  url: string | URL;
  /**
   * The server's message size limit in bytes, when the user knows it: the cases that check a
   * message over it is answered with 1009 run only with it.
   */
  maxMessageSize?: number;
  /** Autobahn's own message counts in groups 12 and 13 (1000 a case) instead of the kit's (at most 1 MiB a case). */
  full?: boolean;
  /**
   * Connections the context-takeover memory case (14.x.1) holds open at once, each with
   * permessage-deflate agreed (default 200).
   */
  heldConnections?: number;
}

export class WebSocketCaseContext implements CaseHost {
  readonly target: WebSocketTarget;
  private readonly connections: RawWebSocket[] = [];
  /** Connections kept to be destroyed, left out of the transcript. */
  private readonly quiet: RawWebSocket[] = [];

  constructor(readonly options: WebSocketSuiteOptions) {
    this.target = parseTarget(options.url);
  }

  /** Opens a WebSocket (the handshake done and checked). */
  async connect(options: OpenOptions = {}): Promise<RawWebSocket> {
    return this.track(await RawWebSocket.open(this.target, options));
  }

  /** Opens a WebSocket offering permessage-deflate; a server that declines makes the case UNIMPLEMENTED. */
  async connectDeflate(offer: string = DEFLATE_OFFER): Promise<RawWebSocket> {
    const ws = await this.connectDeclining(offer);
    if (ws.deflate === null) throw new Unimplemented(`the server declined permessage-deflate (offered "${offer}")`);
    return ws;
  }

  /**
   * Opens a WebSocket offering `extensions` the server should decline (not accept, but switch):
   * refusing the whole handshake instead is NON-STRICT (RFC 7692 7: the offer is declined).
   */
  async connectDeclining(extensions: string): Promise<RawWebSocket> {
    try {
      return await this.connect({ extensions });
    } catch (error) {
      const status = /expected 101, got (4\d\d)/.exec((error as Error).message)?.[1];
      if (status === undefined) throw error;
      throw new NonStrict(
        `refused the handshake with ${status} instead of declining the offer "${extensions}" (RFC 7692 7: decline it, switch without it)`,
      );
    }
  }

  /** A conversation for an Autobahn-numbered case, the kit as the client. */
  async conversation(offer?: string): Promise<Conversation> {
    return new Conversation(await this.connect(offer === undefined ? {} : { extensions: offer }), 'client');
  }

  /** Sends a whole request of our own and reads the answer's head. */
  async request(text: string | Buffer, timeout?: number): Promise<{ ws: RawWebSocket; answer: HandshakeAnswer }> {
    const { ws, answer } = await RawWebSocket.request(this.target, text, timeout);
    this.track(ws);
    return { ws, answer };
  }

  /** A bare connection, no handshake yet. */
  async rawConnect(timeout?: number): Promise<RawWebSocket> {
    return this.track(await RawWebSocket.connect(this.target, timeout));
  }

  /**
   * Keeps `ws` to be destroyed when the case ends, and its transcript for the report (unless
   * `quiet`: a case holding hundreds of connections shows a few of them).
   */
  track(ws: RawWebSocket, quiet = false): RawWebSocket {
    if (quiet) this.quiet.push(ws);
    else this.connections.push(ws);
    return ws;
  }

  transcript(): string[] {
    if (this.connections.length === 1) return [...this.connections[0].transcript];
    return this.connections.flatMap((ws, i) => [`-- connection ${i + 1}`, ...ws.transcript]);
  }

  dispose(): void {
    for (const ws of this.connections) ws.destroy();
    for (const ws of this.quiet) ws.destroy();
  }
}

/** The context of the WebSocket case running now. */
export function context(): WebSocketCaseContext {
  return currentHost<WebSocketCaseContext>();
}

/** Opens a WebSocket to the server under test (from inside a case). */
export function connect(options?: OpenOptions): Promise<RawWebSocket> {
  return context().connect(options);
}

/** Opens a WebSocket with permessage-deflate agreed, or makes the case UNIMPLEMENTED. */
export function connectDeflate(offer?: string): Promise<RawWebSocket> {
  return context().connectDeflate(offer);
}

/** Opens a WebSocket offering extensions the server should decline; a refused handshake is NON-STRICT. */
export function connectDeclining(extensions: string): Promise<RawWebSocket> {
  return context().connectDeclining(extensions);
}

/** Keeps `ws` to be destroyed when the case ends (`quiet`: left out of the transcript). */
export function track(ws: RawWebSocket, quiet = false): RawWebSocket {
  return context().track(ws, quiet);
}

/** A clean close from our side: the server answers 1000 and closes TCP. */
export async function closeCleanly(ws: RawWebSocket): Promise<void> {
  await ws.sendClose(1000);
  await ws.expectClose(1000);
  await ws.expectTcpClosed();
}

/**
 * The message sent before a bad frame echoed, then the failure (close `code`). A server that
 * fails at once, dropping the echo, is NON-STRICT (Autobahn's 3.2 and 4.1.3 judge it so).
 */
export async function expectEchoThenFailure(
  ws: RawWebSocket,
  opcode: number,
  data: Buffer | string,
  code: number | readonly number[] = 1002,
): Promise<void> {
  await ws.settle(() => ws.unread.length > 0, 5_000);
  if (ws.unread[0]?.opcode === 8) {
    await expectFailure(ws, code);
    throw new NonStrict(
      'failed the connection without echoing the valid message sent before the bad frame (allowed; echoing it first is better)',
    );
  }
  await ws.expectMessage(opcode, data);
  await expectFailure(ws, code);
}

/** The end of a failed connection: a close with `code` (or one of them), then the server closes TCP, sending nothing else. */
export async function expectFailure(ws: RawWebSocket, code: number | readonly number[] = 1002): Promise<void> {
  const codes = typeof code === 'number' ? [code] : code;
  if (codes.length === 1) await ws.expectClose(codes[0]);
  else {
    const frame = await ws.nextFrame(3_000, `a close frame with ${codes.join(' or ')}`);
    if (frame.opcode !== 8 || frame.masked || frame.payload.length < 2 || !codes.includes(frame.payload.readUInt16BE(0)))
      throw new Error(`expected a close frame with ${codes.join(' or ')}; frames: ${ws.log.join(' ')}`);
  }
  await ws.expectTcpClosed();
}

/** A case of the WebSocket server suite. */
export type WebSocketCase = ConformanceCase<WebSocketCaseContext>;
