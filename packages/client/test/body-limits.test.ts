/**
 * A buffered body is bounded by default: `maxBody` defaults to 64 MiB for bodies held in memory
 * (as received and once decompressed), so a gzip bomb or an endless body fails with
 * HTTPKIT_BODY_TOO_LARGE naming the limit. Streamed bodies are bounded by backpressure instead:
 * `maxBody` applies to them only when it is set.
 */
import type net from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyTooLargeError, createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, within, type TestServer } from '@http-kit/test-support';

const MiB = 1024 * 1024;
const DEFAULT_MAX_BODY = 64 * MiB;
const servers = closeAfterEach();

/** Writes `total` bytes of `piece` repeated, with backpressure, then leaves the socket open. */
function send(socket: net.Socket, piece: Buffer, total: number, then?: Buffer): void {
  let left = total;
  const pump = (): void => {
    while (!socket.destroyed && left > 0) {
      const part = left >= piece.length ? piece : piece.subarray(0, left);
      left -= part.length;
      if (!socket.write(part)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (!socket.destroyed && then !== undefined) socket.write(then);
  };
  pump();
}

/** Reads a stream to its end: its length, or the error it failed with. */
async function consume(body: Readable): Promise<number | (Error & { code?: string })> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length;
    return bytes;
  } catch (error) {
    return error as Error;
  }
}

describe('maxBody', () => {
  let bomb: Buffer;
  let small: Buffer;
  let server: TestServer;
  beforeAll(async () => {
    // 65 MiB of zeros: about 65 KB gzipped, just past the default limit once inflated.
    bomb = zlib.gzipSync(Buffer.alloc(DEFAULT_MAX_BODY + MiB), { level: 1 });
    // 4 MiB of zeros, a few KB gzipped.
    small = zlib.gzipSync(Buffer.alloc(4 * MiB));
    server = await cannedServer((_i, head) => {
      const body = head.startsWith('GET /bomb') ? bomb : small;
      return {
        bytes: Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`), body]),
      };
    });
  });
  afterAll(() => server.close());

  it('is finite by default: a gzip bomb inflating past 64 MiB fails, naming the limit', async () => {
    expect(bomb.length).toBeLessThan(MiB);
    const client = createClient();
    const res = await within(10_000, 'the bomb to be refused', client.get(server.url + '/bomb'));
    expect(res.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect(res.error).toBeInstanceOf(BodyTooLargeError);
    expect(res.error?.message).toBe(
      `the decompressed response body is larger than maxBody (${DEFAULT_MAX_BODY} bytes, the default for a buffered body; set maxBody, or read it with as: 'stream')`,
    );
    client.close();
  });

  it('stops a gzip bomb at a small explicit limit', async () => {
    const client = createClient();
    const res = await client.get(server.url + '/small', { maxBody: MiB });
    expect(res.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect(res.error?.message).toBe(`the decompressed response body is larger than maxBody (${MiB} bytes)`);
    expect(((await client.get(server.url + '/small', { maxBody: 4 * MiB, as: 'buffer' })) as HttpResponse).body).toHaveLength(4 * MiB);
    client.close();
  });

  it('stops an endless chunked body at the default limit', async () => {
    // 80 MiB of chunks and no last chunk: without a limit the client would hold all of it.
    const piece = Buffer.from(`10000\r\n${'x'.repeat(0x10000)}\r\n`, 'latin1');
    const endless = await cannedServer((_i, _head, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      send(socket, piece, Math.ceil((80 * MiB) / 0x10000) * piece.length);
    });
    servers.push(endless);
    const client = createClient();
    const res = await within(10_000, 'the endless body to be refused', client.get(endless.url));
    expect(res.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect(res.error?.message).toMatch(/larger than maxBody \(67108864 bytes, the default for a buffered body/);
    client.close();
  });

  it('refuses a Content-Length past the default at the head', async () => {
    const liar = await cannedServer(() => ({ bytes: `HTTP/1.1 200 OK\r\nContent-Length: ${DEFAULT_MAX_BODY + 1}\r\n\r\n` }));
    servers.push(liar);
    const client = createClient();
    const res = await within(2_000, 'the head to be refused', client.get(liar.url));
    expect(res.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect(res.error?.message).toMatch(/Content-Length 67108865\) is larger than maxBody \(67108864 bytes/);
    client.close();
  });

  it('leaves a streamed body unbounded unless maxBody is set (backpressure bounds its memory)', async () => {
    const total = DEFAULT_MAX_BODY + 4 * MiB;
    const big = await cannedServer((_i, _head, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      send(socket, Buffer.alloc(MiB, 'y'), total);
    });
    servers.push(big);
    const client = createClient();
    const res = (await client.get(big.url, { as: 'stream' })) as HttpResponse;
    expect(await within(15_000, 'the big stream', consume(res.body as Readable))).toBe(total);

    const capped = (await client.get(big.url, { as: 'stream', maxBody: 8 * MiB })) as HttpResponse | { error: Error & { code?: string } };
    // Content-Length says it all at the head.
    expect(capped.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    const byDefault = createClient({ maxBody: 8 * MiB });
    expect((await byDefault.get(big.url, { as: 'stream' })).error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    byDefault.close();
    client.close();
  });

  it('refuses a maxBody that is not a number of bytes, in words', async () => {
    const client = createClient();
    const res = await client.get('http://127.0.0.1:1/', { maxBody: -1 });
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(res.error?.message).toBe('maxBody must be a number of bytes (0 or more, Infinity for none), got -1');
    client.close();
  });
});
