/**
 * Conformance of our HTTP/1.1 server (RFC 9110, 9112): every case of the conformance kit's
 * `http-server` suite (@http-kit/conformance, the cases `http-kit-conformance http-server`
 * runs), one test per case, against our server with an echo handler (h1spec's convention). The
 * cases live once, in the kit; smuggling.test.ts and bad-requests.test.ts keep only what the kit
 * does not send. Here is what our server must make of each case:
 *
 * - the kit's verdict: OK on every case but 3.8, which stays NON-STRICT on purpose: an
 *   absolute-form target whose host differs from Host is refused with 400
 *   (docs/guides/security.md, "An absolute-form target that names another site than Host");
 * - what the kit leaves open and we decide: the exact status of each refusal; that it is short
 *   plain text ("Bad Request: why") with `Connection: close` and a Content-Length; that the
 *   server then closes; and whether the handler saw the request's head first (only when the
 *   error is in the body);
 * - that the request hidden behind bad framing (`GET /smuggled`) never reaches the handler, nor
 *   any other request than the case's own.
 *
 * Each case asks for its own path (/k/<id>), so what the handler saw is told apart per case.
 */
import {
  type CaseResult,
  type HttpCase,
  HttpCaseContext,
  type HttpResponse,
  httpServerCases,
  type RawHttp,
  runCase,
} from '@http-kit/conformance';
import { type HttpServer, runServer } from '@http-kit/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The one case the kit judges NON-STRICT for us, and the start of its reason. */
const NON_STRICT: Record<string, RegExp> = { '3.8': /^refused it with 400 Bad Request: / };

/** Cases our server answers with a 2xx (every other one it refuses). */
const ACCEPTED = new Set('1.1 1.12 1.13 1.15 2.12 3.9 4.21 4.22 4.23 5.1 5.2 5.3 5.4 5.5 5.6 7.1 7.2 7.3 8.1 8.2'.split(' '));

/** Refusals other than 400, by case: the limits (maxLine, maxHeaderSize, maxBody, chunk-size lines), Expect, requestTimeout. */
const STATUS: Record<string, number> = { '6.1': 414, '6.2': 431, '6.3': 431, '6.4': 413, '6.5': 413, '8.3': 417, '9.1': 408, '9.2': 408 };

/** Refusals found in the body, once the handler has its (valid) head: the handler runs once. */
const AFTER_HEAD = new Set(['5.7', '5.8', '5.9', '5.10', '5.11', '5.12', '5.13', '5.14', '5.15', '6.5', '9.2']);

/** Accepted cases after which the server closes: HTTP/1.0 without keep-alive (4.21: its framing is faulty, RFC 9112 6.1). */
const CLOSED_AFTER_ANSWER = new Set(['3.9', '4.21', '8.2']);

/** Paths the handler was called with. */
const handled: string[] = [];
/** What the server's errorLogger got. */
const errors: string[] = [];
let server: HttpServer;

beforeAll(async () => {
  server = await runServer(
    async (req) => {
      handled.push(req.uri);
      return { status: 200, body: req.body === null ? '' : Buffer.from(await req.body.bytes()) };
    },
    {
      ip: '127.0.0.1',
      port: 0,
      // The slow-sender cases (9.x) wait for the server to give up on a stalled request; short,
      // yet long enough for 7.2's requests written byte by byte on a loaded machine.
      requestTimeout: 300,
      errorLogger: (message, error) => errors.push(`${message}: ${String(error)}`),
      warnLogger: () => {},
    },
  );
});
afterAll(async () => {
  await server?.stop({ timeout: 500 });
  expect(handled.filter((path) => !path.startsWith('/k/'))).toEqual([]);
  // The one error logged per body refusal: the echo handler's read of the body that was cut, which
  // says the server refused the rest of the request and with which status (not a bare "Premature close").
  expect(errors.map((line) => line.replace(/: RequestBodyAbortedError: .*/, '')).sort()).toEqual(
    [...AFTER_HEAD].map((id) => `Handler failed for POST /k/${id}`).sort(),
  );
  for (const line of errors)
    expect(line).toMatch(
      /RequestBodyAbortedError: Request body ended after \d+ bytes, before it was whole: the server refused the rest of the request \(.+\) and answered 4\d\d$/,
    );
});

/**
 * The kit's context for one case, keeping the case's connections after it (the kit destroys
 * them when the case ends) so that the test reads the whole answer and sees whether the server
 * closed.
 */
