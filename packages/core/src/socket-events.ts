/**
 * The listeners a socket loop puts on its socket, shared by every connection (no closures per
 * connection): each finds its loop through a symbol on the socket and calls it back.
 */
import type { Socket } from 'node:net';

/** What the listeners call: the loop's side of the socket's events. */
export interface SocketEvents {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onClose(): void;
  onDrain(): void;
}

const kEvents = Symbol('http-kit.socket-events');

/** Routes `socket`'s events to `events`, for the socket's whole life. */
export function listenTo(socket: Socket, events: SocketEvents): void {
  (socket as unknown as Record<symbol, SocketEvents>)[kEvents] = events;
  socket.on('data', onSocketData);
  socket.on('end', onSocketEnd);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
  socket.on('drain', onSocketDrain);
}

function eventsOf(socket: Socket): SocketEvents {
  return (socket as unknown as Record<symbol, SocketEvents>)[kEvents];
}
function onSocketData(this: Socket, chunk: Buffer): void {
  eventsOf(this).onData(chunk);
}
function onSocketEnd(this: Socket): void {
  eventsOf(this).onEnd();
}
function onSocketError(this: Socket): void {
  // Resets and broken pipes are the peer's business; 'close' follows and cleans up.
}
function onSocketClose(this: Socket): void {
  eventsOf(this).onClose();
}
function onSocketDrain(this: Socket): void {
  eventsOf(this).onDrain();
}
