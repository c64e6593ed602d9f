/**
 * Request bodies: Content-Length and chunked, however the bytes are cut; streamed to the handler
 * with backpressure; Expect: 100-continue answered when (and only when) the handler reads.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { exchange, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('request bodies', () => {
  it('a small chunked request split at every byte boundary gets the same response', async () => {
    const { port } = await servers.start(async (req) => {
      const body = await req.body!.text();
      return { status: 200, headers: { 'x-trailer-free': 'yes' }, body: `${req.uri} ${body.length} ${body}` };
    });
    const request =
      'POST /split HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
      '3\r\nabc\r\n' +
      'A;name=value\r\n0123456789\r\n' +
      '1\r\n!\r\n' +
      '0\r\nX-T: 1\r\n\r\n';
    const whole = await exchange(port, request);
    expect(whole.responses[0].text).toBe('/split 14 abc0123456789!');
    const expected = whole.responses[0].text;
    // Two connections at a time keeps the run short.
    const cuts = Array.from({ length: request.length - 1 }, (_, i) => i + 1);
    for (let i = 0; i < cuts.length; i += 4) {
      const batch = cuts.slice(i, i + 4);
      const results = await Promise.all(batch.map((cut) => exchange(port, request, { split: [cut], delayMs: 2 })));
      results.forEach((result, j) => {
        expect(result.responses.length, `cut at ${batch[j]}`).toBe(1);
        expect(result.responses[0].status, `cut at ${batch[j]}`).toBe(200);
        expect(result.responses[0].text, `cut at ${batch[j]}`).toBe(expected);
      });
    }
  });

  it('a small chunked request sent one byte at a time', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).toUpperCase());
    const result = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      { bytewise: true },
    );
    expect(result.responses[0].text).toBe('HELLO WORLD');
  });

  it('a Content-Length body split across writes', async () => {
    const { port } = await servers.start(async (req) => {
      const bytes = await req.body!.bytes();
      return `${req.contentLength} ${bytes.length} ${bytes.toString()}`;
    });
    const result = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world', {
      split: [40, 60, 62, 65],
      delayMs: 10,
    });
    expect(result.responses[0].text).toBe('11 11 hello world');
  });

  it('body.json() parses a JSON body; no body means body === null', async () => {
    const { port } = await servers.start(async (req) => (req.body === null ? 'no body' : JSON.stringify(await req.body.json())));
    const json = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{"a":[1,2,3]}',
    );
    expect(json.responses[0].text).toBe('{"a":[1,2,3]}');
    const none = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(none.responses[0].text).toBe('no body');
    const zero = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(zero.responses[0].text).toBe('no body');
  });

  it('binary bytes survive (all 256 byte values)', async () => {
    const { port } = await servers.start(async (req) =>
      createHash('sha256')
        .update(await req.body!.bytes())
        .digest('hex'),
    );
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const head = Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 256\r\nConnection: close\r\n\r\n`, 'latin1');
    const result = await exchange(port, Buffer.concat([head, body]));
    expect(result.responses[0].text).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('a 20 MB upload streams through a for-await handler with backpressure and the count is right', async () => {
    const size = 20 * 1024 * 1024;
    let bufferedWhileIdle = -1;
    const { port } = await servers.start(
      async (req) => {
        // Do not read for a while: the server must stop reading the socket, not buffer the upload.
        await sleep(300);
        bufferedWhileIdle = req.body!.readableLength;
        let count = 0;
        let chunks = 0;
        for await (const chunk of req.body!) {
          count += (chunk as Buffer).length;
          if (++chunks % 50 === 0) await sleep(1); // a slowish consumer
        }
        return String(count);
      },
      { maxBody: 32 * 1024 * 1024 },
    );
    const client = await RawClient.connect(port);
    const piece = Buffer.alloc(256 * 1024, 'u');
    let accepted = 0;
    client.socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    for (let sent = 0; sent < size; sent += piece.length) {
      if (!client.socket.write(piece)) await new Promise((resolve) => client.socket.once('drain', resolve));
      accepted += piece.length;
    }
    const [response] = await client.waitForResponses(1, { timeout: 15_000 });
    client.destroy();
    expect(accepted).toBe(size);
    expect(response.status).toBe(200);
    expect(response.text).toBe(String(size));
    // The body buffer held a bounded amount (a high-water mark and a socket read or so), not MBs.
    expect(bufferedWhileIdle).toBeGreaterThan(0);
    expect(bufferedWhileIdle).toBeLessThan(1024 * 1024);
  }, 30_000);
});

describe('Expect: 100-continue', () => {
  it('100 Continue is sent when the handler reads the body, then the final answer', async () => {
    const { port } = await servers.start(async (req) => `read ${(await req.body!.text()).length}`);
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await client.waitFor((c) => c.text.includes('\r\n\r\n'), 2_000, '100 Continue');
    expect(client.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    await client.write('hello');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(responses[1].text).toBe('read 5');
    client.destroy();
  });

  it('no 100 Continue when the handler answers without reading; the connection then closes', async () => {
    const { port } = await servers.start(() => ({ status: 403, body: 'no' }));
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([403]);
    expect(result.text).not.toContain('100 Continue');
    // The server decides to close only after the head is out, so the head need not say so.
    expect(result.closedByServer).toBe(true);
  });

  it('a client that sends the body without waiting for 100 still gets its answer', async () => {
    const { port } = await servers.start(async (req) => `read ${await req.body!.text()}`);
    const result = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nhello',
    );
    const finals = result.responses.filter((r) => r.status !== 100);
    expect(finals.map((r) => [r.status, r.text])).toEqual([[200, 'read hello']]);
    expect(result.responses.filter((r) => r.status === 100).length).toBeLessThanOrEqual(1);
  });

  it('HTTP/1.0 with Expect gets no 100 Continue', async () => {
    const { port } = await servers.start(async (req) => `read ${await req.body!.text()}`);
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await sleep(100);
    expect(client.text).toBe('');
    await client.write('hello');
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([200]);
  });
});
