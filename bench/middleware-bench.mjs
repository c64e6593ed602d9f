// What @http-kit/middleware costs, each figure a ratio against a peer measured in the same run:
//
//   chain     hello world through compose(requestId(), requestLogger(...), cors(...), compress())
//             against the bare handler (wrk; target: at most 15 % fewer requests/s)
//   compress  a 20 KB JSON answer gzipped by compress(), against fastify 5 + @fastify/compress
//             (wrk with Accept-Encoding: gzip; target: at least as many requests/s)
//   handlers  the chain's own work without sockets: each middleware and the four composed, called
//             in this process on requests shaped as the server makes them, with the end hook the
//             server calls (ns a request over the bare handler; report only)
//   upload    one large file (1 GB; --smoke 64 MB) through multipart() to disk, against fastify 5 +
//             @fastify/multipart piping it to a file (target: RSS growth under 64 MB in the worst
//             round, the best round's throughput at least fastify's; each run after `sync`)
//
//   node bench/middleware-bench.mjs [--smoke] [--seconds N] [--warmup N] [--rounds N] [--upload-mb N] [--peers DIR] [--only chain,handlers,compress,upload]
//
// Each server runs in its own child process (pinned to CPU 0 when taskset and 2 CPUs are there;
// wrk and the upload client on CPU 1). Servers are measured in turn, three times each (--rounds; once with --smoke), alternating, and
// the better run of each kept, so a noisy moment hurts both sides alike. Beside requests/s each wrk
// comparison gives requests per CPU-second of the server process (/proc/<pid>/stat): on a machine
// busy with other work requests/s follow that work's load; CPU-seconds per request much less. fastify is loaded from
// --peers (default /tmp/peers; install it there, outside the project:
// `npm i --prefix /tmp/peers fastify@5 @fastify/compress @fastify/multipart`); without it those
// comparisons are skipped, saying so. Needs the built packages (npm run build).
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { canPin, libPath, nextMessage, run, startChild, stopChild, TASKSET } from './lib/children.mjs';
import { findWrk, wrkFigures } from './lib/wrk.mjs';
import { cpuSeconds } from './lib/proc.mjs';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const seconds = Number(option('--seconds', smoke ? 1 : 4));
// wrk against each server before its measured run, unmeasured (none in --smoke).
const warmup = Number(option('--warmup', smoke ? 0 : 2));
const uploadMb = Number(option('--upload-mb', smoke ? 64 : 1024));
const peers = option('--peers', '/tmp/peers');
const only = option('--only', 'chain,handlers,compress,upload').split(',');
// Rounds of each wrk comparison, the best of each side kept: more on a machine shared with other work.
const rounds = Number(option('--rounds', smoke ? 1 : 3));
const hasFastify =
  existsSync(`${peers}/node_modules/fastify`) &&
  existsSync(`${peers}/node_modules/@fastify/compress`) &&
  existsSync(`${peers}/node_modules/@fastify/multipart`);
const pin = canPin();
const CHILD = libPath('middleware-server-child.mjs');

if (!existsSync(new URL('../packages/middleware/dist/index.js', import.meta.url))) {
  console.error('middleware-bench: build the packages first (npm run build)');
  process.exit(2);
}

async function withServer(kind, use) {
  const child = startChild(CHILD, [kind, '--peers', peers], { cpu: pin ? 0 : null });
  try {
    const { port } = await nextMessage(child, 'listening', 15_000);
    return await use(port, child);
  } finally {
    await stopChild(child);
  }
}

