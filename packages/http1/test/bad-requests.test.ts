/**
 * Malformed request lines and header sections: 400 with a short plain-text reason, then the
 * server closes the connection; nothing that follows on the connection reaches the handler.
 *
 * The conformance kit's http-server suite now covers, in conformance-http.test.ts, the table of
 * malformed requests this file used to hold, with the same request bytes and the same checks
 * (400, a "Bad Request: why" plain-text body with Connection: close and Content-Length, the
 * close, the handler never called): group 1 (a method only, no target, a word after the version, HTTP/9.1,
 * "http/1.1", "G@T", a space or a control character in the target, HTTP/0.9 "GET /", binary
 * garbage) and group 2 (no colon, an empty name, "(" or a non-ASCII byte in a name, DEL or a bare
 * LF in a value). The table also sent a request after each; that what follows a refused request
 * never reaches the handler is checked below (a bad second request) and in smuggling.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { exchange, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();
const NEXT = 'GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n';

describe('malformed request line or header section', () => {
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