class Kept extends HttpCaseContext {
  readonly opened: RawHttp[] = [];
  override async connect(): Promise<RawHttp> {
    const c = await super.connect();
    this.opened.push(c);
    return c;
  }
  override dispose(): void {}
  /** Whether the server closed the first connection (waiting up to `ms` for it), then lets go of them all. */
  async closedByServer(ms: number): Promise<boolean> {
    const first = this.opened[0];
    const closed = first === undefined ? false : ms > 0 ? await first.closedWithin(ms) : first.ended;
    super.dispose();
    return closed;
  }
}

interface Observation {
  result: CaseResult;
  /** The first final answer on the case's first connection. */
  answer: HttpResponse | undefined;
  closed: boolean;
  /** How many times the handler was called for the case's path. */
  handled: number;
}

/** Runs one kit case against our server at its own path, and notes what else the test checks. */
async function observe(c: HttpCase): Promise<Observation> {
  const path = `/k/${c.id}`;
  let ctx!: Kept;
  const result = await runCase(c, () => {
    ctx = new Kept({ url: `http://127.0.0.1:${server.port}${path}`, idleWaitMs: 3_000 });
    return ctx;
  });
  const answer = ctx.opened[0]?.all.find((r) => r.status >= 200);
  const keptOpen = ACCEPTED.has(c.id) && !CLOSED_AFTER_ANSWER.has(c.id);
  const closed = await ctx.closedByServer(keptOpen ? 0 : 1_000);
  return { result, answer, closed, handled: handled.filter((p) => p === path).length };
}

const cases: HttpCase[] = httpServerCases({ url: 'http://127.0.0.1:1/' });
const observations = new Map<string, Promise<Observation>>();

// The cases run 16 at a time from the start (each test waits for its own): vitest would run
// only 5 concurrent tests, and the slowest cases wait on the server's requestTimeout.
beforeAll(() => {
  const queue = cases.map((c) => {
    let settle!: { resolve: (o: Observation) => void; reject: (e: unknown) => void };
    const observation = new Promise<Observation>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Handled here too, so a test left out by a filter leaves no unhandled rejection.
    observation.catch(() => {});
    observations.set(c.id, observation);
    return { c, settle };
  });
  const worker = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await observe(job.c).then(job.settle.resolve, job.settle.reject);
  };
  for (let i = 0; i < 16; i++) void worker();
});

it('names only cases the kit has in its tables (a renumbered case is not silently dropped)', () => {
  const ids = new Set(cases.map((c) => c.id));
  const named = [...Object.keys(NON_STRICT), ...ACCEPTED, ...Object.keys(STATUS), ...AFTER_HEAD, ...CLOSED_AFTER_ANSWER];
  expect(named.filter((id) => !ids.has(id))).toEqual([]);
});

describe('kit cases http-server', () => {
  for (const c of cases) {
    it(`${c.id} ${c.title}`, async () => {
      const { result, answer, closed, handled: calls } = await observations.get(c.id)!;
      const told = `${result.reason}\n${result.transcript.join('\n')}`;

      if (NON_STRICT[c.id] !== undefined) {
        expect(result.verdict, told).toBe('NON-STRICT');
        expect(result.reason).toMatch(NON_STRICT[c.id]);
      } else expect(result.verdict, told).toBe('OK');

      if (ACCEPTED.has(c.id)) {
        expect(answer?.status, told).toBeLessThan(300);
        expect(closed, 'closed by the server after the answer').toBe(CLOSED_AFTER_ANSWER.has(c.id));
        expect(calls, 'handler calls').toBeGreaterThan(0);
      } else {
        expect(answer?.status, told).toBe(STATUS[c.id] ?? 400);
        expect(answer?.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(answer?.headers.connection).toBe('close');
        expect(Number(answer?.headers['content-length'])).toBe(answer?.body.length);
        // Short, and says what was wrong after the reason phrase.
        expect(answer?.body.toString('latin1')).toMatch(new RegExp(`^${answer?.reason}: .+\\n$`));
        expect(answer?.body.length).toBeLessThan(200);
        expect(closed, 'closed by the server after the refusal').toBe(true);
        expect(calls, 'handler calls').toBe(AFTER_HEAD.has(c.id) ? 1 : 0);
      }
      expect(handled).not.toContain('/smuggled');
    });
  }
});
