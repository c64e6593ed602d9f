/**
 * compress: br and gzip by Accept-Encoding with q-values, checked with curl --compressed and
 * node:zlib on the other end; streamed bodies compressed with backpressure; SSE and streamed
 * channels flushed per message; long polls compressed; what must not be compressed is not.
 */
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compose, compress, negotiateEncoding } from '@http-kit/middleware';
import { asChannel, asEventStream, type Channel, type EventStream, type Handler } from '@http-kit/http1';
import { curl, eventually, peer, sleep, useServers } from '@http-kit/test-support';
import { zlibGate } from '../src/zlib-gate.js';

const CURL = peer('curl', 'compress (curl --compressed)');
const servers = useServers();
const JSON_BODY = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] })));

const json: Handler = (req) => {
  if (req.uri === '/small') return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
  if (req.uri === '/png') return { status: 200, headers: { 'content-type': 'image/png' }, body: Buffer.alloc(5000) };
  if (req.uri === '/encoded')
    return { status: 200, headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, body: zlib.gzipSync('x'.repeat(5000)) };
  if (req.uri === '/partial')
    return { status: 206, headers: { 'content-type': 'text/plain', 'content-range': 'bytes 0-4999/9999' }, body: 'y'.repeat(5000) };
  return { status: 200, headers: { 'content-type': 'application/json', etag: '"v1"' }, body: JSON_BODY };
};

