/**
 * Mutation fuzz: valid requests (plain, with bodies, chunked with trailers, pipelined, HTTP/1.0,
 * upgrade, 100-continue) get random byte-level damage and are sent over real sockets cut at
 * random points, to servers whose handlers answer in every way the server supports. Whatever
 * the bytes, the server must answer with well-formed responses and close within a bound, refuse
 * with a 4xx that ends the connection, never dispatch what follows a framing error, log only
 * what the handler's own failure explains, and leave no connection or channel behind.
 *
 * Reproduce a failure with FUZZ_SEED=<seed> (printed with every failure); each failure also
 * carries the exact bytes sent.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { asChannel, type Handler, type HttpServer, type Request } from '@http-kit/http1';
import {
  ALLOWED_STATUSES as SUPPORT_ALLOWED,
  eventually,
  parseResponses,
  RawClient,
  type RawResponse,
  REJECT_STATUSES as SUPPORT_REJECT,
  Rng,
  seedFor,
  printableBytes,
  sleep,
  type Started,
  tick,
  trapProcessErrors,
  useServers,
} from '@http-kit/test-support';

// The server's own refusals: test-support's list, and 501 for a transfer coding other than
// chunked (Transfer-Encoding: gzip, chunked; issue 9).
const REJECT_STATUSES: ReadonlySet<number> = new Set([...SUPPORT_REJECT, 501]);
const ALLOWED_STATUSES: ReadonlySet<number> = new Set([...SUPPORT_ALLOWED, 501]);

const SEED = seedFor(0x4b17f00d);
const CASES_PER_MODE = 140;
/** A case must be over (server closed) within this many ms of the last byte sent. */
const CLOSE_BOUND_MS = 2_000;
const SENTINEL = 'GET /__sentinel HTTP/1.1\r\nHost: x\r\n\r\n';

const servers = useServers();
const processErrors = trapProcessErrors();

// --- the valid requests mutations start from ----------------------------------------------

interface SeedRequest {
  name: string;
  bytes: string;
  /** Requests in `bytes` (responses expected when unmutated). */
  requests: number;
  /** The connection ends after these requests (upgrade, Connection: close, HTTP/1.0 without keep-alive). */
  closes?: boolean;
}

