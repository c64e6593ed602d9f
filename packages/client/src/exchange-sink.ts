/**
 * What a connection and the request it carries know of each other: the connection sees an
 * `ExchangeSink` (the request to write, where the response goes, how it ends), the request sees
 * a `Carrier` (its connection's read controls). Neither module imports the other.
 */
import type { Socket } from 'node:net';
import type { HttpKitError } from '@http-kit/core';
import type { PreparedRequest } from './options.js';
import type { ResponseSink } from './response-reader.js';
import type { Queueable } from './wait-queue.js';

/** The connection as the request it carries sees it. */
export interface Carrier {
  /** The consumer of a streamed body is behind: stop reading. */
  pauseReading(): void;
  resumeReading(): void;
  /** The consumer gave up on the response, or the request was cancelled (its deadline, its signal): close the connection. */
  abort(): void;
}

/** The request a connection carries, as the connection sees it (the Exchange is one). */
export interface ExchangeSink extends PreparedRequest, ResponseSink, Queueable {
  /** The connection carrying the request (or being opened for it), while it does (set and cleared by the connection). */
  conn: Carrier | null;
  /**
   * When the `timeout` deadline of the whole exchange passes (performance.now() ms; Infinity for
   * never). Whatever timer bounds the part the request is in (its wait for a slot, its connect,
   * its reads) fires at this time at the latest, and fails it with `timeout` named.
   */
  deadlineAt: number;
  /** Set while reading when the response must be abandoned (a body over maxBody). */
  failure: HttpKitError | null;
  /** How long the connection may idle after this response. */
  keepaliveFor(): number;
  /** The response was read entirely: settle the result, end the body stream, or follow a redirect. */
  onResponseEnd(): void;
  /** A 101 answered the request's upgrade: `socket` is the caller's now, `head` the bytes read past the 101. */
  onUpgrade(socket: Socket, head: Buffer): void;
  /** The request failed; `retryable` when it died on a reused connection before any response byte. */
  fail(error: HttpKitError, retryable: boolean): void;
}
