/**
 * One Server-Sent Events stream (sse mode): a GET with `Accept: text/event-stream` held open, its
 * body read with our llhttp binding (chunked or close-delimited) and cut into events at blank
 * lines, as EventSource does. Each event counts as an answer; an event whose `id` is a number
 * other than the previous one plus one counts as a gap (the events between were missed).
 *
 * Reconnecting as EventSource does: when the stream ends (or fails) it is opened again after the
 * reconnection time, `sseRetry` until the server sends a `retry:` field, with `Last-Event-ID`. Each
 * reopen that fails doubles the wait, up to `sseRetryMax`, and every wait is jittered (50-100 %) so
 * streams a server dropped together do not all come back in the same millisecond. Sessions
 * (`sessionRequests`, in events): the client closes the stream itself and comes back at once as a
 * new client, without Last-Event-ID.
 */
import type { Socket } from 'node:net';
import { HttpParser, TYPE_RESPONSE, ParseResult, type ParserEvents } from '@http-kit/http1/codec';
import { errorKind, type ConnectionHost, type LoadConnection } from './connection-host.js';
import { isOpen, type SocketOwner } from './dial.js';
import { encodeRequest } from './requests.js';
import { endSocket, SessionEnd, sessionEnd, sessionLength } from './session.js';

const State = {
  Idle: 0,
  Connecting: 1,
  /** Connected, waiting for the response head. */
  Requested: 2,
  /** A 2xx event stream is being read. */
  Streaming: 3,
  /** Ending its session (FIN sent, or destroyed): opened again once the socket is gone. */
  Leaving: 4,
  /** The run's end: FIN sent, waiting for the server to close its side. */
  Stopping: 5,
  Closed: 6,
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
  /** The reconnection time (ms): sseRetry, or what the server's last `retry:` field said. */
  private retry: number;
  /** Reopens that failed in a row since the stream was last open (the back-off's exponent). */
  private failures = 0;
  /** Sessions: events still to come in this session (0: no sessions). */
  private sessionLeft = 0;

  constructor(
    private readonly host: ConnectionHost,
    /** Its place in the run, for `onOpen`. */
    readonly index: number,
  ) {
    this.retry = host.options.sseRetry;
  }

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

  close(): boolean {
    // A session already closing finishes its close (its own timer bounds it).
    if (this.state === State.Leaving) return false;
    if (this.state !== State.Streaming || this.socket === null) {
      this.destroy();
      return false;
    }
    this.state = State.Stopping;
    endSocket(this.socket, SessionEnd.Close, this.host.options.closeTimeout);
    return true;
  }

  /** Ends the session `how`: the client leaves; the run opens the stream again as a new client. */
  private leave(how: SessionEnd): void {
    const socket = this.socket;
    if (socket === null) return;
    this.state = State.Leaving;
    endSocket(socket, how, this.host.options.closeTimeout);
  }

  onCloseTimeout(): void {
    if (this.state === State.Stopping) {
      this.state = State.Closed;
      this.host.closeForced();
    } else if (this.state === State.Leaving) {
      this.host.recorder.error('close-timeout');
    }
    this.socket?.destroy();
  }

  /**
   * How long before the stream is opened again: the reconnection time after a stream that was
   * open, doubled for each failed reopen since, capped at sseRetryMax; then 50-100 % of that.
   */
  private backOff(wasOpen: boolean): number {
    if (wasOpen) this.failures = 0;
    else this.failures++;
    const wait = Math.min(this.host.options.sseRetryMax, this.retry * 2 ** Math.min(this.failures, 30));
    return wait * (0.5 + Math.random() * 0.5);
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
    if (this.state !== State.Requested && this.state !== State.Streaming) return;
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
    const state = this.state;
    this.parser?.release();
    this.parser = null;
    this.socket = null;
    this.partial = '';
    this.hasData = false;
    this.eventId = '';
    const code = this.lastErrorCode;
    this.lastErrorCode = undefined;
    switch (state) {
      case State.Stopping:
        this.host.peerClosed();
        this.state = State.Closed;
        return;
      case State.Closed:
        return;
      case State.Leaving:
        // The client ended its session: a new one (no Last-Event-ID, the server's reconnection
        // time unknown), unless the run is over.
        this.lastId = Number.NaN;
        this.retry = this.host.options.sseRetry;
        this.failures = 0;
        this.state = this.host.stopping ? State.Closed : State.Idle;
        if (!this.host.stopping) this.host.left(this);
        return;
      default:
        if (this.host.stopping) {
          this.state = State.Closed;
          return;
        }
        this.state = State.Idle;
        this.host.lost(this, state !== State.Streaming, code, this.backOff(state === State.Streaming));
    }
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
    this.sessionLeft = sessionLength(this.host.options);
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
    if (this.state === State.Streaming) this.socket?.end();
    return 0;
  }

  /** One line of the stream (without its line break). */
  private line(line: string): void {
    // The session ended on an earlier line of this read.
    if (this.state !== State.Streaming) return;
    if (line.length === 0) {
      if (this.hasData) this.dispatch();
      this.hasData = false;
      return;
    }
    if (line.startsWith('data')) this.hasData = true;
    else if (line.startsWith('id:')) this.eventId = line.charCodeAt(3) === 32 ? line.slice(4) : line.slice(3);
    else if (line.startsWith('retry:')) {
      // As EventSource: a value of ASCII digits only sets the reconnection time; anything else is ignored.
      const value = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
  }

  private dispatch(): void {
    const recorder = this.host.recorder;
    recorder.answers++;
    if (this.eventId !== '') {
      const id = Number(this.eventId);
      this.eventId = '';
      if (Number.isInteger(id)) {
        if (!Number.isNaN(this.lastId) && id !== this.lastId + 1 && id > this.lastId) recorder.gaps += id - this.lastId - 1;
        this.lastId = id;
      }
    }
    if (this.sessionLeft > 0 && --this.sessionLeft === 0) this.leave(sessionEnd(this.host.options, recorder));
  }
}
