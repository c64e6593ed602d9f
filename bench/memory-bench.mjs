#!/usr/bin/env node
// Memory held by the server, after full GCs:
//   1. per idle keep-alive connection, for
//        net   bare node:net server (sockets only: the floor)
//        ours  runServer from @http-kit/http1
//        node  node:http
//   2. per parked long-poll request (ours), each on its own connection, with the handler written
//      as a user would: `(req) => asChannel(req, { onOpen: (ch) => waiting.add(ch),
//      onClose: (ch) => waiting.delete(ch) })`, so its handlers object, closures and Set entry count.
// Each server runs in a child started with --expose-gc (bench/lib/server-child.mjs); a second
// child (bench/lib/idle-clients.mjs) opens N connections and sends one GET on each: for (1) it
// reads the response and keeps the connection open and idle; for (2) it sends `GET /poll`, which
// the server parks, and waits for nothing. The server child reports RSS and heap used after full
// GCs before and after; the difference divided by N is the cost of one connection (or parked
// request). Servers get a 120 s keep-alive timeout so no idle connection is closed while measuring.
//
// Usage: node bench/memory-bench.mjs [--smoke] [--connections N] [--json]
//   --smoke        500 connections (CI); default 5000 (needs ulimit -n above that, both sides).
// Targets (ours): <= 6 KB RSS and <= 1.5 KB heap per idle connection; <= 6 KB RSS per parked
// long poll. Missing one is reported, not an error (exit 0).
import { get } from 'node:http';
import { loadavg } from 'node:os';
import { libPath, nextMessage, startChild, stopChild, warnIfStaleBuild } from './lib/children.mjs';

const TARGET_RSS_KB = 6;
const TARGET_HEAP_KB = 1.5;
const TARGET_PARKED_RSS_KB = 6;
const KEEP_ALIVE_MS = 120_000;
/** Long polls parked and answered before the baseline, so the channel path is warm. */
const PARK_WARM_UP = 200;
const SERVERS = [
  { kind: 'net', label: 'bare net' },
  { kind: 'ours', label: '@http-kit/http1' },
  { kind: 'node', label: 'node:http' },
];

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const json = argv.includes('--json');
const connectionsAt = argv.indexOf('--connections');
const count = connectionsAt === -1 ? (smoke ? 500 : 5000) : Math.max(1, Number(argv[connectionsAt + 1]));

/** A few requests on fresh connections first, so one-time costs (JIT, wasm, buffers) fall before the baseline. */
async function warmUp(port) {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve, reject) => {
      const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.setEncoding('latin1').on('data', (text) => (body += text));
        res.on('end', () =>
          res.statusCode === 200 && body === 'hello world'
            ? resolve()
            : reject(new Error(`warm-up got ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`)),
        );
      });
      request.on('timeout', () => request.destroy(new Error('warm-up: no response within 3 s')));
      request.on('error', reject);
    });
  }
}

