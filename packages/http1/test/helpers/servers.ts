/**
 * Starts servers for a test file on 127.0.0.1 with a free port, records what the error and warn
 * loggers saw, and stops every server after each test.
 *
 * @example
 * const servers = useServers();
 * it('answers', async () => {
 *   const { server } = await servers.start(() => 'hi');
 * });
 */
import { afterEach } from 'vitest';
import { runServer, type Handler, type HttpServer, type ServerOptions } from '@http-kit/http1';

export interface Started {
  server: HttpServer;
  port: number;
  errors: Array<{ message: string; error: unknown }>;
  warnings: string[];
}

export function useServers(): { start(handler: Handler, options?: ServerOptions): Promise<Started> } {
  const running: HttpServer[] = [];
  afterEach(async () => {
    const servers = running.splice(0);
    await Promise.all(servers.map((server) => server.stop({ timeout: 200 })));
  });
  return {
    async start(handler, options = {}) {
      const errors: Started['errors'] = [];
      const warnings: string[] = [];
      const server = await runServer(handler, {
        port: 0,
        ip: '127.0.0.1',
        errorLogger: (message, error) => errors.push({ message, error }),
        warnLogger: (message) => warnings.push(message),
        ...options,
      });
      running.push(server);
      return { server, port: server.port, errors, warnings };
    },
  };
}

/** Polls `predicate` every 10 ms until it holds; throws after `timeout` ms. */
export async function eventually(predicate: () => boolean, timeout = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
