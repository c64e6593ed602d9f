#!/usr/bin/env node
// Parser throughput on the same request bytes, one request per `execute` (one read per request,
// as on a keep-alive connection), for:
//   ours    - HttpParser from @http-kit/http1/codec (our binding over llhttp's wasm)
//   native  - Node's own llhttp (process.binding('http_parser')), wired up as _http_common does
//   wrapper - the Parser class that ships in the llhttp-wasm package
// Each delivers the same things to its consumer: method, URL and header names/values as strings,
// the keep-alive flag, and the body bytes.
//
// Usage: node bench/parser-bench.mjs [--smoke] [--rounds N] [--json]
//   --smoke   ~1 s in all (CI); the figures are then rough.
//   --rounds  rounds over all parsers, interleaved (default 5; smoke 1). Figures are medians over
//             rounds, ratios the median of each round's ratio: steadier on a shared machine.
//   --json    prints one JSON line with the figures after the table.
// Targets: ours/native >= 0.85x. Missing a target is reported, not an error (exit 0).
import { Bench } from 'tinybench';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { warnIfStaleBuild } from './lib/children.mjs';

const require = createRequire(import.meta.url);
const smoke = process.argv.includes('--smoke');
const json = process.argv.includes('--json');
const roundsAt = process.argv.indexOf('--rounds');
const rounds = Math.max(1, roundsAt === -1 ? (smoke ? 1 : 5) : Math.round(Number(process.argv[roundsAt + 1])) || 1);

let http1;
try {
  http1 = await import('@http-kit/http1/codec');
} catch (error) {
  console.error(`parser-bench: cannot import @http-kit/http1/codec (${error.message}); build first: node scripts/build.mjs --no-types`);
  process.exit(1);
}
const { HttpParser, TYPE_REQUEST } = http1;
if (typeof HttpParser !== 'function') {
  console.error('parser-bench: @http-kit/http1/codec exports no HttpParser; rebuild: node scripts/build.mjs --no-types');
  process.exit(1);
}
const llhttpWasm = require('llhttp-wasm');
warnIfStaleBuild('parser-bench');

const TARGET_VS_NATIVE = 0.85;
/** Executes per measured call: one execute (~1 us) is too short to time on its own. */
const BATCH = 64;

// --- the requests -------------------------------------------------------------------------

const CRLF = '\r\n';
const browserGet = Buffer.from(
  [
    'GET /articles/2024/parsers?page=2 HTTP/1.1',
    'Host: www.example.com',
    'Connection: keep-alive',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Encoding: gzip, deflate, br',
    'Accept-Language: en-GB,en;q=0.9',
    'Cookie: session=0123456789abcdef; theme=dark',
    'Sec-Fetch-Mode: navigate',
    'Upgrade-Insecure-Requests: 1',
  ].join(CRLF) +
    CRLF +
    CRLF,
  'latin1',
);
const smallPostBody = '{"id":42,"ok":true}';
const smallPost = Buffer.from(
  ['POST /api/v1/events HTTP/1.1', 'Host: api', 'Content-Type: application/json', `Content-Length: ${smallPostBody.length}`].join(CRLF) +
    CRLF +
    CRLF +
    smallPostBody,
  'latin1',
);

const REQUESTS = [
  { name: 'browser GET', bytes: browserGet, url: '/articles/2024/parsers?page=2', headerCount: 9, bodyLength: 0 },
  { name: 'small POST', bytes: smallPost, url: '/api/v1/events', headerCount: 3, bodyLength: smallPostBody.length },
];

// --- the parsers, each behind the same small interface ------------------------------------

/** What every consumer keeps of a message, so no parser's work can be optimised away. */
class Sink {
  messages = 0;
  method = '';
  url = '';
  headers = [];
  keepAlive = false;
  bodyLength = 0;
}

/** Our binding: events on a long-lived object, as the server uses it. */
function ours() {
  const sink = new Sink();
  const events = {
    onMessageBegin() {
      sink.bodyLength = 0;
      return 0;
    },
    onHeadersComplete(p, _upgrade, keepAlive) {
      sink.method = p.methodName;
      sink.url = p.url;
      sink.headers = p.rawHeaders;
      sink.keepAlive = keepAlive;
      return 0;
    },
    onBody(_p, chunk) {
      sink.bodyLength += chunk.length;
      return 0;
    },
    onMessageComplete() {
      sink.messages++;
      return 0;
    },
  };
  const parser = HttpParser.acquire(TYPE_REQUEST, events);
  return {
    sink,
    execute(bytes) {
      if (parser.execute(bytes) !== 0) throw new Error(`ours: ${parser.errorName} ${parser.errorReason}`);
    },
  };
}

