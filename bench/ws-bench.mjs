#!/usr/bin/env node
// WebSocket: our server against the `ws` package's, measured in the same run with the same client
// (`ws`, in another process):
//   echo       100 connections each echoing 64 B (and 64 KiB) messages back and forth: messages/s and
//              server CPU per message. Target: ours >= 1.3x ws at 64 B.
//   idle       10,000 open, idle WebSocket connections: server RSS and heap per connection (after
//              full GCs). Target: <= 5 KB RSS per connection.
//   broadcast  one 64 B message to those 10,000: time until the last client has it (ours:
//              broadcast(), framed once; ws: a loop of send() as its README shows). Target: >= 1.5x.
//
// Usage: node bench/ws-bench.mjs [--smoke]   (build first: node scripts/build.mjs --no-types)
import { canPin, libPath, nextMessage, startChild, stopChild, warnIfStaleBuild } from './lib/children.mjs';

const smoke = process.argv.includes('--smoke');
const ECHO_CONNECTIONS = smoke ? 20 : 100;
const ECHO_SECONDS = smoke ? 1 : 5;
const ROUNDS = smoke ? 1 : 3;
const IDLE_CONNECTIONS = smoke ? 200 : 10_000;
const BROADCASTS = smoke ? 2 : 7;
const KINDS = ['ours', 'ws'];
const pin = canPin();
warnIfStaleBuild('ws-bench');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function startServer(kind, nodeArgs = []) {
  const child = startChild(libPath('ws-server-child.mjs'), [kind], { nodeArgs, cpu: pin ? 0 : null });
  const { port } = await nextMessage(child, 'listening', 10_000);
  return { child, port };
}

async function echoRound(kind, bytes) {
  const server = await startServer(kind);
  const clients = startChild(libPath('ws-clients-child.mjs'), [server.port, 'echo', ECHO_CONNECTIONS, bytes, ECHO_SECONDS], {
    cpu: pin ? 1 : null,
  });
  try {
    await nextMessage(clients, 'started', 60_000);
    server.child.send({ type: 'cpu' });
    await nextMessage(server.child, 'cpu', 5_000);
    const { messages } = await nextMessage(clients, 'echo', ECHO_SECONDS * 1000 + 30_000);
    server.child.send({ type: 'cpu' });
    const { micros } = await nextMessage(server.child, 'cpu', 5_000);
    return { perSecond: messages / ECHO_SECONDS, cpuPerMessage: micros / Math.max(1, messages) };
  } finally {
    await stopChild(clients);
    await stopChild(server.child);
  }
}

async function idleAndBroadcast(kind) {
  const server = await startServer(kind, ['--expose-gc']);
  server.child.send({ type: 'stats' });
  const before = await nextMessage(server.child, 'stats', 10_000);
  const clients = startChild(libPath('ws-clients-child.mjs'), [server.port, 'idle', IDLE_CONNECTIONS], {
    nodeArgs: ['--max-old-space-size=4096'],
  });
  try {
    const { open } = await nextMessage(clients, 'ready', 120_000);
    server.child.send({ type: 'stats' });
    const after = await nextMessage(server.child, 'stats', 20_000);
    const times = [];
    for (let i = 0; i < BROADCASTS; i++) {
      clients.send({ type: 'expect' });
      await nextMessage(clients, 'expecting', 10_000);
      const started = performance.now();
      server.child.send({ type: 'broadcast', size: 64 });
      await nextMessage(clients, 'received', 60_000);
      times.push(performance.now() - started);
    }
    return {
      open,
      connections: after.connections,
      rssPer: (after.rss - before.rss) / open,
      heapPer: (after.heap - before.heap) / open,
      broadcastMs: median(times),
    };
  } finally {
    await stopChild(clients, 10_000);
    await stopChild(server.child);
  }
}

console.log(
  `ws-bench${smoke ? ' (smoke)' : ''}: ours = @http-kit/websocket, ws = ws ${(await import('ws/package.json', { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } }))).default.version}; ${pin ? 'server on CPU 0, clients on CPU 1' : 'not pinned'}`,
);

for (const bytes of [64, 64 * 1024]) {
  const results = { ours: [], ws: [] };
  for (let round = 0; round < ROUNDS; round++) for (const kind of KINDS) results[kind].push(await echoRound(kind, bytes));
  const ratios = results.ours.map((r, i) => r.perSecond / results.ws[i].perSecond);
  for (const kind of KINDS) {
    const rates = results[kind].map((r) => r.perSecond);
    const cpu = results[kind].map((r) => r.cpuPerMessage);
    console.log(
      `echo ${bytes} B  ${kind.padEnd(4)}  ${fmt(median(rates))} msg/s (rounds ${rates.map((r) => fmt(r)).join(', ')}), server CPU ${fmt(median(cpu), 1)} us/msg`,
    );
  }
  console.log(
    `echo ${bytes} B  ours/ws ${fmt(median(ratios), 2)}x (rounds ${ratios.map((r) => fmt(r, 2)).join(', ')})${bytes === 64 ? '  target >= 1.3x' : ''}`,
  );
}

const idle = {};
for (const kind of KINDS) idle[kind] = await idleAndBroadcast(kind);
for (const kind of KINDS) {
  const r = idle[kind];
  console.log(
    `idle ${kind.padEnd(4)}  ${fmt(r.open)} connections: ${fmt(r.rssPer / 1024, 2)} KB RSS, ${fmt(r.heapPer / 1024, 2)} KB heap per connection${kind === 'ours' ? '  target <= 5 KB RSS' : ''}`,
  );
}
for (const kind of KINDS)
  console.log(
    `broadcast ${kind.padEnd(4)}  64 B to ${fmt(idle[kind].open)}: last client after ${fmt(idle[kind].broadcastMs, 1)} ms (median of ${BROADCASTS})`,
  );
console.log(`broadcast  ws/ours ${fmt(idle.ws.broadcastMs / idle.ours.broadcastMs, 2)}x faster  target >= 1.5x`);
