import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, httpServer, type TestServer } from '@http-kit/test-support';

const client = createClient();
let server: TestServer;

beforeAll(async () => {
  server = await httpServer((req, res) => {
    switch (req.url) {
      case '/trailers':
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'X-Checksum, Server-Timing' });
        res.write('hello ');
        res.write('world');
        res.addTrailers([
          ['X-Checksum', 'abc123'],
          ['Server-Timing', 'db;dur=1'],
          ['Server-Timing', 'app;dur=2'],
        ]);
        res.end();
        return;
      case '/gzip-trailers':
        res.writeHead(200, { 'content-encoding': 'gzip', trailer: 'X-Checksum' });
        res.write(zlib.gzipSync('compressed '.repeat(1000)));
        res.addTrailers({ 'X-Checksum': 'gz' });
        res.end();
        return;
      case '/redirect':
        res.writeHead(302, { location: '/plain' });
        res.write('moved');
        res.addTrailers({ 'X-From': 'redirect' });
        res.end();
        return;
      default:
        res.setHeader('content-type', 'text/plain');
        res.end('plain');
    }
  });
});
afterAll(async () => {
  client.close();
  await server.close();
});

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('response trailers', () => {
  it('exposes the trailers of a chunked response as `trailers`, named like headers', async () => {
    const res = (await client.get(server.url + '/trailers')) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.body).toBe('hello world');
    expect(res.trailers).toEqual({ 'x-checksum': 'abc123', 'server-timing': 'db;dur=1, app;dur=2' });
    expect(res.headers['x-checksum']).toBeUndefined();
  });

  it('has no `trailers` property when the response had none, also on a reused connection after one that had', async () => {
    const before = server.connections;
    expect(((await client.get(server.url + '/trailers')) as HttpResponse).trailers).toBeDefined();
    const res = (await client.get(server.url + '/plain')) as HttpResponse;
    expect(res.body).toBe('plain');
    expect('trailers' in res).toBe(false);
    expect(server.connections).toBe(before);
  });

  it('sets `trailers` on a streamed response by the end of its body', async () => {
    const res = (await client.get(server.url + '/trailers', { as: 'stream' })) as HttpResponse;
    expect(await text(res.body as Readable)).toBe('hello world');
    expect(res.trailers).toEqual({ 'x-checksum': 'abc123', 'server-timing': 'db;dur=1, app;dur=2' });
  });

  it('sets `trailers` on a decompressed response, buffered or streamed', async () => {
    const buffered = (await client.get(server.url + '/gzip-trailers')) as HttpResponse;
    expect(buffered.body).toEqual(Buffer.from('compressed '.repeat(1000)));
    expect(buffered.trailers).toEqual({ 'x-checksum': 'gz' });
    const streamed = (await client.get(server.url + '/gzip-trailers', { as: 'stream' })) as HttpResponse;
    expect(await text(streamed.body as Readable)).toBe('compressed '.repeat(1000));
    expect(streamed.trailers).toEqual({ 'x-checksum': 'gz' });
  });

  it('drops the trailers of a redirect it follows', async () => {
    const res = (await client.get(server.url + '/redirect')) as HttpResponse;
    expect(res.body).toBe('plain');
    expect('trailers' in res).toBe(false);
  });

  it('reads trailers split across reads, and an empty trailer section', async () => {
    const raw = await cannedServer((index, _head, socket) => {
      if (index > 0) return { bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' };
      // The trailer section arrives in two reads, cut inside a name and inside a value.
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sp');
      setTimeout(() => socket.write('lit: o'), 20);
      setTimeout(() => socket.write('ne \r\nX-Empty:\r\n\r\n'), 40);
      return undefined;
    });
    try {
      const split = (await client.get(raw.url, { as: 'text' })) as HttpResponse;
      expect(split.body).toBe('abc');
      expect(split.trailers).toEqual({ 'x-split': 'one', 'x-empty': '' });
      const none = (await client.get(raw.url, { as: 'text' })) as HttpResponse;
      expect(none.body).toBe('abc');
      expect(none.trailers).toBeUndefined();
    } finally {
      await raw.close();
    }
  });
});
