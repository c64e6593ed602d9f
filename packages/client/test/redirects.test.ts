import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { httpServer, readBody, type TestServer } from '@http-kit/test-support';

interface Seen {
  method: string;
  url: string;
  body: string;
  authorization?: string;
  cookie?: string;
  contentType?: string;
}

const client = createClient();
let main: TestServer;
let other: TestServer;
const seen: Seen[] = [];

beforeAll(async () => {
  other = await httpServer(async (req, res) => {
    seen.push({
      method: req.method!,
      url: 'other' + req.url,
      body: (await readBody(req)).toString('utf8'),
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
    });
    res.end('other side');
  });
  main = await httpServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    seen.push({
      method: req.method!,
      url: req.url!,
      body,
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      contentType: req.headers['content-type'],
    });
    const code = /^\/(\d{3})$/.exec(req.url!);
    if (code !== null) {
      res.writeHead(Number(code[1]), { location: '/final' }).end('redirect body');
      return;
    }
    switch (req.url) {
      case '/final':
        res.end(`final ${req.method} ${body}`);
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/chain1':
        res.writeHead(301, { location: 'chain2' }).end();
        return;
      case '/chain2':
        res.writeHead(302, { location: `${main.url}/final` }).end();
        return;
      case '/away':
        res.writeHead(302, { location: `${other.url}/landing` }).end();
        return;
      case '/away307':
        res.writeHead(307, { location: `${other.url}/landing` }).end();
        return;
      case '/nolocation':
        res.writeHead(302).end('no location');
        return;
      case '/ftp':
        res.writeHead(302, { location: 'ftp://example.com/' }).end();
        return;
    }
    res.writeHead(404).end();
  });
});
afterAll(async () => {
  client.close();
  await main.close();
  await other.close();
});

describe('redirects', () => {
  for (const status of [301, 302, 303]) {
    it(`${status} switches a POST to a GET without the body`, async () => {
      seen.length = 0;
      const res = (await client.post(`${main.url}/${status}`, {
        body: 'payload',
        headers: { 'content-type': 'text/plain' },
      })) as HttpResponse;
      expect(res.status).toBe(200);
      expect(res.body).toEqual(Buffer.from('final GET '));
      expect(res.url).toBe(`${main.url}/final`);
      expect(seen[1]).toMatchObject({ method: 'GET', url: '/final', body: '' });
      expect(seen[1].contentType).toBeUndefined();
    });
  }

  for (const status of [307, 308]) {
    it(`${status} keeps the method and the body`, async () => {
      seen.length = 0;
      const res = (await client.put(`${main.url}/${status}`, { body: 'payload' })) as HttpResponse;
      expect(res.status).toBe(200);
      expect(res.body).toEqual(Buffer.from('final PUT payload'));
      expect(seen[1]).toMatchObject({ method: 'PUT', url: '/final', body: 'payload' });
    });
  }

  it('307 with a streamed body (not replayable) returns the redirect itself', async () => {
    const res = (await client.post(`${main.url}/307`, { body: Readable.from(['a', 'b']) })) as HttpResponse;
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe('/final');
  });

  it('follows relative locations and chains', async () => {
    const res = (await client.get(`${main.url}/chain1`)) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${main.url}/final`);
  });

  it('drops Authorization and Cookie when the redirect leaves the origin', async () => {
    seen.length = 0;
    const res = (await client.get(`${main.url}/away`, {
      basicAuth: ['u', 'p'],
      headers: { cookie: 'session=1', 'x-other': 'kept' },
    })) as HttpResponse;
    expect(res.body).toEqual(Buffer.from('other side'));
    expect(seen[0].authorization).toMatch(/^Basic /);
    expect(seen[0].cookie).toBe('session=1');
    expect(seen[1].url).toBe('other/landing');
    expect(seen[1].authorization).toBeUndefined();
    expect(seen[1].cookie).toBeUndefined();
  });

  it('drops a bearer token on a cross-origin 307 too', async () => {
    seen.length = 0;
    await client.get(`${main.url}/away307`, { oauthToken: 'secret' });
    expect(seen[0].authorization).toBe('Bearer secret');
    expect(seen[1].authorization).toBeUndefined();
  });

  it('keeps credentials on a same-origin redirect', async () => {
    seen.length = 0;
    await client.get(`${main.url}/302`, { oauthToken: 'secret', headers: { cookie: 'a=b' } });
    expect(seen[1].authorization).toBe('Bearer secret');
    expect(seen[1].cookie).toBe('a=b');
  });

  it('stops a loop at maxRedirects with HTTPKIT_TOO_MANY_REDIRECTS', async () => {
    seen.length = 0;
    const res = await client.get(`${main.url}/loop`, { maxRedirects: 4 });
    expect(res.error?.code).toBe('HTTPKIT_TOO_MANY_REDIRECTS');
    expect(seen.length).toBe(5);
    const byDefault = await client.get(`${main.url}/loop`);
    expect(byDefault.error?.code).toBe('HTTPKIT_TOO_MANY_REDIRECTS');
  });

  it('returns the redirect when followRedirects is false', async () => {
    const res = (await client.get(`${main.url}/302`, { followRedirects: false })) as HttpResponse;
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/final');
    expect(res.body).toEqual(Buffer.from('redirect body'));
  });

  it('returns a redirect without Location as it is', async () => {
    const res = (await client.get(`${main.url}/nolocation`)) as HttpResponse;
    expect(res.status).toBe(302);
  });

  it('fails on a redirect to an unsupported scheme', async () => {
    const res = await client.get(`${main.url}/ftp`);
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
  });

  it('reuses the keep-alive connection across same-origin hops', async () => {
    const before = main.connections;
    const fresh = createClient();
    await fresh.get(`${main.url}/chain1`);
    expect(main.connections - before).toBe(1);
    fresh.close();
  });
});
