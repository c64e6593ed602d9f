// Long-poll clients for workers-bench, in their own process: N raw node:net keep-alive sockets on
// 127.0.0.1, each sending one `GET /poll` and reading one response (longpoll-client.mjs); then one
// `POST /publish` on another connection fires the event that answers them all.
//
//   node bench/lib/workers-longpoll-clients.mjs <port> [--max-seconds N]
//
// Messages: parent -> child {type:'open', count}, {type:'publish'}, {type:'close'}, {type:'exit'};
//           child -> parent {type:'opened', open, failed, errors}, {type:'closed'},
//           {type:'responses', ok, extra, bad, closedEarly, badSample, publishStatus, toFirstMs, toLastMs, cpuMs}.
// 'publish' first gets one hello-world answer on the publishing connection (so the connection has
// reached its worker), then takes the time and writes the POST; toLastMs is from that write to
// the last poll's whole response, all timed in this process. `ok` counts polls answered exactly
// once with the event; `extra` those that got bytes after it (a second response). The child
// exits on 'exit', when the parent goes away, or after --max-seconds (default 120).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LongPollClients, parseResponse, serveOverIpc } from './longpoll-client.mjs';

const port = Number(process.argv[2]);
const maxSecondsAt = process.argv.indexOf('--max-seconds');
const maxSeconds = maxSecondsAt === -1 ? 120 : Number(process.argv[maxSecondsAt + 1]);
/** Connects in flight at once: quick, and well inside the listen backlog. */
const CONCURRENCY = 200;
/** How long to wait for every poll's answer after the publish. */
const ANSWER_TIMEOUT_MS = 15_000;
const EVENT_BODY = '{"event":"news","seq":1}';
const HELLO = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: workers-bench\r\n\r\n', 'latin1');
const PUBLISH = Buffer.from(
  'POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: workers-bench\r\nContent-Length: 0\r\n\r\n',
  'latin1',
);

if (typeof process.send !== 'function' || !(port > 0)) {
  console.error('workers-longpoll-clients: usage: node bench/lib/workers-longpoll-clients.mjs <port> (with an IPC channel)');
  process.exit(2);
}
const now = () => performance.now();
const polls = new LongPollClients({ port, userAgent: 'workers-bench', eventBody: EVENT_BODY, concurrency: CONCURRENCY, now });

/** One connection: a hello-world GET answered, then the POST; resolves to { publishAt, status } once the POST is answered. */
function publish() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.setEncoding('latin1');
    let text = '';
    let publishAt = 0;
    const timer = setTimeout(() => finish(new Error('the publishing connection got no answer within 10 s')), 10_000);
    const finish = (error, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket.once('connect', () => socket.write(HELLO));
    socket.on('data', (chunk) => {
      text += chunk;
      let response;
      try {
        response = parseResponse(text);
      } catch (error) {
        return finish(error);
      }
      if (response === null) return;
      text = text.slice(response.end);
      if (publishAt === 0) {
        publishAt = now();
        socket.write(PUBLISH);
      } else {
        finish(null, { publishAt, status: response.status });
      }
    });
    socket.on('error', finish);
    socket.on('close', () => finish(new Error('the publishing connection closed before its answer')));
  });
}

/** Publishes, then waits for every poll socket to be done (or ANSWER_TIMEOUT_MS), plus SETTLE_MS. */
async function publishAndCollect() {
  const allAnswered = polls.allAnswered(ANSWER_TIMEOUT_MS);
  let published;
  const cpuBefore = process.cpuUsage();
  try {
    published = await publish();
  } catch (error) {
    polls.onAnswer = null;
    return { publishError: error.message };
  }
  await allAnswered;
  const cpu = process.cpuUsage(cpuBefore);
  const { ok, extra, bad, closedEarly, firstAt, lastAt, badSample } = await polls.settled();
  return {
    ok,
    extra,
    bad,
    closedEarly,
    badSample,
    publishStatus: published.status,
    toFirstMs: firstAt === 0 ? NaN : firstAt - published.publishAt,
    toLastMs: lastAt === 0 ? NaN : lastAt - published.publishAt,
    // This process's CPU from before the publish to the last answer: near toLastMs, the clients were the bound.
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

serveOverIpc(polls, { name: 'workers-longpoll-clients', maxSeconds, answers: { publish: publishAndCollect } });
