/**
 * Size limits (maxLine, maxHeaderSize, maxBody) and read/write timeouts (headers, body,
 * keep-alive, write): each ends the exchange with the right status (or a cut) and a close.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { eventually, exchange, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('request line', () => {
  it('a request line of 8,000 octets is accepted', async () => {
    const { port } = await servers.start((req) => `${req.uri.length}`);
    const prefix = 'GET /';
    const suffix = ' HTTP/1.1';
    const path = 'a'.repeat(8_000 - prefix.length - suffix.length);
    const line = `${prefix}${path}${suffix}`;
    expect(line.length).toBe(8_000);
    const result = await exchange(port, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(result.responses[0].status).toBe(200);
    expect(result.responses[0].text).toBe(String(path.length + 1));
  });

  it('a target longer than maxLine gets 414 and a close', async () => {
    const calls: string[] = [];
    const { port } = await servers.start((req) => {
      calls.push(req.uri);
      return 'ok';
    });
    const result = await exchange(port, `GET /${'a'.repeat(9_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(result.responses.map((r) => r.status)).toEqual([414]);
    expect(result.responses[0].headers['content-type']).toMatch(/^text\/plain/);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual([]);
  });

  it('a custom maxLine: at the limit 200, one over 414, also when the target arrives byte by byte', async () => {
    const { port } = await servers.start(() => 'ok', { maxLine: 64 });
    const atLimit = await exchange(port, `GET /${'a'.repeat(63)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(atLimit.responses[0].status).toBe(200);
    const over = await exchange(port, `GET /${'a'.repeat(64)} HTTP/1.1\r\nHost: x\r\n\r\n`, { bytewise: true });
    expect(over.responses.map((r) => r.status)).toEqual([414]);
    expect(over.closedByServer).toBe(true);
  });
});

describe('header section', () => {
  it('headers over maxHeaderSize get 431 and a close', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(
      (req) => {
        calls.push(req.uri);
        return 'ok';
      },
      { maxHeaderSize: 1024 },
    );
    const result = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1100)}\r\n\r\n`);
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual([]);
  });

  it('many small headers adding up past the default 16 KiB get 431', async () => {
    const { port } = await servers.start(() => 'ok');
    let headers = '';
    for (let i = 0; i < 600; i++) headers += `X-H${i}: ${'v'.repeat(30)}\r\n`;
    const result = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    expect(result.responses.map((r) => r.status)).toEqual([431]);
    expect(result.closedByServer).toBe(true);
  });

  it('headers just under maxHeaderSize are accepted', async () => {
    const { port } = await servers.start((req) => String(req.headers['x-big'].length), { maxHeaderSize: 2048 });
    const result = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1500)}\r\nConnection: close\r\n\r\n`);
    expect(result.responses[0].status).toBe(200);
    expect(result.responses[0].text).toBe('1500');
  });
});

describe('request body size', () => {
  it('a declared Content-Length over maxBody gets 413 before the handler runs', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(
      (req) => {
        calls.push(req.uri);
        return 'ok';
      },
      { maxBody: 1000 },
    );
    const result = await exchange(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n${'x'.repeat(1001)}`);
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual([]);
  });

  it('413 for a too-large body that expects 100-continue: no 100 is sent', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).length.toString(), { maxBody: 1000 });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.closedByServer).toBe(true);
  });

  it('a body of exactly maxBody bytes is accepted', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).length.toString(), { maxBody: 1000 });
    const result = await exchange(
      port,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`,
    );
    expect(result.responses[0].status).toBe(200);
    expect(result.responses[0].text).toBe('1000');
  });

  it('a chunked body growing past maxBody gets 413 and a close', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).length.toString(), { maxBody: 1000 });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 5; i++) {
      if (client.ended) break;
      await client.write(`190\r\n${'y'.repeat(400)}\r\n`);
      await sleep(10);
    }
    const result = await client.readUntilClose();
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.closedByServer).toBe(true);
  });

  it('a chunked body growing past maxBody in one write also gets 413', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).length.toString(), { maxBody: 1000 });
    const chunks = `400\r\n${'y'.repeat(1024)}\r\n0\r\n\r\n`;
    const result = await exchange(port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`);
    expect(result.responses.map((r) => r.status)).toEqual([413]);
    expect(result.closedByServer).toBe(true);
  });
});

describe('timeouts', () => {
  it('slowloris: headers trickling in slower than headersTimeout get 408 and a close', async () => {
    const { port, server } = await servers.start(() => 'ok', { headersTimeout: 300 });
    const client = await RawClient.connect(port);
    const started = Date.now();
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n');
    // Keep sending a header byte every 50 ms: activity must not extend the deadline.
    const drip = (async () => {
      for (let i = 0; i < 60 && !client.ended && !client.closed; i++) {
        await client.write(i % 10 === 9 ? '\r\n' : 'X');
        await sleep(50);
      }
    })();
    const result = await client.readUntilClose({ timeout: 3_000 });
    await drip;
    expect(result.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.responses.map((r) => r.status)).toEqual([408]);
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it('a request line sent byte by byte within headersTimeout is served', async () => {
    const { port } = await servers.start(() => 'ok', { headersTimeout: 2_000 });
    const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { bytewise: true, delayMs: 2 });
    expect(result.responses[0].status).toBe(200);
  });

  it('a body arriving slower than bodyTimeout gets 408 and a close', async () => {
    const { port } = await servers.start(async (req) => (await req.body!.text()).length.toString(), { bodyTimeout: 300 });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.elapsed).toBeLessThan(1_500);
    expect(result.responses.map((r) => r.status)).toEqual([408]);
  });

  it('an idle kept-alive connection is closed after keepAliveTimeout', async () => {
    const { port, server } = await servers.start(() => 'ok', { keepAliveTimeout: 300 });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitForResponses(1);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.elapsed).toBeGreaterThanOrEqual(200);
    expect(result.elapsed).toBeLessThan(1_500);
    expect(result.responses.length).toBe(1);
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it('a connection that never sends anything is closed after keepAliveTimeout', async () => {
    const { port } = await servers.start(() => 'ok', { keepAliveTimeout: 300 });
    const client = await RawClient.connect(port);
    const result = await client.readUntilClose({ timeout: 3_000 });
    expect(result.closedByServer).toBe(true);
    expect(result.bytes.length).toBe(0);
  });

  it('a client that stops reading a large response is cut off after writeTimeout', async () => {
    let sourceClosed = false;
    const { port, server } = await servers.start(
      () => {
        const chunk = Buffer.alloc(64 * 1024, 'z');
        let sent = 0;
        const body = new Readable({
          read() {
            sent++;
            this.push(sent > 2_000 ? null : chunk); // up to 128 MiB, far more than the socket buffers hold
          },
        });
        body.on('close', () => {
          sourceClosed = true;
        });
        return { status: 200, body };
      },
      { writeTimeout: 300 },
    );
    const client = await RawClient.connect(port);
    client.socket.pause(); // never read
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => server.connectionCount === 0, 5_000, 'the stuck connection to be cut');
    await eventually(() => sourceClosed, 2_000, 'the body stream to be closed');
    client.destroy();
  });
});
