/**
 * Credentials stay with the origin they were given for: on a redirect to another origin
 * (another host name for the same address, or another port) Authorization, Cookie and
 * Proxy-Authorization are dropped; on a redirect within the origin they are kept.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { httpServer, type TestServer } from '@http-kit/test-support';

const client = createClient();
let origin: TestServer;
let otherPort: TestServer;
const seen: Array<{ server: string; url: string; headers: http.IncomingHttpHeaders }> = [];

const CREDENTIALS = { Authorization: 'Basic dXNlcjpwYXNz', Cookie: 'session=secret', 'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0' };

beforeAll(async () => {
  otherPort = await httpServer((req, res) => {
    seen.push({ server: 'other', url: req.url!, headers: req.headers });
    res.end('other');
  });
  origin = await httpServer((req, res) => {
    seen.push({ server: 'origin', url: req.url!, headers: req.headers });
    switch (req.url) {
      case '/to-port':
        res.writeHead(302, { location: `${otherPort.url}/landing` }).end();
        return;
      // Same address and port, another host name: another origin.
      case '/to-host':
        res.writeHead(307, { location: `http://localhost:${origin.port}/landing` }).end();
        return;
      case '/same':
        res.writeHead(301, { location: '/landing' }).end();
        return;
    }
    res.end('landed');
  });
});
afterAll(async () => {
  client.close();
  await origin.close();
  await otherPort.close();
});

describe('credentials on redirects', () => {
  for (const [path, to] of [
    ['/to-port', 'another port'],
    ['/to-host', 'another host name'],
  ] as const) {
    it(`drops Authorization, Cookie and Proxy-Authorization on a redirect to ${to}`, async () => {
      seen.length = 0;
      const res = (await client.get(origin.url + path, { headers: CREDENTIALS })) as HttpResponse;
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(2);
      expect(seen[0].headers).toMatchObject({
        authorization: CREDENTIALS.Authorization,
        cookie: CREDENTIALS.Cookie,
        'proxy-authorization': CREDENTIALS['Proxy-Authorization'],
      });
      expect(seen[1].url).toBe('/landing');
      expect(seen[1].headers.authorization).toBeUndefined();
      expect(seen[1].headers.cookie).toBeUndefined();
      expect(seen[1].headers['proxy-authorization']).toBeUndefined();
    });
  }

  it('keeps them on a redirect within the origin', async () => {
    seen.length = 0;
    const res = (await client.get(origin.url + '/same', { headers: CREDENTIALS })) as HttpResponse;
    expect(res.status).toBe(200);
    expect(seen[1].headers).toMatchObject({
      authorization: CREDENTIALS.Authorization,
      cookie: CREDENTIALS.Cookie,
      'proxy-authorization': CREDENTIALS['Proxy-Authorization'],
    });
  });
});
