/**
 * stop({ timeout }) and parked long polls (issue 9): they used to be dropped with no response
 * ("Empty reply from server") although in-flight requests may finish. Now a parked channel hears
 * onClose('server-stopping') while it can still answer; one that does not answer gets 503 with
 * Retry-After and Connection: close, and then the connection closes. Streams are unchanged: they
 * may finish until the timeout.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, asyncResponse, type CloseReason } from '@http-kit/http1';
import { eventually, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (uri: string) => `GET ${uri} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('stop() with parked long polls', () => {
  it('an unanswered parked request gets 503 with Retry-After and Connection: close, then the close', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) => asChannel(req, { onClose: (_ch, reason) => reasons.push(reason) }));
    const clients = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
    await Promise.all(clients.map((c) => c.write(GET('/poll'))));
    await eventually(() => server.pendingCount === 2, 1_000, 'two parked');
    const started = Date.now();
    await server.stop({ timeout: 3_000 });
    expect(Date.now() - started).toBeLessThan(1_500); // nothing to wait for
    for (const client of clients) {
      const result = await client.readUntilClose({ timeout: 1_000 });
      expect(result.closedByServer).toBe(true);
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([503]);
      expect(result.responses[0].headers['retry-after']).toBe('5');
      expect(result.responses[0].headers['connection']).toBe('close');
    }
    expect(reasons).toEqual(['server-stopping', 'server-stopping']);
  });

  it('onClose(server-stopping) may still send a last answer, which the client gets', async () => {
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onClose(ch, reason) {
          if (reason === 'server-stopping') {
            expect(ch.isOpen).toBe(true);
            ch.send({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"bye":true}' });
          }
        },
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/poll'));
    await eventually(() => server.pendingCount === 1, 1_000, 'parked');
    await server.stop({ timeout: 3_000 });
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.responses.map((r) => [r.status, r.text])).toEqual([[200, '{"bye":true}']]);
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(result.closedByServer).toBe(true);
  });

  it('asyncResponse: respond() called from onClose answers; a request left alone gets 503', async () => {
    const held = new Map<string, (response: string) => void>();
    const { port, server } = await servers.start((req) =>
      asyncResponse(req, (respond) => held.set(req.uri, respond), {
        onClose: (_ch, reason) => {
          if (reason === 'server-stopping' && req.uri === '/answered') held.get(req.uri)!('last words');
        },
      }),
    );
    const answered = await RawClient.connect(port);
    const left = await RawClient.connect(port);
    await answered.write(GET('/answered'));
    await left.write(GET('/left'));
    await eventually(() => server.pendingCount === 2, 1_000, 'two parked');
    await server.stop({ timeout: 3_000 });
    const [a, b] = await Promise.all([answered.readUntilClose({ timeout: 1_000 }), left.readUntilClose({ timeout: 1_000 })]);
    expect(a.responses.map((r) => [r.status, r.text])).toEqual([[200, 'last words']]);
    expect(b.responses.map((r) => r.status)).toEqual([503]);
  });

  it('a stream open at stop() is not answered 503: it goes on until the deadline', async () => {
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          const timer = setInterval(() => (ch.isOpen ? ch.send('tick\n', false) : clearInterval(timer)), 30);
        },
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/stream'));
    await client.waitFor((c) => c.text.includes('tick'), 1_000, 'a tick');
    const started = Date.now();
    await server.stop({ timeout: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(result.text).not.toContain('503');
  });
});
