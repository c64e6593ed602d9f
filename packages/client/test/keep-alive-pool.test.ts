import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { defaultWheel } from '@http-kit/core';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, httpServer, sleep } from '@http-kit/test-support';

const servers = closeAfterEach();

describe('keep-alive pool', () => {
  it('reuses an idle connection for sequential requests', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient();
    for (let i = 0; i < 10; i++) {
      const res = (await client.get(server.url + '/' + i)) as HttpResponse;
      expect(res.body).toEqual(Buffer.from('ok'));
    }
    expect(server.connections).toBe(1);
    client.close();
  });

  it('opens up to maxConnectionsPerHost connections and queues the rest', async () => {
    const server = await httpServer((_req, res) => setTimeout(() => res.end('ok'), 10));
    servers.push(server);
    const client = createClient({ maxConnectionsPerHost: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => client.get(server.url)));
    for (const res of results) expect(res.status).toBe(200);
    expect(server.connections).toBe(3);
    client.close();
  });

  it('respects maxConnections across origins', async () => {
    const a = await httpServer((_req, res) => setTimeout(() => res.end('a'), 5));
    const b = await httpServer((_req, res) => setTimeout(() => res.end('b'), 5));
    servers.push(a, b);
    const client = createClient({ maxConnections: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => client.get((i % 2 === 0 ? a : b).url)));
    for (const res of results) expect(res.status).toBe(200);
    expect(a.connections + b.connections).toBeLessThanOrEqual(8);
    expect(client.connections).toBeLessThanOrEqual(2);
    client.close();
  });

  it('does not reuse a connection after Connection: close', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok', end: true }));
    servers.push(server);
    const client = createClient();
    for (let i = 0; i < 3; i++) expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(3);
    client.close();
  });

  it('does not reuse an HTTP/1.0 connection without keep-alive', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    servers.push(server);
    const client = createClient();
    for (let i = 0; i < 3; i++) expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(3);
    client.close();
  });

  it('drops a pooled connection the server closed while it was idle', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url)).status).toBe(200);
    for (const socket of server.open) socket.end();
    await eventually(() => client.connections === 0, 2_000, 'the client to hold no connection');
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(2);
    client.close();
  });

  it('retries an idempotent request once on a fresh connection when the reused one was stale', async () => {
    // The server closes each connection right after reading the second request on it, without answering:
    // the client sees the close only once it has sent on the reused socket.
    const server = await cannedServer((index, _head, socket) => {
      const count = ((socket as unknown as { served?: number }).served ?? 0) + 1;
      (socket as unknown as { served?: number }).served = count;
      if (count === 2) return { destroy: true };
      return { bytes: `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${index % 10}` };
    });
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url)).status).toBe(200);
    const retried = (await client.get(server.url)) as HttpResponse;
    expect(retried.error).toBeUndefined();
    expect(retried.status).toBe(200);
    expect(server.connections).toBe(2);
    client.close();
  });

  it('does not retry a POST on a stale connection', async () => {
    const server = await cannedServer((_index, _head, socket) => {
      const count = ((socket as unknown as { served?: number }).served ?? 0) + 1;
      (socket as unknown as { served?: number }).served = count;
      if (count === 2) return { destroy: true };
      return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx' };
    });
    servers.push(server);
    const client = createClient();
    expect((await client.post(server.url, { body: 'a' })).status).toBe(200);
    const res = await client.post(server.url, { body: 'b' });
    expect(res.error?.code).toBe('HTTPKIT_CONNECTION_CLOSED');
    expect(server.connections).toBe(1);
    client.close();
  });

  it('expires idle connections after keepalive ms', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient({ keepalive: 50 });
    expect((await client.get(server.url)).status).toBe(200);
    expect(client.connections).toBe(1);
    await eventually(() => client.connections === 0, 1_000, 'the client to hold no connection');
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(2);
    client.close();
  });

  it("honours the server's Keep-Alive timeout hint", async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok' }));
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url)).status).toBe(200);
    // timeout=1 leaves no margin: the connection is not kept.
    await eventually(() => client.connections === 0, 500, 'the client to hold no connection');
    client.close();
  });

  it('closes after each response with keepalive -1, sending Connection: close', async () => {
    const heads: string[] = [];
    const server = await httpServer((req, res) => {
      heads.push(String(req.headers.connection));
      res.end('ok');
    });
    servers.push(server);
    const client = createClient({ keepalive: -1 });
    for (let i = 0; i < 2; i++) expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(2);
    expect(heads).toEqual(['close', 'close']);
    client.close();
  });

  it('close() destroys idle connections and fails later requests', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.open.size).toBe(1);
    client.close();
    expect(client.connections).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
    expect((await client.get(server.url)).error?.code).toBe('HTTPKIT_CLIENT_CLOSED');
  });

  it('destroys a connection the server writes to while it idles', async () => {
    const server = await cannedServer((_i, _h, socket) => {
      setTimeout(() => socket.write('garbage'), 20);
      return { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' };
    });
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url)).status).toBe(200);
    await eventually(() => client.connections === 0, 2_000, 'the client to hold no connection');
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(2);
    client.close();
    await sleep(1);
  });
});

describe('no leaks', () => {
  it('leaves no timer armed and no socket open once the client is closed', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient();
    await Promise.all(Array.from({ length: 20 }, () => client.get(server.url)));
    expect(client.connections).toBeGreaterThan(0);
    expect(defaultWheel.size).toBeGreaterThan(0);
    client.close();
    expect(client.connections).toBe(0);
    expect(defaultWheel.size).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
  });

  it('talks to an IPv6 loopback server when there is one', async () => {
    const server = http.createServer((req, res) => res.end(String(req.headers.host)));
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) return;
    const port = (server.address() as { port: number }).port;
    const client = createClient();
    const res = (await client.get(`http://[::1]:${port}/`, { as: 'text' })) as HttpResponse;
    expect(res.body).toBe(`[::1]:${port}`);
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});

afterAll(() => undefined);
