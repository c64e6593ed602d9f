/**
 * `timeout` is a deadline for the whole exchange — waiting for a slot, connecting, the head, the
 * body (streamed bodies included), the trailers, every redirect — whatever `idleTimeout` says:
 * servers that trickle a byte at a time never reset it. `idleTimeout` and `connectTimeout` bound
 * the parts; the deadline's error says which part it cut (pool wait, connect, or the rest).
 */
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TimerWheel } from '@http-kit/core';
import { createClient, TimeoutError, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, httpServer, rawServer, sleep, within } from '@http-kit/test-support';

const servers = closeAfterEach();

/** Writes `piece()` on `socket` every `everyMs` until it closes (or `pieces` were written). */
function trickle(socket: net.Socket, piece: () => string, everyMs: number, pieces = Infinity): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent++ >= pieces) {
      clearInterval(timer);
      if (!socket.destroyed) socket.end();
      return;
    }
    socket.write(piece());
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** A server that answers each request with `head`, then trickles `piece()` every `everyMs`. */
function trickler(
  head: string,
  piece: () => string,
  everyMs: number,
  pieces = Infinity,
): Promise<Awaited<ReturnType<typeof cannedServer>>> {
  return cannedServer((_index, _head, socket) => {
    socket.write(head);
    trickle(socket, piece, everyMs, pieces);
  });
}

/** One chunk of a chunked body. */
const chunk = (data: string): string => `${data.length.toString(16)}\r\n${data}\r\n`;

/** Reads a stream to its end: the bytes, or the error it failed with. */
async function consume(body: Readable): Promise<Buffer | (Error & { code?: string })> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (error) {
    return error as Error;
  }
}

