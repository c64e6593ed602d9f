/**
 * Handler failures and clients that go away: a throwing or rejecting handler gets a 500 that is
 * logged, the server keeps serving; a client that disconnects mid-stream gets its stream source
 * destroyed and leaves no connection behind.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { eventually, exchange, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (uri: string) => `GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

describe('handler failures', () => {
  it('a handler that throws: 500, logged through errorLogger, and the next connection is served', async () => {
    const { port, errors, server } = await servers.start((req) => {
      if (req.uri === '/boom') throw new Error('kaboom');
      return 'fine';
    });
    const result = await exchange(port, GET('/boom'));
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(result.responses[0].text).toBe('Internal Server Error');
    expect(result.responses[0].text).not.toContain('kaboom');
    expect(errors.length).toBe(1);
    expect((errors[0].error as Error).message).toBe('kaboom');
    expect(errors[0].message).toContain('/boom');
    const next = await exchange(port, GET('/ok'));
    expect(next.responses[0]).toMatchObject({ status: 200, text: 'fine' });
    expect(server.status).toBe('running');
  });

  it('a handler that rejects: 500, logged, and the same kept-alive connection still serves', async () => {
    const { port, errors } = await servers.start(async (req) => {
      await sleep(5);
      if (req.uri === '/reject') throw new TypeError('async failure');
      return 'fine';
    });
    const client = await RawClient.connect(port);
    await client.write('GET /reject HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.waitForResponses(2);
    expect(responses.map((r) => r.status)).toEqual([500, 200]);
    expect(errors.map((e) => (e.error as Error).message)).toEqual(['async failure']);
    client.destroy();
    const next = await exchange(port, GET('/ok'));
    expect(next.responses[0].status).toBe(200);
  });

  it('a handler that throws a non-Error value is handled too', async () => {
    const { port, errors } = await servers.start(() => {
      throw 'a string';
    });
    const result = await exchange(port, GET('/'));
    expect(result.responses[0].status).toBe(500);
    expect(errors[0].error).toBe('a string');
  });

  it('a handler that throws after reading part of the body: 500 and a close', async () => {
    const { port, errors } = await servers.start(async (req) => {
      for await (const _ of req.body!) throw new Error('bad upload');
      return 'unreachable';
    });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    const [response] = await client.waitForResponses(1);
    expect(response.status).toBe(500);
    expect(errors.length).toBe(1);
    client.destroy();
  });
});

describe('clients that go away', () => {
  it('a client that disconnects mid-response: the Readable body is destroyed and nothing leaks', async () => {
    let closed = false;
    let produced = 0;
    let started!: () => void;
    const streaming = new Promise<void>((resolve) => (started = resolve));
    const { port, server } = await servers.start(() => {
      const body = new Readable({
        read() {
          produced++;
          started();
          // An endless, slow source: only the client going away can end it.
          setTimeout(() => this.push(Buffer.alloc(1024, 'r')), 5);
        },
      });
      body.on('close', () => (closed = true));
      return { status: 200, body };
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await streaming;
    await client.waitFor((c) => c.received.length > 2_000, 2_000, 'some body bytes');
    client.destroy();
    await eventually(() => closed, 2_000, "the body's 'close'");
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
    expect(produced).toBeGreaterThan(0);
  });

  it('a client that disconnects mid-response of a web ReadableStream: the stream is cancelled', async () => {
    let cancelled = false;
    const { port, server } = await servers.start(() => ({
      status: 200,
      body: new ReadableStream<Uint8Array>({
        async pull(controller) {
          await sleep(5);
          controller.enqueue(new Uint8Array(1024));
        },
        cancel() {
          cancelled = true;
        },
      }),
    }));
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((c) => c.received.length > 2_000, 2_000, 'some body bytes');
    client.destroy();
    await eventually(() => cancelled, 2_000, 'the stream to be cancelled');
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it('a client that disconnects mid-response of an async generator: its finally block runs', async () => {
    let finished = false;
    const { port, server } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        try {
          for (;;) {
            await sleep(5);
            yield Buffer.alloc(1024);
          }
        } finally {
          finished = true;
        }
      })(),
    }));
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((c) => c.received.length > 2_000, 2_000, 'some body bytes');
    client.destroy();
    await eventually(() => finished, 2_000, 'the generator to finish');
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  it('a client that disconnects before a slow handler answers: the late answer is dropped quietly', async () => {
    let answered = false;
    const { port, server, errors } = await servers.start(async () => {
      await sleep(150);
      answered = true;
      return 'late';
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(20);
    client.destroy();
    await eventually(() => answered, 2_000, 'the handler to answer');
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
    expect(errors).toEqual([]);
    const next = await exchange(port, GET('/'));
    expect(next.responses[0].text).toBe('late');
  });

  /** Starts a server whose handler reads the whole body and records how that ended. */
  async function uploadServer() {
    const state = { outcome: '' };
    const started = await servers.start(async (req) => {
      try {
        await req.body!.text();
        state.outcome = 'complete';
      } catch (error) {
        state.outcome = (error as NodeJS.ErrnoException).code ?? 'error';
      }
      return 'x';
    });
    return { ...started, state };
  }

  it('a client that resets mid-upload: the request body read fails, the connection goes', async () => {
    const { port, server, state } = await uploadServer();
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc');
    await sleep(30);
    client.socket.resetAndDestroy();
    await eventually(() => state.outcome !== '', 2_000, 'the body read to settle');
    expect(state.outcome).not.toBe('complete');
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });

  // A client that closes (FIN) in the middle of a request body: the body can never complete, so
  // it errors at once and the connection closes (not after bodyTimeout).
  it('a client that closes mid-upload: the request body read fails at once, the connection goes', async () => {
    const { port, server, state } = await uploadServer();
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc');
    await sleep(30);
    client.destroy();
    await eventually(() => state.outcome !== '', 1_000, 'the body read to settle');
    expect(state.outcome).not.toBe('complete');
    await eventually(() => server.connectionCount === 0, 1_000, 'connection count 0');
  });

  it('connection count returns to 0 after many short connections', async () => {
    const { port, server } = await servers.start(() => 'ok');
    await Promise.all(Array.from({ length: 30 }, () => exchange(port, GET('/'))));
    await eventually(() => server.connectionCount === 0, 2_000, 'connection count 0');
  });
});
