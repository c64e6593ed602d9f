/**
 * The Ring request map a handler receives: uri, queryString, requestMethod, headers (lower-cased,
 * repeats joined), contentType, contentLength, characterEncoding, serverName/serverPort,
 * remoteAddr, protocol, scheme; and listening on a Unix socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from '@http-kit/http1';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();

/** Starts a server that records each request map (without the body stream). */
async function recording() {
  const seen: Array<Omit<Request, 'body'> & { hasBody: boolean }> = [];
  const started = await servers.start((req) => {
    const { body, ...rest } = req;
    seen.push({ ...rest, hasBody: body !== null });
    body?.resume();
    return 'ok';
  });
  return { ...started, seen };
}

describe('request map', () => {
  it('fields of a GET with a query string and repeated headers', async () => {
    const { port, seen } = await recording();
    await exchange(
      port,
      'GET /path/to%20x?a=1&b=two%20words HTTP/1.1\r\n' +
        'Host: example.test:8080\r\n' +
        'Accept: text/html\r\n' +
        'X-Multi: one\r\n' +
        'x-multi: two\r\n' +
        'X-MULTI: three\r\n' +
        'Cookie: a=1\r\n' +
        'Cookie: b=2\r\n' +
        'X-Trailing-Space: value   \r\n' +
        'Connection: close\r\n\r\n',
    );
    expect(seen.length).toBe(1);
    const req = seen[0];
    expect(req.uri).toBe('/path/to%20x');
    expect(req.queryString).toBe('a=1&b=two%20words');
    expect(req.requestMethod).toBe('get');
    expect(req.protocol).toBe('HTTP/1.1');
    expect(req.scheme).toBe('http');
    expect(req.serverName).toBe('example.test');
    expect(req.serverPort).toBe(port);
    expect(req.remoteAddr).toBe('127.0.0.1');
    expect(req.headers['host']).toBe('example.test:8080');
    expect(req.headers['accept']).toBe('text/html');
    expect(req.headers['x-multi']).toBe('one, two, three');
    expect(req.headers['cookie']).toBe('a=1; b=2');
    expect(req.headers['x-trailing-space']).toBe('value');
    expect(Object.keys(req.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(req.contentType).toBeNull();
    expect(req.contentLength).toBeNull();
    expect(req.characterEncoding).toBeNull();
    expect(req.hasBody).toBe(false);
  });

  it('contentType, contentLength and characterEncoding of a POST', async () => {
    const { port, seen } = await recording();
    await exchange(
      port,
      'POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain; charset="ISO-8859-1"\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    );
    const req = seen[0];
    expect(req.requestMethod).toBe('post');
    expect(req.contentType).toBe('text/plain; charset="ISO-8859-1"');
    expect(req.contentLength).toBe(3);
    expect(req.characterEncoding).toBe('ISO-8859-1');
    expect(req.queryString).toBeNull();
    expect(req.hasBody).toBe(true);
  });

  it('a chunked POST has contentLength null and a body', async () => {
    const { port, seen } = await recording();
    await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json;charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n1\r\n0\r\n\r\n',
    );
    expect(seen[0].contentLength).toBeNull();
    expect(seen[0].characterEncoding).toBe('utf-8');
    expect(seen[0].hasBody).toBe(true);
  });

  it('methods come lower-cased', async () => {
    const { port, seen } = await recording();
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      await exchange(port, `${method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
    expect(seen.map((r) => r.requestMethod)).toEqual(['put', 'delete', 'patch', 'options']);
  });

  it('serverName from Host without port, IPv6 literal kept in brackets', async () => {
    const { port, seen } = await recording();
    await exchange(port, 'GET / HTTP/1.1\r\nHost: [::1]:9000\r\nConnection: close\r\n\r\n');
    await exchange(port, 'GET / HTTP/1.1\r\nHost: plain.example\r\nConnection: close\r\n\r\n');
    expect(seen.map((r) => r.serverName)).toEqual(['[::1]', 'plain.example']);
  });

  it('HTTP/1.0 without Host: protocol HTTP/1.0, serverName falls back to the listening ip', async () => {
    const { port, seen } = await recording();
    await exchange(port, 'GET /old?x HTTP/1.0\r\n\r\n');
    expect(seen[0].protocol).toBe('HTTP/1.0');
    expect(seen[0].serverName).toBe('127.0.0.1');
    expect(seen[0].queryString).toBe('x');
  });

  it('an absolute-form target: uri is the path, queryString the query', async () => {
    const { port, seen } = await recording();
    await exchange(port, 'GET http://example.test:81/abs/path?q=1 HTTP/1.1\r\nHost: example.test:81\r\nConnection: close\r\n\r\n');
    expect(seen[0].uri).toBe('/abs/path');
    expect(seen[0].queryString).toBe('q=1');
  });

  // RFC 9112 3.2.2: with an absolute-form target the host comes from the target. Host must name
  // the same host and port (case aside, the scheme's default port implied); a different one is
  // refused (issue 9: see request-checks.ts).
  it('an absolute-form target: serverName comes from the target, spelled as the target spells it', async () => {
    const { port, seen } = await recording();
    await exchange(port, 'GET http://A.example/x HTTP/1.1\r\nHost: a.EXAMPLE:80\r\nConnection: close\r\n\r\n');
    expect(seen[0].serverName).toBe('A.example');
  });

  it('an absolute-form target whose authority is not the Host: 400 before the handler runs', async () => {
    const { port, seen } = await recording();
    const other = await exchange(port, 'GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n');
    const otherPort = await exchange(port, 'GET https://a.example/x HTTP/1.1\r\nHost: a.example:80\r\n\r\n');
    expect([other.responses[0].status, otherPort.responses[0].status]).toEqual([400, 400]);
    expect(other.responses[0].text).toMatch(/Host "b\.example" is not the target's authority "a\.example"/);
    expect(seen).toEqual([]);
  });

  it('an empty query string is "" (not null)', async () => {
    const { port, seen } = await recording();
    await exchange(port, 'GET /p? HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(seen[0].uri).toBe('/p');
    expect(seen[0].queryString).toBe('');
  });

  it('latin1 bytes in a header value come through one-to-one', async () => {
    const { port, seen } = await recording();
    await exchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n', 'latin1'));
    expect(seen[0].headers['x-latin']).toBe('caf\xe9');
  });
});

describe('Unix socket', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'http1-unix-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('listens on a Unix socket via `path` and serves requests', async () => {
    const path = join(dir, 'server.sock');
    const { server } = await servers.start((req) => `unix ${req.uri} ${req.protocol}`, { path });
    expect(server.path).toBe(path);
    const result = await exchange(path, 'GET /u HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(result.responses[0]).toMatchObject({ status: 200, text: 'unix /u HTTP/1.1' });
    expect(result.closedByServer).toBe(true);
  });
});
