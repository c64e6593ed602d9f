/**
 * Async channels as streams: `send(x, false)` sends the head and then one chunk per call,
 * `close()` ends the body. Framing on the wire (chunked, close-delimited for HTTP/1.0, none for
 * HEAD), delivery as it happens (raw socket and curl -N), timeouts, and backpressure.
 */
import { execFile, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { asChannel, ChannelMisuseError, type Channel, type CloseReason } from '@http-kit/http1';
import { eventually, peer, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** A handler whose channels the test drives by hand. */
function manualStreams() {
  const opened: Channel[] = [];
  const reasons: CloseReason[] = [];
  const handler = (req: Parameters<typeof asChannel>[0]) =>
    asChannel(req, {
      onOpen: (ch) => opened.push(ch),
      onClose: (_ch, reason) => reasons.push(reason),
    });
  return { opened, reasons, handler };
}

const HAS_CURL = peer('curl', "channels-streaming.test.ts 'streaming seen by curl -N'") !== null;

describe('streaming channel framing', () => {
  it('sends the head at once, then one chunk per send, ended by close()', async () => {
    const { opened, reasons, handler } = manualStreams();
    const { port, server } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write(GET('/stream'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    const ch = opened[0];
    expect(ch.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false)).toBe(true);
    await client.waitFor((c) => c.text.includes('\r\n\r\n'), 1_000, 'the head');
    expect(client.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.text.toLowerCase()).toContain('transfer-encoding: chunked\r\n');
    expect(client.text.toLowerCase()).not.toContain('content-length');
    const headLength = client.text.indexOf('\r\n\r\n') + 4;

    ch.send('hello', false);
    await client.waitFor((c) => c.text.length >= headLength + 10, 1_000, 'the first chunk');
    expect(client.text.slice(headLength)).toBe('5\r\nhello\r\n');
    ch.send(Buffer.from(' wide world!'), false);
    ch.send('', false); // an empty chunk must not end the body
    ch.send({ body: ' then' }, false); // a response object's body is a chunk too
    await client.waitFor((c) => c.text.includes(' then'), 1_000, 'more chunks');
    expect(client.responses().responses).toHaveLength(0); // not finished yet
    expect(ch.isOpen).toBe(true);
    expect(server.pendingCount).toBe(1);

    expect(ch.close()).toBe(true);
    const [response] = await client.waitForResponses(1);
    expect(client.text.slice(headLength)).toBe('5\r\nhello\r\nc\r\n wide world!\r\n5\r\n then\r\n0\r\n\r\n');
    expect(response.chunked).toBe(true);
    expect(response.text).toBe('hello wide world! then');
    expect(reasons).toEqual(['server-closed']);
    expect(ch.isOpen).toBe(false);
    // A chunk after the program's own close() is a bug, told in words (issue 9).
    expect(() => ch.send('late', false)).toThrow(ChannelMisuseError);
    expect(server.pendingCount).toBe(0);
    // Keep-alive after a streamed response.
    await client.write(GET('/again'));
    await eventually(() => opened.length === 2, 1_000, 'second open');
    opened[1].send('whole');
    const both = await client.waitForResponses(2);
    expect(both[1].text).toBe('whole');
    client.destroy();
  });

  it('a first send with a body starts the stream with that chunk; send(x, true) sends a last chunk and ends it', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write(GET('/stream'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 201, headers: { 'x-kind': 'stream' }, body: 'first' }, false);
    opened[0].send('last', true);
    const [response] = await client.waitForResponses(1);
    expect(response.status).toBe(201);
    expect(response.headers['x-kind']).toBe('stream');
    expect(response.text).toBe('firstlast');
    expect(response.raw.toString('latin1')).toMatch(/\r\n\r\n5\r\nfirst\r\n4\r\nlast\r\n0\r\n\r\n$/);
    expect(opened[0].isOpen).toBe(false);
    client.destroy();
  });

  it('multi-byte text is framed by its byte length', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write(GET('/utf8'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } }, false);
    opened[0].send('héllo ✓', false);
    opened[0].close();
    const [response] = await client.waitForResponses(1);
    expect(response.body.toString('utf8')).toBe('héllo ✓');
    expect(response.raw.toString('latin1')).toContain(`\r\n${Buffer.byteLength('héllo ✓').toString(16)}\r\n`);
    client.destroy();
  });

  it('a stream with a declared Content-Length is sent raw and the connection stays usable', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write(GET('/sized'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 200, headers: { 'content-length': '10' } }, false);
    opened[0].send('01234', false);
    opened[0].send('56789', false);
    opened[0].close();
    const [response] = await client.waitForResponses(1);
    expect(response.chunked).toBe(false);
    expect(response.text).toBe('0123456789');
    await client.write(GET('/next'));
    await eventually(() => opened.length === 2, 1_000, 'second open');
    opened[1].send('next');
    expect((await client.waitForResponses(2))[1].text).toBe('next');
    client.destroy();
  });

  it('HTTP/1.0 client: the streamed body is close-delimited (no chunk framing) and the connection closes', async () => {
    const { opened, reasons, handler } = manualStreams();
    const { port, server } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write('GET /stream HTTP/1.0\r\n\r\n');
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
    opened[0].send('one,', false);
    opened[0].send('two,', false);
    await client.waitFor((c) => c.text.endsWith('one,two,'), 1_000, 'raw chunks');
    opened[0].close();
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.text).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    const head = result.text.slice(0, result.text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).not.toContain('transfer-encoding');
    expect(head).not.toContain('content-length');
    expect(head).not.toContain('keep-alive');
    expect(result.text.slice(result.text.indexOf('\r\n\r\n') + 4)).toBe('one,two,');
    expect(reasons).toEqual(['server-closed']);
    await eventually(() => server.connectionCount === 0, 2_000, 'the connection to close');
  });

  it('HEAD on a streaming channel gets the head and no body; the connection stays in sync', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write('HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
    opened[0].send('body that must not be sent', false);
    opened[0].close();
    await client.waitForResponses(1, { head: true });
    await sleep(50);
    expect(client.text).not.toContain('body that must not be sent');
    expect(client.text.endsWith('\r\n\r\n')).toBe(true);
    // A GET afterwards on the same socket is read cleanly.
    await client.write(GET('/after'));
    await eventually(() => opened.length === 2, 1_000, 'second open');
    opened[1].send('after');
    const responses = await client.waitForResponses(2, { head: new Set([0]) });
    expect(responses[1].text).toBe('after');
    client.destroy();
  });

  it('a 204 stream sends no body bytes', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler);
    const client = await RawClient.connect(port);
    await client.write(GET('/nothing'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 204 }, false);
    opened[0].send('ignored', false);
    opened[0].close();
    await client.write(GET('/next'));
    await eventually(() => opened.length === 2, 1_000, 'second open');
    opened[1].send('next');
    const responses = await client.waitForResponses(2);
    expect(responses[0].status).toBe(204);
    expect(responses[1].text).toBe('next');
    expect(client.text).not.toContain('ignored');
    client.destroy();
  });

  it('a streaming channel timeout ends the stream cleanly (last chunk) and reports timeout', async () => {
    const reasons: CloseReason[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        timeout: 250,
        onOpen: (ch) => {
          ch.send({ status: 200 }, false);
          ch.send('tick', false);
        },
        onClose: (_c, r) => reasons.push(r),
      }),
    );
    const client = await RawClient.connect(port);
    const started = Date.now();
    await client.write(GET('/stream'));
    const [response] = await client.waitForResponses(1, { timeout: 3_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(230);
    expect(response.status).toBe(200);
    expect(response.text).toBe('tick');
    expect(reasons).toEqual(['timeout']);
    expect(server.pendingCount).toBe(0);
    client.destroy();
  });
});

