/**
 * How this package's conformance tests run: our server with an echo handler (started once per
 * file, each variant by its options), and the cases of the conformance kit
 * (@http-kit/conformance, the same cases `http-kit-conformance websocket-server` runs) run
 * against it, one test per case, each expected to be judged OK (or the verdict a table says).
 * The cases live once, in the kit; here is only which server answers which of them.
 *
 * @example
 * const echo = echoServer();
 * kitCases(echo, '1.*,2.*');                              // Autobahn's groups 1 and 2 and the kit's own
 * kitCases(limited, '9.x.*', { maxMessageSize: 65536, only: /maxMessageSize/ });
 */
import '@http-kit/websocket';
import { runCase, type Verdict, WebSocketCaseContext, type WebSocketSuiteOptions, websocketServerCases } from '@http-kit/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asChannel, runServer, type HttpServer, type Request, type ServerOptions } from '@http-kit/http1';

export interface EchoServer {
  readonly port: number;
  readonly url: string;
  readonly server: HttpServer;
  /** What the server's errorLogger got since the file started. */
  readonly errors: Array<{ message: string; error: unknown }>;
}

/** The handler of the brief: every WebSocket message is sent back as it came. */
export const echoHandler = (req: Request) => asChannel(req, { onReceive: (ch, message) => ch.send(message) });

/**
 * Starts our server with the echo handler before the file's tests and stops it after them.
 * After the file, checks that the server logged no error (a crash in a handler or the protocol
 * shows up there, as http-kit's bug #227 did).
 */
export function echoServer(options: ServerOptions = {}): EchoServer {
  const state = { port: 0, server: null as unknown as HttpServer, errors: [] as EchoServer['errors'] };
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
  afterAll(async () => {
    await state.server?.stop({ timeout: 500 });
    expect(
      state.errors.map((e) => `${e.message}: ${String(e.error)}`),
      'errors logged by the server',
    ).toEqual([]);
  });
  return {
    get port() {
      return state.port;
    },
    get url() {
      return `ws://127.0.0.1:${state.port}/`;
    },
    get server() {
      return state.server;
    },
    get errors() {
      return state.errors;
    },
  };
}

export interface KitOptions extends Omit<WebSocketSuiteOptions, 'url'> {
  /** Only the cases whose title matches. */
  only?: RegExp;
  /** Verdicts other than OK that are right for our server, by case id. */
  expected?: Record<string, Verdict>;
}

/**
 * One test per kit case matching `patterns`, run against `server`, a few at once; each must be
 * judged OK (or as `expected` says). A failure shows the kit's reason and the case's transcript.
 */
export function kitCases(server: EchoServer, patterns: string, options: KitOptions = {}): void {
  const { only, expected = {}, ...suite } = options;
  const cases = websocketServerCases({ url: 'ws://127.0.0.1:1/', cases: patterns, ...suite }).filter(
    (c) => only === undefined || only.test(c.title),
  );
  describe.concurrent(`kit cases ${patterns}${only ? ` ${only}` : ''}`, () => {
    for (const c of cases) {
      it(`${c.id} ${c.title}`, async () => {
        const result = await runCase(c, () => new WebSocketCaseContext({ ...suite, url: server.url }));
        const want = expected[c.id] ?? 'OK';
        expect(result.verdict, `${result.reason}\n${result.transcript.join('\n')}`).toBe(want);
      });
    }
  });
}
