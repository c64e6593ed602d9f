import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { cannedServer, closeAfterEach, eventually, rawServer } from '@http-kit/test-support';

const servers = closeAfterEach();
const client = createClient();
afterAll(() => client.close());

/** Sends one GET to a server answering `bytes`, checks the error code and that the connection was discarded. */
async function expectError(
  bytes: string | Buffer,
  code: string,
  options: { end?: boolean; destroy?: boolean; maxHeaderSize?: number } = {},
): Promise<string> {
  const server = await cannedServer(() => ({ bytes, end: options.end, destroy: options.destroy }));
  servers.push(server);
  const res = await client.get(server.url, { timeout: 2000, maxHeaderSize: options.maxHeaderSize });
  expect(res.error?.code).toBe(code);
  expect(res.status).toBeUndefined();
  await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
  return res.error!.message;
}

describe('misbehaving servers', () => {
  it('a malformed status line', async () => {
    const message = await expectError('HTTP/1.1 abc Nope\r\n\r\n', 'HTTPKIT_BAD_RESPONSE');
    expect(message).toMatch(/malformed response/);
  });

  it('not HTTP at all', async () => {
    await expectError('SSH-2.0-OpenSSH_9.0\r\n', 'HTTPKIT_BAD_RESPONSE');
  });

  it('a malformed header line', async () => {
    await expectError('HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 0\r\n\r\n', 'HTTPKIT_BAD_RESPONSE');
  });

  it('an invalid Content-Length', async () => {
    await expectError('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nhello', 'HTTPKIT_BAD_RESPONSE');
  });

  it('a malformed chunk size', async () => {
    await expectError('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 'HTTPKIT_BAD_RESPONSE');
  });

  it('a body longer than its Content-Length', async () => {
    const message = await expectError('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more', 'HTTPKIT_BAD_RESPONSE');
    expect(message).toMatch(/after a complete response/);
  });

  it('a body shorter than its Content-Length (the server closes)', async () => {
    const message = await expectError('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhello', 'HTTPKIT_CONNECTION_CLOSED', { end: true });
    expect(message).toMatch(/after 5 bytes of the response body/);
  });

  it('a chunked body cut short by a close', async () => {
    await expectError('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 'HTTPKIT_CONNECTION_CLOSED', { end: true });
  });

  it('a connection reset in the middle of the body', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome of it');
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    servers.push(server);
    const res = await client.get(server.url, { timeout: 2000 });
    expect(res.error?.code).toBe('HTTPKIT_CONNECTION_CLOSED');
    expect(res.error?.message).toMatch(/reset|closed/);
  });

  it('a close in the middle of the head', async () => {
    await expectError('HTTP/1.1 200 OK\r\nContent-Le', 'HTTPKIT_CONNECTION_CLOSED', { end: true });
  });

  it('a close before any byte (on a fresh connection: no retry)', async () => {
    await expectError('', 'HTTPKIT_CONNECTION_CLOSED', { end: true });
  });

  it('an oversized header block', async () => {
    const big = 'X-Big: ' + 'a'.repeat(70 * 1024) + '\r\n';
    await expectError(`HTTP/1.1 200 OK\r\n${big}Content-Length: 0\r\n\r\n`, 'HTTPKIT_HEADERS_TOO_LARGE');
  });

  it('a header block over a smaller maxHeaderSize', async () => {
    await expectError(`HTTP/1.1 200 OK\r\nX-A: ${'b'.repeat(600)}\r\nContent-Length: 0\r\n\r\n`, 'HTTPKIT_HEADERS_TOO_LARGE', {
      maxHeaderSize: 512,
    });
  });

  it('a head split across many small writes is still read', async () => {
    const server = await rawServer((socket) => {
      const bytes = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Long-Header-Name: some value\r\nContent-Length: 5\r\n\r\nhello';
      let i = 0;
      const tick = setInterval(() => {
        socket.write(bytes.slice(i, i + 7));
        i += 7;
        if (i >= bytes.length) clearInterval(tick);
      }, 1);
    });
    servers.push(server);
    const res = await client.get(server.url, { timeout: 2000 });
    expect(res.status).toBe(200);
    expect(res.headers!['x-long-header-name']).toBe('some value');
    expect(res.body).toBe('hello');
  });

  it('a gzip body that is not gzip', async () => {
    const server = await cannedServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!' }));
    servers.push(server);
    const res = await client.get(server.url);
    expect(res.error?.code).toBe('HTTPKIT_BAD_RESPONSE');
    expect(res.error?.message).toMatch(/decode/);
  });

  it('an unexpected 101 is returned as the final response, and its connection is closed', async () => {
    const server = await cannedServer(() => ({
      bytes: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\nnot http any more',
    }));
    servers.push(server);
    const own = createClient();
    const res = (await own.get(server.url)) as HttpResponse;
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(101);
    expect(res.headers.upgrade).toBe('foo');
    expect(res.body).toEqual(Buffer.alloc(0));
    expect(own.connections).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
    // The next request gets a connection of its own.
    expect((await own.get(server.url)).status).toBe(101);
    expect(server.connections).toBe(2);
    own.close();
  });
});
