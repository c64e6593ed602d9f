/**
 * Observability: `node:diagnostics_channel` events for a request's start, its answer's end, a
 * handler's failure, an upgrade and a WebSocket's close (as undici and node:http publish theirs),
 * and each server's counters. The session and the server call the small functions here at the
 * points they already pass; nothing is published (or allocated) while nobody subscribes.
 *
 * @example
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('http-kit:server:response:finish', ({ request, status }) => metrics.count(status));
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { describe, InvalidArgumentError, type CloseReason } from '@http-kit/core';
import type { Request } from './request.js';

/** The channels' names: subscribe with `diagnostics_channel.subscribe(name, fn)`. */
export const DiagnosticsChannels = {
  /** `{ request }`: a request's head is read; its handler is about to run. */
  requestStart: 'http-kit:server:request:start',
  /** `{ request, status, reason }`: its answer is done (sent whole: reason 'server-closed'; else why it ended). */
  responseFinish: 'http-kit:server:response:finish',
  /** `{ request, error }`: a handler threw, rejected or returned something that is no answer. */
  error: 'http-kit:server:error',
  /** `{ request, socket }`: a request switched its connection to another protocol (101). */
  upgrade: 'http-kit:server:upgrade',
  /** `{ request, reason, code }`: a WebSocket the server accepted has closed. */
  websocketClose: 'http-kit:websocket:close',
} as const;
export type DiagnosticsChannelName = (typeof DiagnosticsChannels)[keyof typeof DiagnosticsChannels];

const requestStart = diagnostics_channel.channel(DiagnosticsChannels.requestStart);
const responseFinish = diagnostics_channel.channel(DiagnosticsChannels.responseFinish);
const handlerError = diagnostics_channel.channel(DiagnosticsChannels.error);
const upgrade = diagnostics_channel.channel(DiagnosticsChannels.upgrade);
const websocketClose = diagnostics_channel.channel(DiagnosticsChannels.websocketClose);

/** A server's counters as `serverCounters(server)` reads them. */
export interface ServerCounters {
  /** Connections open now (WebSockets included). */
  connections: number;
  /** Requests whose handler has run and whose exchange is not over (parked ones included). */
  requestsInFlight: number;
  /** Channels holding a request open now: long polls, streams, SSE. */
  parkedChannels: number;
  /** Connections switched to another protocol (WebSockets) open now. */
  webSockets: number;
  /** Bytes read from every connection since the server started. */
  bytesIn: number;
  /** Bytes written to every connection since the server started. */
  bytesOut: number;
}

/** @internal What a server counts as it goes (one per server, in its context). */
export class CounterState {
  requestsInFlight = 0;
  /** Bytes of connections already closed. */
  closedBytesIn = 0;
  closedBytesOut = 0;
  /** Connections switched to another protocol, by their socket loop. */
  readonly upgraded = new Set<unknown>();
}

/** @internal A request's head is read: counted, and published. */
export function requestStarted(counters: CounterState, request: Request): void {
  counters.requestsInFlight++;
  if (requestStart.hasSubscribers) requestStart.publish({ request });
}

/** @internal The exchange of a request is over (answered and read, or its connection gone). */
export function requestFinished(counters: CounterState): void {
  counters.requestsInFlight--;
}

/** @internal A request switched its connection (`loop`) to another protocol. */
export function requestUpgraded(counters: CounterState, loop: object, request: Request): void {
  counters.requestsInFlight--;
  counters.upgraded.add(loop);
  if (upgrade.hasSubscribers) upgrade.publish({ request, socket: (loop as { socket?: Socket }).socket });
}

/** @internal A connection closed: its bytes join the totals. */
export function connectionCounted(counters: CounterState, loop: { readonly socket: Socket }): void {
  counters.closedBytesIn += loop.socket.bytesRead;
  counters.closedBytesOut += loop.socket.bytesWritten;
  counters.upgraded.delete(loop);
}

/** @internal A handler failed. */
export function publishError(request: Request | null, error: unknown): void {
  if (handlerError.hasSubscribers) handlerError.publish({ request, error });
}

/** Whether anyone listens for answers' ends (else the server need not track them). */
export function answersWatched(): boolean {
  return responseFinish.hasSubscribers || websocketClose.hasSubscribers;
}

const kStatus = Symbol('http-kit.status');

/** @internal The status a request is being answered with, kept only while someone listens. */
export function noteStatus(request: Request | null, status: number | undefined): void {
  if (request !== null && responseFinish.hasSubscribers) (request as Request & { [kStatus]?: number })[kStatus] = status ?? 200;
}

/** @internal An answer (or a WebSocket) has ended; `status` 0 when the caller does not know it. */
export function publishAnswerEnd(request: Request, reason: CloseReason, status: number, code: number | undefined): void {
  if (status === 101) {
    if (websocketClose.hasSubscribers) websocketClose.publish({ request, reason, code });
    return;
  }
  if (!responseFinish.hasSubscribers) return;
  const known = status !== 0 ? status : ((request as Request & { [kStatus]?: number })[kStatus] ?? 0);
  responseFinish.publish({ request, status: known, reason });
}

/** @internal How `serverCounters` reaches a server's counters. */
export const kCounters: unique symbol = Symbol.for('http-kit.serverCounters');

/**
 * The counters of a running server: connections, requests in flight, parked channels,
 * WebSockets, bytes in and out.
 *
 * @example
 * setInterval(() => console.log(serverCounters(server)), 10_000).unref();
 * // { connections: 12, requestsInFlight: 3, parkedChannels: 2, webSockets: 5, bytesIn: 48213, bytesOut: 1022394 }
 */
export function serverCounters(server: object): ServerCounters {
  const read = (server as { [kCounters]?: () => ServerCounters })?.[kCounters];
  if (typeof read !== 'function')
    throw new InvalidArgumentError(
      `serverCounters: ${describe(server)} is not a server runServer resolved to in a process that serves (the primary of \`workers\` serves none)`,
    );
  return read();
}
