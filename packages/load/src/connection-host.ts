/**
 * The seam between the run and its connections: what a connection may ask of the run
 * (`ConnectionHost`) and what the run asks of each connection (`LoadConnection`). Connections
 * know the run only through this interface, so no connection module imports the run.
 */
import type { Dialer } from './dial.js';
import type { ResolvedOptions } from './options.js';
import type { Recorder } from './recorder.js';

export interface ConnectionHost {
  readonly options: ResolvedOptions;
  readonly recorder: Recorder;
  readonly dialer: Dialer;
  /** True once the run is over: connections stop sending and do not come back. */
  readonly stopping: boolean;
  /** `RunHooks.onAnswer`, or null: connections keep answers' bytes only when it is set. */
  readonly onAnswer: AnswerHook | null;
  /** The connection is open and doing its work (for a WebSocket: after the 101). */
  opened(connection: LoadConnection): void;
  /**
   * The connection's socket is gone; `failedToOpen` when it never reached `opened` (`code`: the
   * socket error, if any). The run decides whether and when to open it again.
   */
  lost(connection: LoadConnection, failedToOpen: boolean, code: string | undefined, delayMs?: number): void;
  /**
   * The connection ended its session itself (`sessionRequests`, an aborted poll) and its socket is
   * gone: the run opens it again at once, as a new client.
   */
  left(connection: LoadConnection): void;
  /** At the run's end: the server closed a connection the client had closed (in time). */
  peerClosed(): void;
  /** At the run's end: the server did not close a connection within closeTimeout; it was destroyed. */
  closeForced(): void;
}

/**
 * Called with each answer's payload: `connection` is the connection's index (0 to connections - 1,
 * the same across its reconnects), `payload` a response body (http, pipeline, longpoll) or a
 * message (websocket). The buffer may be reused after the call: copy what is kept.
 */
export type AnswerHook = (connection: number, payload: Buffer) => void;

/** One connection of the load, of any mode. */
export interface LoadConnection {
  /** Its place in the run: 0 to connections - 1, the same across its reconnects and sessions. */
  readonly index: number;
  /** Opens (or opens again) the socket; ends in `host.opened` or `host.lost`. */
  open(): void;
  /** Open model: one request (or message) became due at `dueAt` (ms, performance.now()); latency counts from then. */
  offer(dueAt: number): void;
  /** Once a second: fail what has waited longer than the timeout. */
  checkTimeout(now: number): void;
  /**
   * Ends the connection for good as a client leaving would (HTTP, SSE: FIN; WebSocket: a close
   * frame, then FIN) and waits, up to closeTimeout, for the server to close its side: true when
   * it waits (it then reports `peerClosed` or `closeForced`), false when it had no open socket
   * (or its session was already closing: that close goes on, bounded by its own timer).
   */
  close(): boolean;
  /** Whether its socket is still there. */
  active(): boolean;
  /** Ends the connection for good, now. */
  destroy(): void;
}

/** The errno code (or our own kind) of a socket error, for the errors-by-kind table. */
export function errorKind(error: NodeJS.ErrnoException): string {
  return error.code ?? error.message;
}
