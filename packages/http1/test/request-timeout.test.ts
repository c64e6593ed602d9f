/**
 * requestTimeout: a deadline for a whole request, from its first byte to its last. bodyTimeout
 * starts again with each read, so without it a client sending a few bytes of body every few
 * seconds (slowhttptest -B) held its connection for ever (issue 9). Past the deadline the request
 * is answered 408 and the connection closes, or it only closes when its answer has begun.
 */
import { describe, expect, it } from 'vitest';
import { runServer } from '@http-kit/http1';
import { RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

const HEAD = 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n';

/** Writes a byte every `everyMs` until the connection closes or `maxMs` pass; resolves with the bytes written. */
async function trickle(client: RawClient, everyMs: number, maxMs: number): Promise<number> {
  const started = Date.now();
  let written = 0;
  while (!client.closed && !client.ended && Date.now() - started < maxMs) {
    await client.write('a');
    written++;
    await sleep(everyMs);
  }
  return written;
}

describe('requestTimeout', () => {
  it('a body trickled faster than bodyTimeout is cut at requestTimeout: 408, then close', async () => {
    const { port } = await servers.start(async (req) => `got ${(await req.body!.bytes()).length}`, {
      requestTimeout: 600,
      bodyTimeout: 400,
    });
    const client = await RawClient.connect(port);
    const started = Date.now();
    await client.write(HEAD);
    void trickle(client, 100, 5_000);
    const result = await client.readUntilClose({ timeout: 4_000 });
    const elapsed = Date.now() - started;
    expect(result.closedByServer, 'the server closed the connection').toBe(true);
    expect(result.responses.map((r) => r.status)).toEqual([408]);
    expect(result.responses[0].text).toMatch(/^Request Timeout: Request not received whole within 600 ms/);
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('a handler streaming the body in as it comes: still 408 at the deadline (its answer has not begun)', async () => {
    const chunks: number[] = [];
    const { port } = await servers.start(
      async (req) => {
        for await (const chunk of req.body!) chunks.push((chunk as Buffer).length);
        return 'done';
      },
      { requestTimeout: 500, bodyTimeout: 10_000 },
    );
    const client = await RawClient.connect(port);
    await client.write(HEAD);
    void trickle(client, 50, 5_000);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([408]);
    expect(chunks.length).toBeGreaterThan(3);
  });

  it('an answer already begun is not followed by a 408: the connection is closed', async () => {
    const { port } = await servers.start(
      (req) => {
        async function* echo() {
          yield 'started\n';
          for await (const chunk of req.body!) yield chunk as Buffer;
        }
        return { status: 200, body: echo() };
      },
      { requestTimeout: 500 },
    );
    const client = await RawClient.connect(port);
    await client.write(HEAD);
    void trickle(client, 50, 5_000);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.text).not.toContain('408');
    expect(result.responses).toHaveLength(0); // cut off: no last chunk
  });

  it('a head trickled byte by byte is cut at requestTimeout when it comes before headersTimeout', async () => {
    const { port } = await servers.start(() => 'ok', { requestTimeout: 400, headersTimeout: 10_000 });
    const client = await RawClient.connect(port);
    const started = Date.now();
    void client.writeBytewise('GET / HTTP/1.1\r\nHost: x\r\n' + 'X-Slow: ' + 'a'.repeat(500) + '\r\n\r\n', 20);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.responses.map((r) => r.status)).toEqual([408]);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('each request of a kept-alive connection has its own deadline', async () => {
    const { port } = await servers.start(async (req) => `got ${(await req.body!.bytes()).length}`, { requestTimeout: 600 });
    const client = await RawClient.connect(port);
    const body = 'b'.repeat(8);
    for (let i = 0; i < 2; i++) {
      // 400 ms each, 800 ms in all: over one deadline, within each request's own.
      await client.write('POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n');
      for (const byte of body) {
        await sleep(50);
        await client.write(byte);
      }
      await client.waitForResponses(i + 1, { timeout: 2_000 });
    }
    expect(client.responses().responses.map((r) => [r.status, r.text])).toEqual([
      [200, 'got 8'],
      [200, 'got 8'],
    ]);
    client.destroy();
  });

  it('requestTimeout 0 sets no deadline; bodyTimeout still bounds each wait', async () => {
    const { port } = await servers.start(async (req) => `got ${(await req.body!.bytes()).length}`, { requestTimeout: 0, bodyTimeout: 300 });
    const client = await RawClient.connect(port);
    await client.write('POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n');
    for (let i = 0; i < 12; i++) {
      await sleep(100); // 1.2 s in all, each byte within bodyTimeout
      await client.write('c');
    }
    const [response] = await client.waitForResponses(1, { timeout: 2_000 });
    expect([response.status, response.text]).toEqual([200, 'got 12']);
    client.destroy();
  });

  it('requestTimeout must be zero or more', async () => {
    await expect(runServer(() => 'x', { port: 0, requestTimeout: -1 })).rejects.toThrow(/requestTimeout must be zero or more, got -1/);
  });
});
