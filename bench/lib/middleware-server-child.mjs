// One server for bench/middleware-bench.mjs, in a child process, driven over IPC.
//
//   node bench/lib/middleware-server-child.mjs <kind> [--peers DIR]
//
//   bare            ours: hello world, no middleware
//   bare-headers    ours: hello world with the headers the chain adds, no middleware
//   chain           ours: hello world through compose(requestId(), requestLogger(...), cors(...), compress())
//   json-ours       ours: a 20 KB JSON answer through compress()
//   json-fastify    fastify 5 + @fastify/compress: the same JSON
//   upload-ours     ours: multipart() saving each file to a temporary directory
//   upload-fastify  fastify 5 + @fastify/multipart: each file piped to a temporary file
//
// Messages: child -> parent {type:'listening', port}, {type:'rss', current, peak} (bytes);
//           parent -> child {type:'rss'} (peak since the last ask, then reset), {type:'stop'}.
// fastify comes from --peers (installed outside the project: npm i --prefix /tmp/peers fastify@5
// @fastify/compress @fastify/multipart).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';

const kind = process.argv[2];
const peersAt = process.argv.includes('--peers') ? process.argv[process.argv.indexOf('--peers') + 1] : '/tmp/peers';
if (typeof process.send !== 'function') {
  console.error('middleware-server-child: run me from bench/middleware-bench.mjs (needs an IPC channel)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
setTimeout(() => {
  console.error(`middleware-server-child ${kind}: still running after 600 s, exiting`);
  process.exit(3);
}, 600_000).unref();

/** 20 KB of JSON, the same bytes for both servers. */
export const JSON_20KB = JSON.stringify(
  Array.from({ length: 235 }, (_, i) => ({
    id: i,
    name: `customer ${i}`,
    email: `c${i}@example.com`,
    tags: ['a', 'b'],
    score: (i * 37) % 100,
  })),
);
const uploads = mkdtempSync(join(tmpdir(), 'mw-bench-uploads-'));
process.on('exit', () => rmSync(uploads, { recursive: true, force: true }));

// Peak RSS, sampled: what a large upload costs in memory.
let peak = process.memoryUsage.rss();
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
}, 20).unref();

async function ours() {
  const { runServer } = await import('@http-kit/http1');
  const mw = await import('@http-kit/middleware');
  const hello = () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' });
  let logged = 0;
  const handler = {
    bare: hello,
    // The bare handler answering what the chain answers (its extra headers), to tell the
    // middleware's own cost from that of the headers it adds.
    'bare-headers': () => ({
      status: 200,
      headers: {
        'content-type': 'text/plain',
        vary: 'Origin',
        'access-control-allow-origin': 'https://app.example',
        'x-request-id': '0b6b1f61-54a9-4c77-9a55-3c8f0d5b8e21',
      },
      body: 'hello world',
    }),
    chain: mw.compose(
      mw.requestId(),
      // Formatted as for a file, then dropped: the chain's cost without the disk's.
      mw.requestLogger({ log: (line) => (logged += line.length) }),
      mw.cors({ origins: ['https://app.example'] }),
      mw.compress(),
    )(hello),
    'json-ours': mw.compose(mw.compress({ encodings: ['gzip'] }))(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON_20KB,
    })),
    'upload-ours': mw.compose(mw.multipart({ tmpdir: uploads, maxFileSize: 4 * 1024 ** 3 }))((req) => {
      const file = req.multipartParams.file;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: String(file?.size ?? -1) };
    }),
  }[kind];
  const server = await runServer(handler, { ip: '127.0.0.1', port: 0, maxBody: 4 * 1024 ** 3, requestTimeout: 0 });
  return { port: server.port, stop: () => server.stop({ timeout: 500 }) };
}

async function fastify() {
  const require = createRequire(join(peersAt, 'node_modules', 'x.js'));
  const Fastify = require('fastify');
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 ** 3 });
  if (kind === 'json-fastify') {
    await app.register(require('@fastify/compress'), { encodings: ['gzip'] });
    app.get('/', (_req, reply) => reply.type('application/json').send(JSON_20KB));
  } else {
    await app.register(require('@fastify/multipart'), { limits: { fileSize: 4 * 1024 ** 3 } });
    let n = 0;
    app.post('/', async (req) => {
      const part = await req.file();
      const path = join(uploads, `upload-${++n}`);
      await pipeline(part.file, createWriteStream(path));
      const size = part.file.bytesRead;
      rmSync(path, { force: true });
      return String(size);
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: app.server.address().port, stop: () => app.close() };
}

const server = kind.endsWith('fastify') ? await fastify() : await ours();
process.on('message', async (message) => {
  if (message?.type === 'rss') {
    const current = process.memoryUsage.rss();
    process.send({ type: 'rss', current, peak: Math.max(peak, current) });
    peak = current;
  } else if (message?.type === 'stop') {
    await server.stop();
    process.exit(0);
  }
});
process.send({ type: 'listening', port: server.port });
