/**
 * Throwaway TLS certificates made with the openssl CLI, once per process (per name): a
 * self-signed one for servers the client is told not to verify, and a small PKI (a CA, a server
 * certificate and a client certificate it signed) for the verification paths. Both are null when
 * openssl is missing or fails; a one-line notice says so and the TLS tests skip.
 *
 * @example
 * const tls = selfSigned();
 * describe.skipIf(tls === null)('HTTPS', () => { ... servers.start(handler, { tls: tls! }) ... });
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peer } from './peers.js';

export interface KeyAndCert {
  key: Buffer;
  cert: Buffer;
}

export interface TestPki {
  /** The CA's certificate (PEM). */
  ca: Buffer;
  /** A server certificate for `localhost` (DNS name only, no IP address), signed by the CA. */
  serverKey: Buffer;
  serverCert: Buffer;
  /** A client certificate (CN=http-kit test client), signed by the CA. */
  clientKey: Buffer;
  clientCert: Buffer;
}

/** P-256 keys: quick to make, and every peer here (Node, curl) takes them. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const made = new Map<string, unknown>();

/**
 * Runs `build` in a fresh temporary folder with a function that runs openssl there; caches what
 * it returns under `name`. Null (with a notice) when openssl is missing or fails.
 */
function certificates<T>(name: string, build: (openssl: (args: string[]) => void, file: (name: string) => string) => T): T | null {
  if (made.has(name)) return made.get(name) as T | null;
  let result: T | null = null;
  if (peer('openssl', 'TLS tests') !== null) {
    const dir = mkdtempSync(join(tmpdir(), 'httpkit-tls-'));
    try {
      result = build(
        (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 }),
        (file) => join(dir, file),
      );
    } catch (error) {
      console.warn(
        `TLS tests skipped: openssl could not make the ${name} certificates: ${String((error as Error).message).split('\n')[0]}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  made.set(name, result);
  return result;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid for a day. */
export function selfSigned(): KeyAndCert | null {
  return certificates('self-signed', (openssl, file) => {
    openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-days',
      '1',
      '-keyout',
      file('key.pem'),
      '-out',
      file('cert.pem'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ]);
    return { key: readFileSync(file('key.pem')), cert: readFileSync(file('cert.pem')) };
  });
}

/**
 * A throwaway CA and the certificates it signed. Each `name` is a PKI of its own (ask for two
 * names to have a CA that did not sign the server's certificate).
 */
export function testPki(name = 'default'): TestPki | null {
  return certificates(`${name} PKI`, (openssl, file) => {
    const signed = (who: string, subject: string, extension: string[]): void => {
      openssl(['req', '-new', ...EC_KEY, '-keyout', file(`${who}.key`), '-out', file(`${who}.csr`), '-subj', subject, ...extension]);
      openssl([
        'x509',
        '-req',
        '-in',
        file(`${who}.csr`),
        '-CA',
        file('ca.pem'),
        '-CAkey',
        file('ca.key'),
        '-days',
        '1',
        '-copy_extensions',
        'copy',
        '-out',
        file(`${who}.pem`),
      ]);
    };
    openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-days',
      '1',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-subj',
      '/CN=http-kit test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    signed('server', '/CN=localhost', ['-addext', 'subjectAltName=DNS:localhost', '-addext', 'extendedKeyUsage=serverAuth']);
    signed('client', '/CN=http-kit test client', ['-addext', 'extendedKeyUsage=clientAuth']);
    return {
      ca: readFileSync(file('ca.pem')),
      serverKey: readFileSync(file('server.key')),
      serverCert: readFileSync(file('server.pem')),
      clientKey: readFileSync(file('client.key')),
      clientCert: readFileSync(file('client.pem')),
    };
  });
}
