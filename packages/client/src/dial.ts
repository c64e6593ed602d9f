/**
 * Opening a connection's socket: plain TCP, TLS (the caller's tls options, SNI, the route's
 * cached session), or through an HTTP proxy (a socket to the proxy; https then goes through a
 * CONNECT tunnel, see tunnel.ts, before TLS starts over it). And the error a connection that
 * never opened is reported with.
 */
import net, { type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { HttpKitError } from '@http-kit/core';
import { ConnectError, TlsError } from './errors.js';
import type { TlsOptions } from './options.js';
import { openTunnel } from './tunnel.js';

/** Where a connection goes and how (the pool's OriginPool is one). */
export interface Route {
  readonly https: boolean;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly insecure: boolean;
  readonly tls: TlsOptions | null;
  /** The proxy's host, '' when the route goes direct. */
  readonly proxyHost: string;
  readonly proxyPort: number;
  readonly proxyAuth: string | null;
  readonly absoluteForm: boolean;
  /** The last TLS session the server gave, to resume the next handshake with. */
  tlsSession: Buffer | undefined;
}

/** A TCP connection to the route's host, or to its proxy when it has one. */
export function connectTcp(route: Route): Socket {
  return route.proxyHost === ''
    ? net.connect({ host: route.host, port: route.port, noDelay: true })
    : net.connect({ host: route.proxyHost, port: route.proxyPort, noDelay: true });
}

/**
 * A TCP connection to the route's proxy that asks it, once connected, for a tunnel to the
 * route's host; `done` gets null when the tunnel is open (start TLS over the socket) or the error.
 */
export function connectTunnel(route: Route, maxHeaderSize: number, done: (error: HttpKitError | null) => void): Socket {
  const raw = connectTcp(route);
  raw.once('connect', () => openTunnel(raw, `${route.host}:${route.port}`, route.proxyAuth, maxHeaderSize, done));
  return raw;
}

/** TLS to the route's host: over `socket` (a tunnel through a proxy), or over a TCP connection of its own. */
export function connectTls(route: Route, socket: Socket | undefined): TLSSocket {
  const options = route.tls;
  return tls.connect({
    ...options,
    socket,
    host: route.host,
    port: route.port,
    servername: options?.servername ?? (route.servername === '' ? undefined : route.servername),
    rejectUnauthorized: !route.insecure,
    ALPNProtocols: ['http/1.1'],
    session: route.tlsSession,
    noDelay: true,
  } as tls.ConnectionOptions);
}

/** The error for a socket that closed before it was ready: `error` is what it emitted (null when it just closed). */
export function connectFailure(route: Route, error: (Error & { code?: string }) | null, tlsHandshaking: boolean): HttpKitError {
  const where =
    route.proxyHost === ''
      ? `${route.host}:${route.port}`
      : `${route.host}:${route.port} through the proxy ${route.proxyHost}:${route.proxyPort}`;
  const reason = error?.code ?? 'ECONNRESET';
  if (tlsHandshaking) {
    return new TlsError(`TLS handshake with ${where} failed: ${error?.message ?? 'connection closed'}`, reason, {
      cause: error ?? undefined,
    });
  }
  return new ConnectError(`cannot connect to ${where}: ${error?.message ?? 'connection closed'}`, reason, { cause: error ?? undefined });
}
