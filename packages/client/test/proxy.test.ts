import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { httpServer, httpsServer, selfSigned, tunnel, type TestServer } from '@http-kit/test-support';

/** A tiny forward proxy: absolute-form requests are forwarded, CONNECT opens a raw tunnel. */
async function forwardProxy(): Promise<{
  url: string;
  requests: string[];
  auth: Array<string | undefined>;
  tunnels: string[];
  connections: () => number;
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const auth: Array<string | undefined> = [];
  const tunnels: string[] = [];
  const proxy = await httpServer((req, res) => {
    requests.push(req.url!);
    auth.push(req.headers['proxy-authorization']);
    const target = new URL(req.url!);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.server.on('connect', (req, socket: net.Socket, head) => {
    tunnels.push(req.url!);
    if (req.url!.startsWith('denied.invalid:')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tunnel(socket, req.url!, head);
  });
  return {
    url: proxy.url,
    requests,
    auth,
    tunnels,
    connections: () => proxy.connections,
    close: () => proxy.close(),
  };
}

let target: TestServer;
let proxy: Awaited<ReturnType<typeof forwardProxy>>;
let client = createClient();
beforeAll(async () => {
  target = await httpServer((req, res) => res.end(`${req.method} ${req.url} host=${req.headers.host}`));
  proxy = await forwardProxy();
});
afterAll(async () => {
  client.close();
  await proxy.close();
  await target.close();
});

describe('http proxy', () => {
  it('sends plain requests in absolute form through the proxy, reusing the connection', async () => {
    for (let i = 0; i < 3; i++) {
      const res = (await client.get(`${target.url}/p${i}?x=1`, { proxy: proxy.url, as: 'text' })) as HttpResponse;
      expect(res.error).toBeUndefined();
      expect(res.body).toBe(`GET /p${i}?x=1 host=127.0.0.1:${target.port}`);
    }
    expect(proxy.requests).toEqual([0, 1, 2].map((i) => `${target.url}/p${i}?x=1`));
    expect(proxy.connections()).toBe(1);
  });

  it("sends Proxy-Authorization from the proxy URL's credentials", async () => {
    proxy.auth.length = 0;
    const withAuth = proxy.url.replace('http://', 'http://pu:pp@');
    expect((await client.get(target.url, { proxy: withAuth })).status).toBe(200);
    expect(proxy.auth).toEqual(['Basic ' + Buffer.from('pu:pp').toString('base64')]);
  });

  it('tunnels through CONNECT for https (and reports a refused tunnel)', async () => {
    // No TLS server here: a refused CONNECT is enough to see the tunnel logic.
    const res = await client.get('https://denied.invalid:443/', { proxy: proxy.url });
    expect(proxy.tunnels).toContain('denied.invalid:443');
    expect(res.error?.code).toBe('HTTPKIT_PROXY');
    expect(res.error?.message).toMatch(/403/);
  });

  it('carries https through a CONNECT tunnel, and reuses it', async () => {
    const credentials = selfSigned();
    if (credentials === null) return;
    const secure = await httpsServer(credentials, (req, res) => res.end(`tunnelled ${req.url}`));
    const url = secure.url;
    proxy.tunnels.length = 0;
    for (let i = 0; i < 2; i++) {
      const res = (await client.get(`${url}/t${i}`, { proxy: proxy.url, insecure: true, as: 'text' })) as HttpResponse;
      expect(res.error).toBeUndefined();
      expect(res.body).toBe(`tunnelled /t${i}`);
    }
    expect(proxy.tunnels.length).toBe(1);
    client.close();
    client = createClient();
    await secure.close();
  });

  it('fails with HTTPKIT_CONNECT_FAILED when the proxy is down', async () => {
    const res = await client.get(target.url, { proxy: 'http://127.0.0.1:1' });
    expect(res.error?.code).toBe('HTTPKIT_CONNECT_FAILED');
    expect(res.error?.message).toMatch(/through the proxy/);
  });
});
