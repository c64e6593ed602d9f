/**
 * Pipelining (RFC 9112 9.3.2): requests sent back to back on one connection are answered in the
 * order they came, whatever each handler's delay; a client that half-closes after sending them
 * still gets every answer.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { exchange, parseResponses, peer, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const HAS_NC = peer('nc', "pipelining.test.ts 'printf ... | nc -N'") !== null;

/** /sync/x answers at once; /delay/<ms>/x answers after <ms>. */
function delayedHandler(log: string[]) {
  return (req: { uri: string }) => {
    log.push(req.uri);
    const match = /^\/delay\/(\d+)\//.exec(req.uri);
    if (match === null) return `body of ${req.uri}`;
    return sleep(Number(match[1])).then(() => ({ status: 200, headers: { 'x-uri': req.uri }, body: `body of ${req.uri}` }));
  };
}

const get = (uri: string, extra = '') => `GET ${uri} HTTP/1.1\r\nHost: x\r\n${extra === '' ? '' : `${extra}\r\n`}\r\n`;

describe('pipelining', () => {
  it('sync and async handlers with different delays are answered in request order', async () => {
    const log: string[] = [];
    const { port } = await servers.start(delayedHandler(log));
    const uris = ['/delay/80/a', '/sync/b', '/delay/5/c', '/delay/40/d', '/sync/e', '/delay/0/f'];
    const client = await RawClient.connect(port);
    await client.write(uris.map((u) => get(u)).join(''));
    const responses = await client.waitForResponses(uris.length);
    expect(responses.map((r) => r.text)).toEqual(uris.map((u) => `body of ${u}`));
    // One at a time: the handler sees each request after the previous one is answered.
    expect(log).toEqual(uris);
    client.destroy();
  });

  it('pipelined requests split at awkward places are answered in order', async () => {
    const log: string[] = [];
    const { port } = await servers.start(delayedHandler(log));
    const bytes = [get('/delay/20/a'), get('/sync/b'), get('/delay/1/c', 'Connection: close')].join('');
    // Cut inside the request line, inside a header, in the CRLFCRLF and across requests.
    const cuts = [3, 20, bytes.indexOf('\r\n\r\n') + 2, bytes.indexOf('GET /sync') + 1, bytes.length - 3];
    const result = await exchange(port, bytes, { split: cuts, delayMs: 10 });
    expect(result.responses.map((r) => r.text)).toEqual(['body of /delay/20/a', 'body of /sync/b', 'body of /delay/1/c']);
    expect(result.closedByServer).toBe(true);
  });

  it('pipelined POSTs with bodies (length and chunked) are answered in order with their bodies', async () => {
    const { port } = await servers.start(async (req) => {
      const text = req.body === null ? '' : await req.body.text();
      await sleep(text.length % 3 === 0 ? 20 : 0);
      return `${req.uri}=${text}`;
    });
    const bytes =
      'POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' +
      'POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nd\r\n2\r\nef\r\n0\r\n\r\n' +
      'GET /3 HTTP/1.1\r\nHost: x\r\n\r\n' +
      'POST /4 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\ng';
    const result = await exchange(port, bytes);
    expect(result.responses.map((r) => r.text)).toEqual(['/1=abc', '/2=def', '/3=', '/4=g']);
    expect(result.closedByServer).toBe(true);
  });

  it('HEAD in a pipeline: the head has Content-Length and no body, the next answer follows right after', async () => {
    const { port } = await servers.start((req) => `body for ${req.requestMethod}`);
    const client = await RawClient.connect(port);
    await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.waitForResponses(2, { head: new Set([0]) });
    expect(responses[0].headers['content-length']).toBe(String('body for head'.length));
    expect(responses[0].body.length).toBe(0);
    expect(responses[1].text).toBe('body for get');
    // Nothing after the second answer: the HEAD carried no stray body bytes.
    await sleep(50);
    expect(parseResponses(client.received, { head: new Set([0]) }).rest.length).toBe(0);
    client.destroy();
  });

  it('100 pipelined requests in one write', async () => {
    const { port } = await servers.start((req) => req.queryString ?? '');
    let bytes = '';
    for (let i = 0; i < 100; i++) bytes += get(`/?${i}`, i === 99 ? 'Connection: close' : '');
    const result = await exchange(port, bytes, { timeout: 5_000 });
    expect(result.responses.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(result.closedByServer).toBe(true);
  });

  // A client that half-closes (end() after writing) gets the answers to everything it sent
  // before its FIN, whether they are answered at once or while a later one is still pending.
  for (const [kind, uris] of [
    ['sync handlers', ['/sync/a', '/sync/b', '/sync/c']],
    ['async answers pending at the FIN', ['/delay/50/a', '/sync/b', '/delay/20/c']],
  ] as const) {
    it(`a half-closing client still gets all pipelined answers (${kind})`, async () => {
      const { port, server } = await servers.start(delayedHandler([]));
      const client = await RawClient.connect(port, { allowHalfOpen: true });
      await client.write(uris.map((u) => get(u)).join(''));
      client.end();
      const result = await client.readUntilClose();
      expect(result.responses.map((r) => r.text)).toEqual(uris.map((u) => `body of ${u}`));
      expect(result.closedByServer).toBe(true);
      expect(server.connectionCount).toBeLessThanOrEqual(1);
    });
  }

  /** Pipes `request` into `nc -N` (it half-closes after stdin ends) and returns what came back. */
  function viaNetcat(port: number, request: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const child = execFile(
        'sh',
        ['-c', `printf '%s' "$REQ" | nc -N -w 3 127.0.0.1 ${port}`],
        { env: { ...process.env, REQ: request }, encoding: 'buffer', timeout: 5_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin?.end();
    });
  }

  it.runIf(HAS_NC)('printf ... | nc -N with sync handlers: all pipelined answers arrive', async () => {
    const { port } = await servers.start(delayedHandler([]));
    const output = await viaNetcat(port, [get('/sync/a'), get('/sync/b'), get('/sync/c')].join(''));
    const { responses } = parseResponses(output, { eof: true });
    expect(responses.map((r) => r.text)).toEqual(['body of /sync/a', 'body of /sync/b', 'body of /sync/c']);
  });

  // The same, seen from a real half-closing peer.
  it.runIf(HAS_NC)('printf ... | nc -N: all pipelined answers arrive before the server closes', async () => {
    const { port } = await servers.start(delayedHandler([]));
    const output = await viaNetcat(port, [get('/delay/30/a'), get('/sync/b'), get('/delay/10/c')].join(''));
    const { responses } = parseResponses(output, { eof: true });
    expect(responses.map((r) => r.text)).toEqual(['body of /delay/30/a', 'body of /sync/b', 'body of /delay/10/c']);
  });
});
