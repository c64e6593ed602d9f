/**
 * A client connection's socket: opening it (TCP, TLS, or TLS over a CONNECT tunnel through a
 * proxy, see dial.ts), the listeners on it, the TLS session it leaves for the next handshake,
 * and taking the listeners off when an upgrade hands the socket to the caller.
 *
 * What the socket's events mean is the connection's (connection.ts): it supplies the data, end,
 * close and connect handlers, as functions made once per connection, and this class puts them
 * on the socket. `Connection` is built on this class, so the socket is a field of the
 * connection itself, not of another object.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HttpKitError } from '@http-kit/core';
import { connectFailure, connectTcp, connectTls, connectTunnel, type Route } from './dial.js';

export abstract class ConnectionSocket {
  socket!: Socket;
  readonly route: Route;
  /** The socket is in its TLS handshake: a close now is a TLS failure. */
  private tlsHandshaking = false;
  /** The raw socket to the proxy under a TLS tunnel, or null. */
  private tunnel: Socket | null = null;
  /** The first error the socket emitted ('close' follows it and reports it). */
  protected socketError: Error | null = null;

  constructor(route: Route) {
    this.route = route;
  }

  /** The connection is still opening: a late tunnel or connect event still matters. */
  protected abstract get connecting(): boolean;
  /** The socket is ready (connected, or its TLS handshake done) while `connecting`. */
  protected abstract connected(): void;
  /** The proxy refused the tunnel, or it failed. */
  protected abstract connectFailed(error: HttpKitError): void;
  // The connection's handlers for the socket's events.
  protected abstract readonly onData: (chunk: Buffer) => void;
  protected abstract readonly onEnd: () => void;
  protected abstract readonly onClose: () => void;

  /**
   * Opens the socket to the route (called once the handlers exist). `maxHeaderSize` bounds the
   * proxy's answer to CONNECT.
   */
  protected open(maxHeaderSize: number): void {
    const route = this.route;
    if (!route.https) {
      this.attach(connectTcp(route));
      return;
    }
    if (route.proxyHost === '') {
      this.attach(this.startTls(undefined));
      return;
    }
    // Through a tunnel: CONNECT first, TLS over the raw socket once the proxy agrees.
    const raw = connectTunnel(route, maxHeaderSize, (error) => {
      if (!this.connecting) return;
      if (error !== null) this.connectFailed(error);
      else this.attach(this.startTls(raw));
    });
    this.socket = this.tunnel = raw;
    raw.on('error', this.onError);
    raw.on('close', this.onTunnelClose);
  }

  private startTls(over: Socket | undefined): TLSSocket {
    this.tlsHandshaking = true;
    const socket = connectTls(this.route, over);
    socket.on('session', this.onSession);
    return socket;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.once(this.tlsHandshaking ? 'secureConnect' : 'connect', this.onConnect);
  }

  /** Takes every listener of ours off the socket (and the tunnel under it): it is the caller's now. */
  protected detach(): void {
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('session', this.onSession);
    const tunnel = this.tunnel;
    if (tunnel !== null) {
      tunnel.off('error', this.onError);
      tunnel.off('close', this.onTunnelClose);
    }
  }

  /** The error for a socket that closed before it was ready. */
  protected connectError(): HttpKitError {
    return connectFailure(this.route, this.socketError, this.tlsHandshaking);
  }

  private readonly onConnect = (): void => {
    if (!this.connecting) return;
    this.tlsHandshaking = false;
    this.connected();
  };

  private readonly onSession = (session: Buffer): void => {
    this.route.tlsSession = session;
  };

  private readonly onError = (error: Error): void => {
    this.socketError ??= error;
  };

  private readonly onTunnelClose = (): void => {
    // The raw socket under a tunnel closed before TLS took it over.
    if (this.connecting && this.socket === this.tunnel) this.onClose();
  };
}
