import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, eventually, httpServer, sleep, type TestServer } from '@http-kit/test-support';

const TOTAL = 32 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

const client = createClient();
let server: TestServer;
let written = 0;

beforeAll(async () => {
  server = await httpServer((req, res) => {
    if (req.url === '/small') {
      res.end('small body');
      return;
    }
    if (req.url === '/gzip') {
      res.setHeader('content-encoding', 'gzip');
      res.end(zlib.gzipSync('streamed and compressed '.repeat(5000)));
      return;
    }
    // A big body written as fast as the client takes it.
    written = 0;
    res.setHeader('content-length', TOTAL);
    const pump = (): void => {
      while (written < TOTAL) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
});
afterAll(async () => {
  client.close();
  await server.close();
});

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return bytes;
}

describe("as: 'stream'", () => {
  it('resolves at the head and streams the body with backpressure', async () => {
    const res = (await client.get(server.url + '/big', { as: 'stream' })) as HttpResponse;
    expect(res.status).toBe(200);
    const body = res.body as Readable;
    // Nobody reads for a while: the server must be held back well before the end.
    await sleep(300);
    expect(written).toBeLessThan(TOTAL);
    expect(await drain(body)).toBe(TOTAL);
  });

  it('returns the connection to the pool once the body is read', async () => {
    const before = server.connections;
    const res = (await client.get(server.url + '/small', { as: 'stream' })) as HttpResponse;
    expect(await drain(res.body as Readable)).toBe(10);
    const again = (await client.get(server.url + '/small', { as: 'stream' })) as HttpResponse;
    expect(await drain(again.body as Readable)).toBe(10);
    expect(server.connections - before).toBeLessThanOrEqual(1);
  });

  it('discards the connection when the consumer destroys the body early', async () => {
    const res = (await client.get(server.url + '/big', { as: 'stream' })) as HttpResponse;
    const body = res.body as Readable;
    await new Promise((resolve) => body.once('data', resolve));
    const open = client.connections;
    body.destroy();
    await eventually(() => client.connections === open - 1, 2_000, 'the client to drop the connection');
    // And the client still works.
    expect((await client.get(server.url + '/small', { as: 'text' })).body).toBe('small body');
  });

  it('decodes a gzip body while streaming', async () => {
    const res = (await client.get(server.url + '/gzip', { as: 'stream' })) as HttpResponse;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as Readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('streamed and compressed '.repeat(5000));
  });

  it('errors the stream when the connection is reset mid-body', async () => {
    const broken = await cannedServer((_i, _h, socket) => {
      setTimeout(() => socket.resetAndDestroy(), 30);
      return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nbeginning' };
    });
    const res = (await client.get(broken.url, { as: 'stream' })) as HttpResponse;
    expect(res.status).toBe(200);
    const error = await drain(res.body as Readable).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe('HTTPKIT_CONNECTION_CLOSED');
    await broken.close();
  });

  it('an empty streamed body (HEAD) ends at once', async () => {
    const res = (await client.head(server.url + '/small', { as: 'stream' })) as HttpResponse;
    expect(await drain(res.body as Readable)).toBe(0);
  });
});