describe('streaming and server timers', () => {
  it('a stream idle for longer than keepAliveTimeout stays open', async () => {
    const { opened, handler } = manualStreams();
    const { port } = await servers.start(handler, { keepAliveTimeout: 100, headersTimeout: 100 });
    const client = await RawClient.connect(port);
    await client.write(GET('/slow'));
    await eventually(() => opened.length === 1, 1_000, 'open');
    opened[0].send({ status: 200 }, false);
    opened[0].send('a', false);
    await sleep(400);
    expect(opened[0].isOpen).toBe(true);
    opened[0].send('b', false);
    opened[0].close();
    const [response] = await client.waitForResponses(1);
    expect(response.text).toBe('ab');
    client.destroy();
  });
});

describe('streaming seen by curl -N', () => {
  it.runIf(HAS_CURL)('curl prints each chunk as it is sent and exits cleanly at the end', async () => {
    const opened: Channel[] = [];
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => opened.push(ch) }));
    const curl = spawn('curl', ['-sS', '-N', '--max-time', '10', `http://127.0.0.1:${port}/stream`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    curl.stdout.setEncoding('latin1').on('data', (t: string) => (out += t));
    curl.stderr.setEncoding('latin1').on('data', (t: string) => (err += t));
    const exited = new Promise<number | null>((resolve) => curl.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => opened.length === 1, 3_000, 'curl to connect');
      const ch = opened[0];
      ch.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
      for (let i = 1; i <= 3; i++) {
        ch.send(`line ${i}\n`, false);
        // curl shows the line before the next is even sent: nothing is buffered on the way.
        await eventually(() => out.endsWith(`line ${i}\n`), 2_000, `curl to print line ${i}`);
      }
      ch.close();
      expect(await exited).toBe(0);
      expect(out).toBe('line 1\nline 2\nline 3\n');
      expect(err).toBe('');
    } finally {
      curl.kill();
    }
  });

  it.runIf(HAS_CURL)('curl --raw shows the chunked framing', async () => {
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          ch.send('abc', false);
          ch.send('0123456789abcdef!', false);
          ch.close();
        },
      }),
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sS', '-N', '--raw', '--max-time', '5', `http://127.0.0.1:${port}/`], { encoding: 'latin1' }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(out).toBe('3\r\nabc\r\n11\r\n0123456789abcdef!\r\n0\r\n\r\n');
  });
});

