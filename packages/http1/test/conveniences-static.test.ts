/**
 * serveStatic(root): files over real sockets. Traversal attempts (`/../`, `%2e%2e/`, `..%2f`,
 * encoded NUL and backslash, symlinks out of the root), conditional requests (304), one byte
 * range (206, 416), HEAD, index.html, 405, and null for what is not there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, serveStatic, type Request } from '@http-kit/http1';
import { requestOnce, useServers } from '@http-kit/test-support';

const servers = useServers();
let base = '';
let root = '';
const MTIME = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'http1-static-'));
  root = join(base, 'public');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), 'secret');
  writeFileSync(join(base, 'public-secret.txt'), 'sibling secret'); // shares the root's name as a prefix
  writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
  writeFileSync(join(root, 'digits.txt'), '0123456789');
  writeFileSync(join(root, 'x y.css'), 'body{}');
  writeFileSync(join(root, 'data.bin'), Buffer.alloc(200_000, 7));
  writeFileSync(join(root, 'empty.txt'), '');
  writeFileSync(join(root, '.env'), 'TOKEN=1');
  writeFileSync(join(root, 'sub', 'index.html'), '<h1>sub</h1>');
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'escape.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'out'));
  symlinkSync(join(root, 'digits.txt'), join(root, 'inside.txt'));
  utimesSync(join(root, 'digits.txt'), MTIME, MTIME);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Our server with serveStatic in front and a fallback that says what reached it. */
async function start(options?: Parameters<typeof serveStatic>[1]) {
  const files = serveStatic(root, options);
  const started = await servers.start(
    async (req: Request) => (await files(req)) ?? { status: 404, body: `fallback ${req.requestMethod} ${req.uri}` },
  );
  return started.port;
}

function request(port: number, target: string, headers: Record<string, string> = {}, method = 'GET') {
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return requestOnce(port, `${method} ${target} HTTP/1.1\r\nHost: x\r\n${lines}Connection: close\r\n\r\n`, { head: method === 'HEAD' });
}

