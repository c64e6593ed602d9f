/**
 * Sessions (`sessionRequests`): a connection that ends itself after a number of answers, as a
 * client leaving, and opens again as a new client. How long each session lasts and how it ends
 * (a clean close, a drop, a TCP reset) are drawn here, for every kind of connection alike.
 */
import type { Socket } from 'node:net';
import { closeWithin } from './dial.js';
import type { ResolvedOptions } from './options.js';
import type { Recorder } from './recorder.js';

/** How a session ends. */
export const SessionEnd = {
  /** HTTP, SSE: FIN, then the server's close is awaited; WebSocket: a close frame first. */
  Close: 0,
  /** The socket destroyed at once: no close frame, no wait for the server. */
  Drop: 1,
  /** A TCP reset (RST). */
  Reset: 2,
} as const;
export type SessionEnd = (typeof SessionEnd)[keyof typeof SessionEnd];

/** A random integer from `range[0]` to `range[1]`. */
export function between(range: readonly [number, number]): number {
  return range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
}

/** The answers the next session lasts; 0 when the run has no sessions. */
export function sessionLength(options: ResolvedOptions): number {
  return options.sessionRequests[1] === 0 ? 0 : between(options.sessionRequests);
}

/** How the session ending now ends (drawn with resetFraction and dropFraction), counted. */
export function sessionEnd(options: ResolvedOptions, recorder: Recorder): SessionEnd {
  recorder.sessions++;
  const draw = Math.random();
  if (draw < options.resetFraction) {
    recorder.drops++;
    recorder.resets++;
    return SessionEnd.Reset;
  }
  if (draw < options.resetFraction + options.dropFraction) {
    recorder.drops++;
    return SessionEnd.Drop;
  }
  return SessionEnd.Close;
}

/**
 * Ends a connection's socket `how`, for every kind of connection alike: a clean close sends FIN
 * (after `goodbye`: a WebSocket's close frame) and gives the server `closeTimeout` ms to close its
 * side; a drop destroys the socket at once; a reset sends RST.
 */
export function endSocket(socket: Socket, how: SessionEnd, closeTimeout: number, goodbye?: Uint8Array): void {
  if (how === SessionEnd.Close) {
    if (goodbye === undefined) socket.end();
    else socket.end(goodbye);
    closeWithin(socket, closeTimeout);
  } else if (how === SessionEnd.Reset) socket.resetAndDestroy();
  else socket.destroy();
}
