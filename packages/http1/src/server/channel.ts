/**
 * Async channels: a handler holds on to a request and answers it later, from any callback.
 * One abstraction serves long polling (one late response), streaming (a head, then chunks) and
 * WebSocket (`asChannel` on an upgrade request), as http-kit 2's `as-channel` does.
 */
import type { PendingResponse } from '@http-kit/core';
import { ClosedSignal, describe, kWatchClose, type CloseWatcher } from '@http-kit/core';
import { ChannelMisuseError } from '../errors.js';
import { isBareBody, type Response } from './body-types.js';
import { GATEWAY_TIMEOUT, INTERNAL_ERROR, SERVICE_UNAVAILABLE, WEBSOCKET_NOT_LOADED } from './canned-responses.js';
import { HANDED_OFF, responseProblem, type HandedOff } from './dispatch.js';
import { HttpSession, type ResponseOwner } from './http-session.js';
import type { CloseReason } from '@http-kit/core';
import { kExchange, type Request } from './request.js';
import { answerEnded, hookChunk, hookEnd, hookResponse, responseHooksOf } from './response-hooks.js';
import { withDefaultContentType } from './response-writer.js';
import { webSocketAcceptor, type WebSocketOptions } from './websocket-options.js';

export type ChannelMessage = Response | string | Buffer | Uint8Array;

/**
 * One request answered later: a long poll (one late answer), a stream (a head, then chunks), or
 * a WebSocket.
 *
 * A channel ends once: the program completes the answer (`send(…)`, `send(…, true)`, `close()`),
 * or the client goes, its `timeout` passes, the server stops. `onClose` then runs once and
 * `isOpen` is false. A send the program makes after that is told apart by who ended it:
 *
 * - after the program's own end (a second answer, a chunk after `close()`): a bug, thrown as
 *   `ChannelMisuseError` (HTTPKIT_CHANNEL_MISUSE);
 * - after the client, a timeout or the server ended it: `send` returns false, as it does when
 *   the client's buffer is full; `isOpen` tells the two apart (false: gone for good, wait for
 *   nothing; true: `await drain()`). A program cannot know in advance that a client has gone, so
 *   this is no error.
 *
 * A send of something that is no answer (`send(42)`, `send({})`) throws `ChannelMisuseError` and
 * ends the channel: a parked request is answered 500, a stream's connection is closed.
 */
export interface Channel {
  /** The request the channel answers. */
  readonly request: Request;
  /** False once the channel has ended: the response is complete, the client has gone, it timed out or the server closed it. */
  readonly isOpen: boolean;
  readonly isWebSocket: boolean;
  /** Bytes queued in user space for this client (backpressure). */
  readonly bufferedAmount: number;
  /**
   * Sends `data`. The first send answers the request: a response object (or bare body, as 200);
   * with `close` false it only starts the response and each later send is one chunk of it.
   * Returns false when the socket's buffer is full (wait with `drain()`), or when the client, a
   * timeout or the server has ended the channel (`isOpen` is then false). Throws
   * `ChannelMisuseError` after the program's own end, or for data that is no answer (see above).
   * (Like Node's `write()`, a single chunk larger than the socket's buffer mark also returns
   * false even when the kernel took it all; `drain()` then resolves at once.)
   */
  send(data: ChannelMessage, close?: boolean): boolean;
  /**
   * Ends the response (a stream's last chunk), or drops the connection when nothing was sent.
   * A WebSocket sends a close frame with `code` (default 1000) and `reason`. Returns false (and
   * does nothing) when the channel had already ended.
   */
  close(code?: number, reason?: string): boolean;
  /** Resolves once the socket can take more data (or the channel closed). */
  drain(): Promise<void>;
  /**
   * Resolves, with the reason, once the channel has closed (as `onClose` runs). A hub drops a
   * subscribed channel then: `hub.subscribe(topic, channel)`.
   */
  readonly closed: Promise<CloseReason>;
}

