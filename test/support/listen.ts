/**
 * The one way a test puts a server of its own on the network: `listen` binds any `net.Server`
 * (raw, node:http, node:https) to 127.0.0.1 on a port the kernel picks, counts its connections and
 * closes it with every socket still open. `closeAfterEach` closes a file's servers after each
 * test; `freePort` names a loopback port nothing listens on.
 *
 * @example
 * const servers = closeAfterEach();
 * servers.push(await rawServer(() => {}));
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

const HOST = '127.0.0.1';

export interface TestServer {
  port: number;
  /** `<scheme>://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Sockets currently open on the server side. */
  open: Set<net.Socket>;
  /** Destroys the open sockets and stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0; rejects if it cannot (no loopback address, say). */
function bind(server: net.Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Listens on 127.0.0.1, port 0, and tracks the connections `server` accepts. */
export async function listen(server: net.Server, scheme = 'http'): Promise<TestServer> {
  const result: TestServer = {
    port: 0,
    url: '',
    connections: 0,
    open: new Set(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of result.open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket: net.Socket) => {
    result.connections++;
    result.open.add(socket);
    socket.on('close', () => result.open.delete(socket));
    socket.on('error', () => {});
  });
  await bind(server);
  result.port = (server.address() as AddressInfo).port;
  result.url = `${scheme}://${HOST}:${result.port}`;
  return result;
}

/** A list to push a file's servers into; each is closed after the test that pushed it. */
export function closeAfterEach(): TestServer[] {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return servers;
}

/** A port on 127.0.0.1 that was free a moment ago: nothing listens on it (connects are refused). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await bind(probe);
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