describe('timeout: a deadline for the whole exchange', () => {
  it('cuts a body trickled a byte every 100 ms (idleTimeout never fires)', async () => {
    const server = await trickler('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', () => 'x', 100);
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await within(4_000, 'the trickled body to time out', client.get(server.url, { timeout: 600 }));
    const elapsed = performance.now() - start;
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    expect(res.error).toBeInstanceOf(TimeoutError);
    expect(res.error?.message).toMatch(/within 600 ms \(timeout\)/);
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(1_500);
    await eventually(() => server.open.size === 0, 2_000, 'the trickling connection to close');
    expect(client.connections).toBe(0);
    client.close();
  });

  it('cuts a head trickled a byte every 100 ms', async () => {
    const server = await trickler('HTTP/1.1 200 OK\r\nX-Slow: ', () => 'a', 100);
    servers.push(server);
    const client = createClient();
    const res = await within(4_000, 'the trickled head to time out', client.get(server.url, { timeout: 500 }));
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    client.close();
  });

  it('cuts trailers trickled a byte every 100 ms', async () => {
    const server = await trickler('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: ', () => 'a', 100);
    servers.push(server);
    const client = createClient();
    const res = await within(4_000, 'the trickled trailers to time out', client.get(server.url, { timeout: 500 }));
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    client.close();
  });

  it('covers a streamed body: an endless event stream is destroyed with HTTPKIT_TIMEOUT at the deadline', async () => {
    const server = await trickler(
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      () => chunk('data: tick\n\n'),
      100,
    );
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = (await client.get(server.url, { as: 'stream', timeout: 700 })) as HttpResponse;
    expect(res.status).toBe(200);
    const outcome = await within(4_000, 'the event stream to be cut', consume(res.body as Readable));
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect((outcome as Error & { code?: string }).code).toBe('HTTPKIT_TIMEOUT');
    expect(performance.now() - start).toBeLessThan(2_000);
    await eventually(() => server.open.size === 0 && client.connections === 0, 2_000, 'the stream connection to close');
    client.close();
  });

  it('cuts an event stream read as a buffered body (the reported case: timeout 1500 still pending after 8 s)', async () => {
    const server = await trickler(
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      () => chunk('data: tick\n\n'),
      300,
    );
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await within(4_000, 'the event stream to be cut', client.get(server.url, { timeout: 1_500 }));
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    expect(performance.now() - start).toBeLessThan(2_500);
    client.close();
  });

  it('timeout: Infinity lets a stream outlive any deadline; idleTimeout still bounds its silences', async () => {
    const server = await trickler('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', () => '1\r\nx\r\n', 60, 12);
    servers.push(server);
    const client = createClient({ timeout: 400 });
    const res = (await client.get(server.url, { as: 'stream', timeout: Infinity, idleTimeout: 300 })) as HttpResponse;
    // 12 pieces 60 ms apart, then the server ends the socket mid-body: a close before the last chunk.
    const outcome = await within(4_000, 'the stream to end', consume(res.body as Readable));
    expect((outcome as Error & { code?: string }).code).toBe('HTTPKIT_CONNECTION_CLOSED');

    const silent = await trickler('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n', () => '', 10_000);
    servers.push(silent);
    const quiet = (await client.get(silent.url, { as: 'stream', timeout: Infinity, idleTimeout: 150 })) as HttpResponse;
    const cut = await within(3_000, 'the silent stream to time out', consume(quiet.body as Readable));
    expect((cut as Error & { code?: string }).code).toBe('HTTPKIT_TIMEOUT');
    expect((cut as Error).message).toMatch(/idleTimeout/);
    client.close();
  });

  it('spans redirects: three hops of 250 ms each fail a 600 ms deadline', async () => {
    const server = await httpServer((req, res) => {
      const hop = Number(req.url!.slice(1));
      setTimeout(() => {
        if (hop < 3) res.writeHead(302, { location: `/${hop + 1}` }).end();
        else res.end('arrived');
      }, 250);
    });
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url + '/1', { timeout: 2_000 })).status).toBe(200);
    const res = await within(3_000, 'the redirect chain to time out', client.get(server.url + '/1', { timeout: 600 }));
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    client.close();
  });

  it('bounds the wait for a pool slot (HTTPKIT_POOL_TIMEOUT) even when connectTimeout is longer', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient({ maxConnectionsPerHost: 1 });
    const first = client.get(server.url, { timeout: 2_000 });
    await eventually(() => server.connections === 1, 2_000, 'the first request to connect');
    const start = performance.now();
    const waiting = await within(3_000, 'the queued request to time out', client.get(server.url, { timeout: 300, connectTimeout: 10_000 }));
    expect(waiting.error?.code).toBe('HTTPKIT_POOL_TIMEOUT');
    expect(waiting.error?.message).toMatch(/300 ms \(timeout\)/);
    expect(performance.now() - start).toBeLessThan(1_500);
    expect((await first).error?.code).toBe('HTTPKIT_TIMEOUT');
    client.close();
  });

  it('bounds the connect (HTTPKIT_CONNECT_TIMEOUT) even when connectTimeout is longer', async () => {
    // Accepts TCP, never answers the TLS ClientHello.
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await within(
      3_000,
      'the connect to time out',
      client.get(`https://127.0.0.1:${server.port}/`, { timeout: 300, connectTimeout: 10_000 }),
    );
    expect(res.error?.code).toBe('HTTPKIT_CONNECT_TIMEOUT');
    expect(res.error?.message).toMatch(/300 ms \(timeout\)/);
    expect(performance.now() - start).toBeLessThan(1_500);
    expect(client.connections).toBe(0);
    client.close();
  });

  it('is disarmed once the exchange is over: a reused connection outlives it, and only the keep-alive timer stays on the wheel', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const wheel = new TimerWheel({ tickMs: 10 });
    const client = createClient({ wheel, timeout: 200 });
    expect((await client.get(server.url)).status).toBe(200);
    expect(wheel.size).toBe(1);
    await sleep(300);
    const again = (await client.get(server.url)) as HttpResponse;
    expect(again.status).toBe(200);
    expect(server.connections).toBe(1);
    expect(wheel.size).toBe(1);
    client.close();
  });

  it('refuses timeout 0 in words (Infinity means none)', async () => {
    const client = createClient();
    const res = await client.get('http://127.0.0.1:1/', { timeout: 0, connectTimeout: 100, idleTimeout: 100 });
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(res.error?.message).toBe('timeout must be a positive number of ms (Infinity for none), got 0');
    client.close();
  });
});
