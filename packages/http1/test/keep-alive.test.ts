/**
 * Connection persistence (RFC 9112 9.3): HTTP/1.1 stays open by default, HTTP/1.0 closes unless
 * it asks for keep-alive, "Connection: close" from either side is honoured.
 */
import { describe, expect, it } from 'vitest';
import { eventually, exchange, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('keep-alive', () => {
  it('HTTP/1.1: two requests on one socket, the connection stays open', async () => {
    const ports: number[] = [];
    const { port, server } = await servers.start((req) => {
      ports.push(req.serverPort);
      return `hello ${req.uri}`;
    });
    const client = await RawClient.connect(port);
    await client.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    const [first] = await client.waitForResponses(1);
    expect(first.status).toBe(200);
    expect(first.text).toBe('hello /one');
    expect(first.headers['connection']).toBeUndefined();
    expect(client.ended).toBe(false);
    await client.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    const both = await client.waitForResponses(2);
    expect(both[1].text).toBe('hello /two');
    expect(server.connectionCount).toBe(1);
    expect(client.ended).toBe(false);
    client.destroy();
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it('HTTP/1.1 with a request body: two POSTs on one socket', async () => {
    const { port } = await servers.start(async (req) => `got ${await req.body!.text()}`);
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    await client.waitForResponses(1);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.text)).toEqual(['got abc', 'got de']);
    client.destroy();
  });

  it('a handler that ignores the body: the unread body is skipped and the next request is served', async () => {
    const { port } = await servers.start((req) => `uri ${req.uri}`);
    const client = await RawClient.connect(port);
    await client.write('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.text)).toEqual(['uri /a', 'uri /b']);
    client.destroy();
  });

  it('HTTP/1.0 without keep-alive: answered, then closed by the server', async () => {
    const { port } = await servers.start((req) => req.protocol);
    const result = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(1);
    expect(result.responses[0].version).toBe('HTTP/1.0');
    expect(result.responses[0].text).toBe('HTTP/1.0');
    expect(result.responses[0].headers['connection']).not.toBe('keep-alive');
  });

  it('HTTP/1.0 with "Connection: keep-alive": the answer says keep-alive and the socket serves a second request', async () => {
    const { port } = await servers.start((req) => `hello ${req.uri}`);
    const client = await RawClient.connect(port);
    await client.write('GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [first] = await client.waitForResponses(1);
    expect(first.headers['connection']).toBe('keep-alive');
    expect(first.headers['content-length']).toBe('10');
    await client.write('GET /two HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    const responses = await client.waitForResponses(2);
    expect(responses[1].text).toBe('hello /two');
    expect(responses[1].headers['connection']).toBe('keep-alive');
    expect(client.ended).toBe(false);
    // A third one without keep-alive closes.
    await client.write('GET /three HTTP/1.0\r\n\r\n');
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.text)).toEqual(['hello /one', 'hello /two', 'hello /three']);
    expect(result.closedByServer).toBe(true);
  });

  it('HTTP/1.0 keep-alive with a streamed body of unknown length: close-delimited, then closed', async () => {
    const { port } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        yield 'a';
        yield 'b';
      })(),
    }));
    const result = await exchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(1);
    expect(result.responses[0].headers['transfer-encoding']).toBeUndefined();
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(result.responses[0].text).toBe('ab');
  });

  it('"Connection: close" from the client: answered with Connection: close, then closed', async () => {
    const calls: string[] = [];
    const { port } = await servers.start((req) => {
      calls.push(req.uri);
      return 'ok';
    });
    const result = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(1);
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(calls).toEqual(['/a']);
  });

  it('"Connection: close" among other tokens is honoured', async () => {
    const { port } = await servers.start(() => 'ok');
    const result = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses[0].headers['connection']).toBe('close');
  });

  it('"Connection: close" from the handler: sent once, then the server closes', async () => {
    const { port } = await servers.start(() => ({ status: 200, headers: { Connection: 'close' }, body: 'bye' }));
    const result = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBe(1);
    expect(result.responses[0].rawHeaders.filter(([n]) => n.toLowerCase() === 'connection')).toEqual([['Connection', 'close']]);
  });

  it('many sequential requests on one connection', async () => {
    const { port } = await servers.start((req) => req.queryString ?? '');
    const client = await RawClient.connect(port);
    for (let i = 0; i < 50; i++) {
      await client.write(`GET /?${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const responses = await client.waitForResponses(i + 1);
      expect(responses[i].text).toBe(String(i));
    }
    client.destroy();
  });
});
