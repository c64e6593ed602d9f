/**
 * Slow and odd peers: a client that never reads its (large) answer is cut off after
 * writeTimeout; one that sends a byte at a time is served when it finishes within
 * headersTimeout and gets 408 when it does not; endless header sections, targets and chunked
 * bodies get 431 / 414 / 413 and a close; a thousand connections opened and dropped at once
 * leave nothing behind.
 *
 * Reproduce a failure with FUZZ_SEED=<seed>.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { HttpServer } from '@http-kit/http1';
import { eventually, RawClient, Rng, seedFor, sleep, tick, trapProcessErrors, useServers } from '@http-kit/test-support';

const SEED = seedFor(0x510e7);
const servers = useServers();
const processErrors = trapProcessErrors();
const GET = 'GET /slow/path?with=query HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow-fuzz\r\nAccept: */*\r\n\r\n';

/** Writes `next()` pieces until the server closes (or `limit` bytes), then returns what came back. */
async function flood(client: RawClient, first: string, next: (i: number) => string, limit = 16 * 1024 * 1024) {
  await client.write(first);
  let sent = first.length;
  for (let i = 0; sent < limit && !client.ended && !client.closed && !client.socket.destroyed; i++) {
    const piece = next(i);
    sent += piece.length;
    await client.write(piece);
    if (i % 16 === 0) await tick();
  }
  return { sent, ...(await client.readUntilClose({ timeout: 2_000 })) };
}

async function settled(server: HttpServer, what: string): Promise<void> {
  await eventually(() => server.connectionCount === 0 && server.pendingCount === 0, 2_000, `seed=${SEED} ${what}: connections closed`);
}

