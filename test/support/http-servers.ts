/**
 * HTTP servers for tests, all on 127.0.0.1 with a port the kernel picks. `useServers` runs ours
 * (`runServer` from @http-kit/http1), records what its loggers saw and stops every server after
 * each test; `httpServer` and `httpsServer` run Node's own, as reference peers for the client.
 *
 * @example
 * const servers = useServers();
 * it('answers', async () => {
 *   const { port } = await servers.start(() => 'hi');
 * });
 */
import http from 'node:http';
import https from 'node:https';
import { afterEach } from 'vitest';
import { runServer, type Handler, type HttpServer, type ServerOptions } from '@http-kit/http1';
import { listen, type TestServer } from './listen.js';

export interface Started {
  server: HttpServer;
  port: number;
  errors: Array<{ message: string; error: unknown }>;
  warnings: string[];
}

export interface UseServersOptions {
  /** The `timeout` given to `stop()` after each test (default 200 ms). */
  stopTimeout?: number;
}

/** Starts our server for the tests of a file; each one started is stopped after its test. */
export function useServers(options: UseServersOptions = {}): { start(handler: Handler, options?: ServerOptions): Promise<Started> } {
  const running: HttpServer[] = [];
  const stopTimeout = options.stopTimeout ?? 200;
  afterEach(async () => {
    const servers = running.splice(0);
    await Promise.all(servers.map((server) => server.stop({ timeout: stopTimeout })));
  });
  return {
    async start(handler, serverOptions = {}) {
      const errors: Started['errors'] = [];
      const warnings: string[] = [];
      const server = await runServer(handler, {
        port: 0,
        ip: '127.0.0.1',
        errorLogger: (message, error) => errors.push({ message, error }),
        warnLogger: (message) => warnings.push(message),
        ...serverOptions,
      });
      running.push(server);
      return { server, port: server.port, errors, warnings };
    },
  };
}

/** A node:http server running `handler`. */
export async function httpServer(handler: http.RequestListener): Promise<TestServer & { server: http.Server }> {
  const server = http.createServer(handler);
  return Object.assign(await listen(server), { server });
}

/** A node:https server running `handler` with `options` (key and cert at least). */
export async function httpsServer(
  options: https.ServerOptions,
  handler: http.RequestListener,
): Promise<TestServer & { server: https.Server }> {
  const server = https.createServer(options, handler);
  return Object.assign(await listen(server, 'https'), { server });
}

/**
 * The whole body of a request a node:http handler got. A request the client abandons never
 * resolves (rather than rejecting inside a handler, where nobody would catch it).
 */
export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
