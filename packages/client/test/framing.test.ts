import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, httpServer, type TestServer } from '@http-kit/test-support';

const client = createClient();
afterAll(() => client.close());

describe('responses of every framing kind', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await httpServer((req, res) => {
      switch (req.url) {
        case '/length':
          res.setHeader('content-type', 'text/plain');
          res.setHeader('content-length', '11');
          res.end('hello world');
          break;
        case '/chunked':
          res.setHeader('content-type', 'text/plain');
          res.write('one,');
          setTimeout(() => {
            res.write('two,');
            res.end('three');
          }, 5);
          break;
        case '/trailers':
          res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
          res.write('body');
          res.addTrailers({ 'x-checksum': 'abc' });
          res.end();
          break;
        case '/204':
          res.writeHead(204).end();
          break;
        case '/304':
          res.writeHead(304, { etag: '"x"' }).end();
          break;
        default:
          res.writeHead(404).end('nope');
      }
    });
  });
  afterAll(() => server.close());

  it('reads a Content-Length body', async () => {
    const res = (await client.get(server.url + '/length')) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello world');
    expect(res.headers['content-length']).toBe('11');
    expect(res.url).toBe(server.url + '/length');
  });

  it('reads a chunked body, and one with trailers', async () => {
    const res = (await client.get(server.url + '/chunked')) as HttpResponse;
    expect(res.body).toBe('one,two,three');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const trailers = (await client.get(server.url + '/trailers')) as HttpResponse;
    expect(trailers.body).toBe('body');
  });

  it('reads 204 and 304 without a body', async () => {
    const noContent = (await client.get(server.url + '/204')) as HttpResponse;
    expect(noContent.status).toBe(204);
    expect(noContent.body).toEqual(Buffer.alloc(0));
    const notModified = (await client.get(server.url + '/304')) as HttpResponse;
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"x"');
  });

  it('reads a response to HEAD without a body despite its Content-Length', async () => {
    const res = (await client.head(server.url + '/length')) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('11');
    expect(res.body).toBe('');
    // The connection is still usable: the next response is read correctly.
    const next = (await client.get(server.url + '/length')) as HttpResponse;
    expect(next.body).toBe('hello world');
  });

  it('treats an HTTP error status as an ordinary response', async () => {
    const res = (await client.get(server.url + '/missing')) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(404);
    expect(res.body).toEqual(Buffer.from('nope'));
  });
});

describe('raw framings', () => {
  it('reads a close-delimited body', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end', end: true }));
    const res = (await client.get(server.url)) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.body).toBe('until the end');
    await server.close();
  });

  it('skips 1xx informational responses', async () => {
    const server = await cannedServer(() => ({
      bytes:
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok',
    }));
    const res = (await client.get(server.url)) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.headers['x-final']).toBe('yes');
    expect(res.headers.link).toBeUndefined();
    expect(res.body).toEqual(Buffer.from('ok'));
    await server.close();
  });

  it('joins repeated headers and keeps set-cookie as an array', async () => {
    const server = await cannedServer(() => ({
      bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Many: 1\r\nX-MANY: 2\r\n\r\n',
    }));
    const res = (await client.get(server.url)) as HttpResponse;
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-many']).toBe('1, 2');
    await server.close();
  });
});