export interface ChannelHandlers extends WebSocketOptions {
  /** The handler has returned and the channel is ready to send. */
  onOpen?: (channel: Channel) => void;
  /** A message from the client (WebSocket channels). */
  onReceive?: (channel: Channel, message: string | Buffer) => void;
  /**
   * Runs once, however the channel ends. With 'server-stopping' on a channel still parked, the
   * channel can still answer from here (a last answer to a long poll); if it does not, the
   * request is answered 503 with Retry-After, and the connection closes.
   */
  onClose?: (channel: Channel, reason: CloseReason) => void;
  /** A ping from the client (WebSocket channels). */
  onPing?: (channel: Channel, data: Buffer) => void;
  /** A pong from the client (WebSocket channels). */
  onPong?: (channel: Channel, data: Buffer) => void;
  /** ms a channel may stay unanswered (parked) or open (streaming); 0 = no limit. */
  timeout?: number;
  /** What a parked channel answers when its timeout passes (default 504); null closes instead. */
  timeoutResponse?: Response | null;
}

const enum ChannelState {
  Parked,
  Streaming,
  Closed,
}

/** The HTTP side of a channel: one request on one connection. */
export class HttpChannel implements Channel, ResponseOwner, PendingResponse {
  readonly isWebSocket = false;
  private state = ChannelState.Parked;
  private readonly seq: number;
  /** The program itself ended the channel: a send after that is a bug. */
  private endedByProgram = false;
  /** The status answered (0: none yet), for the response hooks. */
  private status = 0;

  constructor(
    private readonly connection: HttpSession,
    readonly request: Request,
    private readonly handlers: ChannelHandlers,
  ) {
    this.seq = connection.adopt(this, request);
    connection.channels.add(this, handlers.timeout ?? 0);
  }

  get isOpen(): boolean {
    return this.state !== ChannelState.Closed && !this.connection.isClosed;
  }

  get bufferedAmount(): number {
    return this.connection.host.bufferedAmount;
  }

  send(data: ChannelMessage, close?: boolean): boolean {
    if (!this.isOpen) {
      if (this.endedByProgram) {
        throw new ChannelMisuseError(
          `Channel.send: the channel for ${this.request.uri} is closed: the program already completed its answer (send with close, or close())`,
        );
      }
      return false; // the client, a timeout or the server ended it: see isOpen
    }
    const connection = this.connection;
    if (this.state === ChannelState.Parked) {
      let response: Response;
      const hooks = responseHooksOf(this.request);
      try {
        response = toResponse(data);
        // Middleware's hooks (compress, cors, ...) see the answer as they would a returned one.
        if (hooks !== null) response = hookResponse(hooks, response, close === false, this.request);
      } catch (error) {
        this.misused();
        throw error;
      }
      this.status = response.status ?? 200;
      if (close !== false) {
        this.state = ChannelState.Closed;
        this.endedByProgram = true;
        connection.answer(this.seq, response);
        this.finished('server-closed');
        return !connection.host.needsDrain;
      }
      this.state = ChannelState.Streaming;
      let ok: boolean;
      try {
        // The first chunk is known now: a bare string or bytes types the stream as a whole body would.
        ok = connection.channelStart(this.seq, response.status ?? 200, withDefaultContentType(response.headers, response.body));
      } catch (error) {
        // A bad status or header: nothing is written; answer 500 and end the channel.
        this.state = ChannelState.Closed;
        connection.answer(this.seq, INTERNAL_ERROR);
        this.finished('error');
        throw error;
      }
      const body = response.body;
      if (typeof body === 'string' || body instanceof Uint8Array)
        ok = connection.channelWrite(this.seq, hooks === null ? body : hookChunk(hooks, body, this.request));
      return ok;
    }
    let chunk: string | Uint8Array;
    try {
      chunk = chunkOf(data);
      const hooks = responseHooksOf(this.request);
      if (hooks !== null) chunk = hookChunk(hooks, chunk, this.request);
    } catch (error) {
      this.misused();
      throw error;
    }
    const ok = connection.channelWrite(this.seq, chunk);
    if (close === true) this.close();
    return ok;
  }

  close(): boolean {
    if (!this.isOpen) return false;
    const wasStreaming = this.state === ChannelState.Streaming;
    this.state = ChannelState.Closed;
    this.endedByProgram = true;
    if (wasStreaming) this.endStream();
    else this.connection.host.destroy('server-closed');
    this.finished('server-closed');
    return true;
  }

  drain(): Promise<void> {
    return this.connection.host.drained();
  }