/** One GET; resolves to { status, headers, body } (body as bytes). */
function fetchOnce(port, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * wrk against `port`: requests/s, and requests per CPU-second of the server process `pid`: on a
 * machine shared with other work the second holds still where the first follows that work's load.
 */
async function wrk(wrkPath, port, headers, pid) {
  // Unmeasured first, as load-bench does: the figures are the server's steady state, not its JIT
  // warming up (a cold chain of four middleware did 40,000 req/s in its first second, 72,000 later).
  if (warmup > 0) await wrkRun(wrkPath, port, headers, warmup);
  const cpuBefore = cpuSeconds(pid).own;
  const figures = await wrkRun(wrkPath, port, headers, seconds);
  if (figures.non2xx > 0 || figures.socketErrors > 0)
    throw new Error(`wrk saw ${figures.non2xx} non-2xx answers and ${figures.socketErrors} socket errors`);
  return { rps: figures.requestsPerSecond, perCpu: figures.requests / (cpuSeconds(pid).own - cpuBefore) };
}

/** One wrk run of `runSeconds` against `port` (pinned to CPU 1 when pinning). */
async function wrkRun(wrkPath, port, headers, runSeconds) {
  const wrkArgs = [
    '-t1',
    '-c50',
    `-d${runSeconds}s`,
    '--latency',
    '--timeout',
    '5s',
    ...headers.flatMap((h) => ['-H', h]),
    `http://127.0.0.1:${port}/`,
  ];
  const [command, full] = pin ? [TASKSET, ['-c', '1', wrkPath, ...wrkArgs]] : [wrkPath, wrkArgs];
  return wrkFigures(await run(command, full, { timeoutMs: (runSeconds + 15) * 1000 }));
}

/** Runs `measure(kind)` for each kind `rounds` times, alternating; the best of each ({ rps, perCpu }). */
async function alternate(kinds, measure) {
  const best = Object.fromEntries(kinds.map((k) => [k, { rps: 0, perCpu: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      const { rps, perCpu } = await measure(kind);
      best[kind] = { rps: Math.max(best[kind].rps, rps), perCpu: Math.max(best[kind].perCpu, perCpu) };
    }
  }
  return best;
}

/** Two result lines for a wrk comparison: requests/s and requests per server CPU-second. */
function compare(what, ours, peer, target) {
  for (const [unit, key] of [
    ['req/s', 'rps'],
    ['requests per server CPU-second', 'perCpu'],
  ]) {
    const ratio = ours[key] / peer[key];
    results.push({ what: `${what}, ${unit}`, ours: ours[key], peer: peer[key], ratio, target: `ratio >= ${target}`, ok: ratio >= target });
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const results = [];

async function chain(wrkPath) {
  const rps = await alternate(['bare', 'bare-headers', 'chain'], (kind) =>
    withServer(kind, async (port, child) => {
      const check = await fetchOnce(port, { origin: 'https://app.example', 'accept-encoding': 'gzip' });
      if (check.status !== 200 || check.body.toString() !== 'hello world')
        throw new Error(`${kind}: expected 200 hello world, got ${check.status}`);
      if (
        kind === 'chain' &&
        (check.headers['x-request-id'] === undefined || check.headers['access-control-allow-origin'] !== 'https://app.example')
      )
        throw new Error('chain: the middleware did not run (no x-request-id or CORS header)');
      return wrk(wrkPath, port, ['Origin: https://app.example', 'Accept-Encoding: gzip'], child.pid);
    }),
  );
  compare('chain: hello world, 4 middleware vs none', rps.chain, rps.bare, 0.85);
  // Of that, what the four headers the chain adds cost the server to write (any server pays it).
  const headers = rps['bare-headers'].perCpu / rps.bare.perCpu;
  console.log(`chain: the bare handler answering the chain's 4 headers does ${headers.toFixed(2)}x the bare requests per CPU-second`);
  // And the rest: the middleware's own work, against a handler that writes what they write.
  const own = rps.chain.perCpu / rps['bare-headers'].perCpu;
  console.log(`chain: against that handler, the chain does ${own.toFixed(2)}x the requests per CPU-second (the middleware's own work)`);
}

async function compression(wrkPath) {
  const rps = await alternate(['json-ours', 'json-fastify'], (kind) =>
    withServer(kind, async (port, child) => {
      const check = await fetchOnce(port, { 'accept-encoding': 'gzip' });
      if (check.status !== 200 || check.headers['content-encoding'] !== 'gzip')
        throw new Error(`${kind}: expected a gzipped 200, got ${check.status} ${check.headers['content-encoding']}`);
      const json = gunzipSync(check.body).toString();
      if (json.length < 19_000 || json.length > 21_000) throw new Error(`${kind}: expected about 20 KB of JSON, got ${json.length} bytes`);
      return wrk(wrkPath, port, ['Accept-Encoding: gzip'], child.pid);
    }),
  );
  compare('compress: 20 KB JSON gzip vs fastify + @fastify/compress', rps['json-ours'], rps['json-fastify'], 1);
}

/** Streams a multipart body of `mb` MiB (one file part) to the server; resolves to { ms, answer }. */
function upload(port, mb) {
  const boundary = 'bench-boundary-7d3f';
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = Buffer.alloc(1024 * 1024, 0x61);
  for (let i = 0; i < block.length; i += 997) block[i] = i & 0xff; // not one repeated byte
  const length = head.length + mb * block.length + tail.length;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - started, answer: body })
            : reject(new Error(`upload answered ${res.statusCode}: ${body}`)),
        );
      },
    );
    req.on('error', reject);
    let sent = 0;
    const more = () => {
      while (sent < mb) {
        sent++;
        if (!req.write(block)) return void req.once('drain', more);
      }
      req.end(tail);
    };
    req.write(head);
    more();
  });
}

