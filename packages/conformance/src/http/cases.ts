/**
 * The HTTP/1.1 server suite: RFC 9110/9112 cases against a server that answers requests with
 * 2xx and echoes request bodies (h1spec's convention), each tagged MUST/SHOULD/MAY with its
 * section and judged pass (OK), warn (NON-STRICT), fail (FAILED), or INFORMATIONAL where the RFC
 * leaves the choice to the server. The framing and smuggling shapes are those of the project's
 * hardening tests (packages/http1/test/smuggling.test.ts, bad-requests.test.ts,
 * host-and-target.test.ts, framing-limits.test.ts).
 *
 * @example
 * const cases = httpServerCases({ url: 'http://127.0.0.1:8080/' });
 */
import { caseFilter, compareIds } from '../select.js';
import { type Outcome, type Requirement, Verdict } from '../verdict.js';
import type { HttpCase, HttpCaseContext, HttpServerSuiteOptions } from './context.js';
import type { HttpResponse, RawHttp } from './raw-http.js';

const GROUPS: Record<string, string> = {
  '1': '1 Request line (RFC 9112 3)',
  '2': '2 Header fields (RFC 9112 5, RFC 9110 5)',
  '3': '3 Host (RFC 9112 3.2)',
  '4': '4 Message framing and smuggling (RFC 9112 6)',
  '5': '5 Chunked transfer coding (RFC 9112 7)',
  '6': '6 Limits (RFC 9112 3, RFC 6585)',
  '7': '7 Pipelining (RFC 9112 9.3.2)',
  '8': '8 Expect: 100-continue (RFC 9110 10.1.1)',
  '9': '9 Slow senders',
};

/** A request that would be a second, hidden request if the framing were misread. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n';

interface Base {
  id: string;
  title: string;
  requirement: Requirement;
  reference: string;
}

const ok = (reason: string): Outcome => ({ verdict: Verdict.Ok, reason });
const warn = (reason: string): Outcome => ({ verdict: Verdict.NonStrict, reason });
const failed = (reason: string): Outcome => ({ verdict: Verdict.Failed, reason });
const info = (reason: string): Outcome => ({ verdict: Verdict.Informational, reason });

function define(base: Base, expectation: string, run: (ctx: HttpCaseContext) => Promise<Outcome>, timeoutMs = 30_000): HttpCase {
  return { ...base, group: GROUPS[base.id.split('.')[0]], expectation, timeoutMs, run };
}

const finals = (c: RawHttp) => c.all.filter((r) => r.status >= 200);
const describe = (r: HttpResponse | undefined) => (r === undefined ? 'no response' : `${r.status} ${r.reason}`.trim());

interface Rejection extends Base {
  /** The request bytes; `{path}` and `{host}` are filled in. */
  bytes: (ctx: HttpCaseContext) => string;
  /** Statuses that are the right refusal (default [400]). */
  statuses?: number[];
  /** What a 2xx is: never right ('fail'), allowed but not the best ('warn'), or fine ('ok'). */
  accepted?: 'fail' | 'warn' | 'ok';
  /** The server must close after refusing (RFC 9112 6.3 for framing errors). */
  closeAfter?: boolean;
  /** What follows the bad bytes is a real second request when the first is read leniently. */
  pipelinedOk?: boolean;
}

/**
 * A request the server must (or should) refuse. Judged on the first response, on whether the
 * server closed after it, and on whether the request hidden after the bytes was answered.
 */
