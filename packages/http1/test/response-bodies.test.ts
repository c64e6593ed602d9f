/**
 * Response bodies: strings, bytes, files (Content-Length from stat, 404 when missing), Node
 * Readables, web ReadableStreams, (async) iterables (chunked), and HEAD / 204 / 304 (no body).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { file, FileBody } from '@http-kit/http1';
import { exchange, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
let dir = '';
const BIG = Buffer.alloc(300_000);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31) & 0xff;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'http1-bodies-'));
  writeFileSync(join(dir, 'small.txt'), 'small file\n');
  writeFileSync(join(dir, 'big.bin'), BIG);
  writeFileSync(join(dir, 'empty.txt'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GET = (uri = '/') => `GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

describe('fixed-length bodies', () => {
  it('a string is sent with its UTF-8 byte length', async () => {
    const { port } = await servers.start(() => ({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'héllo ✓',
    }));
    const result = await exchange(port, GET());
    expect(result.responses[0].headers['content-length']).toBe(String(Buffer.byteLength('héllo ✓')));
    expect(result.responses[0].body.toString('utf8')).toBe('héllo ✓');
  });

  it('a bare string or Buffer from the handler is a 200; null is a 404', async () => {
    const { port } = await servers.start((req) => (req.uri === '/s' ? 'str' : req.uri === '/b' ? Buffer.from([1, 2, 3]) : null));
    expect((await exchange(port, GET('/s'))).responses[0]).toMatchObject({ status: 200, text: 'str' });
    const bytes = (await exchange(port, GET('/b'))).responses[0];
    expect(bytes.status).toBe(200);
    expect([...bytes.body]).toEqual([1, 2, 3]);
    expect((await exchange(port, GET('/none'))).responses[0].status).toBe(404);
  });

  it('a body larger than the inline limit (300 KB Buffer) arrives intact', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: BIG }));
    const result = await exchange(port, GET());
    expect(result.responses[0].headers['content-length']).toBe(String(BIG.length));
    expect(result.responses[0].body.equals(BIG)).toBe(true);
  });

  it('an empty body has Content-Length: 0', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: '' }));
    const result = await exchange(port, GET());
    expect(result.responses[0].headers['content-length']).toBe('0');
    expect(result.responses[0].body.length).toBe(0);
  });
});

describe('file bodies', () => {
  it('a file is sent with Content-Length from stat', async () => {
    const { port } = await servers.start((req) => ({
      status: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: file(join(dir, req.uri.slice(1))),
    }));
    const small = await exchange(port, GET('/small.txt'));
    expect(small.responses[0].headers['content-length']).toBe('11');
    expect(small.responses[0].text).toBe('small file\n');
    const big = await exchange(port, GET('/big.bin'));
    expect(big.responses[0].headers['content-length']).toBe(String(BIG.length));
    expect(big.responses[0].headers['transfer-encoding']).toBeUndefined();
    expect(big.responses[0].body.equals(BIG)).toBe(true);
    const empty = await exchange(port, GET('/empty.txt'));
    expect(empty.responses[0].headers['content-length']).toBe('0');
  });

  it('a missing file is a 404 and the connection stays usable', async () => {
    const { port, errors } = await servers.start((req) => ({ status: 200, body: file(join(dir, req.uri.slice(1))) }));
    const client = await RawClient.connect(port);
    await client.write('GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.waitForResponses(2);
    expect(responses[0].status).toBe(404);
    expect(responses[1].status).toBe(200);
    expect(responses[1].text).toBe('small file\n');
    expect(errors.some((e) => /not found/i.test(e.message))).toBe(true);
    client.destroy();
  });

  it('a directory as a file body is a 500', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: file(dir) }));
    const result = await exchange(port, GET());
    expect(result.responses[0].status).toBe(500);
  });

  it('a byte range of a file (FileBody start/end)', async () => {
    const { port } = await servers.start(() => ({ status: 206, body: new FileBody(join(dir, 'big.bin'), 1000, 1100) }));
    const result = await exchange(port, GET());
    expect(result.responses[0].headers['content-length']).toBe('100');
    expect(result.responses[0].body.equals(BIG.subarray(1000, 1100))).toBe(true);
  });

  it('HEAD of a file: Content-Length, no body', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: file(join(dir, 'big.bin')) }));
    const client = await RawClient.connect(port);
    await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const result = await client.readUntilClose({ head: new Set([0]) });
    expect(result.responses[0].headers['content-length']).toBe(String(BIG.length));
    expect(result.responses[0].body.length).toBe(0);
    expect(result.responses[1].body.equals(BIG)).toBe(true);
  });
});

describe('streamed bodies (chunked)', () => {
  const sources: Record<string, () => unknown> = {
    'Node Readable': () => Readable.from(['a', Buffer.from('bc'), 'def']),
    'web ReadableStream': () =>
      new ReadableStream<Uint8Array | string>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('a'));
          controller.enqueue('bc');
          controller.enqueue(new TextEncoder().encode('def'));
          controller.close();
        },
      }),
    'async generator': () =>
      (async function* () {
        yield 'a';
        await sleep(5);
        yield Buffer.from('bc');
        yield '';
        yield 'def';
      })(),
    'sync iterable (array)': () => ['a', 'bc', Buffer.from('def')],
  };
  for (const [name, make] of Object.entries(sources)) {
    it(`${name}: Transfer-Encoding: chunked, the bytes in order`, async () => {
      const { port } = await servers.start(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: make() as Readable }));
      const client = await RawClient.connect(port);
      await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const result = await client.readUntilClose();
      expect(result.responses.length).toBe(2);
      for (const response of result.responses) {
        expect(response.headers['transfer-encoding']).toBe('chunked');
        expect(response.headers['content-length']).toBeUndefined();
        expect(response.text).toBe('abcdef');
      }
      // Empty chunks are skipped, never written as a premature "0\r\n\r\n".
      expect(result.text.split('0\r\n\r\n').length - 1).toBe(2);
    });
  }

  it('a stream with a Content-Length from the handler is sent as is, not chunked', async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { 'Content-Length': '6' }, body: Readable.from(['abc', 'def']) }));
    const result = await exchange(port, GET());
    expect(result.responses[0].headers['content-length']).toBe('6');
    expect(result.responses[0].headers['transfer-encoding']).toBeUndefined();
    expect(result.responses[0].text).toBe('abcdef');
  });

  it('a stream longer than its declared Content-Length is cut and the connection closed', async () => {
    const { port, errors } = await servers.start(() => ({
      status: 200,
      headers: { 'content-length': 3 },
      body: Readable.from(['abc', 'def']),
    }));
    const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.text).not.toContain('def');
    expect(errors.length).toBe(1);
  });

  it('a large stream (8 MB) arrives intact', async () => {
    const piece = Buffer.alloc(64 * 1024, 'q');
    const { port } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        for (let i = 0; i < 128; i++) yield piece;
      })(),
    }));
    const result = await exchange(port, GET(), { timeout: 10_000 });
    expect(result.responses[0].body.length).toBe(128 * piece.length);
  });

  it('a stream that fails mid-body: the connection is cut, the error logged', async () => {
    const { port, errors, server } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        yield 'partial';
        throw new Error('source broke');
      })(),
    }));
    const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(0); // no terminating chunk: the client sees a truncated body
    expect(result.text).toContain('partial');
    expect(errors.map((e) => (e.error as Error).message)).toContain('source broke');
    expect(server.connectionCount).toBe(0);
  });
});

describe('responses without a body', () => {
  it('HEAD gets the headers with Content-Length and no body', async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'twelve bytes' }));
    const client = await RawClient.connect(port);
    await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((c) => c.text.includes('\r\n\r\n'), 2_000, 'a head');
    await sleep(50);
    const text = client.text;
    expect(text.endsWith('\r\n\r\n')).toBe(true);
    expect(text).toContain('Content-Length: 12\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    client.destroy();
  });

  it('HEAD with a streamed body: no body bytes, the stream is released', async () => {
    let closed = false;
    const { port } = await servers.start(() => {
      const body = Readable.from(['abc']);
      body.on('close', () => (closed = true));
      return { status: 200, body };
    });
    const client = await RawClient.connect(port);
    await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const result = await client.readUntilClose({ head: new Set([0]) });
    expect(result.responses.length).toBe(2);
    expect(result.responses[0].body.length).toBe(0);
    expect(result.responses[1].text).toBe('abc');
    expect(result.rest.length).toBe(0);
    expect(closed).toBe(true);
  });

  // A handler answering HEAD with its own Content-Length and no body keeps that Content-Length
  // (RFC 9110 9.3.2 / 8.6: the Content-Length a GET would have had).
  it("HEAD with the handler's own Content-Length and a null body keeps that Content-Length", async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { 'Content-Length': '1234' }, body: null }));
    const client = await RawClient.connect(port);
    await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.waitForResponses(1, { head: true });
    client.destroy();
    expect(response.headers['content-length']).toBe('1234');
  });

  it('204 and 304 carry no body even if the handler gives one', async () => {
    const { port } = await servers.start((req) => ({ status: req.uri === '/204' ? 204 : 304, body: 'ignored' }));
    const client = await RawClient.connect(port);
    await client.write('GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([204, 304]);
    expect(result.text).not.toContain('ignored');
    expect(result.responses[0].headers['content-length']).toBeUndefined();
    expect(result.responses[0].headers['transfer-encoding']).toBeUndefined();
  });
});
