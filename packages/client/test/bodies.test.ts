import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, httpServer, readBody, type TestServer } from '@http-kit/test-support';

const client = createClient();
let echo: TestServer;
beforeAll(async () => {
  // Echoes what it received as JSON: method, url, headers, body.
  echo = await httpServer(async (req, res) => {
    const body = await readBody(req);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('latin1') }));
  });
});
afterAll(async () => {
  client.close();
  await echo.close();
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
const echoed = (res: unknown): Echo => JSON.parse((res as HttpResponse).body as string) as Echo;

describe('request bodies and options', () => {
  it('sends a string body with its Content-Length', async () => {
    const e = echoed(await client.post(echo.url, { body: 'héllo' }));
    expect(e.headers['content-length']).toBe('6');
    expect(Buffer.from(e.body, 'latin1').toString('utf8')).toBe('héllo');
  });

  it('sends a Uint8Array body', async () => {
    const e = echoed(await client.put(echo.url, { body: new Uint8Array([104, 105]) }));
    expect(e.body).toBe('hi');
    expect(e.headers['content-length']).toBe('2');
  });

  it('sends a large Buffer body (written separately from the head)', async () => {
    const big = Buffer.alloc(300_000, 'z');
    const e = echoed(await client.post(echo.url, { body: big }));
    expect(e.body.length).toBe(300_000);
  });

  it('streams a Readable body chunked', async () => {
    const e = echoed(await client.post(echo.url, { body: Readable.from([Buffer.from('a'), 'b', Buffer.from('c')]) }));
    expect(e.headers['transfer-encoding']).toBe('chunked');
    expect(e.body).toBe('abc');
  });

  it('streams an async iterable body, with its Content-Length when the caller gives one', async () => {
    async function* gen() {
      yield 'hello ';
      yield new TextEncoder().encode('world');
    }
    const e = echoed(await client.post(echo.url, { body: gen(), headers: { 'content-length': '11' } }));
    expect(e.headers['transfer-encoding']).toBeUndefined();
    expect(e.body).toBe('hello world');
  });

  it('fails with HTTPKIT_REQUEST_BODY when the body stream errors', async () => {
    async function* broken() {
      yield 'start';
      throw new Error('disk gone');
    }
    const res = await client.post(echo.url, { body: broken() });
    expect(res.error?.code).toBe('HTTPKIT_REQUEST_BODY');
    expect(res.error?.message).toMatch(/disk gone/);
  });

  it('encodes queryParams and formParams', async () => {
    const e = echoed(
      await client.post(echo.url + '/p?x=1', { queryParams: { q: 'a b', list: [1, 2] }, formParams: { name: 'Zoë', n: 3 } }),
    );
    expect(e.url).toBe('/p?x=1&q=a+b&list=1&list=2');
    expect(e.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(e.body, 'latin1').toString('utf8')).toBe('name=Zo%C3%AB&n=3');
  });

  it('sends basic auth, bearer tokens, URL credentials and a user agent', async () => {
    expect(echoed(await client.get(echo.url, { basicAuth: ['user', 'pa:ss'] })).headers.authorization).toBe(
      'Basic ' + Buffer.from('user:pa:ss').toString('base64'),
    );
    expect(echoed(await client.get(echo.url, { oauthToken: 'tok' })).headers.authorization).toBe('Bearer tok');
    const withUserInfo = echo.url.replace('http://', 'http://me:s%40cret@');
    expect(echoed(await client.get(withUserInfo)).headers.authorization).toBe('Basic ' + Buffer.from('me:s@cret').toString('base64'));
    const e = echoed(await client.get(echo.url, { userAgent: 'probe/1' }));
    expect(e.headers['user-agent']).toBe('probe/1');
    expect(e.headers['accept-encoding']).toBe('gzip, deflate');
    expect(e.headers.host).toBe(`127.0.0.1:${echo.port}`);
  });

  it("lets the caller's headers replace the defaults", async () => {
    const e = echoed(
      await client.get(echo.url, { headers: { 'User-Agent': 'mine', 'accept-encoding': 'identity', 'x-list': ['a', 'b'] } }),
    );
    expect(e.headers['user-agent']).toBe('mine');
    expect(e.headers['accept-encoding']).toBe('identity');
    expect(e.headers['x-list']).toBe('a, b');
  });

  it('sends Content-Length: 0 for a POST without a body', async () => {
    const e = echoed(await client.post(echo.url));
    expect(e.headers['content-length']).toBe('0');
  });

  it('sends multipart form data with fields and files', async () => {
    const e = echoed(
      await client.post(echo.url, {
        multipart: [
          { name: 'title', content: 'hello' },
          { name: 'file', filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('file body') },
          { name: 'stream', filename: 'b.bin', content: Readable.from([Buffer.from([1, 2, 3])]) },
        ],
      }),
    );
    const type = e.headers['content-type'];
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const boundary = type.split('boundary=')[1];
    const form = await new Response(Buffer.from(e.body, 'latin1'), { headers: { 'content-type': type } }).formData();
    expect(form.get('title')).toBe('hello');
    const file = form.get('file') as File;
    expect(file.name).toBe('a.txt');
    expect(await file.text()).toBe('file body');
    const stream = form.get('stream') as File;
    expect(Buffer.from(await stream.arrayBuffer())).toEqual(Buffer.from([1, 2, 3]));
    expect(e.body.endsWith(`--${boundary}--\r\n`)).toBe(true);
  });
});

describe('response bodies', () => {
  let server: TestServer;
  const text = 'compressible '.repeat(1000);
  beforeAll(async () => {
    server = await httpServer((req, res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      switch (req.url) {
        case '/gzip':
          res.setHeader('content-encoding', 'gzip');
          res.end(zlib.gzipSync(text));
          return;
        case '/deflate':
          res.setHeader('content-encoding', 'deflate');
          res.end(zlib.deflateSync(text));
          return;
        case '/raw-deflate':
          res.setHeader('content-encoding', 'deflate');
          res.end(zlib.deflateRawSync(text));
          return;
        case '/br':
          res.setHeader('content-encoding', 'br');
          res.end(zlib.brotliCompressSync(text));
          return;
        case '/gzip-chunked': {
          res.setHeader('content-encoding', 'gzip');
          const gz = zlib.gzipSync(text);
          res.write(gz.subarray(0, 10));
          setTimeout(() => res.end(gz.subarray(10)), 5);
          return;
        }
        case '/latin1':
          res.setHeader('content-type', 'text/plain; charset=ISO-8859-1');
          res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
          return;
        case '/json':
          res.setHeader('content-type', 'application/json');
          res.end('{"a":1}');
          return;
        case '/binary':
          res.setHeader('content-type', 'application/octet-stream');
          res.end(Buffer.from([0, 1, 2]));
          return;
        case '/big':
          res.end('x'.repeat(10_000));
          return;
        case '/accept-encoding':
          res.end(String(req.headers['accept-encoding']));
          return;
      }
      res.writeHead(404).end();
    });
  });
  afterAll(() => server.close());

  for (const path of ['/gzip', '/deflate', '/raw-deflate', '/br', '/gzip-chunked']) {
    it(`decodes ${path.slice(1)} automatically`, async () => {
      const res = (await client.get(server.url + path)) as HttpResponse;
      expect(res.error).toBeUndefined();
      expect(res.body).toBe(text);
    });
  }

  it('hands over text, buffer or auto as asked', async () => {
    expect((await client.get(server.url + '/json')).body).toBe('{"a":1}');
    expect((await client.get(server.url + '/binary')).body).toEqual(Buffer.from([0, 1, 2]));
    expect((await client.get(server.url + '/binary', { as: 'text' })).body).toBe('\u0000\u0001\u0002');
    expect((await client.get(server.url + '/json', { as: 'buffer' })).body).toEqual(Buffer.from('{"a":1}'));
    expect((await client.get(server.url + '/latin1')).body).toBe('café');
    expect((await client.get(server.url + '/gzip', { as: 'buffer' })).body).toEqual(Buffer.from(text));
  });

  it('fails with HTTPKIT_BODY_TOO_LARGE past maxBody, buffered or decompressed', async () => {
    expect((await client.get(server.url + '/big', { maxBody: 9_999 })).error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect((await client.get(server.url + '/big', { maxBody: 10_000 })).status).toBe(200);
    // The gzip body is small on the wire; decompressed it is 13 000 bytes.
    const res = await client.get(server.url + '/gzip', { maxBody: 5_000 });
    expect(res.error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect((await client.get(server.url + '/gzip', { maxBody: 13_000 })).body).toBe(text);
  });

  it('fails past maxBody on a chunked body with no Content-Length', async () => {
    const chunked = await cannedServer(() => ({
      bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n',
    }));
    expect((await client.get(chunked.url, { maxBody: 7 })).error?.code).toBe('HTTPKIT_BODY_TOO_LARGE');
    expect((await client.get(chunked.url, { maxBody: 10 })).body).toEqual(Buffer.from('helloworld'));
    await chunked.close();
  });

  it('sends Accept-Encoding unless the caller set one', async () => {
    expect((await client.get(server.url + '/accept-encoding')).body).toBe('gzip, deflate');
    expect((await client.get(server.url + '/accept-encoding', { headers: { 'Accept-Encoding': 'br' } })).body).toBe('br');
  });
});