function rejection(r: Rejection): HttpCase {
  const statuses = r.statuses ?? [400];
  const accepted = r.accepted ?? (r.requirement === 'MUST' ? 'fail' : 'warn');
  return define(
    r,
    `${statuses.join(' or ')}${r.closeAfter ? ', then the connection closed' : ''}; never an answer to a request hidden behind the bad framing.`,
    async (ctx) => {
      const c = await ctx.connect();
      const bytes = r.bytes(ctx);
      await c.write(bytes);
      await c.responses(1, 3_000);
      const closed = await c.closedWithin(r.closeAfter ? 1_500 : 300);
      if (c.malformed !== null) return failed(c.malformed);
      const answers = finals(c);
      const first = answers[0];
      if (bytes.includes(SMUGGLED) && answers.length >= 2 && !r.pipelinedOk)
        return failed(
          `answered ${answers.map(describe).join(', ')}: it read the bad framing its own way and answered the request after it; a front end reading it another way sees another request there (request smuggling)`,
        );
      if (first === undefined)
        return closed
          ? warn(`closed the connection without an answer; ${r.reference} names ${statuses.join(' or ')}`)
          : failed('no answer within 3 s and the connection stays open');
      if (statuses.includes(first.status)) {
        if (r.closeAfter && !closed)
          return warn(`answered ${describe(first)} but kept the connection open (${r.reference}: close after it)`);
        return ok(`answered ${describe(first)}${r.closeAfter ? ' and closed' : ''}`);
      }
      if (first.status >= 200 && first.status < 300) {
        if (r.pipelinedOk && answers.length >= 2)
          return ok(`read it leniently and answered both requests (${answers.map(describe).join(', ')}), as ${r.reference} allows`);
        const text = `accepted it (${describe(first)}); ${r.requirement} refuse with ${statuses.join(' or ')} (${r.reference})`;
        return accepted === 'ok' ? ok(text) : accepted === 'warn' ? warn(text) : failed(text);
      }
      if (first.status >= 400) return warn(`answered ${describe(first)}; ${r.reference} names ${statuses.join(' or ')}`);
      return failed(`answered ${describe(first)}`);
    },
  );
}

interface Acceptance extends Base {
  bytes: (ctx: HttpCaseContext) => string;
  /** The body the echo must hold (when the server echoes). */
  echo?: string;
  /** Refusing it (4xx) is allowed too (a MAY). */
  refusalAllowed?: boolean;
  /** Refusing it is a known hardening choice: NON-STRICT, not FAILED. */
  refusalTolerated?: string;
}

/** A request the server must (or may) accept: a 2xx, with the body echoed when the server echoes. */
function acceptance(a: Acceptance): HttpCase {
  return define(
    a,
    `2xx${a.echo !== undefined ? ', the body echoed' : ''}${a.refusalAllowed ? ' (refusing it is allowed too)' : ''}.`,
    async (ctx) => {
      const c = await ctx.connect();
      await c.write(a.bytes(ctx));
      const [first] = await c.responses(1, 3_000);
      if (c.malformed !== null) return failed(c.malformed);
      if (first === undefined) return failed(c.ended ? 'closed the connection without an answer' : 'no answer within 3 s');
      if (first.status >= 200 && first.status < 300) {
        if (ctx.echo && a.echo !== undefined && first.body.toString('latin1') !== a.echo)
          return failed(
            `answered ${describe(first)} with the body ${JSON.stringify(first.body.toString('latin1').slice(0, 80))}, expected the echo ${JSON.stringify(a.echo)}`,
          );
        return ok(`answered ${describe(first)}`);
      }
      if (a.refusalAllowed && first.status >= 400 && first.status < 500)
        return ok(`refused it with ${describe(first)}, which ${a.reference} allows`);
      if (a.refusalTolerated !== undefined && first.status >= 400 && first.status < 500)
        return warn(`refused it with ${describe(first)}: ${a.refusalTolerated}`);
      return a.requirement === 'MUST'
        ? failed(`answered ${describe(first)}; ${a.reference}: it must be accepted`)
        : warn(`answered ${describe(first)}; ${a.reference}: it should be accepted`);
    },
  );
}

const get = (ctx: HttpCaseContext, ...extra: string[]) => ctx.request(['GET {path} HTTP/1.1', 'Host: {host}', ...extra]);
const post = (ctx: HttpCaseContext, headers: string[], body: string) =>
  ctx.request(['POST {path} HTTP/1.1', 'Host: {host}', ...headers], body);

