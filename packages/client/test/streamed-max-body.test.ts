import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { eventually, httpServer, type TestServer } from '@http-kit/test-support';

const client = createClient();
let server: TestServer;
/** 1 MiB of zeros: about a kilobyte gzipped. */
const BOMB = zlib.gzipSync(Buffer.alloc(1024 * 1024));

beforeAll(async () => {
  server = await httpServer((req, res) => {
    res.setHeader('content-encoding', req.url === '/br' ? 'br' : 'gzip');
    switch (req.url) {
      case '/bomb':
        res.end(BOMB);
        return;
      case '/br':
        res.end(zlib.brotliCompressSync(Buffer.alloc(1024 * 1024)));
        return;
      case '/endless': {
        // A gzip stream that never ends: the limit must stop it, not the server.
        const gzip = zlib.createGzip();
        gzip.pipe(res);
        const chunk = Buffer.alloc(64 * 1024);
        const pump = (): void => {
          while (!res.destroyed && gzip.write(chunk)) gzip.flush();
          if (!res.destroyed) gzip.once('drain', pump);
        };
        res.on('close', () => gzip.destroy());
        pump();
        return;
      }
      default:
        res.end(zlib.gzipSync('x'.repeat(10_000)));
    }
  });
});
afterAll(async () => {
  client.close();
  await server.close();
});

/** Reads a body to its end; resolves to its length, or to the error it failed with. */
async function consume(body: Readable): Promise<number | (Error & { code?: string })> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length;
    return bytes;
  } catch (error) {
    return error as Error;
  }
}

describe('maxBody on a streamed, decompressed body', () => {
  it('errors the stream with HTTPKIT_BODY_TOO_LARGE once the decompressed bytes pass maxBody', async () => {
    for (const path of ['/bomb', '/br']) {
      const res = (await client.get(server.url + path, { as: 'stream', maxBody: 64 * 1024 })) as HttpResponse;
      expect(res.error).toBeUndefined();
      expect(res.status).toBe(200);
      const outcome = await consume(res.body as Readable);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error & { code?: string }).code).toBe('HTTPKIT_BODY_TOO_LARGE');
      expect((outcome as Error).message).toMatch(/decompressed .* maxBody \(65536 bytes\)/);
    }
  });

  it('stops reading a body that would never end, and drops its connection', async () => {
    const res = (await client.get(server.url + '/endless', { as: 'stream', maxBody: 256 * 1024 })) as HttpResponse;
    const outcome = await consume(res.body as Readable);
    expect((outcome as Error & { code?: string }).code).toBe('HTTPKIT_BODY_TOO_LARGE');
    await eventually(() => client.connections === 0, 2_000, 'the client to hold no connection');
  });

  it('passes a body whose decompressed size is within maxBody', async () => {
    const res = (await client.get(server.url + '/small', { as: 'stream', maxBody: 10_000 })) as HttpResponse;
    expect(await consume(res.body as Readable)).toBe(10_000);
    const bomb = (await client.get(server.url + '/bomb', { as: 'stream', maxBody: 1024 * 1024 })) as HttpResponse;
    expect(await consume(bomb.body as Readable)).toBe(1024 * 1024);
  });
});
