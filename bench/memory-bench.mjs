#!/usr/bin/env node
// Memory held per idle keep-alive connection, for:
//   net   bare node:net server (sockets only: the floor)
//   ours  runServer from @http-kit/http1
//   node  node:http
// Each server runs in a child started with --expose-gc (bench/lib/server-child.mjs); a second
// child (bench/lib/idle-clients.mjs) opens N connections, sends one GET on each, reads the
// response and keeps the connection open and idle. The server child reports RSS and heap used
// after full GCs before and after; the difference divided by N is the cost of one connection.
// Servers get a 120 s keep-alive timeout so no idle connection is closed while measuring.
//
// Usage: node bench/memory-bench.mjs [--smoke] [--connections N] [--json]
//   --smoke        500 connections (CI); default 5000 (needs ulimit -n above that, both sides).
// Targets (ours): <= 6 KB RSS and <= 1.5 KB heap per connection. Missing one is reported, not
// an error (exit 0).
import { get } from 'node:http';
import { loadavg } from 'node:os';
import { libPath, nextMessage, startChild, stopChild, warnIfStaleBuild } from './lib/children.mjs';

const TARGET_RSS_KB = 6;
const TARGET_HEAP_KB = 1.5;
const KEEP_ALIVE_MS = 120_000;
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
        res.on('end', () => (res.statusCode === 200 && body === 'hello world' ? resolve() : reject(new Error(`warm-up got ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`))));
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

async function measure({ kind }) {
  const server = startChild(libPath('server-child.mjs'), [kind, '--keep-alive-ms', String(KEEP_ALIVE_MS), '--max-seconds', '110'], { nodeArgs: ['--expose-gc'] });
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

console.log(`memory-bench${smoke ? ' (smoke)' : ''}: ${count} idle keep-alive connections per server, after full GCs, node ${process.version}, load average ${loadavg()[0].toFixed(2)}`);
warnIfStaleBuild('memory-bench');
const results = {};
for (const server of SERVERS) results[server.kind] = await measure(server);

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
  `ours: ${ours.rssKb.toFixed(2)} KB RSS/conn (target <= ${TARGET_RSS_KB}: ${rssMet ? 'met' : 'MISSED'}), ` +
    `${ours.heapKb.toFixed(2)} KB heap/conn (target <= ${TARGET_HEAP_KB}: ${heapMet ? 'met' : 'MISSED'}); ` +
    `node:http ${results.node.rssKb.toFixed(2)} KB RSS, ${results.node.heapKb.toFixed(2)} KB heap`,
);
if (!rssMet || !heapMet) console.log('memory-bench: a target was missed (reported only; exit code stays 0)');
if (count < 2000) console.log(`memory-bench: with ${count} connections fixed costs (pages, allocator arenas) swell the RSS figure; the 5000-connection run is the one to read`);
if (json) {
  const compact = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { open: r.open, rssKb: r.rssKb, heapKb: r.heapKb, externalKb: r.externalKb }]));
  console.log(JSON.stringify({ bench: 'memory', smoke, connections: count, results: compact }));
}