/** A raw GET; the whole response (head and body bytes) once the server closes or `until` holds. */
function rawGet(port: number, path: string, headers: string): Promise<{ head: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      resolve({ head: all.subarray(0, split).toString('latin1'), body: all.subarray(split + 4) });
    });
    socket.end(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${headers}\r\n`);
  });
}

describe('negotiateEncoding', () => {
  it('follows q-values, then the server order; q=0 refuses; * stands for the rest', () => {
    expect(negotiateEncoding('gzip, deflate, br', ['br', 'gzip'])).toBe('br');
    expect(negotiateEncoding('gzip;q=1, br;q=0.5', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0, *;q=0.1', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('identity', ['br', 'gzip'])).toBe(null);
    expect(negotiateEncoding(undefined, ['br', 'gzip'])).toBe(null);
    expect(negotiateEncoding('GZIP ; Q=0.8', ['br', 'gzip'])).toBe('gzip');
  });
});

describe('compress over real sockets', () => {
  it.skipIf(CURL === null)('curl --compressed gets br, then gzip, with Vary and a weakened ETag', async () => {
    const { port } = await servers.start(compose(compress())(json));
    const br = await curl(['-sS', '--compressed', '-D', '-', '-o', '/dev/null', '-H', 'accept-encoding: br', `http://127.0.0.1:${port}/`]);
    expect(br.stdout).toMatch(/content-encoding: br\r\n/i);
    expect(br.stdout).toMatch(/vary: Accept-Encoding\r\n/i);
    expect(br.stdout).toMatch(/etag: W\/"v1"\r\n/i);
    const body = await curl(['-sS', '--compressed', '-H', 'accept-encoding: gzip;q=1, br;q=0.2', `http://127.0.0.1:${port}/`]);
    expect(body.stdout).toBe(JSON_BODY);
    const head = await curl([
      '-sS',
      '-D',
      '-',
      '-o',
      '/dev/null',
      '-H',
      'accept-encoding: gzip;q=1, br;q=0.2',
      `http://127.0.0.1:${port}/`,
    ]);
    expect(head.stdout).toMatch(/content-encoding: gzip\r\n/i);
    const length = Number(/content-length: (\d+)/i.exec(head.stdout)![1]);
    expect(length).toBeLessThan(JSON_BODY.length / 4);
  });

  it('compresses whole bodies on the main thread up to syncThreshold, on the pool above it: the same bytes either way', async () => {
    const sync = await servers.start(compose(compress({ syncThreshold: 1024 * 1024, encodings: ['gzip'] }))(json));
    const pool = await servers.start(compose(compress({ syncThreshold: 0, encodings: ['gzip'] }))(json));
    const a = await rawGet(sync.port, '/', 'accept-encoding: gzip\r\n');
    const b = await rawGet(pool.port, '/', 'accept-encoding: gzip\r\n');
    expect(zlib.gunzipSync(a.body).toString()).toBe(JSON_BODY);
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.head).toMatch(new RegExp(`content-length: ${a.body.length}\r\n`, 'i'));
  });

  it('runs no more zlib jobs at once than maxConcurrent; the rest wait their turn and all arrive whole', async () => {
    const big = JSON.stringify(Array.from({ length: 6000 }, (_, i) => ({ id: i, text: `row ${i} ${'x'.repeat(i % 50)}` })));
    const { port } = await servers.start(
      compose(compress({ maxConcurrent: 2, syncThreshold: 0, encodings: ['gzip'] }))(() => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: big,
      })),
    );
    let most = 0;
    let queued = 0;
    const watch = setInterval(() => {
      most = Math.max(most, zlibGate.load.active);
      queued = Math.max(queued, zlibGate.load.waiting);
    }, 1);
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, () => rawGet(port, '/', 'accept-encoding: gzip\r\n')));
      for (const answer of answers) expect(zlib.gunzipSync(answer.body).toString()).toBe(big);
    } finally {
      clearInterval(watch);
    }
    expect(zlibGate.limit).toBe(2);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThan(0);
  });

  it('leaves alone what must not be compressed: small, not text, encoded, 206, HEAD, no Accept-Encoding', async () => {
    const { port } = await servers.start(compose(compress())(json));
    const ae = 'accept-encoding: gzip, br\r\n';
    const small = await rawGet(port, '/small', ae);
    expect(small.head).not.toMatch(/content-encoding/i);
    expect(small.head).not.toMatch(/vary/i); // below the threshold every client gets the same bytes
    expect((await rawGet(port, '/png', ae)).head).not.toMatch(/content-encoding|vary/i);
    const encoded = await rawGet(port, '/encoded', ae);
    expect(zlib.gunzipSync(encoded.body).toString()).toBe('x'.repeat(5000));
    expect((await rawGet(port, '/partial', ae)).head).not.toMatch(/content-encoding/i);
    expect((await rawGet(port, '/', '')).body.toString()).toBe(JSON_BODY);
    const head = await new Promise<http.IncomingMessage>((resolve) =>
      http.request({ port, method: 'HEAD', path: '/', headers: { 'accept-encoding': 'gzip' } }, resolve).end(),
    );
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.headers.vary).toBe('Accept-Encoding');
    head.resume();
  });

  it('compresses a streamed body as it streams, reading the source only as fast as the client reads', async () => {
    let produced = 0;
    // 64 KiB that does not compress: the socket's buffers fill after a few MiB, as with real files.
    const chunk = randomBytes(64 * 1024);
    const { port } = await servers.start(
      compose(compress())(() => ({
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: Readable.from(
          (function* () {
            for (let i = 0; i < 600; i++) {
              produced++;
              yield Buffer.concat([Buffer.from(String(i)), chunk]);
            }
          })(),
        ),
      })),
    );
    // A client that reads nothing: the source must stop being read.
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\n\r\n');
    socket.pause();
    // Wait for the source to stop (how soon depends on the machine's load), within 15 s.
    let stalled = -1;
    for (let waited = 0; waited < 15_000 && produced !== stalled; waited += 400) {
      stalled = produced;
      await sleep(400);
    }
    expect(produced).toBe(stalled); // stopped, not still going
    expect(produced).toBeLessThan(400); // 25 MiB at most: socket buffers and one chunk in flight
    socket.destroy();

    // A client that reads gets every byte back.
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get({ port, headers: { 'accept-encoding': 'gzip' } }, resolve));
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    let size = 0;
    for await (const piece of res.pipe(zlib.createGunzip())) size += (piece as Buffer).length;
    let expected = 0;
    for (let i = 0; i < 600; i++) expected += String(i).length + chunk.length;
    expect(size).toBe(expected);
  });

  it('an SSE stream through compress arrives message by message (flushed, never held back)', async () => {
    let stream: EventStream | null = null;
    const app = compose(compress())((req) => asEventStream(req, { onOpen: (s) => (stream = s), keepAliveInterval: 0 }));
    const { port } = await servers.start(app);
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get({ port, headers: { 'accept-encoding': 'br' } }, resolve));
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    let text = '';
    res.pipe(zlib.createBrotliDecompress()).on('data', (d: Buffer) => (text += d.toString()));
    await eventually(() => stream !== null);
    for (let i = 1; i <= 3; i++) {
      stream!.send({ event: 'tick', data: { i } });
      // Each message decodes on its own before the next is sent.
      await eventually(() => text.includes(`data: {"i":${i}}\n\n`), 3000, `message ${i} to arrive decompressed`);
    }
    stream!.close();
    await new Promise((resolve) => res.on('end', resolve));
  });

  it('a streamed channel (gzip) flushes each send; a long poll is compressed whole', async () => {
    let channel: Channel | null = null;
    const app = compose(compress())((req) =>
      asChannel(req, {
        onOpen: (ch) => {
          if (req.uri === '/poll') ch.send({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON_BODY });
          else channel = ch;
        },
      }),
    );
    const { port } = await servers.start(app);
    const poll = await rawGet(port, '/poll', 'accept-encoding: gzip\r\n');
    expect(poll.head).toMatch(/content-encoding: gzip/i);
    const res = await new Promise<http.IncomingMessage>((resolve) => {
      http.get({ port, path: '/stream', headers: { 'accept-encoding': 'gzip' } }, resolve);
      void eventually(() => channel !== null).then(() =>
        channel!.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'first\n' }, false),
      );
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    let text = '';
    res.pipe(zlib.createGunzip()).on('data', (d: Buffer) => (text += d.toString()));
    await eventually(() => text === 'first\n', 3000, 'the head body to arrive');
    channel!.send('second\n');
    await eventually(() => text === 'first\nsecond\n', 3000, 'the second send to arrive');
    channel!.close();
    await new Promise((resolve) => res.on('end', resolve));
    expect(text).toBe('first\nsecond\n');
  });
});
