/**
 * One WebSocket of the websocket mode, on a raw socket: the opening handshake written by hand
 * (its 101 and Sec-WebSocket-Accept checked), then frames read with the project's FrameReader.
 *
 * - idle: holds the connection, answers pings;
 * - echo: keeps `inFlight` messages of `messageSize` bytes outstanding (or, in the open model,
 *   sends each as it becomes due) and times each echo from its send (or due) time: the server
 *   answers in order, so the oldest time is the echo's;
 * - listen: counts what the server sends (broadcasts).
 *
 * In echo mode a message that is not the echo (a broadcast the server sends meanwhile) counts as
 * an answer but times nothing. Sessions (`sessionRequests`): after its session's last echo (listen:
 * message) the socket ends itself (a close frame, a drop without one, or a reset) and the run
 * opens it again.
 *
 * Every connection of a run sends the same prebuilt frame: masked once with one key chosen for
 * the run. RFC 6455 wants a fresh key per frame against cache poisoning through proxies; a load
 * generator talking to a server it owns has no such proxy, and re-masking per message would cost
 * more than the rest of the send.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { FrameReader, type FrameReaderEvents } from '@http-kit/websocket';
import { errorKind, type ConnectionHost, type LoadConnection } from './connection-host.js';
import { isOpen, type SocketOwner } from './dial.js';
import { WebSocketMode } from './options.js';
import { encodeRequest } from './requests.js';
import { between, endSocket, SessionEnd, sessionEnd, sessionLength } from './session.js';
import { TimeQueue } from './time-queue.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The most a 101 response head may take. */
const MAX_HEAD = 16 * 1024;

const State = {
  Idle: 0,
  Connecting: 1,
  /** Handshake written, reading the 101. */
  Handshake: 2,
  Open: 3,
  /** The server sent a close frame and we answered it: opened again once the socket is gone. */
  Closing: 4,
  /** We gave up on an open connection (a timeout, a protocol error), counted as such: opened again once the socket is gone. */
  Failing: 5,
  /** Ending its session (a close frame sent, or dropped): opened again once the socket is gone. */
  Leaving: 6,
  /** The run's end: a close frame and FIN sent, waiting for the server to close its side. */
  Stopping: 7,
  Closed: 8,
} as const;
type State = (typeof State)[keyof typeof State];

/** The frames every WebSocket of a run writes, built once. */
export interface WebSocketFrames {
  message: Buffer;
  /** The echo message's payload, unmasked: what an echo brings back. */
  payload: Buffer;
  close: Buffer;
  /** The masking key of the run (pongs are masked with it). */
  mask: Buffer;
  encodePong(payload: Buffer): Buffer;
}

export class WebSocketConnection implements LoadConnection, SocketOwner, FrameReaderEvents {
  private state: State = State.Idle;
  private socket: Socket | null = null;
  private reader: FrameReader | null = null;
  private key = '';
  private head = '';
  private readonly inFlight: TimeQueue;
  private readonly due = new TimeQueue(1);
  /** thinkTime: the pause after an echo, before the next message leaves; messages owed when it ends (inFlight > 1). */
  private thinkTimer: NodeJS.Timeout | null = null;
  private owed = 0;
  private lastErrorCode: string | undefined = undefined;
  /** Sessions: answers still to come in this session, and messages still to send (0 and 0: no sessions). */
  private sessionLeft = 0;
  private sessionSends = 0;

  constructor(
    private readonly host: ConnectionHost,
    private readonly frames: WebSocketFrames,
    /** Its place in the run, for `onAnswer`. */
    readonly index: number,
  ) {
    this.inFlight = new TimeQueue(host.options.inFlight);
  }

  open(): void {
    this.state = State.Connecting;
    this.socket = this.host.dialer.dial(this);
  }

  offer(dueAt: number): void {
    if (this.state === State.Open) this.send(dueAt);
    else this.due.push(dueAt);
  }

