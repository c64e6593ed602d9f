/**
 * Server-Sent Events over a streaming channel: `text/event-stream`, `event`/`data`/`id`/`retry`
 * fields, and comment lines at an interval so proxies and browsers keep an idle stream open.
 */
import { defaultWheel, describe, kWatchClose, Timer, watchClose, type CloseWatcher } from '@http-kit/core';
import { ChannelMisuseError } from '../errors.js';
import { asChannel, type Channel } from './channel.js';
import type { CloseReason } from '@http-kit/core';
import type { Response } from './body-types.js';
import type { HandedOff } from './dispatch.js';
import type { Request } from './request.js';

export interface ServerSentEvent {
  /** The payload; an object is sent as JSON. Newlines become several `data:` lines. */
  data: unknown;
  event?: string;
  id?: string | number;
  /** Reconnection delay the browser should use, ms. */
  retry?: number;
}

export interface EventStreamHandlers {
  onOpen?: (stream: EventStream) => void;
  onClose?: (stream: EventStream, reason: CloseReason) => void;
  /** ms between keep-alive comments (default 15000; 0 sends none). */
  keepAliveInterval?: number;
  /** ms the stream may stay open at all (0 = no limit). */
  timeout?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

const FIELD_BREAK = /\r\n|\r|\n/;

/**
 * Formats one event in the text/event-stream syntax (ending with the blank line). Throws
 * `ChannelMisuseError` for something that is no event (no `data`, data JSON cannot carry).
 *
 * @example
 * formatEvent({ event: 'tick', data: { n: 1 } }); // 'event: tick\ndata: {"n":1}\n\n'
 */
export function formatEvent(event: ServerSentEvent): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new ChannelMisuseError(
      `EventStream.send: cannot send ${typeof event === 'number' ? `the number ${event}` : describe(event)}; send a string or an event { data, event?, id?, retry? }`,
    );
  }
  if (event.data === undefined) {
    const keys = Object.keys(event);
    throw new ChannelMisuseError(
      `EventStream.send: an event needs data, got ${keys.length === 0 ? '{}' : `an object with ${keys.map((key) => JSON.stringify(key)).join(', ')}`}`,
    );
  }
  let data: string | undefined;
  try {
    data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  } catch (error) {
    throw new ChannelMisuseError(`EventStream.send: the event's data cannot be sent as JSON: ${(error as Error).message}`);
  }
  if (data === undefined) throw new ChannelMisuseError(`EventStream.send: the event's data cannot be sent as JSON (${typeof event.data})`);
  let text = '';
  if (event.event !== undefined) text += `event: ${singleLine(String(event.event))}\n`;
  if (event.id !== undefined) text += `id: ${singleLine(String(event.id))}\n`;
  if (event.retry !== undefined) text += `retry: ${Math.max(0, Math.floor(Number(event.retry)) || 0)}\n`;
  for (const line of data.split(FIELD_BREAK)) text += `data: ${line}\n`;
  return text + '\n';
}

function singleLine(value: string): string {
  return value.split(FIELD_BREAK).join(' ');
}

/** One client's event stream. */
export class EventStream {
  private readonly keepAlive: Timer<EventStream> | null;

  constructor(
    readonly channel: Channel,
    private readonly keepAliveInterval: number,
  ) {
    this.keepAlive = keepAliveInterval > 0 ? new Timer<EventStream>(sendKeepAlive, this) : null;
  }

  /** The `Last-Event-ID` a reconnecting browser sent, if any. */
  get lastEventId(): string | null {
    return this.channel.request.headers['last-event-id'] ?? null;
  }

  get isOpen(): boolean {
    return this.channel.isOpen;
  }

  /** Resolves, with the reason, once the stream has closed (a hub then drops it: `hub.subscribe(topic, stream)`). */
  get closed(): Promise<CloseReason> {
    return this.channel.closed;
  }

  /** @internal How a hub learns of the close without making the `closed` promise. */
  [kWatchClose](watcher: CloseWatcher): void {
    watchClose(this.channel, watcher);
  }

  /**
   * Sends an event (or a bare string as its data); false when the client's buffer is full or the
   * stream has ended (see `isOpen`). Something that is no event throws `ChannelMisuseError` and
   * ends the stream.
   */
  send(event: ServerSentEvent | string): boolean {
    let text: string;
    try {
      text = formatEvent(typeof event === 'string' ? { data: event } : event);
    } catch (error) {
      this.close();
      throw error;
    }
    return this.write(text);
  }

  /** Sends a comment line (ignored by browsers; keeps the stream warm). */
  comment(text = ''): boolean {
    return this.write(`: ${singleLine(text)}\n\n`);
  }

  drain(): Promise<void> {
    return this.channel.drain();
  }

  close(): void {
    this.keepAlive?.cancel();
    this.channel.close();
  }

  /** @internal */
  armKeepAlive(): void {
    if (this.keepAlive !== null && this.channel.isOpen) defaultWheel.schedule(this.keepAlive, this.keepAliveInterval);
  }

  /** @internal */
  stop(): void {
    this.keepAlive?.cancel();
  }

  private write(text: string): boolean {
    const ok = this.channel.send(text, false);
    this.armKeepAlive(); // any traffic resets the keep-alive clock
    return ok;
  }
}

function sendKeepAlive(stream: EventStream): void {
  if (stream.isOpen) stream.comment();
}

/**
 * Answers `request` with an event stream the program writes to whenever it likes.
 *
 * @example
 * const handler = (req: Request) => asEventStream(req, {
 *   onOpen: (stream) => { clients.add(stream); stream.send({ event: 'hello', data: { at: Date.now() } }); },
 *   onClose: (stream) => clients.delete(stream),
 * });
 */
export function asEventStream(request: Request, handlers: EventStreamHandlers = {}): HandedOff | Response {
  let stream: EventStream | null = null;
  return asChannel(request, {
    timeout: handlers.timeout,
    timeoutResponse: null,
    onOpen(channel) {
      stream = new EventStream(channel, handlers.keepAliveInterval ?? 15_000);
      channel.send(
        {
          status: 200,
          headers: {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            'x-accel-buffering': 'no',
            ...handlers.headers,
          },
        },
        false,
      );
      stream.armKeepAlive();
      handlers.onOpen?.(stream);
    },
    onClose(_channel, reason) {
      if (stream === null) return;
      stream.stop();
      handlers.onClose?.(stream, reason);
    },
  });
}
