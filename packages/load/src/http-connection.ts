/**
 * One keep-alive HTTP/1.1 connection of the http, pipeline and longpoll modes: it writes
 * prebuilt requests, keeps `pipeline` of them in flight, and reads the responses with our llhttp
 * binding (@http-kit/http1/codec), counting each as it completes.
 *
 * - Closed model (no rate): a new request leaves as each response completes; latency is from its
 *   write.
 * - Open model (`offer`): due times queue up; a request leaves when one is due and a slot is free,
 *   and its latency counts from when it was due, so a server that stalls pays for every request
 *   that should have left meanwhile (coordinated omission corrected, as wrk2 does).
 * - Long poll: one request parked at a time, sent again as soon as it is answered; the latency is
 *   the server's event time (a response header, epoch ms) to the answer's arrival.
 *
 * The requests answering one read leave together in one write.
 *
 * Sessions (`sessionRequests`): after its session's last answer the connection ends itself (FIN
 * and the server's close awaited, a drop or a reset) and the run opens it again. A long poll
 * given up while parked (`abortFraction`) drops the connection the same way.
 */
import type { Socket } from 'node:net';
import { HttpParser, TYPE_RESPONSE, ParseResult, type ParserEvents } from '@http-kit/http1/codec';
import { errorKind, type ConnectionHost, type LoadConnection } from './connection-host.js';
import { LoadMode } from './options.js';
import type { RequestBytes } from './requests.js';
import { TimeQueue } from './time-queue.js';
import { isOpen, type SocketOwner } from './dial.js';
import { between, endSocket, SessionEnd, sessionEnd, sessionLength } from './session.js';

const EMPTY = Buffer.alloc(0);

/** Where a connection is in its life. */
const State = {
  Idle: 0,
  Connecting: 1,
  Open: 2,
  /** Ending its session (FIN sent, or destroyed): opened again once the socket is gone. */
  Leaving: 3,
  /** The run's end: FIN sent, waiting for the server to close its side. */
  Stopping: 4,
  Closed: 5,
} as const;
type State = (typeof State)[keyof typeof State];

