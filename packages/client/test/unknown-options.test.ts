/**
 * The client's options are as strict as runServer's: an unknown name is refused (a request's
 * result error, createClient and connect the same) with the known names and a "did you mean"
 * for a near miss or another library's name; a timeout that passes names the option the caller
 * set (`timeout: 500` that became the idle limit says so). Over real sockets on loopback.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@http-kit/core';
import { createClient, get, InvalidRequestError } from '@http-kit/client';
import { runServer } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { listen } from '@http-kit/test-support';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A server that reads requests and never answers (its sockets destroyed at the end). */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const { port } = await listen(server);
  cleanup.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  );
  return port;
}

async function helloServer(): Promise<number> {
  const server = await runServer(() => 'hello', { port: 0, ip: '127.0.0.1' });
  cleanup.push(() => server.stop({ timeout: 100 }));
  return server.port;
}

describe('unknown client options', () => {
  it('get(url, { timout: 300 }) is refused with a did-you-mean and the known names, nothing is sent', async () => {
    const port = await helloServer();
    const res = await get(`http://127.0.0.1:${port}/`, { timout: 300 } as never);
    expect(res.status).toBeUndefined();
    expect(res.error).toBeInstanceOf(InvalidRequestError);
    expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(res.error?.message).toMatch(/^request: unknown option "timout" \(did you mean "timeout"\?\); the options are url, method, /);
    expect(res.error?.message).toContain('idleTimeout');
  });

  it("another client's name (params, data, responseType) points at ours; a name far from any has no guess", async () => {
    const port = await helloServer();
    const res = await get(`http://127.0.0.1:${port}/`, { params: { a: 1 }, responseType: 'json', zzzzzz: 1 } as never);
    expect(res.error?.message).toContain(
      'unknown options "params" (did you mean "queryParams"?), "responseType" (did you mean "as"?), "zzzzzz";',
    );
    expect((await get(`http://127.0.0.1:${port}/`, {})).body).toBe('hello');
  });

  it("as: 'bytes' (fetch's and our server's word) points at 'buffer'", async () => {
    const res = await get('http://127.0.0.1:1/', { as: 'bytes' } as never);
    expect(res.error?.message).toBe('invalid "as": "bytes" (did you mean "buffer"?); it is auto, text, buffer, stream or json');
  });

  it('createClient throws for an unknown option', () => {
    expect(() => createClient({ maxConnectionPerHost: 4 } as never)).toThrow(InvalidArgumentError);
    expect(() => createClient({ maxConnectionPerHost: 4 } as never)).toThrow(
      /^createClient: unknown option "maxConnectionPerHost" \(did you mean "maxConnectionsPerHost"\?\); the options are /,
    );
  });

  it('connect(url, { onMessage }), the ws habit, is refused naming onReceive', async () => {
    const port = await helloServer();
    const result = await connect(`ws://127.0.0.1:${port}/`, { onMessage: () => {} } as never);
    expect(result.channel).toBeUndefined();
    expect(result.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(result.error?.message).toMatch(
      /^connect: unknown option "onMessage" \(did you mean "onReceive"\?\); the options are onOpen, onReceive, /,
    );
  });
});

describe('limits named as the caller set them', () => {
  it('a response awaited past timeout: 300 says (timeout → idleTimeout)', async () => {
    const port = await silentServer();
    const res = await get(`http://127.0.0.1:${port}/`, { timeout: 300 });
    expect(res.error?.code).toBe('HTTPKIT_TIMEOUT');
    expect(res.error?.message).toContain('for 300 ms');
    expect(res.error?.message).toContain('(timeout → idleTimeout)');
  });

  it('idleTimeout set itself is named idleTimeout; a client-wide timeout is named as the timeout it is', async () => {
    const port = await silentServer();
    const own = await get(`http://127.0.0.1:${port}/`, { idleTimeout: 200 });
    expect(own.error?.message).toMatch(/for 200 ms .*\(idleTimeout\)$/);
    const client = createClient({ timeout: 200 });
    cleanup.push(() => client.close());
    const wide = await client.get(`http://127.0.0.1:${port}/`);
    expect(wide.error?.message).toContain('(timeout → idleTimeout)');
  });

  it('a bad limit is refused under its own name', async () => {
    expect((await get('http://127.0.0.1:1/', { timeout: -5 })).error?.message).toBe(
      'timeout must be a positive number of ms (Infinity for none), got -5',
    );
    expect((await get('http://127.0.0.1:1/', { connectTimeout: 0 })).error?.message).toBe(
      'connectTimeout must be a positive number of ms, got 0',
    );
  });
});
