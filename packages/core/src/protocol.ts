/**
 * The seam between a connection's socket loop and the protocol that reads its bytes: on the
 * server HTTP/1.1 first, then whatever an upgrade switches to (WebSocket), as http-kit's Java
 * server swaps the socket's attachment from `HttpAtta` to `WsAtta`; on a client, WebSocket over
 * the socket an HTTP 101 handed over.
 *
 * The loop owns the socket: reading and read-ahead, pausing, batched writes and their
 * backpressure, the connection's timer, lingering and closing. A protocol sees bytes, the end
 * of input, drain, its timer, shutdown and close, through `Protocol`; it acts on the
 * connection through `ProtocolHost`.
 */
import type { Socket } from 'node:net';

/** What bytes are written to: a socket, or anything that batches writes the same way. */
export interface ChunkSink {
  cork(): void;
  uncork(): void;
  write(data: Uint8Array | string, encoding?: BufferEncoding): boolean;
}

/**
 * Why a connection or channel closed, as `onClose` reports it: who closed it ('client-closed',
 * 'server-closed': the side that started the close), the server stopping, a timeout, an error on
 * our side, the peer breaking the protocol (a WebSocket close 1002/1007/1009), or a peer too slow
 * to read what it was sent ('too-slow': over `maxBufferedAmount`).
 */
export type CloseReason = 'client-closed' | 'server-closed' | 'server-stopping' | 'timeout' | 'error' | 'protocol-error' | 'too-slow';

/** What a socket loop calls down into. */
export interface Protocol {
  /**
   * Bytes from the peer. Returns how many were taken; the rest (and whatever arrives after it)
   * waits in the loop until the protocol calls `host.resumeInput()`.
   */
  onData(chunk: Buffer): number;
  /** The peer closed its sending side. */
  onEnd(): void;
  /** Everything written so far has gone to the kernel. */
  onDrain(): void;
  /** The timer armed with `host.armTimer` fired. */
  onTimeout(): void;
  /** The server is stopping: finish what is in flight, take nothing new. */
  onShutdown(): void;
  /** The socket has closed (once, last). */
  onClose(reason: CloseReason): void;
}

/** What a protocol can do with its connection. */
export interface ProtocolHost extends ChunkSink {
  readonly socket: Socket;
  readonly remoteAddr: string;
  /** The socket is destroyed or closed: nothing more can be written. */
  readonly isClosed: boolean;
  /** Our side has ended (`end()`); the loop drops input until the peer hangs up. */
  readonly ending: boolean;
  /** The peer has closed its sending side. */
  readonly peerEnded: boolean;
  /** Bytes received but not yet taken by the protocol. */
  readonly heldBytes: number;
  /** Bytes written but not yet handed to the kernel (this turn's batch included). */
  readonly bufferedAmount: number;
  /** Written bytes are over the socket's high-water mark: wait for drain before writing more. */
  readonly needsDrain: boolean;
  /** Stops handing bytes to the protocol; they wait, up to the read-ahead limit. */
  holdInput(): void;
  /** Hands over what waited, then reads on. */
  resumeInput(): void;
  /** Stops handing bytes over and stops reading until the peer has read what we wrote. */
  holdUntilDrained(): void;
  /** Flow control from the protocol's consumer (a request body's reader is behind). */
  pauseReading(): void;
  resumeReading(): void;
  /**
   * What to do when held bytes pass the read-ahead limit: pause the socket (false), or close
   * the connection (true: a parked request, where a paused socket would hide the peer's close).
   */
  closeOnReadAheadLimit: boolean;
  /** Resolves once the socket can take more, or has closed; a stuck peer is cut off after writeTimeout. */
  drained(): Promise<void>;
  /** Arms the connection's timer (coarse: re-armed often, read no clock); 0 cancels it. */
  armTimer(ms: number): void;
  cancelTimer(): void;
  /** Ends our side once pending writes are out; the peer gets a moment to hang up. `reason` is what `onClose` will report. */
  end(reason?: CloseReason): void;
  /** Closes now; `reason` is what `onClose` reports. */
  destroy(reason: CloseReason): void;
  /**
   * Gives the connection to `protocol` from now on. `leftover` (bytes read past the old
   * protocol's last message) and anything held go to the new protocol first.
   */
  switchProtocol(protocol: Protocol, leftover?: Buffer | null): void;
  logError(message: string, error: unknown): void;
  logWarning(message: string): void;
}
