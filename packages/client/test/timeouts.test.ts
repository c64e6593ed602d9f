import { describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, freePort, httpServer, rawServer } from '@http-kit/test-support';

const servers = closeAfterEach();

describe('per-request timeouts', () => {
  it('fails with HTTPKIT_TIMEOUT when a server never answers, and destroys the socket', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await client.get(server.url, { timeout: 150 });
    const elapsed = performance.now() - start;
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    expect(res.error?.message).toMatch(/150 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(client.connections).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
    client.close();
  });

  it('times out when the server stops in the middle of a body (no byte for idleTimeout)', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial' }));
    servers.push(server);
    const client = createClient();
    const res = await client.get(server.url, { idleTimeout: 100 });
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
    client.close();
  });

  it('does not time out a slow response that keeps sending bytes', async () => {
    const server = await httpServer((_req, res) => {
      let n = 0;
      const tick = setInterval(() => {
        res.write('x');
        if (++n === 6) {
          clearInterval(tick);
          res.end();
        }
      }, 40);
    });
    servers.push(server);
    const client = createClient();
    const res = (await client.get(server.url, { idleTimeout: 120 })) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.body).toEqual(Buffer.from('xxxxxx'));
    client.close();
  });

  it('a timed-out connection is not reused: the next request gets a new one', async () => {
    let calls = 0;
    const server = await httpServer((_req, res) => {
      if (calls++ === 0) return; // hang the first
      res.end('ok');
    });
    servers.push(server);
    const client = createClient();
    expect((await client.get(server.url, { timeout: 100 })).error?.code).toBe('HTTPKIT_TIMEOUT');
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(2);
    client.close();
  });

  it('fails with HTTPKIT_CONNECT_TIMEOUT when the connection (TLS handshake) does not complete', async () => {
    // A TCP server that accepts and never answers the TLS ClientHello.
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const start = performance.now();
    const res = await client.get(`https://127.0.0.1:${server.port}/`, { connectTimeout: 120 });
    expect(res.error?.code).toBe('HTTPKIT_CONNECT_TIMEOUT');
    expect(performance.now() - start).toBeLessThan(1000);
    expect(client.connections).toBe(0);
    client.close();
  });

  it('fails with HTTPKIT_CONNECT_FAILED (ECONNREFUSED) when nothing listens', async () => {
    const port = await freePort();
    const client = createClient();
    const res = await client.get(`http://127.0.0.1:${port}/`);
    expect(res.error?.code).toBe('HTTPKIT_CONNECT_FAILED');
    expect((res.error as { reason?: string }).reason).toBe('ECONNREFUSED');
    expect(client.connections).toBe(0);
    client.close();
  });
});
