// Opens many keep-alive connections to a server, sends one GET on each, reads the response, then
// leaves every connection open and idle. Driven over IPC by memory-bench. With --park it sends
// `GET /poll` instead and does not wait for an answer: for a server that parks the request (a long
// poll), the connection then stays open with the request pending. The connections are the load
// tool's (@http-kit/load, built): http mode with one request per connection, or longpoll mode.
//
//   node bench/lib/idle-clients.mjs <port> <count> [--park] [--max-seconds N]
//
// Messages: child -> parent {type:'ready', open, answered, failed, errors}, {type:'closed', closed}
// (connections the server closed since 'ready'); parent -> child {type:'closed?'}, {type:'stop'}.
// Exits on 'stop', when the parent goes away, or after --max-seconds (default 120).
import { runLoad } from '@http-kit/load';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const maxSecondsAt = process.argv.indexOf('--max-seconds');
const maxSeconds = maxSecondsAt === -1 ? 120 : Number(process.argv[maxSecondsAt + 1]);
const park = process.argv.includes('--park');
/** How long 'ready' waits for the last GETs' answers once every connection is open. */
const ANSWER_WAIT_MS = 10_000;

if (typeof process.send !== 'function' || !(port > 0) || !(count > 0)) {
  console.error('idle-clients: usage: node bench/lib/idle-clients.mjs <port> <count> (with an IPC channel)');
  process.exit(2);
}
const lifetime = setTimeout(() => {
  console.error(`idle-clients: still running after ${maxSeconds} s, exiting`);
  process.exit(3);
}, maxSeconds * 1000);
lifetime.unref();
process.on('disconnect', () => process.exit(0));

const stop = new AbortController();
/** The load's live counters, once open; and the server's closes (the tool reopens them: reconnects) at 'ready'. */
let counters = null;
let reconnectsAtReady = 0;
process.on('message', (message) => {
  if (message?.type === 'closed?')
    process.send({ type: 'closed', closed: counters === null ? 0 : counters().reconnects - reconnectsAtReady });
  if (message?.type === 'stop') stop.abort();
});

/** Once every connection is open: waits (bounded) for the GETs still unanswered, then says 'ready'. */
async function ready(info) {
  counters = info.counters;
  let answered = info.answers + counters().answers;
  const deadline = Date.now() + ANSWER_WAIT_MS;
  while (!park && answered < info.opened && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    answered = info.answers + counters().answers;
  }
  reconnectsAtReady = counters().reconnects;
  const errors = { ...info.errors };
  if (!park && answered < info.opened) errors['no answer'] = info.opened - answered;
  process.send({ type: 'ready', open: info.opened, answered: park ? info.opened : answered, failed: info.failed, errors });
}

const result = await runLoad(
  {
    url: `http://127.0.0.1:${port}${park ? '/poll' : '/'}`,
    mode: park ? 'longpoll' : 'http',
    connections: count,
    duration: maxSeconds,
    requestsPerConnection: 1,
    headers: { 'User-Agent': 'memory-bench' },
    timeout: 0,
  },
  { signal: stop.signal, onOpened: (info) => void ready(info) },
);
const bad = result.counters.status.reduce((n, c, i) => (i === 2 ? n : n + c), 0);
if (bad > 0) console.error(`idle-clients: ${bad} answers were not 2xx`);
process.exit(0);