  /** Ends a streamed answer: what the response hooks still hold (a compressor's last bytes), then the end. */
  private endStream(): void {
    const hooks = responseHooksOf(this.request);
    if (hooks !== null) {
      try {
        for (const bytes of hookEnd(hooks, this.request)) this.connection.channelWrite(this.seq, bytes);
      } catch (error) {
        this.failed('response hook', error);
        this.connection.host.destroy('error');
        return;
      }
    }
    this.connection.channelEnd(this.seq);
  }

  /** @internal ResponseOwner */
  opened(): void {
    const onOpen = this.handlers.onOpen;
    if (onOpen === undefined || this.state === ChannelState.Closed) return;
    try {
      onOpen(this);
    } catch (error) {
      this.failed('onOpen', error);
      if (this.state === ChannelState.Parked && this.isOpen) {
        // Nobody will answer this request now: do it for them.
        this.state = ChannelState.Closed;
        this.connection.answer(this.seq, INTERNAL_ERROR);
        this.finished('error');
      }
    }
  }

  /**
   * A send that could not be made ends the channel, so the request never hangs: a parked one is
   * answered 500, a stream (its head already out) loses its connection.
   */
  private misused(): void {
    const wasStreaming = this.state === ChannelState.Streaming;
    this.state = ChannelState.Closed;
    if (wasStreaming) this.connection.host.destroy('error');
    else this.connection.answer(this.seq, INTERNAL_ERROR);
    this.finished('error');
  }

  /**
   * @internal ResponseOwner: the server is stopping. A parked channel hears it in onClose while
   * it can still answer; if it does not, it is answered 503. A stream goes on until stop's
   * deadline.
   */
  serverStopping(): void {
    if (this.state !== ChannelState.Parked) return;
    this.finished('server-stopping');
    if (this.state === ChannelState.Parked && this.isOpen) {
      this.state = ChannelState.Closed;
      this.connection.answer(this.seq, SERVICE_UNAVAILABLE);
    }
  }

  /** @internal ResponseOwner: the connection went away under the channel. */
  connectionClosed(reason: CloseReason): void {
    this.state = ChannelState.Closed;
    this.finished(reason);
  }

  /** @internal PendingResponse: the channel's timeout passed. */
  onTimeout(): void {
    if (this.state === ChannelState.Closed) return;
    if (this.state === ChannelState.Parked && this.handlers.timeoutResponse !== null) {
      this.state = ChannelState.Closed;
      const answer = this.handlers.timeoutResponse ?? GATEWAY_TIMEOUT;
      // The hooks hear it was a timeout (and its status) before the session tells them it was sent.
      this.status = answer.status ?? 200;
      answerEnded(this.request, { reason: 'timeout', status: this.status }, this.connection.host);
      this.connection.answer(this.seq, answer);
    } else {
      const wasStreaming = this.state === ChannelState.Streaming;
      this.state = ChannelState.Closed;
      if (wasStreaming) this.endStream();
      else this.connection.host.destroy('timeout');
    }
    this.finished('timeout');
  }

  private closedSignal: ClosedSignal | null = null;
  /** Why the channel ended, once onClose has been reported. */
  private finalReason: CloseReason | null = null;

  get closed(): Promise<CloseReason> {
    return (this.closedSignal = ClosedSignal.for(this.closedSignal, this.finalReason)).promise;
  }

  /** @internal How a hub learns of the close without making the `closed` promise. */
  [kWatchClose](watcher: CloseWatcher): void {
    this.closedSignal = ClosedSignal.watch(this.closedSignal, this.finalReason, watcher);
  }

  /** Leaves the registry and reports onClose, once. */
  private finished(reason: CloseReason): void {
    this.connection.channels.delete(this);
    if (this.finalReason !== null) return;
    this.finalReason = reason;
    this.closedSignal?.settle(reason);
    // An answer the program completed is over when the session has written it (it tells the hooks then).
    if (reason !== 'server-closed') answerEnded(this.request, { reason, status: this.status }, this.connection.host);
    const onClose = this.handlers.onClose;
    if (onClose === undefined) return;
    try {
      onClose(this, reason);
    } catch (error) {
      this.failed('onClose', error);
    }
  }

  private failed(callback: string, error: unknown): void {
    this.connection.host.logError(`Channel ${callback} callback failed`, error);
  }
}