async function uploads() {
  // Alternating rounds as for wrk: the best throughput of each side, and its worst RSS growth.
  // Each run starts after `sync`, so no run pays for writing back the one before it.
  const figures = { 'upload-ours': { mbps: 0, growth: 0 }, 'upload-fastify': { mbps: 0, growth: 0 } };
  // The client is this process: on CPU 1 (all its threads) while it uploads, away from the server's CPU.
  if (pin) await run(TASKSET, ['-a', '-p', '-c', '1', String(process.pid)], { timeoutMs: 10_000 });
  try {
    for (let round = 0; round < rounds; round++) {
      for (const kind of ['upload-ours', 'upload-fastify']) {
        await run('sync', [], { timeoutMs: 60_000 });
        const one = await withServer(kind, async (port, child) => {
          child.send({ type: 'rss' });
          const before = await nextMessage(child, 'rss', 5000);
          const { ms, answer } = await upload(port, uploadMb);
          if (Number(answer) !== uploadMb * 1024 * 1024)
            throw new Error(`${kind}: the server saw ${answer} bytes of the file, not ${uploadMb * 1024 * 1024}`);
          child.send({ type: 'rss' });
          const after = await nextMessage(child, 'rss', 5000);
          return { mbps: uploadMb / (ms / 1000), growth: (after.peak - before.current) / 1024 / 1024 };
        });
        figures[kind] = { mbps: Math.max(figures[kind].mbps, one.mbps), growth: Math.max(figures[kind].growth, one.growth) };
      }
    }
  } finally {
    if (pin) await run(TASKSET, ['-a', '-p', '-c', '0,1', String(process.pid)], { timeoutMs: 10_000 });
  }
  const ours = figures['upload-ours'];
  const peer = figures['upload-fastify'];
  results.push({
    what: `upload: ${uploadMb} MiB through multipart() to disk, MiB/s vs @fastify/multipart`,
    ours: ours.mbps,
    peer: peer.mbps,
    ratio: ours.mbps / peer.mbps,
    target: 'ratio >= 1',
    ok: ours.mbps >= peer.mbps,
  });
  results.push({
    what: `upload: RSS growth, MiB, the worst run (fastify: ${peer.growth.toFixed(1)})`,
    ours: ours.growth,
    peer: peer.growth,
    ratio: ours.growth / Math.max(peer.growth, 0.1),
    target: 'ours < 64 MiB',
    ok: ours.growth < 64,
  });
}

