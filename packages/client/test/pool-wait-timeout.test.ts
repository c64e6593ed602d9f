import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { TimerWheel } from '@http-kit/core';
import { createClient, type HttpResponse } from '@http-kit/client';
import { closeAfterEach, eventually, httpServer, rawServer, sleep, type TestServer } from '@http-kit/test-support';

const servers = closeAfterEach();

/** A server that records request paths, answers at once, except /hold which waits for `release()`. */
async function holdingServer(): Promise<TestServer & { paths: string[]; release(): void }> {
  const held: http.ServerResponse[] = [];
  const paths: string[] = [];
  const server = await httpServer((req, res) => {
    paths.push(req.url!);
    if (req.url === '/hold') held.push(res);
    else res.end(req.url);
  });
  servers.push(server);
  return Object.assign(server, {
    paths,
    release: () => {
      for (const res of held.splice(0)) res.end('held');
    },
  });
}

describe('waiting for a pooled connection', () => {
  it('fails a request that waits longer than its timeout with HTTPKIT_POOL_TIMEOUT, without sending it', async () => {
    const server = await holdingServer();
    const client = createClient({ maxConnectionsPerHost: 1 });
    const held = client.get(server.url + '/hold');
    await eventually(() => server.paths.length === 1, 2_000, 'the held request to reach the server');
    const start = performance.now();
    const res = await client.get(server.url + '/wait', { timeout: 100 });
    const elapsed = performance.now() - start;
    expect(res.error?.code).toBe('HTTPKIT_POOL_TIMEOUT');
    expect(res.error?.name).toBe('PoolTimeoutError');
    expect(res.error?.message).toMatch(/within 100 ms \(timeout → connectTimeout\).*maxConnectionsPerHost \(1\)/);
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1000);
    server.release();
    expect((await held).status).toBe(200);
    // The abandoned request left the queue: the freed connection idles instead of sending it.
    await sleep(30);
    expect(server.paths).toEqual(['/hold']);
    expect(client.connections).toBe(1);
    expect(((await client.get(server.url + '/after')) as HttpResponse).body).toEqual(Buffer.from('/after'));
    expect(server.connections).toBe(1);
    client.close();
  });

  it('takes a timed-out request out of the middle of the queue; the others keep their order', async () => {
    const server = await holdingServer();
    const client = createClient({ maxConnectionsPerHost: 1 });
    const held = client.get(server.url + '/hold');
    await eventually(() => server.paths.length === 1, 2_000, 'the held request to reach the server');
    const a = client.get(server.url + '/a', { timeout: 5_000 });
    const b = client.get(server.url + '/b', { connectTimeout: 60 });
    const c = client.get(server.url + '/c', { timeout: 5_000 });
    expect((await b).error?.code).toBe('HTTPKIT_POOL_TIMEOUT');
    server.release();
    const results = await Promise.all([held, a, c]);
    for (const res of results) expect(res.status).toBe(200);
    expect(server.paths).toEqual(['/hold', '/a', '/c']);
    client.close();
  });

  it('bounds the wait under maxConnections (another origin holds the slot), and unblocks the origin', async () => {
    const a = await holdingServer();
    const b = await holdingServer();
    const client = createClient({ maxConnections: 1 });
    const held = client.get(a.url + '/hold');
    await eventually(() => a.paths.length === 1, 2_000, 'the held request to reach the server');
    const res = await client.get(b.url + '/wait', { connectTimeout: 80 });
    expect(res.error?.code).toBe('HTTPKIT_POOL_TIMEOUT');
    expect(res.error?.message).toMatch(/maxConnections \(1\)/);
    a.release();
    expect((await held).status).toBe(200);
    // No request waits any more: the connection to a idles rather than being closed for b.
    await sleep(30);
    expect(client.connections).toBe(1);
    expect(b.connections).toBe(0);
    expect((await client.get(b.url + '/now')).status).toBe(200);
    expect(b.paths).toEqual(['/now']);
    client.close();
  });

  it('arms a timer only for a request that actually waits, and cancels it when the request gets a connection', async () => {
    const server = await holdingServer();
    const wheel = new TimerWheel();
    const client = createClient({ maxConnectionsPerHost: 1, wheel });
    const held = client.get(server.url + '/hold');
    await eventually(() => server.paths.length === 1, 2_000, 'the held request to reach the server');
    expect(wheel.size).toBe(1); // the connection's own timer
    const waiting = client.get(server.url + '/next', { timeout: 5_000 });
    expect(wheel.size).toBe(2);
    server.release();
    expect((await held).status).toBe(200);
    expect((await waiting).status).toBe(200);
    expect(wheel.size).toBe(1); // the idle connection's keep-alive timer
    client.close();
    expect(wheel.size).toBe(0);
  });

  it('close() fails the waiting requests with HTTPKIT_CLIENT_CLOSED and disarms their timers', async () => {
    const server = await holdingServer();
    const wheel = new TimerWheel();
    const client = createClient({ maxConnectionsPerHost: 1, wheel });
    const held = client.get(server.url + '/hold');
    await eventually(() => server.paths.length === 1, 2_000, 'the held request to reach the server');
    const waiting = [client.get(server.url + '/1'), client.get(server.url + '/2')];
    expect(wheel.size).toBe(3);
    client.close();
    for (const res of await Promise.all(waiting)) expect(res.error?.code).toBe('HTTPKIT_CLIENT_CLOSED');
    expect(wheel.size).toBe(1);
    server.release();
    expect((await held).status).toBe(200);
    expect(server.paths).toEqual(['/hold']);
  });

  it('counts the wait against connectTimeout: the connect that follows gets what is left of it', async () => {
    const a = await holdingServer();
    // Accepts TCP, never answers the TLS ClientHello: the connect can only time out.
    const silent = await rawServer(() => {});
    servers.push(silent);
    const client = createClient({ maxConnections: 1 });
    const held = client.get(a.url + '/hold');
    await eventually(() => a.paths.length === 1, 2_000, 'the held request to reach the server');
    setTimeout(() => a.release(), 250);
    const start = performance.now();
    const res = await client.get(`https://127.0.0.1:${silent.port}/`, { connectTimeout: 400 });
    const elapsed = performance.now() - start;
    expect(res.error?.code).toBe('HTTPKIT_CONNECT_TIMEOUT');
    expect(silent.connections).toBe(1);
    // ~400 ms in all (250 waiting + 150 connecting), not 250 + 400.
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(600);
    expect((await held).status).toBe(200);
    client.close();
  });
});