async function stats(server) {
  server.send({ type: 'stats' });
  return nextMessage(server, 'stats', 10_000);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the server's connection and parked counts (no GC) until `predicate` holds. */
async function waitForServer(server, predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    server.send({ type: 'count' });
    const counts = await nextMessage(server, 'count', 5000);
    if (predicate(counts)) return counts;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (server has ${JSON.stringify(counts)})`);
    await sleep(50);
  }
}

/** A client child parking `n` long polls; resolves once the server holds every one that was sent. */
async function parkPolls(server, port, n) {
  const clients = startChild(libPath('idle-clients.mjs'), [String(port), String(n), '--park', '--max-seconds', '100']);
  try {
    const ready = await nextMessage(clients, 'ready', 90_000);
    if (ready.open === 0) throw new Error(`no long poll could be sent (${JSON.stringify(ready)})`);
    await waitForServer(server, (counts) => counts.parked >= ready.open, 30_000, `${ready.open} parked requests`);
    return { clients, ready };
  } catch (error) {
    await stopChild(clients);
    throw error;
  }
}

async function measure({ kind }) {
  const server = startChild(libPath('server-child.mjs'), [kind, '--keep-alive-ms', String(KEEP_ALIVE_MS), '--max-seconds', '110'], {
    nodeArgs: ['--expose-gc'],
  });
  let clients = null;
  try {
    const { port } = await nextMessage(server, 'listening', 10_000);
    await warmUp(port);
    // Let the warm-up connections close on the server side before the baseline.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await stats(server);
    if (!before.gc) throw new Error('server child has no gc(): --expose-gc did not reach it');
    clients = startChild(libPath('idle-clients.mjs'), [String(port), String(count), '--max-seconds', '100']);
    const ready = await nextMessage(clients, 'ready', 90_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await stats(server);
    clients.send({ type: 'closed?' });
    const { closed } = await nextMessage(clients, 'closed', 5000);
    const open = ready.open - closed;
    if (open <= 0) throw new Error(`no connection stayed open (${JSON.stringify(ready)})`);
    const perConnectionKb = (field) => (after[field] - before[field]) / open / 1024;
    return {
      open,
      failed: ready.failed,
      errors: ready.errors,
      serverConnections: after.connections,
      rssKb: perConnectionKb('rss'),
      heapKb: perConnectionKb('heapUsed'),
      externalKb: perConnectionKb('external'),
      before,
      after,
    };
  } finally {
    if (clients !== null) await stopChild(clients);
    await stopChild(server);
  }
}

/** Ours with `count` long polls parked, one per connection, by the user-style handler. */
async function measureParked() {
  const server = startChild(libPath('server-child.mjs'), ['longpoll', '--keep-alive-ms', String(KEEP_ALIVE_MS), '--max-seconds', '110'], {
    nodeArgs: ['--expose-gc'],
  });
  let clients = null;
  try {
    const { port } = await nextMessage(server, 'listening', 10_000);
    await warmUp(port);
    // One round parked, answered and closed before the baseline: channel code compiled, pools filled.
    ({ clients } = await parkPolls(server, port, Math.min(PARK_WARM_UP, count)));
    server.send({ type: 'release' });
    await nextMessage(server, 'released', 5000);
    await waitForServer(server, (counts) => counts.parked === 0, 10_000, 'the warm-up polls to be answered');
    await stopChild(clients);
    clients = null;
    await waitForServer(server, (counts) => counts.connections === 0, 10_000, 'the warm-up connections to close');
    await sleep(200);
    const before = await stats(server);
    if (!before.gc) throw new Error('server child has no gc(): --expose-gc did not reach it');
    let ready;
    ({ clients, ready } = await parkPolls(server, port, count));
    await sleep(300);
    const after = await stats(server);
    clients.send({ type: 'closed?' });
    const { closed } = await nextMessage(clients, 'closed', 5000);
    if (closed > 0 || after.parked !== ready.open)
      throw new Error(`${after.parked} requests parked, ${ready.open} sent, ${closed} connections closed meanwhile`);
    const perParkedKb = (field) => (after[field] - before[field]) / after.parked / 1024;
    return {
      parked: after.parked,
      failed: ready.failed,
      errors: ready.errors,
      serverConnections: after.connections,
      rssKb: perParkedKb('rss'),
      heapKb: perParkedKb('heapUsed'),
      externalKb: perParkedKb('external'),
      before,
      after,
    };
  } finally {
    if (clients !== null) await stopChild(clients);
    await stopChild(server);
  }
}

console.log(
  `memory-bench${smoke ? ' (smoke)' : ''}: ${count} idle keep-alive connections per server, then ${count} parked long polls (ours), ` +
    `after full GCs, node ${process.version}, load average ${loadavg()[0].toFixed(2)}`,
);
warnIfStaleBuild('memory-bench');
const results = {};
for (const server of SERVERS) results[server.kind] = await measure(server);
const parked = await measureParked();

console.log(`\nidle keep-alive connections (one request answered on each, then idle):`);
console.table(
  SERVERS.map((server) => {
    const r = results[server.kind];
    return {
      server: server.label,
      open: r.open,
      'server sees': r.serverConnections,
      'RSS KB/conn': r.rssKb.toFixed(2),
      'heap KB/conn': r.heapKb.toFixed(2),
      'external KB/conn': r.externalKb.toFixed(2),
      'heap MB after': (r.after.heapUsed / 1048576).toFixed(1),
      'RSS MB after': (r.after.rss / 1048576).toFixed(1),
    };
  }),
);
for (const server of SERVERS) {
  const r = results[server.kind];
  if (r.failed > 0) console.log(`memory-bench: ${server.label}: ${r.failed} connections failed ${JSON.stringify(r.errors)}`);
}
const ours = results.ours;
const rssMet = ours.rssKb <= TARGET_RSS_KB;
const heapMet = ours.heapKb <= TARGET_HEAP_KB;
console.log(
  `ours, idle connection: ${ours.rssKb.toFixed(2)} KB RSS/conn (target <= ${TARGET_RSS_KB}: ${rssMet ? 'met' : 'MISSED'}), ` +
    `${ours.heapKb.toFixed(2)} KB heap/conn (target <= ${TARGET_HEAP_KB}: ${heapMet ? 'met' : 'MISSED'}); ` +
    `node:http ${results.node.rssKb.toFixed(2)} KB RSS, ${results.node.heapKb.toFixed(2)} KB heap`,
);

console.log(
  `\nparked long polls (ours; handler: (req) => asChannel(req, { onOpen: (ch) => waiting.add(ch), onClose: (ch) => waiting.delete(ch) })):`,
);
console.table([
  {
    parked: parked.parked,
    'server sees': parked.serverConnections,
    'RSS KB/parked': parked.rssKb.toFixed(2),
    'heap KB/parked': parked.heapKb.toFixed(2),
    'external KB/parked': parked.externalKb.toFixed(2),
    'RSS KB over idle conn': (parked.rssKb - ours.rssKb).toFixed(2),
    'heap KB over idle conn': (parked.heapKb - ours.heapKb).toFixed(2),
    'heap MB after': (parked.after.heapUsed / 1048576).toFixed(1),
    'RSS MB after': (parked.after.rss / 1048576).toFixed(1),
  },
]);
if (parked.failed > 0) console.log(`memory-bench: parked long polls: ${parked.failed} connections failed ${JSON.stringify(parked.errors)}`);
const parkedMet = parked.rssKb <= TARGET_PARKED_RSS_KB;
console.log(
  `ours, parked long poll (its connection included): ${parked.rssKb.toFixed(2)} KB RSS/request (target <= ${TARGET_PARKED_RSS_KB}: ${parkedMet ? 'met' : 'MISSED'}), ` +
    `${parked.heapKb.toFixed(2)} KB heap/request; over an idle connection ${(parked.rssKb - ours.rssKb).toFixed(2)} KB RSS, ${(parked.heapKb - ours.heapKb).toFixed(2)} KB heap`,
);
if (!rssMet || !heapMet || !parkedMet) console.log('memory-bench: a target was missed (reported only; exit code stays 0)');
if (count < 2000)
  console.log(
    `memory-bench: with ${count} connections fixed costs (pages, allocator arenas) swell the RSS figure; the 5000-connection run is the one to read`,
  );
if (json) {
  const compact = Object.fromEntries(
    Object.entries(results).map(([k, r]) => [k, { open: r.open, rssKb: r.rssKb, heapKb: r.heapKb, externalKb: r.externalKb }]),
  );
  const parkedCompact = { parked: parked.parked, rssKb: parked.rssKb, heapKb: parked.heapKb, externalKb: parked.externalKb };
  console.log(JSON.stringify({ bench: 'memory', smoke, connections: count, results: compact, parked: parkedCompact }));
}
