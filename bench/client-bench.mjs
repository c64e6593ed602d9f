// Client benchmark: keep-alive GETs with 100 requests in flight against one local server, in one
// run for @http-kit/client, undici 7 `request` and node:http with a keep-alive agent.
//
//   node scripts/build.mjs --no-types && node bench/client-bench.mjs [--smoke] [--duration=ms] [--warmup=ms] [--inflight=n] [--only=undici]
//
// The server is a bare canned-response net server in a child process (so its work does not
// share the bench's event loop): it counts request heads by their "\r\n\r\n" and writes one
// fixed keep-alive response per head.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { request as undiciRequest, Agent } from 'undici';
import { createClient } from '@http-kit/client';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.split('=')[1]);
};
const smoke = args.includes('--smoke');
const duration = arg('duration', smoke ? 1000 : 5000);
const warmup = arg('warmup', smoke ? 300 : 1000);
const inflight = arg('inflight', 100);

if (process.env.CLIENT_BENCH_SERVER === '1') {
  const net = await import('node:net');
  const body = 'Hello World!';
  const response = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
  const responses = [response];
  const server = net.createServer({ noDelay: true }, (socket) => {
    let tail = '';
    socket.on('data', (data) => {
      // Count "\r\n\r\n" (a request head's end), including one split across reads.
      const text = tail + data.toString('latin1');
      let count = 0;
      let at = text.indexOf('\r\n\r\n');
      while (at !== -1) {
        count++;
        at = text.indexOf('\r\n\r\n', at + 4);
      }
      // Keep a possible partial terminator for the next read (none when the read ended on one).
      tail = text.endsWith('\r\n\r\n') ? '' : text.slice(-3);
      if (count === 0) return;
      while (responses.length < count) responses.push(Buffer.concat([responses[responses.length - 1], response]));
      socket.write(responses[count - 1]);
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

async function startServer() {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, CLIENT_BENCH_SERVER: '1' }, stdio: 'inherit' });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { child, port };
}

/** Runs `inflight` loops of `once()` for `ms`; returns requests per second. */
async function phase(once, ms) {
  let done = 0;
  let errors = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      if (await once()) done++;
      else errors++;
    }
  };
  const start = performance.now();
  const timer = setTimeout(() => {
    stop = true;
  }, ms);
  await Promise.all(Array.from({ length: inflight }, loop));
  clearTimeout(timer);
  const elapsed = (performance.now() - start) / 1000;
  if (errors > 0) console.log(`  (${errors} errors)`);
  return done / elapsed;
}

async function main() {
  const { child, port } = await startServer();
  const url = `http://127.0.0.1:${port}/`;

  const ours = createClient({ maxConnectionsPerHost: inflight });
  const oursOnce = async () => {
    const res = await ours.get(url);
    return res.status === 200 && res.body === 'Hello World!';
  };

  const dispatcher = new Agent({ connections: inflight, pipelining: 1 });
  const undiciOnce = async () => {
    const res = await undiciRequest(url, { dispatcher });
    const text = await res.body.text();
    return res.statusCode === 200 && text === 'Hello World!';
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: inflight });
  const nodeOnce = () =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(res.statusCode === 200 && text === 'Hello World!'));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
    });

  const only = args.find((a) => a.startsWith('--only='))?.slice(7);
  const contenders = [
    ['@http-kit/client', oursOnce],
    ['undici request', undiciOnce],
    ['node:http', nodeOnce],
  ].filter(([name]) => only === undefined || name.includes(only));
  console.log(
    `client bench: keep-alive GET, ${inflight} in flight, ${duration} ms per phase (warm-up ${warmup} ms), Node ${process.version}`,
  );
  const rates = {};
  for (const [name, once] of contenders) {
    await phase(once, warmup);
    rates[name] = await phase(once, duration);
    console.log(`  ${name.padEnd(18)} ${Math.round(rates[name]).toLocaleString('en-US').padStart(10)} req/s`);
  }
  const oursRate = rates['@http-kit/client'];
  if (oursRate && rates['undici request']) console.log(`  ours / undici     ${(oursRate / rates['undici request']).toFixed(2)}x`);
  if (oursRate && rates['node:http']) console.log(`  ours / node:http  ${(oursRate / rates['node:http']).toFixed(2)}x`);

  ours.close();
  await dispatcher.close();
  agent.destroy();
  child.kill();
}