describe('serveStatic', () => {
  it('serves a file with its content type, length, ETag and Last-Modified', async () => {
    const port = await start();
    const response = await request(port, '/digits.txt');
    expect([response.status, response.text]).toEqual([200, '0123456789']);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['content-length']).toBe('10');
    expect(response.headers['last-modified']).toBe(MTIME.toUTCString());
    expect(response.headers.etag).toMatch(/^W\/"a-[0-9a-f]+"$/);
    expect(response.headers['accept-ranges']).toBe('bytes');
    const css = await request(port, '/x%20y.css');
    expect([css.status, css.headers['content-type'], css.text]).toEqual([200, 'text/css; charset=utf-8', 'body{}']);
    const big = await request(port, '/data.bin');
    expect([big.status, big.headers['content-type'], big.body.length]).toEqual([200, 'application/octet-stream', 200_000]);
  });

  it('answers a directory with its index.html, and redirects one without its final /', async () => {
    const port = await start();
    expect((await request(port, '/')).text).toBe('<h1>home</h1>');
    expect((await request(port, '/sub/')).text).toBe('<h1>sub</h1>');
    const redirect = await request(port, '/sub?x=1');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/sub/?x=1']);
    // `//evil.example` must not become a protocol-relative Location.
    const open = await request(port, '//evil.example/../sub');
    expect(open.status).toBe(403);
    const doubled = await request(port, '//sub');
    expect([doubled.status, doubled.headers.location]).toEqual([301, '/sub/']);
  });

  it('returns null (the caller routes on) for missing files, dotfiles and other paths', async () => {
    const port = await start();
    for (const target of ['/missing.txt', '/digits.txt/x', '/.env', '/sub/missing/', '*']) {
      const response = await request(port, target, {}, target === '*' ? 'OPTIONS' : 'GET');
      expect([target, response.status, response.text]).toEqual([target, 404, `fallback ${target === '*' ? 'options' : 'get'} ${target}`]);
    }
    const dotfiles = await start({ dotfiles: true });
    expect((await request(dotfiles, '/.env')).text).toBe('TOKEN=1');
  });

  it.each([
    ['/../outside/secret.txt', 403],
    ['/sub/../../outside/secret.txt', 403],
    ['/%2e%2e/outside/secret.txt', 403],
    ['/%2E%2E/public-secret.txt', 403],
    ['/..%2foutside%2fsecret.txt', 403],
    ['/sub%2f..%2f..%2foutside/secret.txt', 403],
    ['/..%5coutside%5csecret.txt', 403],
    ['/digits.txt%00.html', 403],
    ['/%00', 403],
    ['/%e0%a4%a', 400],
    ['/escape.txt', 403],
    ['/out/secret.txt', 403],
  ])('refuses %s (%i) and never sends the secret', async (target, status) => {
    const port = await start();
    const response = await request(port, target);
    expect(response.status).toBe(status);
    expect(response.text).not.toContain('secret');
  });

  it('follows symlinks inside the root, and outside only when allowed', async () => {
    const port = await start();
    expect((await request(port, '/inside.txt')).text).toBe('0123456789');
    const allowed = await start({ allowSymlinksOutsideRoot: true });
    expect((await request(allowed, '/escape.txt')).text).toBe('secret');
  });

  it('answers 304 to a matching If-None-Match or a later If-Modified-Since', async () => {
    const port = await start({ cacheControl: 'max-age=60' });
    const { headers } = await request(port, '/digits.txt');
    expect(headers['cache-control']).toBe('max-age=60');
    for (const condition of [
      { 'if-none-match': headers.etag } as Record<string, string>,
      { 'if-none-match': `"other", ${headers.etag.slice(2)}` },
      { 'if-none-match': '*' },
      { 'if-modified-since': headers['last-modified'] },
      { 'if-modified-since': new Date(MTIME.getTime() + 60_000).toUTCString() },
    ]) {
      const response = await request(port, '/digits.txt', condition);
      expect([response.status, response.body.length, response.headers.etag]).toEqual([304, 0, headers.etag]);
    }
    for (const condition of [
      { 'if-none-match': '"other"' } as Record<string, string>,
      { 'if-modified-since': new Date(MTIME.getTime() - 60_000).toUTCString() },
      { 'if-none-match': '"other"', 'if-modified-since': headers['last-modified'] }, // If-None-Match wins
      { 'if-modified-since': 'not a date' },
    ]) {
      expect((await request(port, '/digits.txt', condition)).status).toBe(200);
    }
  });

  it('serves one byte range with 206 and Content-Range, 416 past the end', async () => {
    const port = await start();
    const cases: Array<[string, number, string, string | undefined]> = [
      ['bytes=2-5', 206, '2345', 'bytes 2-5/10'],
      ['bytes=7-', 206, '789', 'bytes 7-9/10'],
      ['bytes=-3', 206, '789', 'bytes 7-9/10'],
      ['bytes=8-100', 206, '89', 'bytes 8-9/10'],
      ['bytes=-100', 206, '0123456789', 'bytes 0-9/10'],
      ['bytes=0-0', 206, '0', 'bytes 0-0/10'],
      ['bytes=10-', 416, 'Range Not Satisfiable\n', 'bytes */10'],
      ['bytes=-0', 416, 'Range Not Satisfiable\n', 'bytes */10'],
      ['bytes=0-1,4-5', 200, '0123456789', undefined], // several ranges: the whole file
      ['bytes=5-2', 200, '0123456789', undefined],
      ['items=0-1', 200, '0123456789', undefined],
    ];
    for (const [range, status, text, contentRange] of cases) {
      const response = await request(port, '/digits.txt', { range });
      expect([range, response.status, response.text, response.headers['content-range']]).toEqual([range, status, text, contentRange]);
    }
    const large = await request(port, '/data.bin', { range: 'bytes=100000-199999' });
    expect([large.status, large.headers['content-length'], large.body.length]).toEqual([206, '100000', 100_000]);
    // An empty file has no satisfiable range: served whole.
    expect((await request(port, '/empty.txt', { range: 'bytes=0-' })).status).toBe(200);
  });

  it('honours If-Range only when it names the Last-Modified date (the ETag is weak)', async () => {
    const port = await start();
    const { headers } = await request(port, '/digits.txt');
    expect((await request(port, '/digits.txt', { range: 'bytes=0-1', 'if-range': headers['last-modified'] })).status).toBe(206);
    expect((await request(port, '/digits.txt', { range: 'bytes=0-1', 'if-range': headers.etag })).status).toBe(200);
    expect((await request(port, '/digits.txt', { range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const port = await start();
    const response = await request(port, '/digits.txt', {}, 'HEAD');
    expect([response.status, response.headers['content-length'], response.headers['content-type'], response.body.length]).toEqual([
      200,
      '10',
      'text/plain; charset=utf-8',
      0,
    ]);
  });

  it('answers other methods 405 with Allow for a file that exists, and passes them on otherwise', async () => {
    const port = await start();
    const post = await request(port, '/digits.txt', { 'content-length': '0' }, 'POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    const route = await request(port, '/api/items', { 'content-length': '0' }, 'POST');
    expect([route.status, route.text]).toEqual([404, 'fallback post /api/items']);
  });

  it('serves under a prefix only', async () => {
    const port = await start({ prefix: '/static' });
    expect((await request(port, '/static/digits.txt')).text).toBe('0123456789');
    expect((await request(port, '/static/')).text).toBe('<h1>home</h1>');
    expect((await request(port, '/static')).headers.location).toBe('/static/');
    expect((await request(port, '/digits.txt')).text).toBe('fallback get /digits.txt');
    expect((await request(port, '/staticdigits.txt')).text).toBe('fallback get /staticdigits.txt');
  });

  it('works with fetch (undici) as the client', async () => {
    const port = await start();
    const response = await fetch(`http://127.0.0.1:${port}/data.bin`, { headers: { range: 'bytes=0-9' } });
    expect([response.status, (await response.arrayBuffer()).byteLength]).toEqual([206, 10]);
  });

  it('refuses bad options with InvalidArgumentError naming them', () => {
    expect(() => serveStatic(root, { indx: 'a' } as never)).toThrow(/unknown option "indx"/);
    expect(() => serveStatic(root, { prefix: 'static/' })).toThrow(InvalidArgumentError);
    expect(() => serveStatic(root, { index: '../x' })).toThrow(/index must be a file name/);
    expect(() => serveStatic('' as never)).toThrow(/root must be a directory path/);
  });
});
