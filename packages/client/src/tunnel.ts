/**
 * Opening a tunnel through an HTTP proxy: `CONNECT host:port` on a fresh socket to the proxy,
 * and the proxy's answer read with a response reader. On a 2xx the socket is a raw pipe to the
 * target, ready for TLS.
 */
import type { Socket } from 'node:net';
import type { HttpKitError } from '@http-kit/core';
import { ConnectionClosedError, ProxyError } from './errors.js';
import { ReadState, ResponseReader, type ResponseSink } from './response-reader.js';
import { serialiseConnect } from './request-writer.js';

/** Sends CONNECT on `socket` once it connects, then calls `done` with null (tunnel open) or the error. */
export function openTunnel(
  socket: Socket,
  authority: string,
  proxyAuth: string | null,
  maxHeaderSize: number,
  done: (error: HttpKitError | null) => void,
): void {
  new Tunnel(socket, authority, done).start(proxyAuth, maxHeaderSize);
}

class Tunnel implements ResponseSink {
  private readonly reader = new ResponseReader();
  private status = 0;
  private finished = false;

  constructor(
    private readonly socket: Socket,
    private readonly authority: string,
    private readonly done: (error: HttpKitError | null) => void,
  ) {}

  start(proxyAuth: string | null, maxHeaderSize: number): void {
    // Read as a response to HEAD: a 2xx to CONNECT has no body, whatever its headers say.
    this.reader.start(this, 'HEAD', maxHeaderSize);
    this.socket.on('data', this.onData);
    this.socket.on('close', this.onClose);
    this.socket.write(serialiseConnect(this.authority, proxyAuth));
  }

  onResponseHead(status: number): boolean {
    this.status = status;
    return true;
  }

  onResponseBody(): void {}

  onResponseTrailers(): void {}

  private readonly onData = (chunk: Buffer): void => {
    const state = this.reader.feed(chunk);
    if (state === ReadState.Failed && this.status >= 200 && this.status < 300) {
      // Bytes after the proxy's answer already belong to the tunnel; TLS never sends first, so none should come.
      this.finish(new ProxyError(`the proxy sent bytes after its answer to CONNECT ${this.authority}`));
    } else if (state === ReadState.Failed) {
      this.finish(this.reader.error);
    } else if (state === ReadState.Complete || state === ReadState.Switched) {
      this.finish(
        this.status >= 200 && this.status < 300
          ? null
          : new ProxyError(`the proxy answered CONNECT ${this.authority} with status ${this.status}`),
      );
    }
  };

  private readonly onClose = (): void => {
    this.finish(new ConnectionClosedError(`the proxy closed the connection before answering CONNECT ${this.authority}`));
  };

  private finish(error: HttpKitError | null): void {
    if (this.finished) return;
    this.finished = true;
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.reader.release();
    this.done(error);
  }
}
