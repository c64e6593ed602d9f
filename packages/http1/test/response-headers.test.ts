/**
 * Response heads: status line, Date always, Server only when configured, arrays as repeated
 * header lines (Set-Cookie), and invalid header names or values refused with a 500 instead of
 * being written (no response splitting).
 */
import { describe, expect, it } from 'vitest';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

describe('response head', () => {
  it('Set-Cookie arrays become repeated header lines, in order', async () => {
    const { port } = await servers.start(() => ({
      status: 200,
      headers: { 'Set-Cookie': ['a=1; Path=/', 'b=2; HttpOnly', 'c=3'], 'X-Num': 42 },
      body: 'ok',
    }));
    const result = await exchange(port, GET);
    const response = result.responses[0];
    expect(response.rawHeaders.filter(([name]) => name === 'Set-Cookie').map(([, v]) => v)).toEqual([
      'a=1; Path=/',
      'b=2; HttpOnly',
      'c=3',
    ]);
    expect(response.headers['x-num']).toBe('42');
  });

  it('a Date header is always present and well-formed (IMF-fixdate)', async () => {
    const { port } = await servers.start(() => 'ok');
    const response = (await exchange(port, GET)).responses[0];
    expect(response.headers['date']).toMatch(
      /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );
    expect(Math.abs(Date.parse(response.headers['date']) - Date.now())).toBeLessThan(5_000);
  });

  it("a handler's own Date header replaces the server's", async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { Date: 'Tue, 01 Jan 2030 00:00:00 GMT' }, body: 'ok' }));
    const response = (await exchange(port, GET)).responses[0];
    expect(response.rawHeaders.filter(([name]) => name.toLowerCase() === 'date')).toEqual([['Date', 'Tue, 01 Jan 2030 00:00:00 GMT']]);
  });

  it('no Server header unless configured', async () => {
    const { port } = await servers.start(() => 'ok');
    const response = (await exchange(port, GET)).responses[0];
    expect(response.headers['server']).toBeUndefined();
  });

  it('the Server header when configured', async () => {
    const { port } = await servers.start(() => 'ok', { serverHeader: 'http-kit-test/1.0' });
    const response = (await exchange(port, GET)).responses[0];
    expect(response.headers['server']).toBe('http-kit-test/1.0');
  });

  it('status line: known reason phrases, and a custom status code', async () => {
    const { port } = await servers.start((req) => ({ status: Number(req.uri.slice(1)), body: '' }));
    expect((await exchange(port, 'GET /201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0]).toMatchObject({
      status: 201,
      reason: 'Created',
    });
    expect((await exchange(port, 'GET /418 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0].status).toBe(418);
    expect((await exchange(port, 'GET /599 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0].status).toBe(599);
  });

  it('framing headers from the handler are owned by the server (no duplicate Content-Length, no bogus chunked)', async () => {
    const { port } = await servers.start(() => ({
      status: 200,
      headers: { 'Transfer-Encoding': 'chunked', 'content-length': 2 },
      body: 'ok',
    }));
    const response = (await exchange(port, GET)).responses[0];
    expect(response.rawHeaders.filter(([n]) => /^(content-length|transfer-encoding)$/i.test(n))).toEqual([['Content-Length', '2']]);
    expect(response.text).toBe('ok');
  });

  const INVALID: Array<[string, Record<string, unknown>]> = [
    ['CRLF in a value', { 'X-Bad': 'a\r\nSet-Cookie: evil=1' }],
    ['bare LF in a value', { 'X-Bad': 'a\nb' }],
    ['bare CR in a value', { 'X-Bad': 'a\rb' }],
    ['NUL in a value', { 'X-Bad': 'a\0b' }],
    ['CRLF in an array item', { 'Set-Cookie': ['ok=1', 'x=1\r\n\r\ninjected'] }],
    ['a space in a name', { 'X Bad': 'v' }],
    ['a colon in a name', { 'X:Bad': 'v' }],
    ['CRLF in a name', { 'X-A\r\nX-B': 'v' }],
    ['a non-latin1 character in a value', { 'X-Bad': 'snow ☃' }],
    ['a plain object as a value (no wire form; was dropped in silence)', { 'X-Bad': { a: 1 } }],
    ['a Map as a value', { 'X-Bad': new Map([['a', '1']]) }],
  ];
  for (const [name, headers] of INVALID) {
    it(`an invalid response header (${name}) gives a 500, logged, and nothing of it is written`, async () => {
      const { port, errors } = await servers.start((req) =>
        req.uri === '/ok' ? 'fine' : { status: 200, headers: headers as Record<string, string>, body: 'should not appear' },
      );
      const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(result.responses.map((r) => r.status)).toEqual([500, 200]);
      expect(result.text).not.toContain('should not appear');
      expect(result.text).not.toContain('evil');
      expect(result.text).not.toContain('injected');
      expect(result.responses[1].text).toBe('fine');
      expect(errors.length).toBe(1);
    });
  }

  it('an invalid Content-Length from the handler gives a 500', async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { 'Content-Length': '-1' }, body: 'x' }));
    expect((await exchange(port, GET)).responses[0].status).toBe(500);
  });

  it('an invalid status code from the handler gives a 500', async () => {
    const { port, errors } = await servers.start(() => ({ status: 42, body: 'x' }));
    const result = await exchange(port, GET);
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(errors.length).toBe(1);
  });

  it('an unsupported body type gives a 500', async () => {
    const { port } = await servers.start(() => ({ status: 200, body: 12345 as unknown as string }));
    expect((await exchange(port, GET)).responses[0].status).toBe(500);
  });
});
