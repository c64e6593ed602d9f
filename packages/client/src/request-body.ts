/**
 * Sending a streamed request body: the connection's side of core's `pumpBody` (the one body
 * pump loop, shared with the server). Each piece goes out as it is read — framed with the
 * codec's chunked framing when the length is unknown — the socket's drain is awaited when it is
 * full, and the pump stops as soon as the connection no longer carries the request.
 */
import type { Socket } from 'node:net';
import { pumpBody, type PumpTarget } from '@http-kit/core';
import { LAST_CHUNK, writeChunk } from '@http-kit/http1/codec';

/** What the pump needs of the connection sending the body. */
export interface BodyChannel<R> {
  readonly socket: Socket;
  /** Whether the connection still sends `request` (it has not failed, closed or moved on). */
  carries(request: R): boolean;
  /** Bytes went out: activity for the idle timeout (the server may be reading slowly). */
  touch(): void;
  /** The whole body (and its last chunk) has been handed to the socket. */
  bodySent(request: R): void;
  /** The body's source failed with `error`. */
  bodyFailed(request: R, error: unknown): void;
}

/** Sends `source` as `request`'s body on `channel`'s socket; reports the outcome to `channel`. */
export function sendBody<R>(channel: BodyChannel<R>, request: R, source: AsyncIterable<Uint8Array | string>, chunked: boolean): void {
  void new BodyPump(channel, request, chunked).run(source);
}

/** One streamed body being sent (made only for requests with a streamed body). */
class BodyPump<R> implements PumpTarget {
  private readonly socket: Socket;

  constructor(
    private readonly channel: BodyChannel<R>,
    private readonly request: R,
    private readonly chunked: boolean,
  ) {
    this.socket = channel.socket;
  }

  async run(source: AsyncIterable<Uint8Array | string>): Promise<void> {
    const channel = this.channel;
    try {
      if ((await pumpBody(source, this)) < 0 || !channel.carries(this.request)) return;
      if (this.chunked) this.socket.write(LAST_CHUNK);
      channel.bodySent(this.request);
    } catch (error) {
      channel.bodyFailed(this.request, error);
    }
  }

  write(chunk: Uint8Array | string, size: number): boolean {
    const ok = this.chunked ? writeChunk(this.socket, chunk, size) : this.socket.write(chunk);
    this.channel.touch();
    return ok;
  }

  drained(): Promise<void> {
    const socket = this.socket;
    // A socket that closed (or drained) already would never say so again.
    if (socket.destroyed || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  stopped(): boolean {
    return !this.channel.carries(this.request);
  }
}