const SEEDS: SeedRequest[] = [
  { name: 'get', bytes: 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n', requests: 1 },
  {
    name: 'get with query and headers',
    bytes:
      'GET /search?q=a%20b&x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: fuzz/1.0\r\nAccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\nX-Long: ' +
      'v'.repeat(200) +
      '\r\n\r\n',
    requests: 1,
  },
  {
    name: 'post content-length',
    bytes: 'POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello=world',
    requests: 1,
  },
  { name: 'post empty body', bytes: 'POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', requests: 1 },
  { name: 'put larger body', bytes: 'PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n' + 'b'.repeat(300), requests: 1 },
  {
    name: 'chunked',
    bytes: 'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    requests: 1,
  },
  {
    name: 'chunked with extensions and trailers',
    bytes:
      'POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\n123\r\n0\r\nX-Sum: 29\r\nX-Other: y\r\n\r\n',
    requests: 1,
  },
  { name: 'pipelined gets', bytes: 'GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n', requests: 2 },
  {
    name: 'pipelined post then get',
    bytes: 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbodyGET /after HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 2,
  },
  {
    name: 'pipelined chunked then get',
    bytes: 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n',
    requests: 2,
  },
  { name: 'http/1.0', bytes: 'GET /old HTTP/1.0\r\n\r\n', requests: 1, closes: true },
  { name: 'http/1.0 keep-alive post', bytes: 'POST /old HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc', requests: 1 },
  {
    name: 'upgrade',
    bytes:
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    requests: 1,
    closes: true,
  },
  {
    name: 'expect 100-continue',
    bytes: 'POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n0123456789',
    requests: 1,
  },
  {
    name: 'expect 100-continue chunked',
    bytes: 'PUT /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n\r\n',
    requests: 1,
  },
  // Host must agree with the target's authority (a different one is refused, issue 9).
  { name: 'absolute-form target', bytes: 'GET http://example.com:81/abs?x=y HTTP/1.1\r\nHost: EXAMPLE.com:81\r\n\r\n', requests: 1 },
  { name: 'connection close', bytes: 'GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', requests: 1, closes: true },
  { name: 'options *', bytes: 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', requests: 1 },
];

// --- mutations ------------------------------------------------------------------------------

function injectedByte(rng: Rng): number {
  switch (rng.int(0, 8)) {
    case 0:
      return 0x0d;
    case 1:
      return 0x0a;
    case 2:
      return 0x00;
    case 3:
      return rng.int(0x80, 0xff);
    case 4:
      return 0x20;
    case 5:
      return 0x3a;
    case 6:
      return 0x09;
    case 7:
      return 0x7f;
    default:
      return rng.int(0, 255);
  }
}

const NUMBER_REPLACEMENTS = (n: number): string[] => [
  '0',
  String(n + 1),
  String(Math.max(0, n - 1)),
  String(n * 10 + 7),
  '99999999999999999999',
  '18446744073709551616',
  '-1',
  '+5',
  '0x10',
  ' 5',
  '5 5',
  '',
  'ffffffffffffffff',
  '00000000000000000003',
  '1e3',
];

/** Replaces one number: a decimal run (Content-Length, version, a size) or a chunk-size line. */
function mutateNumber(text: string, rng: Rng): string {
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(/\d+/g)) spans.push([match.index, match.index + match[0].length]);
  for (const match of text.matchAll(/\r\n([0-9a-fA-F]+)(?=[;\r])/g)) spans.push([match.index + 2, match.index + 2 + match[1].length]);
  if (spans.length === 0) return text;
  const [start, end] = rng.pick(spans);
  const digits = text.slice(start, end);
  const value = /^\d+$/.test(digits) ? Number(digits) : parseInt(digits, 16);
  return text.slice(0, start) + rng.pick(NUMBER_REPLACEMENTS(Number.isFinite(value) ? value : 1)) + text.slice(end);
}

function mutateLines(text: string, rng: Rng): string {
  const lines = text.split('\r\n');
  const i = rng.int(0, lines.length - 1);
  switch (rng.int(0, 4)) {
    case 0:
      lines.splice(i, 0, lines[i]); // duplicate
      break;
    case 1:
      lines.splice(i, 1); // drop
      break;
    case 2: {
      const j = rng.int(0, lines.length - 1);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      break;
    }
    case 3:
      lines.splice(
        i + 1,
        0,
        rng.pick([
          ' folded',
          '\tfolded',
          'X-Dup: 1',
          'Host: second',
          'Content-Length: 3',
          'Transfer-Encoding: chunked',
          'Transfer-Encoding: gzip',
          'Expect: nothing',
          '',
        ]),
      );
      break;
    default:
      lines[i] = lines[i].replace(
        rng.pick(['\r\n', ' ', ':', 'HTTP/1.1']),
        rng.pick(['\n', '  ', '::', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9']),
      );
  }
  return lines.join(rng.chance(0.1) ? '\n' : '\r\n');
}

function mutate(original: string, rng: Rng): { bytes: Buffer; applied: string[] } {
  let text = original;
  const applied: string[] = [];
  const count = rng.int(1, 3);
  for (let m = 0; m < count; m++) {
    const at = rng.int(0, Math.max(0, text.length - 1));
    switch (rng.int(0, 7)) {
      case 0: {
        const code = text.charCodeAt(at) ^ (1 << rng.int(0, 7));
        text = text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1);
        applied.push(`flip@${at}`);
        break;
      }
      case 1: {
        const n = rng.int(1, 3);
        let inserted = '';
        for (let k = 0; k < n; k++) inserted += String.fromCharCode(injectedByte(rng));
        text = text.slice(0, at) + inserted + text.slice(at);
        applied.push(`insert@${at}`);
        break;
      }
      case 2:
        text = text.slice(0, at) + text.slice(at + rng.int(1, 4));
        applied.push(`delete@${at}`);
        break;
      case 3:
      case 4:
        text = mutateNumber(text, rng);
        applied.push('number');
        break;
      case 5:
        text = mutateLines(text, rng);
        applied.push('lines');
        break;
      case 6:
        text = text.slice(0, at);
        applied.push(`truncate@${at}`);
        break;
      default: {
        const code = injectedByte(rng);
        text = text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1);
        applied.push(`replace@${at}`);
      }
    }
  }
  return { bytes: Buffer.from(text, 'latin1'), applied };
}

// --- handlers -------------------------------------------------------------------------------

interface Mode {
  name: string;
  handler: (seen: Request[]) => Handler;
  /** What the error logger may report for this mode (a handler's own failure), by message. */
  allowedErrors: RegExp[];
}

const MODES: Mode[] = [
  {
    name: 'sync',
    handler: (seen) => (req) => (seen.push(req), { status: 200, body: `sync ${req.requestMethod} ${req.uri}` }),
    allowedErrors: [],
  },
  {
    name: 'async',
    handler: (seen) => async (req) => {
      seen.push(req);
      await sleep(seen.length % 3);
      return `async ${req.uri}`;
    },
    allowedErrors: [],
  },
  {
    name: 'read-body',
    handler: (seen) => async (req) => {
      seen.push(req);
      const text = req.body === null ? '' : await req.body.text();
      return { status: 200, body: `read ${text.length}` };
    },
    // A body cut off by the client or by a framing error ends the handler's read with an error.
    allowedErrors: [/^Handler failed for /],
  },
  {
    name: 'stream-response',
    handler: (seen) => (req) => {
      seen.push(req);
      return {
        status: 200,
        body: Readable.from(
          (async function* () {
            for (let i = 0; i < 3; i++) {
              await tick();
              yield `part ${i} `;
            }
          })(),
        ),
      };
    },
    allowedErrors: [],
  },
  {
    name: 'echo-body',
    handler: (seen) => (req) => (seen.push(req), { status: 200, body: req.body ?? 'no body' }),
    // The request body is the response body: when it is cut off the response is too.
    allowedErrors: [/^Response to .* failed mid-body; closing the connection$/],
  },
  {
    name: 'channel-later',
    handler: (seen) => (req) => {
      seen.push(req);
      const delay = seen.length % 4;
      return asChannel(req, { onOpen: (ch) => void setTimeout(() => ch.send({ status: 200, body: `late ${req.uri}` }), delay) });
    },
    // A request mutated into a WebSocket upgrade: refused 501, and the missing import named once.
    allowedErrors: [/was never imported/],
  },
  {
    name: 'channel-stream',
    handler: (seen) => (req) => {
      seen.push(req);
      return asChannel(req, {
        onOpen: (ch) => {
          ch.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
          setTimeout(() => {
            ch.send('chunk 1 ');
            setImmediate(() => {
              ch.send('chunk 2');
              ch.close();
            });
          }, 1);
        },
      });
    },
    // A request mutated into a WebSocket upgrade: refused 501, and the missing import named once.
    allowedErrors: [/was never imported/],
  },
  {
    name: 'throws',
    handler: (seen) => (req) => {
      seen.push(req);
      if (seen.length % 2 === 0) throw new Error('sync boom');
      return Promise.reject(new Error('async boom'));
    },
    allowedErrors: [/^Handler failed for /],
  },
];

// --- one case ----------------------------------------------------------------------------------

const OPTIONS = { keepAliveTimeout: 150, headersTimeout: 300, bodyTimeout: 300, maxBody: 4096, maxLine: 1024, maxHeaderSize: 2048 };

function finalStatuses(responses: RawResponse[]): number[] {
  return responses.filter((r) => r.status >= 200).map((r) => r.status);
}

/** Final statuses seen over the run, for the summary line. */
const tally = new Map<string, number>();

async function runCase(started: Started, mode: Mode, seen: Request[], index: number): Promise<string[]> {
  const rng = new Rng((SEED ^ Math.imul(MODES.indexOf(mode) + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const seed = rng.pick(SEEDS);
  const control = rng.chance(0.12); // unmutated: must simply work
  let bytes: Buffer;
  let applied: string[] = [];
  if (control) {
    bytes = Buffer.from(seed.bytes, 'latin1');
  } else {
    const mutated = mutate(seed.bytes, rng);
    applied = mutated.applied;
    bytes = Buffer.concat([mutated.bytes, Buffer.from(SENTINEL, 'latin1')]);
  }
  const cuts = Array.from({ length: rng.int(0, 3) }, () => rng.int(1, Math.max(1, bytes.length - 1))).sort((a, b) => a - b);
  const delay = rng.pick([0, 1, 2]);
  // A FIN from a client whose request a channel holds means "gone" (see channels-lifecycle):
  // channel modes keep the socket open and rely on the server's timeouts to close.
  const halfClose = rng.chance(0.75) && !mode.name.startsWith('channel');
  const label = `seed=${SEED} mode=${mode.name} case=${index} from="${seed.name}" mutations=[${applied.join(',')}] cuts=[${cuts}] delay=${delay} halfClose=${halfClose} bytes=${printableBytes(bytes)}`;
  const problems: string[] = [];
  const { server } = started;
  const seenBefore = seen.length;

  const client = await RawClient.connect(started.port);
  await client.writeSplit(bytes, cuts, delay);
  if (halfClose) client.end();
  const result = await client.readUntilClose({ timeout: CLOSE_BOUND_MS });
  const requests = seen.slice(seenBefore).map((r) => r.uri);

  if (result.timedOut) problems.push(`no close within ${CLOSE_BOUND_MS} ms`);
  let responses: RawResponse[] = [];
  let rest: Buffer = Buffer.alloc(0);
  try {
    ({ responses, rest } = parseResponses(result.bytes, { eof: true }));
  } catch (error) {
    problems.push(`unparseable responses: ${(error as Error).message}`);
  }
  const statuses = finalStatuses(responses);
  const key = statuses.length === 0 ? 'none' : statuses.join('+');
  tally.set(key, (tally.get(key) ?? 0) + 1);
  const streamed = mode.name === 'stream-response' || mode.name === 'echo-body' || mode.name === 'channel-stream';
  if (rest.length > 0) {
    // Only a streamed response may be cut off (its request failed after the head went out).
    if (!(streamed && /^HTTP\/1\.[01] 200 /.test(rest.toString('latin1'))))
      problems.push(`bytes that are no response: ${printableBytes(rest, 200)}`);
  }
  for (const response of responses) {
    if (!/^HTTP\/1\.[01]$/.test(response.version)) problems.push(`bad version ${response.version}`);
    if (response.status < 200 && response.status !== 100) problems.push(`unexpected ${response.status}`);
    if (response.status >= 200 && !ALLOWED_STATUSES.has(response.status)) problems.push(`unexpected status ${response.status}`);
  }
  const rejectAt = statuses.findIndex((s) => REJECT_STATUSES.has(s));
  if (rejectAt !== -1) {
    if (rejectAt !== statuses.length - 1) problems.push(`responses after a ${statuses[rejectAt]}: ${statuses}`);
    if (!result.closedByServer) problems.push(`connection left open after ${statuses[rejectAt]}`);
    if (requests.includes('/__sentinel')) problems.push(`the handler saw the request sent after a ${statuses[rejectAt]}`);
  }
  // One request is handled at a time: at most one dispatched request lacks its handler's answer.
  const handlerAnswers = statuses.filter((s) => !REJECT_STATUSES.has(s)).length;
  if (handlerAnswers > requests.length) problems.push(`${handlerAnswers} handler answers for ${requests.length} dispatched requests`);
  if (requests.length > handlerAnswers + 1) problems.push(`${requests.length} requests dispatched, ${handlerAnswers} answered`);
  if (control) {
    const expected = mode.name === 'throws' ? 500 : 200;
    if (statuses.length !== seed.requests || statuses.some((s) => s !== expected))
      problems.push(`unmutated request: expected ${seed.requests} x ${expected}, got [${statuses}]`);
  }

  // The connection (and any channel) is gone promptly once the client is.
  try {
    await eventually(() => server.connectionCount === 0 && server.pendingCount === 0, 2_500, 'connectionCount and pendingCount 0');
  } catch {
    problems.push(`after the case: connectionCount=${server.connectionCount} pendingCount=${server.pendingCount}`);
  }
  return problems.map(
    (p) => `${p} -- statuses=[${statuses}] dispatched=[${requests}] -- ${label} -- received=${printableBytes(result.bytes, 300)}`,
  );
}

describe(`mutation fuzz (seed ${SEED})`, () => {
  it('every mutated request gets well-formed answers or a close; nothing leaks', { timeout: 60_000 }, async () => {
    const failures: string[] = [];
    const runs: Array<{ mode: Mode; started: Started; seen: Request[] }> = [];
    for (const mode of MODES) {
      const seen: Request[] = [];
      runs.push({ mode, started: await servers.start(mode.handler(seen), OPTIONS), seen });
    }
    // Modes run side by side; each mode's cases run one after another so that what its
    // handler sees belongs to the case on the wire.
    await Promise.all(
      runs.map(async ({ mode, started, seen }) => {
        for (let i = 0; i < CASES_PER_MODE; i++) failures.push(...(await runCase(started, mode, seen, i)));
      }),
    );

    for (const { mode, started } of runs) {
      for (const { message, error } of started.errors) {
        if (!mode.allowedErrors.some((pattern) => pattern.test(message)))
          failures.push(`seed=${SEED} mode=${mode.name}: unexpected error log "${message}": ${String(error)}`);
      }
      for (const warning of started.warnings) failures.push(`seed=${SEED} mode=${mode.name}: unexpected warning "${warning}"`);
      const server: HttpServer = started.server;
      expect(server.connectionCount, `seed=${SEED} ${mode.name}`).toBe(0);
      expect(server.pendingCount, `seed=${SEED} ${mode.name}`).toBe(0);
      const stopAt = Date.now();
      await server.stop({ timeout: 1_000 });
      expect(Date.now() - stopAt, `seed=${SEED} ${mode.name}: stop() took too long`).toBeLessThan(200);
    }
    const summary = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}:${n}`);
    console.log(`fuzz-mutation seed=${SEED}: ${MODES.length * CASES_PER_MODE} cases; statuses ${summary.join(' ')}`);
    expect(processErrors, `seed=${SEED}`).toEqual({ uncaught: [], unhandled: [] });
    expect(failures, `seed=${SEED}: ${failures.length} failing case(s)`).toEqual([]);
  });
});
