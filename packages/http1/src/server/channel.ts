/**
 * Async channels: a handler holds on to a request and answers it later, from any callback.
 * One abstraction serves long polling (one late response), streaming (a head, then chunks) and,
 * later, WebSocket, as http-kit 2's `as-channel` does.
 */
import type { PendingResponse } from '@http-kit/core';
import { describe } from '@http-kit/core';
import { ChannelMisuseError } from '../errors.js';
import { isBareBody, type Response } from './body-types.js';
import { GATEWAY_TIMEOUT, INTERNAL_ERROR } from './canned-responses.js';
import { HANDED_OFF, type HandedOff } from './dispatch.js';
import type { ResponseOwner } from './http-exchange.js';
import { HttpSession } from './http-session.js';
import type { CloseReason } from '@http-kit/core';
import { kExchange, type Request } from './request.js';
import { webSocketAcceptor, type WebSocketOptions } from './websocket-options.js';

export type ChannelMessage = Response | string | Buffer | Uint8Array;

export interface Channel {
  /** The request the channel answers. */
  readonly request: Request;
  /** False once the response is complete, the client has gone, or the server closed it. */
  readonly isOpen: boolean;
  readonly isWebSocket: boolean;
  /** Bytes queued in user space for this client (backpressure). */
  readonly bufferedAmount: number;
  /**
   * Sends `data`. The first send answers the request: a response object (or bare body, as 200);
   * with `close` false it only starts the response and each later send is one chunk of it.
   * Returns false when the socket's buffer is full (wait with `drain()`) or the channel is closed.
   * (Like Node's `write()`, a single chunk larger than the socket's buffer mark also returns
   * false even when the kernel took it all; `drain()` then resolves at once.)
   */
  send(data: ChannelMessage, close?: boolean): boolean;
  /**
   * Ends the response (a stream's last chunk), or drops the connection when nothing was sent.
   * A WebSocket sends a close frame with `code` (default 1000) and `reason`.
   */
  close(code?: number, reason?: string): boolean;
  /** Resolves once the socket can take more data (or the channel closed). */
  drain(): Promise<void>;
}

export interface ChannelHandlers extends WebSocketOptions {
  /** The handler has returned and the channel is ready to send. */
  onOpen?: (channel: Channel) => void;
  /** A message from the client (WebSocket channels). */
  onReceive?: (channel: Channel, message: string | Buffer) => void;
  /** Runs once, however the channel ends. */
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

  constructor(
    private readonly connection: HttpSession,
    readonly request: Request,
    private readonly handlers: ChannelHandlers,
  ) {
    this.seq = connection.adopt(this, request);
    connection.channels.add(this, handlers.timeout ?? 0);
  }

  get isOpen(): boolean {
    return this.state !== ChannelState.Closed && !this.connection.closed;
  }

  get bufferedAmount(): number {
    return this.connection.host.bufferedAmount;
  }

  send(data: ChannelMessage, close?: boolean): boolean {
    if (!this.isOpen) return false;
    const connection = this.connection;
    if (this.state === ChannelState.Parked) {
      const response = toResponse(data);
      if (close !== false) {
        this.state = ChannelState.Closed;
        connection.answer(this.seq, response);
        this.finished('server-closed');
        return !connection.host.needsDrain;
      }
      this.state = ChannelState.Streaming;
      let ok: boolean;
      try {
        ok = connection.channelStart(this.seq, response.status ?? 200, response.headers);
      } catch (error) {
        // A bad status or header: nothing is written; answer 500 and end the channel.
        this.state = ChannelState.Closed;
        connection.answer(this.seq, INTERNAL_ERROR);
        this.finished('error');
        throw error;
      }
      const body = response.body;
      if (typeof body === 'string' || body instanceof Uint8Array) ok = connection.channelWrite(this.seq, body);
      return ok;
    }
    const ok = connection.channelWrite(this.seq, chunkOf(data));
    if (close === true) this.close();
    return ok;
  }

  close(): boolean {
    if (!this.isOpen) return false;
    const wasStreaming = this.state === ChannelState.Streaming;
    this.state = ChannelState.Closed;
    if (wasStreaming) this.connection.channelEnd(this.seq);
    else this.connection.host.destroy('server-closed');
    this.finished('server-closed');
    return true;
  }

  drain(): Promise<void> {
    return this.connection.host.drained();
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
      this.connection.answer(this.seq, this.handlers.timeoutResponse ?? GATEWAY_TIMEOUT);
    } else {
      const wasStreaming = this.state === ChannelState.Streaming;
      this.state = ChannelState.Closed;
      if (wasStreaming) this.connection.channelEnd(this.seq);
      else this.connection.host.destroy('timeout');
    }
    this.finished('timeout');
  }

  private closeReported = false;

  /** Leaves the registry and reports onClose, once. */
  private finished(reason: CloseReason): void {
    this.connection.channels.delete(this);
    if (this.closeReported) return;
    this.closeReported = true;
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
  if (data === null || typeof data !== 'object') throw new ChannelMisuseError(`Channel.send: cannot send ${describe(data)} (a response object, a string or bytes)`);
  return data as Response;
}

function chunkOf(data: ChannelMessage): string | Uint8Array {
  if (isBareBody(data)) return data;
  const body = (data as Response).body;
  if (body === null || body === undefined) return '';
  if (isBareBody(body)) return body;
  throw new ChannelMisuseError(`Channel.send: a streamed chunk must be a string or bytes, got ${describe(body)}`);
}

/**
 * Takes the request over from the handler, which returns what this returns. The channel then
 * answers whenever the program likes (http-kit's `as-channel`).
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
export function asChannel(request: Request, handlers: ChannelHandlers = {}): HandedOff {
  const connection = request?.[kExchange];
  if (!(connection instanceof HttpSession)) throw new ChannelMisuseError(`asChannel: ${describe(request)} is not a request from an http-kit server`);
  if (request.websocket) {
    // Answered with a WebSocket when @http-kit/websocket is loaded; otherwise in HTTP, as any request.
    const accept = webSocketAcceptor();
    if (accept !== undefined) return accept(request, handlers, connection.websocketDefaults);
  }
  new HttpChannel(connection, request, handlers);
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
): HandedOff {
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