describe(`slow and odd peers (seed ${SEED})`, () => {
  it('a client that never reads an endless streamed answer is cut off after writeTimeout', async () => {
    let destroyed = false;
    const { server, port, errors } = await servers.start(
      () => {
        const stream = new Readable({
          read() {
            this.push(Buffer.alloc(64 * 1024, 0x61));
          },
        });
        stream.on('close', () => (destroyed = true));
        return { status: 200, body: stream };
      },
      { writeTimeout: 300 },
    );
    const client = await RawClient.connect(port);
    client.socket.pause(); // never read
    await client.write(GET);
    const at = Date.now();
    await eventually(() => server.connectionCount === 0, 3_000, 'the stuck connection destroyed');
    expect(Date.now() - at).toBeLessThan(2_000);
    expect(destroyed).toBe(true);
    expect(errors).toEqual([]);
    client.destroy();
  });

  // writeTimeout bounds a whole body (a 32 MB Buffer handed to socket.write() at once) stuck on
  // a client that never reads, as it does a streamed one.
  it('a client that never reads a large whole-buffer answer is cut off after writeTimeout', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 0x62);
    const { server, port } = await servers.start(() => ({ status: 200, body: big }), { writeTimeout: 300, keepAliveTimeout: 10_000 });
    const client = await RawClient.connect(port);
    client.socket.pause();
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    try {
      await eventually(() => server.connectionCount === 0, 2_000, 'the stuck connection destroyed after writeTimeout');
    } finally {
      client.destroy();
    }
  });

  it('byte-at-a-time senders that finish within headersTimeout are served', async () => {
    const rng = new Rng(SEED);
    const { server, port, errors } = await servers.start((req) => `got ${req.uri}`, { headersTimeout: 3_000 });
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const client = await RawClient.connect(port);
        await client.writeBytewise(GET, rng.int(0, 2));
        const [response] = await client.waitForResponses(1, { timeout: 2_000 });
        expect(response.status, `seed=${SEED} client ${i}`).toBe(200);
        expect(response.text).toBe('got /slow/path');
        client.destroy();
      }),
    );
    await settled(server, 'bytewise');
    expect(errors).toEqual([]);
  });

  it('a slowloris head (a byte every 25 ms) gets 408 once headersTimeout passes, however it is spread', async () => {
    const { server, port } = await servers.start(() => 'never', { headersTimeout: 300 });
    const client = await RawClient.connect(port);
    const started = Date.now();
    void client.writeBytewise(GET, 25); // ~2.5 s to send it all
    const result = await client.readUntilClose({ timeout: 2_000 });
    expect(result.responses.map((r) => r.status)).toEqual([408]);
    expect(Date.now() - started).toBeLessThan(1_000);
    await settled(server, 'slowloris');
  });

  const endless: Array<[string, number, string, (i: number) => string]> = [
    ['endless header lines', 431, 'GET / HTTP/1.1\r\nHost: x\r\n', (i) => `X-Flood-${i}: ${'v'.repeat(50)}\r\n`],
    ['one endless header value', 431, 'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ', () => 'v'.repeat(1000)],
    ['one endless header name', 431, 'GET / HTTP/1.1\r\nHost: x\r\nX-', () => 'n'.repeat(1000)],
    ['an endless request target', 414, 'GET /', () => 'a'.repeat(1000)],
  ];
  for (const [name, status, first, next] of endless) {
    it(`${name}: ${status} and close`, async () => {
      const calls: string[] = [];
      const { server, port } = await servers.start((req) => (calls.push(req.uri), 'ok'), {
        maxHeaderSize: 4096,
        maxLine: 2048,
        headersTimeout: 1_500,
      });
      const client = await RawClient.connect(port);
      const result = await flood(client, first, next);
      expect(result.timedOut, `${name}: sent ${result.sent} bytes`).toBe(false);
      expect(
        result.responses.map((r) => r.status),
        `${name}: ${JSON.stringify(result.text.slice(0, 200))}`,
      ).toEqual([status]);
      expect(result.sent).toBeLessThan(4 * 1024 * 1024);
      expect(calls).toEqual([]);
      await settled(server, name);
    });
  }

  it('an endless run of empty lines before a request line is cut off by keepAliveTimeout', async () => {
    // llhttp skips CRLFs before a request line (RFC 9112 2.2 says ignore at least one) without
    // limit and without starting a message, so no header limit applies: the idle timer must.
    const calls: string[] = [];
    const { server, port } = await servers.start((req) => (calls.push(req.uri), 'ok'), { keepAliveTimeout: 500, headersTimeout: 1_000 });
    const client = await RawClient.connect(port);
    const started = Date.now();
    const result = await flood(client, '', () => '\r\n'.repeat(500));
    expect(result.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.responses.every((r) => r.status === 400 || r.status === 408)).toBe(true);
    expect(calls).toEqual([]);
    await settled(server, 'empty lines');
  });

  it('an endless chunked body to a handler that reads it: 413 and close', async () => {
    let failed: unknown = null;
    const { server, port } = await servers.start(
      async (req) => {
        try {
          for await (const _chunk of req.body!) {
            // drop
          }
        } catch (error) {
          failed = error;
        }
        return 'read all';
      },
      { maxBody: 64 * 1024 },
    );
    const client = await RawClient.connect(port);
    const result = await flood(
      client,
      'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      () => `400\r\n${'c'.repeat(1024)}\r\n`,
    );
    expect(result.timedOut).toBe(false);
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.sent).toBeLessThan(4 * 1024 * 1024);
    expect(failed).not.toBe(null); // the body stream ended in an error, not as if complete
    await settled(server, 'chunked 413');
  });

  it('an endless chunked body to a handler that answers without reading: answered, then closed', async () => {
    const { server, port } = await servers.start(() => 'no thanks', { maxBody: 64 * 1024 });
    const client = await RawClient.connect(port);
    const result = await flood(
      client,
      'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      () => `400\r\n${'c'.repeat(1024)}\r\n`,
    );
    expect(result.timedOut).toBe(false);
    expect(result.responses.map((r) => r.status)).toEqual([200]);
    expect(result.sent).toBeLessThan(4 * 1024 * 1024);
    await settled(server, 'chunked unread');
  });

  it('1000 connections opened and dropped rapidly leave nothing behind', async () => {
    const rng = new Rng(SEED ^ 0x1000);
    let handled = 0;
    const { server, port, errors, warnings } = await servers.start(async (req) => {
      handled++;
      if (req.uri === '/slow') await sleep(5);
      return 'ok';
    });
    const partial = [
      '',
      'G',
      'GET / HT',
      'GET / HTTP/1.1\r\nHost: x\r\n',
      'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc',
      GET,
    ];
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const client = await RawClient.connect(port, { timeout: 5_000 });
          const bytes = rng.pick(partial);
          if (bytes !== '') await client.write(bytes);
          if (rng.chance(0.3)) await sleep(rng.int(0, 3));
          if (rng.chance(0.5)) client.socket.resetAndDestroy();
          else client.destroy();
        }),
      );
    }
    await settled(server, '1000 connections');
    // Still serving.
    const client = await RawClient.connect(port);
    await client.write(GET);
    const [response] = await client.waitForResponses(1);
    expect(response.status).toBe(200);
    client.destroy();
    await settled(server, 'last connection');
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(handled).toBeGreaterThan(0);
    const stopAt = Date.now();
    await server.stop({ timeout: 1_000 });
    expect(Date.now() - stopAt).toBeLessThan(200);
    expect(processErrors).toEqual({ uncaught: [], unhandled: [] });
  });
});