export class HttpConnection implements LoadConnection, SocketOwner, ParserEvents {
  private state: State = State.Idle;
  private socket: Socket | null = null;
  private parser: HttpParser | null = null;
  /** Latency bases of the requests in flight: write time (closed model) or due time (open model). */
  private readonly inFlight: TimeQueue;
  /** Open model: due times of requests not yet written. */
  private readonly due = new TimeQueue(1);
  /** Which template each request in flight used (a HEAD response has no body). */
  private readonly templates: TimeQueue | null;
  private next: number;
  /** Writes collected while a read is handled, written once at its end. */
  private batch: Buffer[] | null = null;
  /** Whether the server keeps the connection open after the response being read. */
  private keepAlive = true;
  /** The code of the socket's last error, for the run's errors-by-kind when a connect fails. */
  private lastErrorCode: string | undefined = undefined;
  private readonly longPoll: boolean;
  private readonly openModel: boolean;
  private readonly depth: number;
  /** requestsPerConnection (0: none), and how many this connection has sent in its life. */
  private readonly limit: number;
  private sentHere = 0;
  /** With an `onAnswer` hook: the body of the response being read, chunk by chunk. */
  private body: Buffer[] | null = null;
  /** Sessions: answers still to come in this session, and requests still to send (0 and 0: no sessions). */
  private sessionLeft = 0;
  private sessionSends = 0;
  /** A parked poll to give up (abortFraction), armed when it left. */
  private abortTimer: NodeJS.Timeout | null = null;
  /** thinkTime: the pause after an answer, before the next request leaves. */
  private thinkTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: ConnectionHost,
    private readonly requests: RequestBytes[],
    /** Its place in the run: which request it starts with, and the index `onAnswer` gets. */
    readonly index: number,
  ) {
    const options = host.options;
    this.longPoll = options.mode === LoadMode.LongPoll;
    this.openModel = options.rate > 0;
    this.depth = options.mode === LoadMode.Pipeline ? options.pipeline : 1;
    this.limit = options.requestsPerConnection;
    this.inFlight = new TimeQueue(this.depth);
    // Only HEAD changes how a response is read: without one the template of each is not kept.
    this.templates = requests.some((r) => r.head) ? new TimeQueue(this.depth) : null;
    this.next = index % requests.length;
  }

  open(): void {
    this.state = State.Connecting;
    this.keepAlive = true;
    this.socket = this.host.dialer.dial(this);
  }

  offer(dueAt: number): void {
    this.due.push(dueAt);
    if (this.state === State.Open) this.fill();
  }

  checkTimeout(now: number): void {
    const timeout = this.host.options.timeout;
    if (timeout === 0 || this.state !== State.Open || this.inFlight.length === 0) return;
    if (now - this.inFlight.peek() > timeout) {
      this.host.recorder.error('timeout');
      // Its requests are given up with it: they are not also counted as `closed`.
      this.inFlight.clear();
      this.socket?.destroy();
    }
  }

  active(): boolean {
    return this.socket !== null;
  }

  destroy(): void {
    this.state = State.Closed;
    this.socket?.destroy();
  }

  close(): boolean {
    this.disarmAbort();
    // A session already closing finishes its close (its own timer bounds it).
    if (this.state === State.Leaving) return false;
    if (this.state !== State.Open || this.socket === null) {
      this.destroy();
      return false;
    }
    this.state = State.Stopping;
    endSocket(this.socket, SessionEnd.Close, this.host.options.closeTimeout);
    return true;
  }

  /** Ends the session `how`; the run opens the connection again once the socket is gone. */
  private leave(how: SessionEnd): void {
    const socket = this.socket;
    this.disarmAbort();
    if (socket === null) return;
    this.state = State.Leaving;
    endSocket(socket, how, this.host.options.closeTimeout);
  }

  // --- the socket -------------------------------------------------------------------------------

  onConnect(): void {
    if (this.state !== State.Connecting) return;
    this.state = State.Open;
    if (this.socket !== null) isOpen(this.socket);
    this.parser = HttpParser.acquire(TYPE_RESPONSE, this);
    this.sessionLeft = sessionLength(this.host.options);
    this.sessionSends = this.sessionLeft;
    this.host.opened(this);
    this.batch = [];
    this.fill();
    this.flush();
  }

  onData(chunk: Buffer): void {
    const recorder = this.host.recorder;
    recorder.bytesRead += chunk.length;
    const parser = this.parser;
    // Once the connection is closing, what is still read is not counted as answers.
    if (parser === null || this.state !== State.Open) return;
    this.batch = [];
    const result = parser.execute(chunk);
    if (result === ParseResult.Error) {
      recorder.error(`parse: ${parser.errorName}`);
      this.inFlight.clear();
      this.socket?.destroy();
      this.batch = null;
      return;
    }
    this.flush();
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    // A refused or failed connect is counted by the run (it knows whether it opened); a failure
    // of an open connection is counted here.
    if (this.state === State.Open && !this.host.stopping) this.host.recorder.error(errorKind(error));
    this.lastErrorCode = error.code;
  }

  onSocketClose(): void {
    const state = this.state;
    // The server closed while requests waited (a reset or other error says so itself).
    if (state === State.Open && this.inFlight.length > 0 && this.lastErrorCode === undefined && !this.host.stopping)
      this.host.recorder.error('closed-with-requests-in-flight');
    this.release();
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
        // The client ended its session: a new one, unless the run is over.
        this.state = this.host.stopping ? State.Closed : State.Idle;
        if (!this.host.stopping) this.host.left(this);
        return;
      default:
        if (this.host.stopping) {
          this.state = State.Closed;
          return;
        }
        this.state = State.Idle;
        this.host.lost(this, state !== State.Open, code);
    }
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

  private release(): void {
    this.disarmAbort();
    this.disarmThink();
    this.socket = null;
    this.parser?.release();
    this.parser = null;
    this.inFlight.clear();
    this.templates?.clear();
    this.batch = null;
    this.body = null;
  }

  // --- requests ---------------------------------------------------------------------------------

  /** Writes what may leave now: up to `depth` in flight; in the open model only what is due. */
  private fill(): void {
    if (this.host.stopping || !this.keepAlive || this.state !== State.Open) return;
    while (this.inFlight.length < this.depth) {
      if (this.limit > 0 && this.sentHere >= this.limit) return;
      if (this.sessionLeft > 0 && this.sessionSends === 0) return;
      let base: number;
      if (this.openModel) {
        if (this.due.length === 0) return;
        base = this.due.shift();
      } else {
        base = performance.now();
      }
      this.send(base);
    }
  }

  private send(base: number): void {
    this.sentHere++;
    if (this.sessionSends > 0) this.sessionSends--;
    const options = this.host.options;
    if (this.longPoll && options.abortFraction > 0 && Math.random() < options.abortFraction) {
      this.disarmAbort();
      this.abortTimer = setTimeout(abortParked, between(options.abortDelay), this);
    }
    const template = this.requests[this.next];
    this.templates?.push(this.next);
    this.next = this.next + 1 === this.requests.length ? 0 : this.next + 1;
    this.inFlight.push(base);
    const recorder = this.host.recorder;
    recorder.sent++;
    recorder.bytesWritten += template.bytes.length;
    if (this.batch !== null) this.batch.push(template.bytes);
    else this.socket?.write(template.bytes);
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = null;
    if (batch === null || batch.length === 0 || this.socket === null || this.state !== State.Open) return;
    this.socket.write(batch.length === 1 ? batch[0] : Buffer.concat(batch));
  }

  // --- the parser's events ------------------------------------------------------------------------

  onMessageBegin(): number {
    return 0;
  }

  onHeadersComplete(parser: HttpParser, _upgrade: boolean, shouldKeepAlive: boolean): number {
    const status = parser.statusCode;
    // Interim responses (100 Continue) precede the real one.
    if (status >= 100 && status < 200) return 0;
    this.keepAlive = shouldKeepAlive;
    const recorder = this.host.recorder;
    recorder.status[status >= 200 && status < 600 ? (status / 100) | 0 : 0]++;
    if (this.longPoll) {
      const stamp = this.stampOf(parser.rawHeaders);
      if (!Number.isNaN(stamp)) recorder.recordLatency((performance.timeOrigin + performance.now() - stamp) * 1000);
    }
    return this.templates !== null && this.requests[this.templates.peek()]?.head === true ? 1 : 0;
  }

  onBody(_parser: HttpParser, chunk: Buffer): number {
    // The parser's chunk is a view of the read: copied, as the read's buffer is not ours to keep.
    if (this.host.onAnswer !== null) (this.body ??= []).push(Buffer.from(chunk));
    return 0;
  }

  onMessageComplete(parser: HttpParser): number {
    const status = parser.statusCode;
    if (status >= 100 && status < 200) return 0;
    const base = this.inFlight.shift();
    this.templates?.shift();
    this.disarmAbort();
    const recorder = this.host.recorder;
    recorder.answers++;
    if (!this.longPoll && !Number.isNaN(base)) recorder.recordLatency((performance.now() - base) * 1000);
    const onAnswer = this.host.onAnswer;
    if (onAnswer !== null) {
      const body = this.body;
      this.body = null;
      onAnswer(this.index, body === null ? EMPTY : body.length === 1 ? body[0] : Buffer.concat(body));
    }
    if (this.sessionLeft > 0 && --this.sessionLeft === 0) {
      this.leave(sessionEnd(this.host.options, recorder));
      return 0;
    }
    if (!this.keepAlive) {
      // The server ends the connection after this response; the run opens it again.
      this.socket?.end();
      return 0;
    }
    const think = this.host.options.thinkTime;
    if (think[1] > 0 && this.thinkTimer === null) this.thinkTimer = setTimeout(thinkDone, between(think), this);
    else if (think[1] === 0) this.fill();
    return 0;
  }

  /** The pause after an answer is over: the next request leaves. */
  thought(): void {
    this.thinkTimer = null;
    if (this.state === State.Open) this.fill();
  }

  /** The parked poll's abort came due: the client gives up, dropping the connection. */
  abortPoll(): void {
    this.abortTimer = null;
    if (this.state !== State.Open || this.inFlight.length === 0) return;
    const recorder = this.host.recorder;
    recorder.aborts++;
    recorder.sessions++;
    recorder.drops++;
    this.inFlight.clear();
    this.leave(SessionEnd.Drop);
  }

  private disarmThink(): void {
    if (this.thinkTimer === null) return;
    clearTimeout(this.thinkTimer);
    this.thinkTimer = null;
  }

  private disarmAbort(): void {
    if (this.abortTimer === null) return;
    clearTimeout(this.abortTimer);
    this.abortTimer = null;
  }

  /** The server's event time (epoch ms) from the stamp header, NaN without one. */
  private stampOf(headers: string[]): number {
    const name = this.host.options.stampHeader;
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i].length === name.length && headers[i].toLowerCase() === name) return Number(headers[i + 1]);
    }
    return Number.NaN;
  }
}

function thinkDone(connection: HttpConnection): void {
  connection.thought();
}

function abortParked(connection: HttpConnection): void {
  connection.abortPoll();
}