function requestLine(): HttpCase[] {
  const bad = (id: string, title: string, bytes: string, extra: Partial<Rejection> = {}) =>
    rejection({ id, title, requirement: 'MUST', reference: 'RFC 9112 3', bytes: () => bytes, ...extra });
  return [
    acceptance({ id: '1.1', title: 'A plain GET', requirement: 'MUST', reference: 'RFC 9112 3', bytes: (ctx) => get(ctx) }),
    bad('1.2', 'A method only', 'GET\r\n\r\n'),
    bad('1.3', 'No request target', 'GET HTTP/1.1\r\nHost: x\r\n\r\n'),
    bad('1.4', 'A word after the HTTP-version', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'),
    rejection({
      id: '1.5',
      title: 'HTTP/9.1 (an unknown major version)',
      requirement: 'SHOULD',
      reference: 'RFC 9110 15.6.6',
      statuses: [505, 400],
      bytes: () => 'GET / HTTP/9.1\r\nHost: x\r\n\r\n',
    }),
    bad('1.6', 'A lower-case protocol name (http/1.1)', 'GET / http/1.1\r\nHost: x\r\n\r\n', { reference: 'RFC 9112 2.3' }),
    bad('1.7', 'A method with a non-token character (G@T)', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', { reference: 'RFC 9110 9.1' }),
    rejection({
      id: '1.8',
      title: 'A space inside the request target',
      requirement: 'SHOULD',
      reference: 'RFC 9112 3.2',
      statuses: [400, 301],
      bytes: () => 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
    }),
    bad('1.9', 'A control character in the request target', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'),
    // HTTP/0.9 is obsolete, not forbidden (RFC 9112 C.1): answering it is NON-STRICT.
    bad('1.10', 'An HTTP/0.9 request line ("GET /")', 'GET /\r\nHost: x\r\n\r\n', { requirement: 'SHOULD', reference: 'RFC 9112 3, C.1' }),
    bad('1.11', 'Binary garbage (a TLS hello)', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'),
    acceptance({
      id: '1.12',
      title: 'An empty line (CRLF) before the request line',
      requirement: 'SHOULD',
      reference: 'RFC 9112 2.2',
      bytes: (ctx) => `\r\n${get(ctx)}`,
    }),
    acceptance({
      id: '1.13',
      title: 'Two spaces between request-line words',
      requirement: 'MAY',
      reference: 'RFC 9112 3',
      refusalAllowed: true,
      bytes: (ctx) => ctx.request(['GET  {path} HTTP/1.1', 'Host: {host}']),
    }),
    acceptance({
      id: '1.14',
      title: 'Lines ended by a bare LF',
      requirement: 'MAY',
      reference: 'RFC 9112 2.2',
      refusalAllowed: true,
      bytes: (ctx) => `GET ${ctx.target.path} HTTP/1.1\nHost: ${ctx.target.authority}\n\n`,
    }),
    acceptance({
      id: '1.15',
      title: 'An absolute-form target (http://host/path)',
      requirement: 'MUST',
      reference: 'RFC 9112 3.2.2',
      bytes: (ctx) => ctx.request([`GET http://${ctx.target.authority}${ctx.target.path} HTTP/1.1`, 'Host: {host}']),
    }),
  ];
}

function headerFields(): HttpCase[] {
  // No request follows these: a bad header line hides nothing, it is only accepted or refused.
  const bad = (id: string, title: string, line: string, extra: Partial<Rejection> = {}) =>
    rejection({ id, title, requirement: 'SHOULD', reference: 'RFC 9112 5', bytes: (ctx) => get(ctx, line), ...extra });
  return [
    bad('2.1', 'A header line without a colon', 'NoColonHere'),
    bad('2.2', 'A header with an empty name', ': value'),
    bad('2.3', 'A header name with "("', 'X(A): b', { reference: 'RFC 9110 5.1' }),
    bad('2.4', 'A header name with a non-ASCII byte', 'X\xe9: b', { reference: 'RFC 9110 5.1' }),
    bad('2.5', 'Whitespace between a header name and the colon', 'X-A : b', { reference: 'RFC 9112 5.1', requirement: 'MUST' }),
    rejection({
      id: '2.6',
      title: 'obs-fold (a continuation line)',
      requirement: 'MUST',
      reference: 'RFC 9112 5.2',
      accepted: 'ok',
      bytes: (ctx) => get(ctx, 'X-A: a', ' b'),
    }),
    rejection({
      id: '2.7',
      title: 'A bare CR in a header value',
      requirement: 'MUST',
      reference: 'RFC 9112 2.2',
      accepted: 'warn',
      bytes: (ctx) => get(ctx, 'X-A: a\rb'),
    }),
    rejection({
      id: '2.8',
      title: 'A NUL in a header value',
      requirement: 'MUST',
      reference: 'RFC 9110 5.5',
      accepted: 'warn',
      bytes: (ctx) => get(ctx, 'X-A: a\x00b'),
    }),
    rejection({
      id: '2.9',
      title: 'A DEL byte in a header value',
      requirement: 'SHOULD',
      reference: 'RFC 9110 5.5',
      bytes: (ctx) => get(ctx, 'X-A: a\x7fb'),
    }),
    rejection({
      id: '2.10',
      title: 'A bare LF inside a header value ("a\\nb")',
      requirement: 'SHOULD',
      reference: 'RFC 9112 2.2',
      bytes: (ctx) => get(ctx, 'X-A: a\nb'),
    }),
    rejection({
      id: '2.11',
      title: 'Whitespace before the first header line',
      requirement: 'MUST',
      reference: 'RFC 9112 2.2',
      accepted: 'ok',
      bytes: (ctx) => ctx.request(['GET {path} HTTP/1.1', ' X-A: b', 'Host: {host}']),
    }),
    acceptance({
      id: '2.12',
      title: 'Header names in any case, values with obs-text and surrounding whitespace',
      requirement: 'MUST',
      reference: 'RFC 9110 5.1, 5.5',
      bytes: (ctx) => get(ctx, 'x-LoWeR: \t v \t', 'X-Obs: caf\xe9'),
    }),
  ];
}

function host(): HttpCase[] {
  const bad = (id: string, title: string, lines: string[]) =>
    rejection({
      id,
      title,
      requirement: 'MUST',
      reference: 'RFC 9112 3.2',
      bytes: (ctx) => ctx.request(['GET {path} HTTP/1.1', ...lines]),
    });
  return [
    bad('3.1', 'HTTP/1.1 without Host', ['X-A: b']),
    bad('3.2', 'Two Host headers', ['Host: a.example', 'Host: b.example']),
    bad('3.3', 'Two Host headers with the same value', ['Host: a.example', 'Host: a.example']),
    bad('3.4', 'A Host with a space ("a b")', ['Host: a b']),
    bad('3.5', 'A Host with two ports ("a:1:2")', ['Host: a:1:2']),
    bad('3.6', 'A Host with userinfo ("u@a.example")', ['Host: u@a.example']),
    bad('3.7', 'A Host list ("a.example, b.example")', ['Host: a.example, b.example']),
    acceptance({
      id: '3.8',
      title: 'An absolute-form target whose host differs from Host (the target wins)',
      requirement: 'MUST',
      reference: 'RFC 9112 3.2.2',
      refusalTolerated:
        'RFC 9112 3.2.2 says to ignore Host and use the target; refusing the disagreement is a hardening choice (a proxy in front may have routed by Host)',
      bytes: (ctx) => ctx.request([`GET http://${ctx.target.authority}${ctx.target.path} HTTP/1.1`, 'Host: other.example']),
    }),
    acceptance({
      id: '3.9',
      title: 'HTTP/1.0 without Host',
      requirement: 'SHOULD',
      reference: 'RFC 9112 3.2',
      bytes: (ctx) => ctx.request(['GET {path} HTTP/1.0']),
    }),
  ];
}

function framing(): HttpCase[] {
  const body = (id: string, title: string, headers: string[], payload: string, extra: Partial<Rejection> = {}) =>
    rejection({
      id,
      title,
      requirement: 'MUST',
      reference: 'RFC 9112 6.3',
      closeAfter: true,
      bytes: (ctx) => post(ctx, headers, payload) + SMUGGLED,
      ...extra,
    });
  return [
    body(
      '4.1',
      'Content-Length and Transfer-Encoding: chunked together',
      ['Content-Length: 6', 'Transfer-Encoding: chunked'],
      '0\r\n\r\n',
      { reference: 'RFC 9112 6.1', requirement: 'MAY', accepted: 'ok' },
    ),
    body('4.2', 'Transfer-Encoding before Content-Length', ['Transfer-Encoding: chunked', 'Content-Length: 44'], '0\r\n\r\n', {
      reference: 'RFC 9112 6.1',
      requirement: 'MAY',
      accepted: 'ok',
    }),
    body('4.3', 'Two equal Content-Length headers', ['Content-Length: 5', 'Content-Length: 5'], 'hello', {
      reference: 'RFC 9110 8.6',
      requirement: 'MAY',
      pipelinedOk: true,
      closeAfter: false,
    }),
    body('4.4', 'Two differing Content-Length headers', ['Content-Length: 5', 'Content-Length: 49'], 'hello'),
    body('4.5', 'A Content-Length list "5, 5"', ['Content-Length: 5, 5'], 'hello', {
      reference: 'RFC 9110 8.6',
      requirement: 'MAY',
      pipelinedOk: true,
      closeAfter: false,
    }),
    ...['+5', '-5', '0x5', '5 5', '5.0', '99999999999999999999', ''].map((value, i) =>
      body(`4.${6 + i}`, `Content-Length "${value}"`, [`Content-Length: ${value}`], 'hello'),
    ),
    body('4.13', 'Transfer-Encoding "chunked, gzip" (chunked not last)', ['Transfer-Encoding: chunked, gzip'], '0\r\n\r\n'),
    body('4.14', 'Transfer-Encoding "gzip" alone', ['Transfer-Encoding: gzip'], '0\r\n\r\n', { statuses: [400, 501] }),
    body('4.15', 'Transfer-Encoding "identity"', ['Transfer-Encoding: identity'], '0\r\n\r\n', { statuses: [400, 501] }),
    body(
      '4.16',
      'Transfer-Encoding "chunked" then "gzip" on two lines',
      ['Transfer-Encoding: chunked', 'Transfer-Encoding: gzip'],
      '0\r\n\r\n',
    ),
    body('4.17', 'chunked applied twice', ['Transfer-Encoding: chunked, chunked'], '0\r\n\r\n', {
      reference: 'RFC 9112 7',
      requirement: 'SHOULD',
    }),
    body('4.18', 'Transfer-Encoding "xchunked"', ['Transfer-Encoding: xchunked'], '0\r\n\r\n', { statuses: [400, 501] }),
    body('4.19', 'Whitespace before the colon of Content-Length', ['Content-Length : 5'], 'hello', { reference: 'RFC 9112 5.1' }),
    body('4.20', 'Whitespace before the colon of Transfer-Encoding', ['Transfer-Encoding : chunked'], '0\r\n\r\n', {
      reference: 'RFC 9112 5.1',
    }),
    rejection({
      id: '4.21',
      title: 'Transfer-Encoding: chunked in an HTTP/1.0 request',
      requirement: 'MUST',
      reference: 'RFC 9112 6.1',
      closeAfter: true,
      accepted: 'ok',
      bytes: (ctx) =>
        `${ctx.request(['POST {path} HTTP/1.0', 'Host: {host}', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n')}${SMUGGLED}`,
    }),
    acceptance({
      id: '4.22',
      title: 'A POST with Content-Length',
      requirement: 'MUST',
      reference: 'RFC 9112 6.2',
      echo: 'hello',
      bytes: (ctx) => post(ctx, ['Content-Length: 5'], 'hello'),
    }),
    acceptance({
      id: '4.23',
      title: 'A POST with Content-Length: 0',
      requirement: 'MUST',
      reference: 'RFC 9112 6.2',
      echo: '',
      bytes: (ctx) => post(ctx, ['Content-Length: 0'], ''),
    }),
  ];
}

function chunked(): HttpCase[] {
  const good = (id: string, title: string, payload: string, echo: string, reference = 'RFC 9112 7.1') =>
    acceptance({ id, title, requirement: 'MUST', reference, echo, bytes: (ctx) => post(ctx, ['Transfer-Encoding: chunked'], payload) });
  const bad = (id: string, title: string, payload: string, requirement: Requirement = 'MUST') =>
    rejection({
      id,
      title,
      requirement,
      reference: 'RFC 9112 7.1',
      closeAfter: true,
      bytes: (ctx) => post(ctx, ['Transfer-Encoding: chunked'], payload) + SMUGGLED,
    });
  return [
    good('5.1', 'A chunked body', '5\r\nhello\r\n0\r\n\r\n', 'hello'),
    good('5.2', 'Several chunks', '2\r\nhe\r\n3\r\nllo\r\n1\r\n!\r\n0\r\n\r\n', 'hello!'),
    good('5.3', 'A chunk extension (ignored)', '5;ext=1\r\nhello\r\n0\r\n\r\n', 'hello', 'RFC 9112 7.1.1'),
    good('5.4', 'A chunk extension with a quoted value', '5;a="b c";d\r\nhello\r\n0\r\n\r\n', 'hello', 'RFC 9112 7.1.1'),
    good('5.5', 'A trailer field', '5\r\nhello\r\n0\r\nX-Trailer: v\r\n\r\n', 'hello', 'RFC 9112 7.1.2'),
    good('5.6', 'Upper-case hex and leading zeros in chunk sizes', '0005\r\nhello\r\n00A\r\n0123456789\r\n0\r\n\r\n', 'hello0123456789'),
    bad('5.7', 'Chunk size "0x5"', '0x5\r\nhello\r\n0\r\n\r\n'),
    bad('5.8', 'Chunk size "-5"', '-5\r\nhello\r\n0\r\n\r\n'),
    bad('5.9', 'Chunk size "5 5"', '5 5\r\nhello\r\n0\r\n\r\n'),
    bad('5.10', 'Chunk size "g"', 'g\r\nhello\r\n0\r\n\r\n'),
    bad('5.11', 'A chunk size that overflows 64 bits', 'ffffffffffffffffff\r\nhello\r\n0\r\n\r\n'),
    bad('5.12', 'Chunk data longer than its size', '3\r\nhello\r\n0\r\n\r\n'),
    bad('5.13', 'A chunk size line ended by a bare LF', '5\nhello\r\n0\r\n\r\n', 'SHOULD'),
    bad('5.14', 'Chunk data not followed by CRLF', '5\r\nhelloXX0\r\n\r\n'),
    bad('5.15', 'A trailer field without a colon', '5\r\nhello\r\n0\r\nNoColon\r\n\r\n', 'SHOULD'),
  ];
}

function limits(): HttpCase[] {
  const big = (
    id: string,
    title: string,
    statuses: number[],
    reference: string,
    bytes: (ctx: HttpCaseContext) => string,
    waitingIsFine = false,
  ) =>
    define(
      { id, title, requirement: 'SHOULD', reference },
      `${statuses.join(' or ')} (a server may accept it: INFORMATIONAL).`,
      async (ctx) => {
        const c = await ctx.connect();
        await c.write(bytes(ctx));
        const [first] = await c.responses(1, 5_000);
        if (c.malformed !== null) return failed(c.malformed);
        if (first === undefined) {
          if (c.ended) return warn(`closed (${c.error?.code ?? 'FIN'}) without an answer; ${reference} names ${statuses.join(' or ')}`);
          return waitingIsFine
            ? info('waits for the body: no size limit checked at the head (a server may take any size)')
            : failed('no answer within 5 s');
        }
        if (statuses.includes(first.status)) return ok(`answered ${describe(first)}`);
        if (first.status >= 200 && first.status < 300) return info(`accepted it (${describe(first)})`);
        if (first.status >= 400) return warn(`answered ${describe(first)}; ${reference} names ${statuses.join(' or ')}`);
        return failed(`answered ${describe(first)}`);
      },
    );
  return [
    big('6.1', 'A request target of 1 MiB', [414], 'RFC 9112 3, RFC 9110 15.5.15', (ctx) =>
      ctx.request([`GET ${ctx.target.path}?${'a'.repeat(1 << 20)} HTTP/1.1`, 'Host: {host}']),
    ),
    big('6.2', 'One header field of 1 MiB', [431], 'RFC 6585 5', (ctx) => get(ctx, `X-Big: ${'a'.repeat(1 << 20)}`)),
    big('6.3', '10,000 header fields', [431], 'RFC 6585 5', (ctx) => get(ctx, ...Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v`))),
    big(
      '6.4',
      'Content-Length: 1 TiB, body not sent',
      [413],
      'RFC 9110 15.5.14',
      (ctx) => ctx.request(['POST {path} HTTP/1.1', 'Host: {host}', `Content-Length: ${2 ** 40}`]),
      true,
    ),
    big('6.5', 'A chunk extension of 1 MiB', [400, 413], 'RFC 9112 7.1.1', (ctx) =>
      post(ctx, ['Transfer-Encoding: chunked'], `5;x=${'a'.repeat(1 << 20)}\r\nhello\r\n0\r\n\r\n`),
    ),
  ];
}

function pipelining(): HttpCase[] {
  const run =
    (count: number, how: 'whole' | 'bytewise') =>
    async (ctx: HttpCaseContext): Promise<Outcome> => {
      const c = await ctx.connect();
      const bodies = Array.from({ length: count }, (_, i) => `request-${i + 1}`);
      await c.write(bodies.map((b) => post(ctx, [`Content-Length: ${b.length}`], b)).join(''), how);
      await c.responses(count, 5_000);
      if (c.malformed !== null) return failed(c.malformed);
      const answers = finals(c);
      if (answers.length < count)
        return failed(
          `${answers.length} of ${count} pipelined requests answered (RFC 9112 9.3.2: a server may process them in parallel but answers all, in order)`,
        );
      const bad = answers.find((r) => r.status < 200 || r.status >= 300);
      if (bad !== undefined) return failed(`answered ${describe(bad)} to a pipelined request`);
      if (ctx.echo) {
        const got = answers.map((r) => r.body.toString('latin1'));
        if (got.join('|') !== bodies.join('|')) return failed(`echoes out of order or wrong: ${JSON.stringify(got)}`);
      }
      return ok(`all ${count} answered in order`);
    };
  return [
    define(
      { id: '7.1', title: '3 POSTs pipelined in one write', requirement: 'MUST', reference: 'RFC 9112 9.3.2' },
      'Three answers, in the order of the requests.',
      run(3, 'whole'),
    ),
    define(
      { id: '7.2', title: '3 POSTs pipelined, written byte by byte', requirement: 'MUST', reference: 'RFC 9112 9.3.2' },
      'Three answers, in order.',
      run(3, 'bytewise'),
    ),
    define(
      { id: '7.3', title: '50 POSTs pipelined in one write', requirement: 'MUST', reference: 'RFC 9112 9.3.2' },
      'Fifty answers, in order.',
      run(50, 'whole'),
    ),
  ];
}

function expectContinue(): HttpCase[] {
  return [
    define(
      { id: '8.1', title: 'Expect: 100-continue, then the body once 100 came', requirement: 'MUST', reference: 'RFC 9110 10.1.1' },
      '100 (Continue) before the body is sent (or a final status at once), then the final answer.',
      async (ctx) => {
        const c = await ctx.connect();
        await c.write(ctx.request(['POST {path} HTTP/1.1', 'Host: {host}', 'Content-Length: 5', 'Expect: 100-continue']));
        const [first] = await c.responses(1, 2_000);
        if (first === undefined)
          return failed('neither 100 (Continue) nor a final status within 2 s of the head: a client waits for nothing');
        if (first.status >= 200) return ok(`answered the head at once with ${describe(first)}`);
        if (first.status !== 100) return warn(`answered ${describe(first)} before the body`);
        await c.write('hello');
        const answers = await c.responses(2, 3_000);
        const final = answers[1];
        if (final === undefined) return failed('100 came, but no final answer after the body');
        if (ctx.echo && final.status < 300 && final.body.toString() !== 'hello')
          return failed(`final answer ${describe(final)} echoed ${JSON.stringify(final.body.toString().slice(0, 40))}`);
        return final.status < 300 ? ok(`100 then ${describe(final)}`) : warn(`100 then ${describe(final)}`);
      },
    ),
    define(
      {
        id: '8.2',
        title: 'Expect: 100-continue from an HTTP/1.0 client, body sent at once',
        requirement: 'MUST',
        reference: 'RFC 9110 15.2',
      },
      'No 1xx to an HTTP/1.0 client; the final answer.',
      async (ctx) => {
        const c = await ctx.connect();
        await c.write(ctx.request(['POST {path} HTTP/1.0', 'Host: {host}', 'Content-Length: 5', 'Expect: 100-continue'], 'hello'));
        await c.responses(1, 3_000);
        await c.closedWithin(1_000);
        const interim = c.all.find((r) => r.status < 200);
        if (interim !== undefined) return failed(`sent ${describe(interim)} to an HTTP/1.0 client`);
        const final = finals(c)[0];
        return final === undefined ? failed('no answer') : ok(`answered ${describe(final)} with no 1xx`);
      },
    ),
    rejection({
      id: '8.3',
      title: 'An unknown expectation (Expect: 100-foo)',
      requirement: 'MAY',
      reference: 'RFC 9110 10.1.1',
      statuses: [417],
      accepted: 'ok',
      bytes: (ctx) => post(ctx, ['Content-Length: 5', 'Expect: 100-foo'], 'hello'),
    }),
  ];
}

function slowSenders(options: HttpServerSuiteOptions): HttpCase[] {
  const wait = options.idleWaitMs ?? 15_000;
  const stalled = (id: string, title: string, bytes: (ctx: HttpCaseContext) => string) =>
    define(
      { id, title, requirement: 'SHOULD', reference: 'RFC 9112 9.5' },
      `The server gives up on the stalled request (408 or a close) within ${wait / 1000} s.`,
      async (ctx) => {
        const c = await ctx.connect();
        await c.write(bytes(ctx));
        const closed = await c.closedWithin(wait);
        const answer = finals(c)[0];
        if (!closed)
          return warn(`still waiting after ${wait / 1000} s: a slow sender holds the connection (and its memory) as long as it likes`);
        return ok(answer === undefined ? 'closed without an answer' : `answered ${describe(answer)} and closed`);
      },
      wait + 10_000,
    );
  return [
    stalled('9.1', 'A request head that never ends', (ctx) => `GET ${ctx.target.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n`),
    stalled('9.2', 'A body of which half is sent', (ctx) => post(ctx, ['Content-Length: 10'], 'hello')),
  ];
}

/**
 * Every case of the HTTP server suite, sorted by id; `cases` keeps those matching its patterns.
 *
 * @example
 * httpServerCases({ url: 'http://127.0.0.1:8080/', cases: '4.*' }).length;
 */
export function httpServerCases(options: HttpServerSuiteOptions & { cases?: string | readonly string[] }): HttpCase[] {
  const take = caseFilter(options.cases);
  return [
    ...requestLine(),
    ...headerFields(),
    ...host(),
    ...framing(),
    ...chunked(),
    ...limits(),
    ...pipelining(),
    ...expectContinue(),
    ...slowSenders(options),
  ]
    .filter((c) => take(c.id))
    .sort((a, b) => compareIds(a.id, b.id));
}
