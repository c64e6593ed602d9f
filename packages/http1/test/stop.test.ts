/**
 * stop({ timeout }): stops accepting at once, lets in-flight requests finish within the timeout,
 * cuts off the ones that take longer, closes idle kept-alive connections, and moves status
 * running -> stopping -> stopped.
 */
import { describe, expect, it } from 'vitest';
import { runServer } from '@http-kit/http1';
import { RawClient, sleep, tryConnect, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('stop', () => {
  it('status goes running -> stopping -> stopped; a second stop() returns the same promise', async () => {
    const { server } = await servers.start(() => 'ok');
    expect(server.status).toBe('running');
    const stopping = server.stop({ timeout: 500 });
    expect(server.status).toBe('stopping');
    expect(server.stop()).toBe(stopping);
    await stopping;
    expect(server.status).toBe('stopped');
    expect(server.connectionCount).toBe(0);
  });

  it('stops accepting: a new connect is refused once stop() has begun', async () => {
    const { server, port } = await servers.start(async () => {
      await sleep(300);
      return 'slow';
    });
    // Keep the server busy so stop() is still in progress when we connect.
    const busy = await RawClient.connect(port);
    await busy.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(20);
    const stopped = server.stop({ timeout: 2_000 });
    await sleep(20);
    expect(server.status).toBe('stopping');
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    await stopped;
    busy.destroy();
  });

  it('an in-flight slow request finishes within the timeout, then its connection closes', async () => {
    const { server, port } = await servers.start(async () => {
      await sleep(200);
      return 'finished';
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(30);
    const started = Date.now();
    await server.stop({ timeout: 2_000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(1_500);
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.responses.map((r) => [r.status, r.text])).toEqual([[200, 'finished']]);
    // Told it is the last answer on this connection.
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(result.closedByServer).toBe(true);
    expect(server.status).toBe('stopped');
  });

  it('a request slower than the timeout is cut off; stop() resolves at about the timeout', async () => {
    let finished = false;
    const { server, port } = await servers.start(async () => {
      await sleep(2_000);
      finished = true;
      return 'too late';
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(30);
    const started = Date.now();
    await server.stop({ timeout: 300 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_200);
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(0);
    expect(finished).toBe(false);
    expect(server.connectionCount).toBe(0);
    expect(server.status).toBe('stopped');
  });

  it('a streaming response longer than the timeout is cut off and its source destroyed', async () => {
    let sourceClosed = false;
    const { server, port } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        try {
          for (;;) {
            await sleep(10);
            yield 'tick\n';
          }
        } finally {
          sourceClosed = true;
        }
      })(),
    }));
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((c) => c.text.includes('tick'), 2_000, 'the stream to start');
    await server.stop({ timeout: 200 });
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.closedByServer).toBe(true);
    await sleep(50);
    expect(sourceClosed).toBe(true);
  });

  it('idle keep-alive connections are closed at stop, promptly', async () => {
    const { server, port } = await servers.start(() => 'ok', { keepAliveTimeout: 10_000 });
    const clients = await Promise.all([RawClient.connect(port), RawClient.connect(port), RawClient.connect(port)]);
    for (const client of clients) {
      await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await client.waitForResponses(1);
    }
    // One more that never sent anything.
    const silent = await RawClient.connect(port);
    await sleep(20);
    expect(server.connectionCount).toBe(4);
    const started = Date.now();
    await server.stop({ timeout: 3_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const client of [...clients, silent]) {
      const result = await client.readUntilClose({ timeout: 1_000 });
      expect(result.closedByServer).toBe(true);
    }
    expect(server.connectionCount).toBe(0);
  });

  it('a kept-alive connection mid-request at stop: that request is answered, nothing more', async () => {
    const calls: string[] = [];
    const { server, port } = await servers.start(async (req) => {
      calls.push(req.uri);
      await sleep(100);
      return req.uri;
    });
    const client = await RawClient.connect(port);
    await client.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(30);
    await server.stop({ timeout: 2_000 });
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.responses.map((r) => r.text)).toEqual(['/a']);
    expect(calls).toEqual(['/a']);
  });

  it('stop() on a server with no connections resolves quickly; the port is free again', async () => {
    const server = await runServer(() => 'ok', { port: 0, ip: '127.0.0.1' });
    const port = server.port;
    const started = Date.now();
    await server.stop({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    const again = await runServer(() => 'ok', { port, ip: '127.0.0.1' });
    expect(again.port).toBe(port);
    await again.stop();
  });
});
