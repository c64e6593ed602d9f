/**
 * What the conformance files share: our server with an echo handler (started once per file, each
 * variant by its options), a check that it logged no error, and a tally of cases per group that
 * is printed when a file ends.
 *
 * Groups are the top-level `describe` names; they follow the Autobahn|Testsuite numbering
 * ("1 framing", "6 UTF-8", ...), though every case here is our own.
 *
 * @example
 * const echo = echoServer();                          // beforeAll / afterAll
 * const deflate = echoServer({ perMessageDeflate: { threshold: 0 } });
 * tallyCases();
 * describe('1 framing', () => {
 *   it('echoes', async () => { const ws = await RawWebSocket.open(echo.port); ... });
 * });
 */
import '@http-kit/websocket';
import { createCipheriv, createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, type TestContext } from 'vitest';
import { asChannel, runServer, type HttpServer, type Request, type ServerOptions } from '@http-kit/http1';
import { RawWebSocket } from './raw-websocket.js';

export interface EchoServer {
  readonly port: number;
  readonly server: HttpServer;
  /** What the server's errorLogger got since the file started. */
  readonly errors: Array<{ message: string; error: unknown }>;
}

/** The handler of the brief: every WebSocket message is sent back as it came. */
export const echoHandler = (req: Request) => asChannel(req, { onReceive: (ch, message) => ch.send(message) });

/**
 * Starts our server with the echo handler before the file's tests and stops it after them.
 * After each test, checks that the server logged no error (a crash in a handler or the
 * protocol shows up there, as http-kit's bug #227 did).
 */
export function echoServer(options: ServerOptions = {}): EchoServer {
  const state = { port: 0, server: null as unknown as HttpServer, errors: [] as EchoServer['errors'] };
  let seen = 0;
  beforeAll(async () => {
    state.server = await runServer(echoHandler, {
      ip: '127.0.0.1',
      port: 0,
      errorLogger: (message, error) => state.errors.push({ message, error }),
      warnLogger: () => {},
      ...options,
    });
    state.port = state.server.port;
  });
  afterEach(() => {
    const fresh = state.errors.slice(seen);
    seen = state.errors.length;
    expect(
      fresh.map((e) => `${e.message}: ${String(e.error)}`),
      'errors logged by the server',
    ).toEqual([]);
  });
  afterAll(async () => {
    await state.server?.stop({ timeout: 500 });
  });
  return {
    get port() {
      return state.port;
    },
    get server() {
      return state.server;
    },
    get errors() {
      return state.errors;
    },
  };
}

/**
 * `n` bytes that look random to zlib (AES-128-CTR of zeros, keyed by `seed`): incompressible,
 * without repeats, and the same for the same seed, so a failing case can be replayed.
 */
export function pseudoRandom(n: number, seed: number = n): Buffer {
  const key = createHash('sha256').update(`conformance ${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** Open connections of a test, destroyed after it (whatever happened). */
const open = new Set<RawWebSocket>();

/** RawWebSocket.open, with the connection closed after the test. */
export async function connect(port: number, options?: Parameters<typeof RawWebSocket.open>[1]): Promise<RawWebSocket> {
  const ws = await RawWebSocket.open(port, options);
  open.add(ws);
  return ws;
}

/** Keeps `ws` to be destroyed after the test. */
export function track(ws: RawWebSocket): RawWebSocket {
  open.add(ws);
  return ws;
}

/**
 * Counts the cases of a file by group (the outermost describe) and outcome, and prints the
 * table when the file is done. Also destroys connections left open by a test.
 */
export function tallyCases(): void {
  const counts = new Map<string, { passed: number; failed: number; expectedFail: number }>();
  beforeEach((context: TestContext) => {
    let suite = context.task.suite;
    while (suite?.suite !== undefined && suite.suite.name !== '') suite = suite.suite;
    const group = suite?.name || '(no group)';
    const count = counts.get(group) ?? { passed: 0, failed: 0, expectedFail: 0 };
    counts.set(group, count);
    context.onTestFinished(({ task }) => {
      if (task.fails) count.expectedFail++;
      else if (task.result?.state === 'pass') count.passed++;
      else count.failed++;
    });
  });
  afterEach(() => {
    for (const ws of open) ws.destroy();
    open.clear();
  });
  afterAll(() => {
    const lines = [...counts].map(
      ([group, c]) =>
        `  ${group.padEnd(34)} ${String(c.passed + c.failed + c.expectedFail).padStart(4)} cases: ${c.passed} passed, ${c.failed} failed${c.expectedFail ? `, ${c.expectedFail} known failures (it.fails)` : ''}`,
    );
    const total = [...counts.values()].reduce((sum, c) => sum + c.passed + c.failed + c.expectedFail, 0);
    console.log(`WebSocket conformance, cases per group:\n${lines.join('\n')}\n  ${'total'.padEnd(34)} ${String(total).padStart(4)} cases`);
  });
}
