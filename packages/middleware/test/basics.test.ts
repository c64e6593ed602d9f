/**
 * compose, requestId, cors, trustProxy, errorHandler and formParams over real sockets, driven
 * with curl where a real peer says more than our own client.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, cors, errorHandler, formParams, randomRequestId, requestId, requestLogger, trustProxy } from '@http-kit/middleware';
import { curl, peer, useServers } from '@http-kit/test-support';
import { get, request } from '@http-kit/client';
import { file, type Handler } from '@http-kit/http1';

const CURL = peer('curl', 'middleware basics (curl)');
const servers = useServers();

describe('compose', () => {
  it('the first middleware sees the request first and the response last', async () => {
    const seen: string[] = [];
    const tag =
      (name: string) =>
      (handler: Handler): Handler =>
      async (req) => {
        seen.push(`in ${name}`);
        const res = (await handler(req)) as { status: number; body: string };
        seen.push(`out ${name}`);
        return { ...res, body: `${res.body}<${name}` };
      };
    const { port } = await servers.start(compose(tag('a'), tag('b'), tag('c'))(() => ({ status: 200, body: 'h' })));
    const res = await get(`http://127.0.0.1:${port}/`);
    expect(res.body).toBe('h<c<b<a');
    expect(seen).toEqual(['in a', 'in b', 'in c', 'out c', 'out b', 'out a']);
  });

  it('refuses what is no middleware, saying which argument and how to fix it', () => {
    expect(() => compose(requestId(), 42 as never)).toThrow(/argument 2 must be a middleware.*got 42/);
    expect(() => compose(cors as never)((() => 'x') as Handler)).toThrow(/cors: got a function where options were expected/);
    expect(() => cors({ origin: ['x'] } as never)).toThrow(/unknown option "origin".*origins/);
    expect(() => trustProxy({ trusted: ['10.0.0.0/33'] })).toThrow(/bad prefix length/);
    expect(() => trustProxy({ trusted: ['nginx'] })).toThrow(/"nginx" in trusted is not an IP address/);
  });
});

describe('requestId', () => {
  it('keeps a valid incoming id, replaces an invalid one, and answers with it', async () => {
    const { port } = await servers.start(compose(requestId())((req) => `id=${req.id}`));
    const kept = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.body).toBe('id=abc-123');
    expect(kept.headers!['x-request-id']).toBe('abc-123');
    const made = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-request-id': 'has space<script>' } });
    expect(made.headers!['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.body).toBe(`id=${made.headers!['x-request-id']}`);
    const notFound = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-request-id': 'n1' } });
    expect(notFound.status).toBe(200);
  });

  it('stamps a 404 (null from the handler) too, under a header of the caller choosing', async () => {
    const { port } = await servers.start(compose(requestId({ header: 'x-trace' }))(() => null));
    const res = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-trace': 't-1' } });
    expect(res.status).toBe(404);
    expect(res.headers!['x-trace']).toBe('t-1');
  });

  it('makes version 4 UUIDs, all different, across refills of its random pool', () => {
    const seen = new Set<string>();
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = randomRequestId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      for (let at = 0; at < 36; at++) digits[at].add(id[at]);
    }
    expect(seen.size).toBe(2000);
    // Every place but the dashes, the version and the variant takes every hex digit: each byte is
    // random and lands where it should, none left over from the id before.
    const sizes = digits.map((set) => set.size);
    expect(sizes).toEqual(sizes.map((_, at) => ([8, 13, 18, 23, 14].includes(at) ? 1 : at === 19 ? 4 : 16)));
  });
});

describe('requestLogger', () => {
  it("logs a file body's size, which only the server knows (no Content-Length from the handler)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logger-file-'));
    try {
      const path = join(dir, 'page.txt');
      writeFileSync(path, 'x'.repeat(12_345));
      const lines: string[] = [];
      const json: string[] = [];
      const handler: Handler = () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: file(path) });
      const combined = await servers.start(compose(requestLogger({ log: (line) => lines.push(line) }))(handler));
      const structured = await servers.start(compose(requestLogger({ log: (line) => json.push(line), format: 'json' }))(handler));
      const res = await get(`http://127.0.0.1:${combined.port}/page`);
      expect(res.status).toBe(200);
      expect((res.body as Buffer).length).toBe(12_345);
      await get(`http://127.0.0.1:${structured.port}/page`);
      await expect.poll(() => lines.length + json.length).toBe(2);
      expect(lines[0]).toMatch(/"GET \/page HTTP\/1\.1" 200 12345 /);
      expect(JSON.parse(json[0]!)).toMatchObject({ status: 200, bytes: 12_345 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(CURL === null)('cors, with curl', () => {
  it('answers an allowed preflight 204 with what may be sent, and Vary: Origin', async () => {
    const app = compose(cors({ origins: ['http://app.test'], credentials: true, maxAge: 60, exposeHeaders: ['x-total'] }))(() => 'data');
    const { port } = await servers.start(app);
    const pre = await curl([
      '-i',
      '-X',
      'OPTIONS',
      '-H',
      'Origin: http://app.test',
      '-H',
      'Access-Control-Request-Method: PUT',
      '-H',
      'Access-Control-Request-Headers: content-type, x-token',
      `http://127.0.0.1:${port}/items`,
    ]);
    expect(pre.stdout).toMatch(/^HTTP\/1.1 204/);
    expect(pre.stdout).toMatch(/access-control-allow-origin: http:\/\/app.test\r\n/i);
    expect(pre.stdout).toMatch(/access-control-allow-methods: GET, HEAD, PUT, PATCH, POST, DELETE\r\n/i);
    expect(pre.stdout).toMatch(/access-control-allow-headers: content-type, x-token\r\n/i);
    expect(pre.stdout).toMatch(/access-control-allow-credentials: true\r\n/i);
    expect(pre.stdout).toMatch(/access-control-max-age: 60\r\n/i);
    expect(pre.stdout).toMatch(/vary: Origin/i);
    const simple = await curl(['-i', '-H', 'Origin: http://app.test', `http://127.0.0.1:${port}/items`]);
    expect(simple.stdout).toMatch(/access-control-allow-origin: http:\/\/app.test\r\n/i);
    expect(simple.stdout).toMatch(/access-control-expose-headers: x-total\r\n/i);
    expect(simple.stdout).toMatch(/vary: Origin\r\n/i);
    expect(simple.stdout).toMatch(/\r\n\r\ndata$/);
  });

  it('gives an origin not in the list no Access-Control header, on preflights and answers', async () => {
    const { port } = await servers.start(compose(cors({ origins: ['http://app.test'] }))(() => 'data'));
    const pre = await curl([
      '-i',
      '-X',
      'OPTIONS',
      '-H',
      'Origin: http://evil.test',
      '-H',
      'Access-Control-Request-Method: GET',
      `http://127.0.0.1:${port}/`,
    ]);
    expect(pre.stdout).toMatch(/^HTTP\/1.1 204/);
    expect(pre.stdout).not.toMatch(/^access-control-/im);
    const simple = await curl(['-i', '-H', 'Origin: http://evil.test', `http://127.0.0.1:${port}/`]);
    expect(simple.stdout).not.toMatch(/^access-control-/im);
    expect(simple.stdout).toMatch(/vary: Origin\r\n/i);
  });

  it("with origins '*' and no credentials answers '*' and does not vary", async () => {
    const { port } = await servers.start(compose(cors())(() => 'data'));
    const simple = await curl(['-i', '-H', 'Origin: http://any.test', `http://127.0.0.1:${port}/`]);
    expect(simple.stdout).toMatch(/access-control-allow-origin: \*\r\n/i);
    expect(simple.stdout).not.toMatch(/vary:/i);
  });

  it("keeps the program's own Vary (any case): as it is with '*', merged into one line with Origin", async () => {
    const handler: Handler = () => ({ status: 200, headers: { 'content-type': 'text/plain', Vary: 'Accept-Language' }, body: 'data' });
    const star = await servers.start(compose(cors())(handler));
    const any = await curl(['-i', '-H', 'Origin: http://any.test', `http://127.0.0.1:${star.port}/`]);
    expect(any.stdout).toMatch(/access-control-allow-origin: \*\r\n/i);
    expect(any.stdout.match(/^vary:.*$/gim)).toEqual(['Vary: Accept-Language']);
    const listed = await servers.start(compose(cors({ origins: ['http://app.test'] }))(handler));
    const allowed = await curl(['-i', '-H', 'Origin: http://app.test', `http://127.0.0.1:${listed.port}/`]);
    expect(allowed.stdout.match(/^vary:.*$/gim)).toEqual(['vary: Accept-Language, Origin']);
  });
});

describe('trustProxy', () => {
  const show: Handler = (req) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ remoteAddr: req.remoteAddr, scheme: req.scheme, serverName: req.serverName, serverPort: req.serverPort }),
  });

  it('from a trusted peer takes X-Forwarded-For/-Proto/-Host, skipping trusted hops', async () => {
    const { port } = await servers.start(compose(trustProxy({ trusted: ['127.0.0.1', '10.0.0.0/8'] }))(show));
    const res = await get(`http://127.0.0.1:${port}/`, {
      headers: {
        'x-forwarded-for': '198.51.100.7, 203.0.113.9, 10.1.2.3',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example:8443',
      },
    });
    expect(JSON.parse(res.body as string)).toEqual({
      remoteAddr: '203.0.113.9',
      scheme: 'https',
      serverName: 'shop.example',
      serverPort: 8443,
    });
  });

  it('reads Forwarded (RFC 7239) first, with quoted IPv6 and ports', async () => {
    const { port } = await servers.start(compose(trustProxy())(show));
    const res = await get(`http://127.0.0.1:${port}/`, {
      headers: { forwarded: 'for="[2001:db8::1]:4711";proto=https;host=api.example', 'x-forwarded-for': '1.1.1.1' },
    });
    expect(JSON.parse(res.body as string)).toMatchObject({ remoteAddr: '2001:db8::1', scheme: 'https', serverName: 'api.example' });
  });

  it('ignores the headers from a peer it does not trust', async () => {
    const { port } = await servers.start(compose(trustProxy({ trusted: ['10.0.0.0/8'] }))(show));
    const res = await get(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' } });
    expect(JSON.parse(res.body as string)).toMatchObject({ remoteAddr: '127.0.0.1', scheme: 'http' });
  });
});

describe('errorHandler', () => {
  it('answers what a throwing or rejecting handler leaves, as the program wants', async () => {
    const app = compose(
      errorHandler((error, req) => ({
        status: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: (error as Error).message, path: req.uri }),
      })),
    )(async (req) => {
      if (req.uri === '/sync') throw new Error('sync boom');
      await Promise.resolve();
      throw new Error('async boom');
    });
    // errorHandler's wrapper is sync: a sync throw inside an async handler is a rejection anyway.
    const { port, errors } = await servers.start(app);
    const a = await get(`http://127.0.0.1:${port}/sync`);
    expect(a.status).toBe(500);
    expect(JSON.parse(a.body as string)).toEqual({ error: 'sync boom', path: '/sync' });
    const b = await get(`http://127.0.0.1:${port}/async`);
    expect(JSON.parse(b.body as string)).toEqual({ error: 'async boom', path: '/async' });
    expect(errors).toEqual([]);
  });

  it('when onError itself throws, the server answers its logged 500', async () => {
    const { port, errors } = await servers.start(
      compose(
        errorHandler(() => {
          throw new Error('handler of errors failed');
        }),
      )(() => {
        throw new Error('first');
      }),
    );
    const res = await get(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(500);
    expect(errors.map((e) => (e.error as Error).message)).toEqual(['handler of errors failed']);
  });
});

describe.skipIf(CURL === null)('formParams, with curl -d', () => {
  const echo: Handler = (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.formParams) });

  it('parses a form into req.formParams, repeated keys as arrays', async () => {
    const { port } = await servers.start(compose(formParams())(echo));
    const res = await curl([
      '-d',
      'name=Ada+Lovelace',
      '-d',
      'tag=a',
      '-d',
      'tag=b',
      '--data-urlencode',
      'note=ünï & co',
      `http://127.0.0.1:${port}/`,
    ]);
    expect(JSON.parse(Buffer.from(res.stdout, 'latin1').toString('utf8'))).toEqual({
      name: 'Ada Lovelace',
      tag: ['a', 'b'],
      note: 'ünï & co',
    });
  });

  it('answers 400 to a malformed body and 413 over maxBody, saying why', async () => {
    const { port } = await servers.start(compose(formParams({ maxBody: 100 }))(echo));
    const bad = await curl(['-i', '-d', 'a=%zz', `http://127.0.0.1:${port}/`]);
    expect(bad.stdout).toMatch(/^HTTP\/1.1 400/);
    expect(bad.stdout).toMatch(/bad percent escape "%zz"/);
    const big = await curl(['-i', '-d', `a=${'x'.repeat(200)}`, `http://127.0.0.1:${port}/`]);
    expect(big.stdout).toMatch(/^HTTP\/1.1 413/);
    expect(big.stdout).toMatch(/over the limit of 100 bytes/);
    // The connection is still good for the next request.
    const ok = await request({ url: `http://127.0.0.1:${port}/`, method: 'post', formParams: { x: '1' } });
    expect(JSON.parse(ok.body as string)).toEqual({ x: '1' });
  });

  it('leaves other bodies unread and gives an empty formParams', async () => {
    const { port } = await servers.start(
      compose(formParams())(async (req) => `${JSON.stringify(req.formParams)} ${await req.body?.text()}`),
    );
    const res = await curl(['-H', 'content-type: application/json', '-d', '{"a":1}', `http://127.0.0.1:${port}/`]);
    expect(res.stdout).toBe('{} {"a":1}');
  });
});
