/**
 * `signal`: an AbortSignal cancels the exchange wherever it is — before it starts, waiting for a
 * pool slot, connecting, reading the head, reading a buffered body, or after a streamed body was
 * handed over. The promise resolves with an AbortedError (HTTPKIT_ABORTED) whose cause is the
 * signal's reason; a streamed body is destroyed with that error; the connection is closed.
 */
import { getEventListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TimerWheel } from '@http-kit/core';
import { AbortedError, createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, httpServer, rawServer, sleep, tick, within } from '@http-kit/test-support';

const servers = closeAfterEach();

/** Reads a stream to its end: the bytes, or the error it failed with. */
async function consume(body: Readable): Promise<Buffer | (Error & { code?: string })> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (error) {
    return error as Error;
  }
}

describe('cancelling with an AbortSignal', () => {
  it('an already-aborted signal resolves at once, without connecting', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const reason = new Error('changed my mind');
    let settled = false;
    const pending = client.get(server.url, { signal: AbortSignal.abort(reason) }).then((res) => {
      settled = true;
      return res;
    });
    await tick();
    expect(settled).toBe(true);
    const res = await pending;
    expect(res.error).toBeInstanceOf(AbortedError);
    expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    expect((res.error as Error).cause).toBe(reason);
    expect(res.error?.message).toMatch(/aborted/);
    await sleep(50);
    expect(server.connections).toBe(0);
    expect(client.connections).toBe(0);
    client.close();
  });

  it('takes a request out of the pool queue; it is never sent', async () => {
    let requests = 0;
    const server = await cannedServer(() => {
      requests++;
    });
    servers.push(server);
    const wheel = new TimerWheel({ tickMs: 10 });
    const client = createClient({ maxConnectionsPerHost: 1, wheel });
    const first = client.get(server.url, { timeout: 1_000 });
    await eventually(() => requests === 1, 2_000, 'the first request to arrive');
    const controller = new AbortController();
    const queued = client.get(server.url, { signal: controller.signal, timeout: 5_000 });
    await sleep(30);
    controller.abort();
    const res = await within(500, 'the queued request to abort', queued);
    expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    expect((await first).error?.code).toBe('HTTPKIT_TIMEOUT');
    await sleep(50);
    expect(requests).toBe(1);
    expect(server.connections).toBe(1);
    expect(wheel.size).toBe(0);
    client.close();
  });

  it('closes a connection that is still connecting', async () => {
    // Accepts TCP and never answers the TLS ClientHello: the connection stays in its handshake.
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    const pending = client.get(`https://127.0.0.1:${server.port}/`, { signal: controller.signal });
    await eventually(() => server.open.size === 1, 2_000, 'the TCP connection');
    controller.abort();
    const res = await within(500, 'the connecting request to abort', pending);
    expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    expect(client.connections).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the socket to close');
    client.close();
  });

  it('while the head is awaited: resolves, and closes the connection', async () => {
    const server = await rawServer(() => {});
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    const pending = client.get(server.url, { signal: controller.signal });
    await eventually(() => server.open.size === 1, 2_000, 'the connection');
    await sleep(20);
    controller.abort(new Error('user left'));
    const res = await within(500, 'the request to abort', pending);
    expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    expect((res.error as Error).cause).toEqual(new Error('user left'));
    expect(client.connections).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the socket to close');
    client.close();
  });

  it('while a buffered body is read', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial' }));
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    const pending = client.get(server.url, { signal: controller.signal });
    await sleep(50);
    controller.abort();
    const res = await within(500, 'the request to abort', pending);
    expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    await eventually(() => server.open.size === 0 && client.connections === 0, 2_000, 'the socket to close');
    client.close();
  });

  it('after a streamed body was handed over: the stream is destroyed with the error', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n' }));
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    const res = (await client.get(server.url, { as: 'stream', signal: controller.signal })) as HttpResponse;
    expect(res.status).toBe(200);
    const body = res.body as Readable;
    const first = await new Promise<Buffer>((resolve) => body.once('data', resolve));
    expect(first.toString()).toBe('first');
    controller.abort();
    const outcome = await within(500, 'the stream to fail', consume(body));
    expect(outcome).toBeInstanceOf(AbortedError);
    expect((outcome as Error & { code?: string }).code).toBe('HTTPKIT_ABORTED');
    await eventually(() => server.open.size === 0 && client.connections === 0, 2_000, 'the socket to close');
    client.close();
  });

  it('an abort after the response changes nothing: the connection is reused, the listener is gone', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    const res = (await client.get(server.url, { signal: controller.signal })) as HttpResponse;
    expect(res.status).toBe(200);
    controller.abort();
    expect(res.error).toBeUndefined();
    expect((await client.get(server.url)).status).toBe(200);
    expect(server.connections).toBe(1);
    client.close();
  });

  it('one signal for many requests: each is cancelled, none leaks a listener', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    servers.push(server);
    const client = createClient();
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) expect((await client.get(server.url, { signal: controller.signal })).status).toBe(200);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const hang = await rawServer(() => {});
    servers.push(hang);
    const pending = Array.from({ length: 3 }, () => client.get(hang.url, { signal: controller.signal }));
    await eventually(() => hang.open.size === 3, 2_000, 'three connections');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(3);
    controller.abort();
    for (const res of await Promise.all(pending)) expect(res.error?.code).toBe('HTTPKIT_ABORTED');
    client.close();
  });

  it('refuses a signal that is not an AbortSignal, in words', async () => {
    const client = createClient();
    const res = await client.get('http://127.0.0.1:1/', { signal: 'stop' as never });
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(res.error?.message).toBe('signal must be an AbortSignal, got "stop"');
    client.close();
  });
});