/** Node's native llhttp, set up the way lib/_http_common.js and lib/_http_server.js do. */
function native() {
  const noDeprecation = process.noDeprecation;
  process.noDeprecation = true; // process.binding is deprecated (DEP0111) but still the only way in
  const { HTTPParser, methods } = process.binding('http_parser');
  process.noDeprecation = noDeprecation;
  const sink = new Sink();
  const parser = new HTTPParser();
  // Headers beyond 32 pairs, or cut by a read, arrive early through kOnHeaders.
  let pendingHeaders = [];
  let pendingUrl = '';
  parser[HTTPParser.kOnMessageBegin] = () => {
    sink.bodyLength = 0;
    pendingHeaders = [];
    pendingUrl = '';
  };
  parser[HTTPParser.kOnHeaders] = (headers, url) => {
    pendingHeaders = pendingHeaders.length === 0 ? headers : pendingHeaders.concat(headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (_major, _minor, headers, method, url, _status, _statusMessage, _upgrade, keepAlive) => {
    sink.method = methods[method];
    sink.url = url === undefined ? pendingUrl : url;
    sink.headers = headers === undefined ? pendingHeaders : headers;
    sink.keepAlive = keepAlive;
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk) => {
    sink.bodyLength += chunk.length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    sink.messages++;
  };
  parser[HTTPParser.kOnExecute] = null;
  parser.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
  return {
    sink,
    execute(bytes) {
      const result = parser.execute(bytes);
      if (typeof result !== 'number') throw result;
    },
  };
}

/** The Parser class shipped in llhttp-wasm (copies each chunk into a fresh malloc). */
function wrapper() {
  const sink = new Sink();
  // createParser looks its argument up in TYPE by name: TYPE.REQUEST (a number) would give BOTH.
  const parser = llhttpWasm.createParser('REQUEST');
  parser.onMessageBegin = () => {
    sink.bodyLength = 0;
    return 0;
  };
  parser.onHeadersComplete = (message) => {
    sink.method = message.method;
    sink.url = message.url;
    sink.headers = message.rawHeaders;
    sink.keepAlive = message.shouldKeepAlive;
    return 0;
  };
  parser.onBody = (chunk) => {
    sink.bodyLength += chunk.length;
    return 0;
  };
  parser.onMessageComplete = () => {
    sink.messages++;
    return 0;
  };
  return {
    sink,
    execute(bytes) {
      const code = parser.execute(bytes);
      if (code !== 0) throw new Error(`wrapper: ${parser.getErrorName(code)}`);
    },
  };
}

const PARSERS = { ours, native, wrapper };

// --- check, then measure ------------------------------------------------------------------

/** Every parser must see the same message before its speed means anything. */
function check(name, instance, request) {
  const before = instance.sink.messages;
  instance.execute(request.bytes);
  const { sink } = instance;
  const problems = [];
  if (sink.messages !== before + 1) problems.push(`messages ${sink.messages - before}`);
  if (sink.url !== request.url) problems.push(`url ${JSON.stringify(sink.url)}`);
  if (sink.headers.length !== request.headerCount * 2) problems.push(`header strings ${sink.headers.length}`);
  if (sink.bodyLength !== request.bodyLength) problems.push(`body ${sink.bodyLength}`);
  if (!sink.keepAlive) problems.push('not keep-alive');
  if (problems.length > 0) throw new Error(`${name} on ${request.name}: ${problems.join(', ')}`);
}

/** Other work on the machine skews every figure here; printed so a reader can judge. */
const loadAtStart = loadavg()[0].toFixed(2);

const tasks = [];
for (const request of REQUESTS) {
  for (const [name, make] of Object.entries(PARSERS)) {
    const instance = make();
    check(name, instance, request);
    const { bytes } = request;
    tasks.push({
      parser: name,
      request: request.name,
      fn: () => {
        for (let i = 0; i < BATCH; i++) instance.execute(bytes);
      },
    });
  }
}

// Warm every parser up before any is measured: JS and wasm tier up in the background, and in
// tinybench's short per-task warm-up the first task measured would otherwise still run cold.
for (const task of tasks) {
  const until = performance.now() + (smoke ? 40 : 200);
  while (performance.now() < until) task.fn();
}

/** samples[request][parser] = requests/s, one per round. */
const samples = {};
for (let round = 0; round < rounds; round++) {
  const bench = new Bench({
    time: smoke ? 100 : 400,
    warmupTime: smoke ? 30 : round === 0 ? 300 : 50,
    iterations: 10,
    throws: true,
  });
  for (const task of tasks) bench.add(`${task.parser}|${task.request}`, task.fn);
  await bench.run();
  for (const task of bench.tasks) {
    const [parser, request] = task.name.split('|');
    ((samples[request] ??= {})[parser] ??= []).push(task.result.throughput.mean * BATCH);
  }
}

// --- report -------------------------------------------------------------------------------

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const roundRatios = (byParser, a, b) => median(byParser[a].map((value, i) => value / byParser[b][i]));

const rows = [];
const figures = {};
const ratios = {};
for (const [request, byParser] of Object.entries(samples)) {
  for (const [parser, values] of Object.entries(byParser)) {
    const perSecond = median(values);
    (figures[request] ??= {})[parser] = perSecond;
    const spread = rounds > 1 ? `${Math.round(Math.min(...values) / 1000)}k-${Math.round(Math.max(...values) / 1000)}k` : '';
    rows.push({
      request,
      parser,
      'requests/s': Math.round(perSecond).toLocaleString('en-US'),
      ...(rounds > 1 ? { 'min-max': spread } : {}),
    });
  }
  ratios[request] = { vsNative: roundRatios(byParser, 'ours', 'native'), vsWrapper: roundRatios(byParser, 'ours', 'wrapper') };
}
console.log(
  `parser-bench${smoke ? ' (smoke: rough figures)' : ''}: one request per execute, ${rounds} round(s), node ${process.version}, load average ${loadAtStart}`,
);
console.table(rows);
let missed = false;
for (const [request, { vsNative, vsWrapper }] of Object.entries(ratios)) {
  const ok = vsNative >= TARGET_VS_NATIVE;
  if (!ok) missed = true;
  console.log(
    `${request.padEnd(12)} ours/native ${vsNative.toFixed(2)}x (target >= ${TARGET_VS_NATIVE}x: ${ok ? 'met' : 'MISSED'})  ours/wrapper ${vsWrapper.toFixed(2)}x`,
  );
}
if (missed) console.log('parser-bench: a target was missed (reported only; exit code stays 0)');
if (json) console.log(JSON.stringify({ bench: 'parser', smoke, rounds, figures, ratios, samples }));
