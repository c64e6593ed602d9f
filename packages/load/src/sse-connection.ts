/**
 * One Server-Sent Events stream (sse mode): a GET with `Accept: text/event-stream` held open, its
 * body read with our llhttp binding (chunked or close-delimited) and cut into events at blank
 * lines, as EventSource does. Each event counts as an answer; an event whose `id` is a number
 * other than the previous one plus one counts as a gap (the events between were missed). When the
 * stream ends the run opens it again, sending `Last-Event-ID` as a browser would.
 */
import type { Socket } from 'node:net';
import { HttpParser, TYPE_RESPONSE, ParseResult, type ParserEvents } from '@http-kit/http1/codec';
import { errorKind, type ConnectionHost, type LoadConnection } from './connection-host.js';
import { isOpen, type SocketOwner } from './dial.js';
import { encodeRequest } from './requests.js';

const State = {
  Idle: 0,
  Connecting: 1,
  /** Connected, waiting for the response head. */
  Requested: 2,
  /** A 2xx event stream is being read. */
  Streaming: 3,
  Closed: 4,
} as const;
type State = (typeof State)[keyof typeof State];

export class SseConnection implements LoadConnection, SocketOwner, ParserEvents {
  private state: State = State.Idle;
  private socket: Socket | null = null;
  private parser: HttpParser | null = null;
  /** A line cut by a read, carried to the next body chunk. */
  private partial = '';
  /** The event being read has a data line (an event without one is not dispatched). */
  private hasData = false;
  private eventId = '';
  /** The last numeric id seen, NaN before one. */
  private lastId = Number.NaN;
  private lastErrorCode: string | undefined = undefined;

  constructor(private readonly host: ConnectionHost) {}

  open(): void {
    this.state = State.Connecting;
    this.socket = this.host.dialer.dial(this);
  }

  offer(): void {}

  checkTimeout(): void {}

  active(): boolean {
    return this.socket !== null;
  }

  destroy(): void {
    this.state = State.Closed;
    this.socket?.destroy();
  }

  close(): void {
    this.state = State.Closed;
    this.socket?.destroy();
  }

  onConnect(): void {
    if (this.state !== State.Connecting || this.socket === null) return;
    this.state = State.Requested;
    this.parser = HttpParser.acquire(TYPE_RESPONSE, this);
    const options = this.host.options;
    const spec = options.requests[0];
    const resume = Number.isNaN(this.lastId) ? '' : `Last-Event-ID: ${this.lastId}\r\n`;
    const request = encodeRequest(
      { ...spec, headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...spec.headers } },
      options,
      resume,
    ).bytes;
    this.host.recorder.sent++;
    this.host.recorder.bytesWritten += request.length;
    this.socket.write(request);
  }

  onData(chunk: Buffer): void {
    this.host.recorder.bytesRead += chunk.length;
    if (this.parser?.execute(chunk) === ParseResult.Error) {
      this.host.recorder.error(`parse: ${this.parser.errorName}`);
      this.socket?.destroy();
    }
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    // Before the response head the run counts it (as a failed open); after, it is the stream's.
    if (this.state === State.Streaming && !this.host.stopping) this.host.recorder.error(errorKind(error));
    this.lastErrorCode = error.code;
  }

  onSocketClose(): void {
    const wasOpen = this.state === State.Streaming;
    this.parser?.release();
    this.parser = null;
    this.socket = null;
    this.partial = '';
    this.hasData = false;
    if (this.state === State.Closed || this.host.stopping) {
      this.state = State.Closed;
      return;
    }
    this.state = State.Idle;
    const code = this.lastErrorCode;
    this.lastErrorCode = undefined;
    this.host.lost(this, !wasOpen, code);
  }

  onMessageBegin(): number {
    return 0;
  }

  onHeadersComplete(parser: HttpParser): number {
    const status = parser.statusCode;
    const recorder = this.host.recorder;
    recorder.status[status >= 200 && status < 600 ? (status / 100) | 0 : 0]++;
    if (status !== 200) {
      recorder.error(`sse: status ${status}`);
      this.socket?.destroy();
      return 0;
    }
    this.state = State.Streaming;
    if (this.socket !== null) isOpen(this.socket);
    this.host.opened(this);
    return 0;
  }

  onBody(_parser: HttpParser, chunk: Buffer): number {
    if (this.state !== State.Streaming) return 0;
    // Field names and ids are ASCII: latin1 decodes them exactly and costs least.
    const text = this.partial + chunk.toString('latin1');
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      this.line(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
      start = end + 1;
    }
    this.partial = start === text.length ? '' : text.slice(start);
    return 0;
  }

  onMessageComplete(): number {
    // The server ended the stream: the run opens it again.
    this.socket?.end();
    return 0;
  }

  /** One line of the stream (without its line break). */
  private line(line: string): void {
    if (line.length === 0) {
      if (this.hasData) this.dispatch();
      this.hasData = false;
      return;
    }
    if (line.startsWith('data')) this.hasData = true;
    else if (line.startsWith('id:')) this.eventId = line.charCodeAt(3) === 32 ? line.slice(4) : line.slice(3);
  }

  private dispatch(): void {
    const recorder = this.host.recorder;
    recorder.answers++;
    if (this.eventId === '') return;
    const id = Number(this.eventId);
    this.eventId = '';
    if (!Number.isInteger(id)) return;
    if (!Number.isNaN(this.lastId) && id !== this.lastId + 1 && id > this.lastId) recorder.gaps += id - this.lastId - 1;
    this.lastId = id;
  }
}