function toResponse(data: ChannelMessage): Response {
  if (isBareBody(data)) return { status: 200, body: data };
  const problem = responseProblem(data);
  if (problem !== null)
    throw new ChannelMisuseError(`Channel.send: cannot send ${problem}; send a response {status, headers, body}, a string or bytes`);
  return data as Response;
}

function chunkOf(data: ChannelMessage): string | Uint8Array {
  if (isBareBody(data)) return data;
  const problem = responseProblem(data);
  if (problem !== null) throw new ChannelMisuseError(`Channel.send: cannot send ${problem} as a chunk of a stream; send a string or bytes`);
  const body = (data as Response).body;
  if (body === null || body === undefined) return '';
  if (isBareBody(body)) return body;
  throw new ChannelMisuseError(`Channel.send: a streamed chunk must be a string or bytes, got ${describe(body)}`);
}

/**
 * Takes the request over from the handler, which returns what this returns. The channel then
 * answers whenever the program likes (http-kit's `as-channel`). For a WebSocket upgrade it cannot
 * accept (a malformed handshake, an origin not allowed, another version) what it returns is the
 * HTTP refusal (400, 403, 426) instead of the hand-off marker: return it the same way.
 *
 * @example
 * const waiting = new Set<Channel>();
 * const handler = (req: Request) => asChannel(req, {
 *   onOpen: (ch) => waiting.add(ch),
 *   onClose: (ch) => waiting.delete(ch),
 *   timeout: 30_000,
 * });
 * // later, from any callback:
 * for (const ch of waiting) ch.send({ status: 200, body: 'news' });
 */
export function asChannel(request: Request, handlers: ChannelHandlers = {}): HandedOff | Response {
  const connection = request?.[kExchange];
  if (!(connection instanceof HttpSession))
    throw new ChannelMisuseError(`asChannel: ${describe(request)} is not a request from an http-kit server`);
  if (request.websocket) {
    // Answered with a WebSocket when @http-kit/websocket is loaded; refused out loud otherwise.
    const accept = webSocketAcceptor();
    if (accept !== undefined) return accept(request, handlers, connection.websocketDefaults);
    return refuseWebSocket(connection, request);
  }
  new HttpChannel(connection, request, handlers);
  return HANDED_OFF;
}

/** Servers whose errorLogger was already told that WebSocket support is not loaded. */
const toldNoWebSocket = new WeakSet<object>();

/**
 * A WebSocket request asked for while `@http-kit/websocket` was never imported: parking it as a
 * long poll would leave the browser waiting and the program wondering. It is refused 501 (the
 * server does not implement what the handler asked for) and errorLogger names the missing import.
 */
function refuseWebSocket(connection: HttpSession, request: Request): HandedOff {
  // Told once per server (not per connection: any client can open connections and send
  // upgrades, and one line each would let it flood the log). Every refusal still answers 501.
  if (!toldNoWebSocket.has(connection.server)) {
    toldNoWebSocket.add(connection.server);
    connection.host.logError(
      `asChannel: ${request.uri} is a WebSocket request but @http-kit/websocket was never imported, so the server cannot speak WebSocket; answered 501 (said once per server). Add \`import '@http-kit/websocket';\` once to the server program`,
      undefined,
    );
  }
  connection.keepAlive = false;
  connection.answer(connection.seq, WEBSOCKET_NOT_LOADED);
  return HANDED_OFF;
}

/**
 * The seed's `async-response`: `register` gets a `respond` function that can be kept and called
 * once, later, from any callback. A second call is ignored with a warning.
 *
 * @example
 * const handler = (req: Request) => asyncResponse(req, (respond) => {
 *   setTimeout(() => respond({ status: 200, body: 'async hello world' }), 100);
 * });
 */
export function asyncResponse(
  request: Request,
  register: (respond: (response: ChannelMessage) => void) => void,
  options: Pick<ChannelHandlers, 'timeout' | 'timeoutResponse' | 'onClose'> = {},
): HandedOff | Response {
  return asChannel(request, {
    ...options,
    onOpen(channel) {
      let responded = false;
      register((response) => {
        if (responded) {
          (request[kExchange] as HttpSession).host.logWarning(`respond() called again for ${request.uri}; ignored`);
          return;
        }
        responded = true;
        channel.send(response, true);
      });
    },
  });
}
