/**
 * Malformed request lines and header sections: 400 with a short plain-text reason, then the
 * server closes the connection; nothing that follows on the connection reaches the handler.
 */
import { describe, expect, it } from 'vitest';
import { exchange, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();
const NEXT = 'GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n';

const BAD: Array<[string, string]> = [
  ['a method only', 'GET\r\n\r\n'],
  ['no request target', 'GET HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a trailing word after the version', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
  ['an unknown major version', 'GET / HTTP/9.1\r\nHost: x\r\n\r\n'],
  ['a lower-case protocol name', 'GET / http/1.1\r\nHost: x\r\n\r\n'],
  ['a method with a non-token character', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a space inside the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a control character in the target', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['binary garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
  ['a header with an empty name', 'GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n'],
  ['a header name with "("', 'GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n'],
  ['a header name with a non-ASCII byte', 'GET / HTTP/1.1\r\nHost: x\r\nX\xe9: b\r\n\r\n'],
  ['a DEL byte in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n'],
  ['a bare LF in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nb\r\n\r\n'],
];

describe('malformed request line or header section', () => {
  for (const [name, bytes] of BAD) {
    it(`400 and close: ${name}`, async () => {
      const calls: string[] = [];
      const { port } = await servers.start((req) => {
        calls.push(req.uri);
        return 'ok';
      });
      const result = await exchange(port, bytes + NEXT);
      expect(
        result.responses.map((r) => r.status),
        JSON.stringify(result.text),
      ).toEqual([400]);
      const response = result.responses[0];
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.headers['connection']).toBe('close');
      expect(Number(response.headers['content-length'])).toBe(response.body.length);
      // Short and says what was wrong.
      expect(response.text).toMatch(/^Bad Request: .+\n$/);
      expect(response.text.length).toBeLessThan(200);
      expect(result.closedByServer).toBe(true);
      expect(calls).toEqual([]);
    });
  }

  // llhttp takes a request line without a version ("GET /") as HTTP/0.9 and goes on to read
  // headers: the server checks the version itself.
  it('400 and close: a request line without HTTP-version ("GET /", HTTP/0.9)', async () => {
    const seen: string[] = [];
    const { port } = await servers.start((req) => {
      seen.push(req.protocol);
      return 'ok';
    });
    const result = await exchange(port, 'GET /\r\nHost: x\r\n\r\n');
    expect(result.responses.map((r) => r.status)).toEqual([400]);
    expect(seen).toEqual([]);
  });

  it('extra spaces between request-line words are tolerated (RFC 9112 3 allows it)', async () => {
    const { port } = await servers.start((req) => `${req.requestMethod} ${req.uri}`);
    const result = await exchange(port, 'GET  /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(result.responses.map((r) => [r.status, r.text])).toEqual([[200, 'get /x']]);
  });

  it('a bad request byte by byte gets the same answer', async () => {
    const { port } = await servers.start(() => 'ok');
    const whole = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n');
    const bytewise = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n', { bytewise: true });
    expect(bytewise.responses[0].status).toBe(400);
    expect(bytewise.responses[0].text).toBe(whole.responses[0].text);
    expect(bytewise.closedByServer).toBe(true);
  });

  it('a bad second request on a kept-alive connection: first answered 200, second 400, then close', async () => {
    const calls: string[] = [];
    const { port } = await servers.start((req) => {
      calls.push(req.uri);
      return 'ok';
    });
    const client = await RawClient.connect(port);
    await client.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitForResponses(1);
    await client.write('GET /second HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n' + NEXT);
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([200, 400]);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual(['/first']);
  });

  it('the server keeps serving other connections after a bad request', async () => {
    const { port, server } = await servers.start(() => 'ok');
    const bad = await exchange(port, 'BAD\r\n\r\n');
    expect(bad.responses[0].status).toBe(400);
    const good = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(good.responses[0].status).toBe(200);
    expect(good.responses[0].text).toBe('ok');
    expect(server.status).toBe('running');
  });

  it('an unsupported Expect value gets 417 and a close', async () => {
    const calls: string[] = [];
    const { port } = await servers.start((req) => {
      calls.push(req.uri);
      return 'ok';
    });
    const result = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\nhi');
    expect(result.responses.map((r) => r.status)).toEqual([417]);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual([]);
  });
});
