import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as httpKit from '@http-kit/client';
import { createClient, get, request, type HttpResult } from '@http-kit/client';
import { httpServer, type TestServer } from '@http-kit/test-support';

let server: TestServer;
beforeAll(async () => {
  server = await httpServer((req, res) => res.end(`${req.method} ${req.url}`));
});
afterAll(async () => {
  httpKit.defaultClient().close();
  await server.close();
});

describe('promises and callbacks', () => {
  it("resolves to the callback's return value", async () => {
    const value = await get(server.url + '/x', undefined, ({ status, body }) => `${status}:${String(body)}`);
    expect(value).toBe('200:GET /x');
  });

  it('resolves to what an async callback resolves to', async () => {
    const value = await get(server.url, {}, async ({ status }) => status! + 1);
    expect(value).toBe(201);
  });

  it('turns an exception thrown in the callback into error', async () => {
    const boom = new Error('boom');
    const value = (await get(server.url, {}, () => {
      throw boom;
    })) as HttpResult;
    expect(value.error).toBe(boom);
    expect(value.opts.url).toBe(server.url);
  });

  it('turns a rejection of an async callback into error', async () => {
    const value = (await get(server.url, {}, async () => {
      throw new Error('later');
    })) as HttpResult;
    expect(value.error?.message).toBe('later');
  });

  it('gives the callback the error result when there is no response', async () => {
    let seen: HttpResult | undefined;
    await request({ url: 'http://127.0.0.1:1/' }, (result) => {
      seen = result;
    });
    expect(seen?.error?.code).toBe('HTTPKIT_CONNECT_FAILED');
  });

  it('never rejects, even on invalid options', async () => {
    const results = await Promise.all([
      request({ url: 'not a url' }),
      request({ url: 'ftp://127.0.0.1/' }),
      request({ url: server.url, headers: { 'x-bad': 'a\r\nInjected: 1' } }),
      request({ url: server.url, method: 'GE T' }),
      request(null as never),
      request({ url: server.url, timeout: -5 }),
      request({ url: server.url, body: 42 as never }),
    ]);
    for (const result of results) expect(result.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
  });

  it('returns opts and every shorthand sends its method', async () => {
    const client = createClient();
    const methods = ['get', 'post', 'put', 'patch', 'delete', 'options'] as const;
    for (const method of methods) {
      const res = await client[method](server.url + '/m');
      expect(res.body).toEqual(Buffer.from(`${method.toUpperCase()} /m`));
      expect(res.opts.method).toBe(method.toUpperCase());
    }
    expect((await client.head(server.url)).status).toBe(200);
    expect((await httpKit.delete(server.url + '/d')).body).toEqual(Buffer.from('DELETE /d'));
    client.close();
  });
});