  checkTimeout(now: number): void {
    const timeout = this.host.options.timeout;
    if (timeout === 0 || this.state !== State.Open || this.inFlight.length === 0) return;
    if (now - this.inFlight.peek() > timeout) this.fail('timeout');
  }

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
    if (this.state !== State.Open || this.socket === null) {
      this.destroy();
      return false;
    }
    this.state = State.Stopping;
    // A server that never answers the close (or never closes) does not hold the run.
    endSocket(this.socket, SessionEnd.Close, this.host.options.closeTimeout, this.frames.close);
    return true;
  }

  /** Ends the session `how`; the run opens the connection again once the socket is gone. */
  private leave(how: SessionEnd): void {
    const socket = this.socket;
    if (socket === null) return;
    this.state = State.Leaving;
    this.inFlight.clear();
    endSocket(socket, how, this.host.options.closeTimeout, this.frames.close);
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

  // --- the socket -------------------------------------------------------------------------------

  onConnect(): void {
    if (this.state !== State.Connecting || this.socket === null) return;
    this.state = State.Handshake;
    this.key = randomBytes(16).toString('base64');
    const options = this.host.options;
    const spec = options.requests[0];
    const request = encodeRequest(
      { path: spec.path, headers: spec.headers },
      options,
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n`,
    ).bytes;
    this.host.recorder.bytesWritten += request.length;
    this.socket.write(request);
  }

  onData(chunk: Buffer): void {
    this.host.recorder.bytesRead += chunk.length;
    if (this.state === State.Handshake) {
      this.head += chunk.toString('latin1');
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.head.length > MAX_HEAD) this.fail('websocket: handshake response head too large');
        return;
      }
      if (!this.accepted(this.head.slice(0, end))) return;
      const rest = Buffer.byteLength(this.head.slice(end + 4), 'latin1');
      this.head = '';
      this.state = State.Open;
      if (this.socket !== null) isOpen(this.socket);
      this.reader = new FrameReader(this, { expectMasked: false, maxMessageSize: 64 * 1024 * 1024, deflate: null });
      this.sessionLeft = sessionLength(this.host.options);
      this.sessionSends = this.sessionLeft;
      this.host.opened(this);
      this.start();
      if (rest > 0) this.reader.push(chunk.subarray(chunk.length - rest));
      return;
    }
    this.reader?.push(chunk);
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    // Before the 101 the run counts it (as a failed open); after, it is the connection's.
    if ((this.state === State.Open || this.state === State.Closing) && !this.host.stopping) this.host.recorder.error(errorKind(error));
    this.lastErrorCode = error.code;
  }

  onSocketClose(): void {
    const state = this.state;
    this.socket = null;
    this.reader = null;
    this.head = '';
    this.inFlight.clear();
    if (this.thinkTimer !== null) clearTimeout(this.thinkTimer);
    this.thinkTimer = null;
    this.owed = 0;
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
        if (state === State.Open) this.host.recorder.error('websocket: closed without a close frame');
        this.state = State.Idle;
        this.host.lost(this, state !== State.Open && state !== State.Closing && state !== State.Failing, code);
    }
  }

  /** Checks the 101 head; on anything else counts the error and drops the connection. */
  private accepted(head: string): boolean {
    const status = Number(head.slice(9, 12));
    const recorder = this.host.recorder;
    recorder.status[status >= 100 && status < 600 ? (status / 100) | 0 : 0]++;
    if (status !== 101 || !head.startsWith('HTTP/1.1 ')) {
      this.fail(`websocket: handshake answered ${JSON.stringify(head.slice(0, head.indexOf('\r\n')))}`);
      return false;
    }
    const match = /\r\nsec-websocket-accept:[ \t]*([^\r\n]*?)[ \t]*(?:\r\n|$)/i.exec(head);
    const expected = createHash('sha1')
      .update(this.key + WS_GUID, 'latin1')
      .digest('base64');
    if (match === null || match[1] !== expected) {
      this.fail('websocket: wrong or missing Sec-WebSocket-Accept');
      return false;
    }
    return true;
  }

  /** Counts `kind` and drops the connection (before the 101: a failed open; after: replaced, not also counted as closed without a close frame). */
  private fail(kind: string): void {
    this.host.recorder.error(kind);
    if (this.state === State.Open) {
      this.state = State.Failing;
      this.inFlight.clear();
    }
    this.socket?.destroy();
  }

  // --- messages ---------------------------------------------------------------------------------

  /** Once open: echo mode sends what it keeps outstanding, or what came due while connecting. */
  private start(): void {
    const options = this.host.options;
    if (options.wsMode !== WebSocketMode.Echo) return;
    if (options.rate > 0) {
      // What fell due meanwhile, as far as this session's share goes (the rest waits for the next).
      while (this.due.length > 0 && (this.sessionLeft === 0 || this.sessionSends > 0)) this.send(this.due.shift());
    } else {
      const now = performance.now();
      for (let i = 0; i < options.inFlight; i++) this.send(now);
    }
  }

  private send(base: number): void {
    if (this.host.stopping || this.socket === null || this.state !== State.Open) return;
    if (this.sessionLeft > 0) {
      // This session has sent its share: what falls due now waits for the next one.
      if (this.sessionSends === 0) {
        if (this.host.options.rate > 0) this.due.push(base);
        return;
      }
      this.sessionSends--;
    }
    this.inFlight.push(base);
    const recorder = this.host.recorder;
    recorder.sent++;
    recorder.bytesWritten += this.frames.message.length;
    this.socket.write(this.frames.message);
  }

  onMessage(data: Buffer): void {
    if (this.state !== State.Open) return;
    const recorder = this.host.recorder;
    recorder.answers++;
    const onAnswer = this.host.onAnswer;
    if (onAnswer !== null) onAnswer(this.index, data);
    const options = this.host.options;
    if (options.wsMode === WebSocketMode.Echo) {
      // A message other than the echo (a broadcast) times nothing.
      if (this.inFlight.length === 0 || !data.equals(this.frames.payload)) return;
      recorder.recordLatency((performance.now() - this.inFlight.shift()) * 1000);
    }
    if (this.sessionLeft > 0 && --this.sessionLeft === 0) {
      this.leave(sessionEnd(options, recorder));
      return;
    }
    if (options.wsMode !== WebSocketMode.Echo || options.rate > 0) return;
    if (options.thinkTime[1] === 0) {
      this.send(performance.now());
      return;
    }
    this.owed++;
    this.thinkTimer ??= setTimeout(thinkDone, between(options.thinkTime), this);
  }

  /** The pause after an echo is over: the messages owed leave. */
  thought(): void {
    this.thinkTimer = null;
    const owed = this.owed;
    this.owed = 0;
    const now = performance.now();
    for (let i = 0; i < owed && this.state === State.Open; i++) this.send(now);
  }

  onPing(payload: Buffer): void {
    if (this.state === State.Open) this.socket?.write(this.frames.encodePong(payload));
  }

  onPong(): void {}

  onCloseFrame(): void {
    // The server closes: answer its close frame, and the run opens the connection again.
    if (this.state === State.Open) {
      this.state = State.Closing;
      this.socket?.end(this.frames.close);
    }
  }

  onProtocolError(code: number, reason: string): void {
    this.fail(`websocket: protocol error ${code} (${reason})`);
  }

  onResume(): void {}
}

function thinkDone(connection: WebSocketConnection): void {
  connection.thought();
}
