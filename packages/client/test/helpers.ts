/**
 * Test servers on loopback: a real node:http server, and raw `net` servers that answer with
 * exactly the bytes a test chooses (to misbehave on purpose). Each counts its connections.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Sockets currently open on the server side. */
  open: Set<net.Socket>;
  close(): Promise<void>;
}

function track(server: net.Server, result: TestServer): void {
  server.on('connection', (socket: net.Socket) => {
    result.connections++;
    result.open.add(socket);
    socket.on('close', () => result.open.delete(socket));
    socket.on('error', () => {});
  });
}

async function listen(server: net.Server, scheme = 'http'): Promise<TestServer> {
  const result: TestServer = {
    port: 0,
    url: '',
    connections: 0,
    open: new Set(),
    close: () => new Promise<void>((resolve) => {
      for (const socket of result.open) socket.destroy();
      server.close(() => resolve());
    }),
  };
  track(server, result);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  result.port = (server.address() as AddressInfo).port;
  result.url = `${scheme}://127.0.0.1:${result.port}`;
  return result;
}

/** A node:http server running `handler`. */
export function httpServer(handler: http.RequestListener): Promise<TestServer & { server: http.Server }> {
  const server = http.createServer(handler);
  return listen(server).then((result) => Object.assign(result, { server }));
}

/** A raw TCP server: `onConnection` gets each socket and the bytes of each read. */
export function rawServer(onData: (socket: net.Socket, data: Buffer, state: { requests: number; buffered: string }) => void): Promise<TestServer> {
  const server = net.createServer((socket) => {
    const state = { requests: 0, buffered: '' };
    socket.on('data', (data) => {
      state.buffered += data.toString('latin1');
      onData(socket, data, state);
    });
  });
  return listen(server);
}

/**
 * A raw server that answers each complete request head (no request bodies) with
 * `respond(requestIndex, head)`: the bytes to write, and whether to end the socket after them.
 */
export function cannedServer(respond: (index: number, head: string, socket: net.Socket) => { bytes?: string | Buffer; end?: boolean; destroy?: boolean } | void): Promise<TestServer> {
  let index = 0;
  return rawServer((socket, _data, state) => {
    let at: number;
    while ((at = state.buffered.indexOf('\r\n\r\n')) !== -1) {
      const head = state.buffered.slice(0, at + 4);
      state.buffered = state.buffered.slice(at + 4);
      const answer = respond(index++, head, socket);
      if (answer === undefined) continue;
      if (answer.bytes !== undefined) socket.write(answer.bytes);
      if (answer.destroy) socket.destroy();
      else if (answer.end) socket.end();
    }
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until `check` is true. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** A self-signed certificate for localhost and 127.0.0.1, made with the openssl CLI (null when it is missing). */
export function selfSigned(): { key: Buffer; cert: Buffer } | null {
  const dir = mkdtempSync(join(tmpdir(), 'httpkit-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

/** A throwaway CA and certificates it signed, made with the openssl CLI (null when it is missing). */
export function testPki(): TestPki | null {
  const dir = mkdtempSync(join(tmpdir(), 'httpkit-pki-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const signed = (name: string, subject: string, extension: string[]): void => {
    openssl(['req', '-new', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject, ...extension]);
    openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-days', '1',
      '-copy_extensions', 'copy', '-out', file(`${name}.pem`)]);
  };
  try {
    openssl(['req', '-x509', ...ec, '-days', '1', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/CN=http-kit test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    signed('server', '/CN=localhost', ['-addext', 'subjectAltName=DNS:localhost', '-addext', 'extendedKeyUsage=serverAuth']);
    signed('client', '/CN=http-kit test client', ['-addext', 'extendedKeyUsage=clientAuth']);
    return {
      ca: readFileSync(file('ca.pem')),
      serverKey: readFileSync(file('server.key')),
      serverCert: readFileSync(file('server.pem')),
      clientKey: readFileSync(file('client.key')),
      clientCert: readFileSync(file('client.pem')),
    };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