describe('backpressure', () => {
  it('send() reports a full buffer, drain() waits for the client to read, bufferedAmount stays bounded', async () => {
    // Chunks below the socket's 16 KiB high-water mark: send() turns false only once the kernel's
    // buffers are full and bytes start queueing in user space. (Node's write() also returns
    // false for any single write above the mark; see the next test.)
    const CHUNK = Buffer.alloc(4 * 1024, 'x');
    let channel: Channel | null = null;
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          channel = ch;
          ch.send({ status: 200, headers: { 'content-type': 'application/octet-stream' } }, false);
        },
      }),
    );
    const client = await RawClient.connect(port);
    client.socket.pause(); // a client that does not read
    await client.write(GET('/firehose'));
    await eventually(() => channel !== null, 1_000, 'open');
    const ch = channel!;
    expect(ch.isOpen).toBe(true);

    // Produce until send() says the buffer is full. The kernel's socket buffers take a few MB
    // first; the loop is bounded (160 MB) in case send() never says so.
    let sends = 0;
    let full = false;
    while (sends < 40_000) {
      sends++;
      if (!ch.send(CHUNK, false)) {
        full = true;
        break;
      }
    }
    expect(full).toBe(true);
    const sentBytes = sends * CHUNK.length;
    // What is queued in user space is the high-water mark plus at most one chunk, not everything
    // the producer made.
    expect(ch.bufferedAmount).toBeGreaterThanOrEqual(16 * 1024);
    expect(ch.bufferedAmount).toBeLessThanOrEqual(16 * 1024 + CHUNK.length + 64);

    let drained = false;
    const drain = ch.drain().then(() => (drained = true));
    await sleep(300);
    expect(drained).toBe(false); // nothing drains while the client is not reading
    expect(ch.isOpen).toBe(true);

    client.socket.resume();
    await Promise.race([drain, sleep(3_000)]);
    expect(drained).toBe(true);
    expect(ch.bufferedAmount).toBeLessThan(16 * 1024);
    // Once drained, send() accepts again; finish and check nothing was lost.
    expect(ch.send(CHUNK, false)).toBe(true);
    ch.close();
    const [response] = await client.waitForResponses(1, { timeout: 10_000 });
    expect(response.body.length).toBe(sentBytes + CHUNK.length);
    expect(response.body.every((b) => b === 0x78)).toBe(true);
    expect(server.pendingCount).toBe(0);
    client.destroy();
  });

  it('a producer that awaits drain() never queues more than about one chunk per wait', async () => {
    const CHUNK = Buffer.alloc(32 * 1024, 'y');
    const TOTAL_CHUNKS = 400; // 12.5 MiB, more than the kernel buffers hold
    let maxBuffered = 0;
    let waits = 0;
    let producerDone: Promise<void> | null = null;
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          producerDone = (async () => {
            ch.send({ status: 200 }, false);
            for (let i = 0; i < TOTAL_CHUNKS && ch.isOpen; i++) {
              if (!ch.send(CHUNK, false)) {
                waits++;
                await ch.drain();
              }
              maxBuffered = Math.max(maxBuffered, ch.bufferedAmount);
            }
            ch.close();
          })();
        },
      }),
    );
    const client = await RawClient.connect(port);
    client.socket.pause();
    await client.write(GET('/slow-reader'));
    // A slow reader: reads in bursts with pauses.
    for (let i = 0; i < 20 && !client.responses().responses.length; i++) {
      await sleep(20);
      client.socket.resume();
      await sleep(5);
      client.socket.pause();
    }
    client.socket.resume();
    const [response] = await client.waitForResponses(1, { timeout: 10_000 });
    await producerDone;
    expect(response.body.length).toBe(TOTAL_CHUNKS * CHUNK.length);
    expect(waits).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(CHUNK.length + 64 * 1024);
    client.destroy();
  });

  it('a client that never reads is cut off after writeTimeout: drain() resolves, onClose reports timeout', async () => {
    const reasons: CloseReason[] = [];
    let drainedAt = 0;
    let blockedAt = 0;
    const { port, server } = await servers.start(
      (req) =>
        asChannel(req, {
          onOpen(ch) {
            ch.send({ status: 200 }, false);
            void (async () => {
              const chunk = Buffer.alloc(4096, 'w');
              for (let i = 0; i < 40_000 && ch.isOpen; i++) {
                if (!ch.send(chunk, false)) {
                  blockedAt = Date.now();
                  await ch.drain();
                  drainedAt = Date.now();
                  return;
                }
              }
            })();
          },
          onClose: (_c, r) => reasons.push(r),
        }),
      { writeTimeout: 300 },
    );
    const client = await RawClient.connect(port);
    client.socket.pause();
    await client.write(GET('/stuck'));
    await eventually(() => drainedAt > 0, 3_000, 'drain() to resolve');
    expect(drainedAt - blockedAt).toBeGreaterThanOrEqual(250);
    expect(reasons).toEqual(['timeout']);
    await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 1_000, 'cleanup');
    client.destroy();
  });

  it('send() says full only when the client has stopped reading, whatever the size of the chunk', async () => {
    // Chunks above the 32 KiB join limit go out under the socket's cork; Node then flags the
    // socket as needing 'drain' even when the kernel takes every byte at once. send() said full
    // with nothing queued, and drain() resolved at the next 'drain' for a client that never reads.
    const chunks = [48 * 1024, 1024, 96 * 1024, 40 * 1024, 200 * 1024].map((size) => Buffer.alloc(size, 'k'));
    const MAX_SENDS = 1_000; // ~75 MB: more than the kernel's buffers take
    let sends = 0;
    let full = false;
    let drained = false;
    const { port } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          for (; sends < MAX_SENDS && ch.isOpen && !full; sends++) full = !ch.send(chunks[sends % chunks.length]!, false);
          if (full) void ch.drain().then(() => (drained = true));
        },
      }),
    );
    const client = await RawClient.connect(port);
    client.socket.pause(); // never reads
    await client.write(GET('/big-chunks'));
    await eventually(() => full || sends === MAX_SENDS, 3_000, 'the sends');
    expect(full).toBe(true); // the kernel's buffers do fill up
    await sleep(300);
    expect(drained).toBe(false); // nothing drains while the client is not reading
    client.destroy();
    await eventually(() => drained, 1_000, 'drain() to resolve once the client is gone');
  });

  it('drain() resolves at once when nothing is queued, and when the client goes away', async () => {
    const CHUNK = Buffer.alloc(4 * 1024, 'z');
    let channel: Channel | null = null;
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => (channel = ch) }));
    const client = await RawClient.connect(port);
    client.socket.pause();
    await client.write(GET('/x'));
    await eventually(() => channel !== null, 1_000, 'open');
    const ch = channel!;
    ch.send({ status: 200 }, false);
    await Promise.race([ch.drain(), sleep(500).then(() => Promise.reject(new Error('drain() did not resolve with nothing queued')))]);
    for (let i = 0; i < 40_000 && ch.send(CHUNK, false); i++);
    expect(ch.bufferedAmount).toBeGreaterThan(0);
    let drained = false;
    const drain = ch.drain().then(() => (drained = true));
    await sleep(50);
    expect(drained).toBe(false);
    client.destroy();
    await Promise.race([drain, sleep(2_000)]);
    expect(drained).toBe(true);
    expect(ch.isOpen).toBe(false);
    expect(ch.send(CHUNK, false)).toBe(false);
  });
});
