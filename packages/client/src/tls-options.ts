/**
 * The `tls` option: what a request may pass through to `tls.connect`, and its check. The
 * object itself is kept, not copied: its identity is part of the pool key (see pool.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import { InvalidRequestError } from './errors.js';

/**
 * Options passed through to `tls.connect` for https requests: `ca`, `cert`, `key`, `pfx`,
 * `passphrase`, `servername` (overrides the SNI name and the name the certificate is checked
 * against), `minVersion`, `ciphers`, `checkServerIdentity`... The connection's own fields
 * (socket, host, port, session, ALPN) are the client's, and verification is turned off only by
 * `insecure`.
 *
 * Pooled connections are shared only by requests that pass the *same object* (compared by
 * identity): set it once on the client, or reuse one object, rather than writing
 * `{ tls: { ca } }` inline in each call (which opens a connection per request).
 *
 * @example
 * const client = createClient({ tls: { ca: fs.readFileSync('ca.pem') } });
 */
export type TlsOptions = Omit<
  ConnectionOptions,
  'socket' | 'host' | 'port' | 'path' | 'session' | 'ALPNProtocols' | 'rejectUnauthorized' | 'timeout' | 'noDelay' | 'lookup'
>;

/** The caller's TLS options as given (the request's, else the client's), or null for none. */
export function tlsOption(value: TlsOptions | null | undefined): TlsOptions | null {
  if (value !== undefined && value !== null && typeof value !== 'object')
    throw new InvalidRequestError(`tls must be an object of tls.connect options, got ${typeof value}`);
  return value ?? null;
}