/** The middleware's handler-side cost, in this process: no sockets, no head to write. */
async function handlers() {
  const mw = await import('@http-kit/middleware');
  const kHooks = Symbol.for('http-kit.responseHooks');
  const END = Object.freeze({ reason: 'server-closed', status: 0 });
  const hello = () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' });
  let logged = 0;
  const make = {
    requestId: () => mw.requestId(),
    requestLogger: () => mw.requestLogger({ log: (line) => (logged += line.length) }),
    cors: () => mw.cors({ origins: ['https://app.example'] }),
    compress: () => mw.compress(),
  };
  const variants = { bare: [], ...Object.fromEntries(Object.keys(make).map((name) => [name, [name]])), chain: Object.keys(make) };
  // Header values as the parser gives them: fresh flat strings, not literals.
  const fresh = (text) => Buffer.from(text).toString('latin1');
  const origins = Array.from({ length: 1000 }, () => fresh('https://app.example'));
  const agents = Array.from({ length: 1000 }, () => fresh('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'));
  const request = (i) => ({
    serverPort: 8080,
    serverName: '127.0.0.1',
    remoteAddr: '127.0.0.1',
    uri: '/',
    queryString: null,
    scheme: 'http',
    requestMethod: 'get',
    protocol: 'HTTP/1.1',
    headers: { host: '127.0.0.1:8080', origin: origins[i % 1000], 'accept-encoding': 'gzip', 'user-agent': agents[i % 1000] },
    contentType: null,
    contentLength: null,
    characterEncoding: null,
    body: null,
    websocket: false,
  });
  const n = smoke ? 20_000 : 300_000;
  const best = {};
  for (let round = 0; round < (smoke ? 2 : 5); round++) {
    for (const [name, parts] of Object.entries(variants)) {
      const handler = parts.length === 0 ? hello : mw.compose(...parts.map((part) => make[part]()))(hello);
      const start = process.hrtime.bigint();
      let statuses = 0;
      for (let i = 0; i < n; i++) {
        const req = request(i);
        statuses += handler(req).status;
        // What the server does once the answer is written: tell the hooks.
        const hooks = req[kHooks];
        if (hooks !== undefined) for (const hook of hooks) hook.ended?.(END, req);
      }
      if (statuses !== 200 * n) throw new Error(`handlers: ${name} did not answer 200 every time`);
      const ns = Number(process.hrtime.bigint() - start) / n;
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ns);
    }
  }
  const over = (name) => `${Math.round(best[name] - best.bare)} ns`;
  console.log(
    `handlers: in process, best of ${smoke ? 2 : 5} rounds of ${fmt(n)}: bare ${Math.round(best.bare)} ns a request; over it ${Object.keys(
      make,
    )
      .map((name) => `${name} ${over(name)}`)
      .join(', ')}; the four composed ${over('chain')}`,
  );
}

const wrkPath = await findWrk();
console.log(
  `middleware-bench: ${smoke ? 'smoke, ' : ''}wrk ${seconds} s a run${warmup > 0 ? ` after ${warmup} s unmeasured` : ''}, upload ${uploadMb} MiB, ${pin ? 'server on CPU 0, load on CPU 1' : 'not pinned'}; node ${process.version}`,
);
if (only.includes('chain')) {
  if (wrkPath === '') console.log('chain skipped: wrk is not installed (apt-get install wrk)');
  else await chain(wrkPath);
}
if (only.includes('handlers')) await handlers();
if (only.includes('compress')) {
  if (wrkPath === '' || !hasFastify)
    console.log(
      `compress skipped: ${wrkPath === '' ? 'wrk is not installed' : `fastify is not in ${peers} (npm i --prefix ${peers} fastify@5 @fastify/compress @fastify/multipart)`}`,
    );
  else await compression(wrkPath);
}
if (only.includes('upload')) {
  if (!hasFastify)
    console.log(`upload skipped: fastify is not in ${peers} (npm i --prefix ${peers} fastify@5 @fastify/compress @fastify/multipart)`);
  else await uploads();
}
for (const r of results) {
  console.log(
    `${r.ok ? 'ok  ' : 'MISS'} ${r.what}: ours ${r.ours < 100 ? r.ours.toFixed(1) : fmt(r.ours)}, peer ${r.peer < 100 ? r.peer.toFixed(1) : fmt(r.peer)}, ratio ${r.ratio.toFixed(2)} (${r.target})`,
  );
}
// --smoke checks that every part runs and answers right (CI); its figures are too short to judge by.
process.exitCode = smoke || results.every((r) => r.ok) ? 0 : 1;
