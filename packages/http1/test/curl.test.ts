/**
 * curl as a real peer: GET, POST, chunked upload (-T -), HEAD, HTTP/1.0, connection reuse, and
 * Expect: 100-continue with a large body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from '@http-kit/http1';
import { curl, peer, useServers } from '@http-kit/test-support';

const servers = useServers();

/** A handler that echoes what it saw, as JSON. */
async function echo(req: Request) {
  const body = req.body === null ? null : await req.body.bytes();
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      method: req.requestMethod,
      uri: req.uri,
      query: req.queryString,
      protocol: req.protocol,
      headers: req.headers,
      length: body?.length ?? null,
      sample: body?.subarray(0, 32).toString('latin1') ?? null,
    }),
  };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'http1-curl-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(peer('curl', 'curl.test.ts') === null)('curl', () => {
  it('GET with a query string', async () => {
    const { port } = await servers.start(echo);
    const result = await curl([`http://127.0.0.1:${port}/hello?x=1`]);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen).toMatchObject({ method: 'get', uri: '/hello', query: 'x=1', protocol: 'HTTP/1.1', length: null });
    expect(seen.headers['user-agent']).toMatch(/^curl\//);
  });

  it('-i shows the status line and headers', async () => {
    const { port } = await servers.start(() => ({ status: 201, headers: { 'x-test': 'yes' }, body: 'made' }));
    const result = await curl(['-i', `http://127.0.0.1:${port}/`]);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(result.stdout).toContain('x-test: yes\r\n');
    expect(result.stdout.endsWith('\r\n\r\nmade')).toBe(true);
  });

  it('POST --data-binary', async () => {
    const { port } = await servers.start(echo);
    const result = await curl(['--data-binary', 'a=1&b=two', `http://127.0.0.1:${port}/post`]);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen).toMatchObject({ method: 'post', length: 9, sample: 'a=1&b=two' });
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // Binary from a file, every byte value, CR and LF included.
    const path = join(dir, 'binary.bin');
    writeFileSync(path, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    const binary = JSON.parse((await curl(['--data-binary', `@${path}`, `http://127.0.0.1:${port}/post`])).stdout);
    expect(binary.length).toBe(256);
    expect(binary.sample).toBe(Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('latin1'));
  });

  it('-T - uploads from stdin with chunked transfer coding', async () => {
    const { port } = await servers.start(echo);
    const payload = Buffer.alloc(200_000, 'k');
    const result = await curl(['-T', '-', `http://127.0.0.1:${port}/upload`], payload);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout);
    expect(seen.method).toBe('put');
    expect(seen.headers['transfer-encoding']).toBe('chunked');
    expect(seen.length).toBe(payload.length);
  });

  it('-T file uploads with Content-Length', async () => {
    const { port } = await servers.start(echo);
    const path = join(dir, 'upload.bin');
    writeFileSync(path, Buffer.alloc(5_000, 'f'));
    const result = await curl(['-T', path, `http://127.0.0.1:${port}/`]);
    const seen = JSON.parse(result.stdout);
    expect(seen.headers['content-length']).toBe('5000');
    expect(seen.length).toBe(5_000);
  });

  it('HEAD (-I): headers with Content-Length, no body', async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1234) }));
    const result = await curl(['-I', `http://127.0.0.1:${port}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toMatch(/content-length: 1234\r\n/i);
    expect(result.stdout.endsWith('\r\n\r\n')).toBe(true);
  });

  it('--http1.0: an HTTP/1.0 answer', async () => {
    const { port } = await servers.start(echo);
    const result = await curl(['-i', '--http1.0', `http://127.0.0.1:${port}/old`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    const seen = JSON.parse(result.stdout.slice(result.stdout.indexOf('\r\n\r\n') + 4));
    expect(seen.protocol).toBe('HTTP/1.0');
  });

  it('keep-alive: two URLs in one invocation reuse the connection', async () => {
    const { port } = await servers.start((req) => `path ${req.uri}\n`);
    const result = await curl(['-v', `http://127.0.0.1:${port}/one`, `http://127.0.0.1:${port}/two`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('path /one\npath /two\n');
    expect(result.stderr).toMatch(/Re-using existing connection/);
  });

  it('Expect: 100-continue with a large -d body', async () => {
    const { port } = await servers.start(echo, { maxBody: 16 * 1024 * 1024 });
    const path = join(dir, 'large.txt');
    writeFileSync(path, 'd'.repeat(3 * 1024 * 1024));
    const result = await curl([
      '-v',
      '-H',
      'Expect: 100-continue',
      '--expect100-timeout',
      '5',
      '--data-binary',
      `@${path}`,
      `http://127.0.0.1:${port}/big`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/> Expect: 100-continue/);
    expect(result.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
    const seen = JSON.parse(result.stdout);
    expect(seen.length).toBe(3 * 1024 * 1024);
  });

  it('Expect: 100-continue added by curl itself for a large -d', async () => {
    const { port } = await servers.start(echo, { maxBody: 16 * 1024 * 1024 });
    const path = join(dir, 'large2.txt');
    writeFileSync(path, 'e'.repeat(2 * 1024 * 1024));
    const started = Date.now();
    const result = await curl(['-v', '-d', `@${path}`, `http://127.0.0.1:${port}/big`]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).length).toBe(2 * 1024 * 1024);
    if (/> Expect: 100-continue/.test(result.stderr)) {
      expect(result.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
      // Answered promptly, not after curl's 1 s expect timeout.
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('an early final answer to Expect: curl does not send the body and gets the 413', async () => {
    const { port } = await servers.start(echo, { maxBody: 1024 });
    const path = join(dir, 'toolarge.txt');
    writeFileSync(path, 'z'.repeat(2 * 1024 * 1024));
    const result = await curl(['-i', '-H', 'Expect: 100-continue', '--data-binary', `@${path}`, `http://127.0.0.1:${port}/`]);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 413 /);
  });
});
