/**
 * The re-entry contract (docs/architecture.md, "Re-entry"): a handler that answers parked
 * requests on other connections runs inside its own connection's parse, and each answered
 * connection goes on, at once, with the requests its client pipelined: its loop delivers and its
 * parser executes inside the first parse. Every answer must still arrive whole and in order, on
 * every connection, and the publishing connection's own pipelined request after it.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, type Channel } from '@http-kit/http1';
import { eventually, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('re-entry: parses inside a parse', () => {
  it('a publish answered synchronously inside its parse: parked clients with pipelined requests get every answer in order', async () => {
    const waiting = new Set<Channel>();
    const { port, server } = await servers.start((req) => {
      if (req.uri === '/poll') {
        return asChannel(req, { onOpen: (ch) => waiting.add(ch), onClose: (ch) => waiting.delete(ch) });
      }
      if (req.uri === '/publish') {
        let sent = 0;
        for (const ch of [...waiting]) if (ch.send({ status: 200, body: `news for ${sent++}` })) continue;
        return `published ${sent}`;
      }
      return `next ${req.queryString}`;
    });
    const parked = await Promise.all([0, 1, 2].map(() => RawClient.connect(port)));
    for (const client of parked) await client.write('GET /poll HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => server.pendingCount === 3, 2_000, 'three parked polls');
    // Pipelined behind each parked poll: held by the loop until the poll is answered.
    for (const [i, client] of parked.entries())
      await client.write(`GET /next?${i}a HTTP/1.1\r\nHost: x\r\n\r\nGET /next?${i}b HTTP/1.1\r\nHost: x\r\n\r\n`);
    await sleep(100);
    const publisher = await RawClient.connect(port);
    await publisher.write('POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /next?after HTTP/1.1\r\nHost: x\r\n\r\n');

    const [published, after] = await publisher.waitForResponses(2);
    expect(published.text).toBe('published 3');
    expect(after.text).toBe('next after');
    const answers = await Promise.all(parked.map((client) => client.waitForResponses(3)));
    const news = answers.map(([poll]) => poll.text).sort();
    expect(news).toEqual(['news for 0', 'news for 1', 'news for 2']);
    for (const [i, [poll, a, b]] of answers.entries()) {
      expect(poll.status).toBe(200);
      expect([a.text, b.text]).toEqual([`next ${i}a`, `next ${i}b`]);
    }
    expect(server.pendingCount).toBe(0);
  });
});
