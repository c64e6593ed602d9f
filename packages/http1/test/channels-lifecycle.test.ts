/**
 * How channels end: a client that goes away while parked, mid-stream or mid-SSE is noticed at
 * once (onClose 'client-closed', registry emptied); server.stop({timeout}) closes parked channels
 * with 'server-stopping', lets streams finish until the deadline and cuts off the rest.
 */
import { describe, expect, it } from 'vitest';
import {
  asChannel,
  asEventStream,
  asyncResponse,
  type Channel,
  type CloseReason,
  type EventStream,
  type HttpServer,
} from '@http-kit/http1';
import { eventually, RawClient, sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

interface Closed {
  reason: CloseReason;
  at: number;
}

/** Waits for `closes` to have `count` entries and for the server to hold nothing. */
async function settled(server: HttpServer, closes: Closed[], count = 1): Promise<void> {
  await eventually(() => closes.length >= count, 2_000, `${count} onClose call(s)`);
  await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 2_000, 'pendingCount and connectionCount to reach 0');
}

describe('client disconnects', () => {
  const ways: Array<[string, (client: RawClient) => void]> = [
    ['closes the socket', (c) => c.destroy()],
    ['half-closes (FIN, read end closed)', (c) => c.end()],
    ['resets the connection (RST)', (c) => c.socket.resetAndDestroy()],
  ];

  for (const [how, leave] of ways) {
    it(`a parked client that ${how} is noticed promptly: onClose('client-closed'), registry emptied`, async () => {
      const closes: Closed[] = [];
      let opened = false;
      const { port, server, errors } = await servers.start((req) =>
        asChannel(req, {
          onOpen: () => (opened = true),
          onClose: (_ch, reason) => closes.push({ reason, at: Date.now() }),
        }),
      );
      const client = await RawClient.connect(port, { allowHalfOpen: true });
      await client.write(GET('/poll'));
      await eventually(() => opened && server.pendingCount === 1, 1_000, 'park');
      const leftAt = Date.now();
      leave(client);
      await settled(server, closes);
      expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
      expect(closes[0].at - leftAt).toBeLessThan(1_000);
      expect(errors).toEqual([]);
      client.destroy();
    });
  }

  it('a client leaving mid-stream: onClose at once, later sends return false, nothing is logged', async () => {
    const closes: Closed[] = [];
    const results: boolean[] = [];
    let channel: Channel | null = null;
    let producer: NodeJS.Timeout | null = null;
    const { port, server, errors, warnings } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          channel = ch;
          ch.send({ status: 200 }, false);
          let n = 0;
          producer = setInterval(() => results.push(ch.send(`chunk ${n++}\n`, false)), 10);
        },
        onClose: (_ch, reason) => closes.push({ reason, at: Date.now() }),
      }),
    );
    try {
      const client = await RawClient.connect(port);
      await client.write(GET('/stream'));
      await client.waitFor((c) => c.text.includes('chunk 3'), 2_000, 'a few chunks');
      const leftAt = Date.now();
      client.destroy();
      await settled(server, closes);
      expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
      expect(closes[0].at - leftAt).toBeLessThan(1_000);
      expect(channel!.isOpen).toBe(false);
      const count = results.length;
      await sleep(50);
      expect(results.length).toBeGreaterThan(count);
      expect(results.slice(count).every((ok) => ok === false)).toBe(true);
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
    } finally {
      if (producer !== null) clearInterval(producer);
    }
  });

  it('a client leaving mid-SSE: onClose at once, the keep-alive timer stops, the stream reports closed', async () => {
    const closes: Closed[] = [];
    let stream: EventStream | null = null;
    const { port, server } = await servers.start((req) =>
      asEventStream(req, {
        keepAliveInterval: 20,
        onOpen(s) {
          stream = s;
          s.send({ event: 'hello', data: 'x' });
        },
        onClose: (_s, reason) => closes.push({ reason, at: Date.now() }),
      }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/events'));
    await client.waitFor((c) => c.text.includes(': \n\n'), 2_000, 'a keep-alive comment');
    const leftAt = Date.now();
    client.destroy();
    await settled(server, closes);
    expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
    expect(closes[0].at - leftAt).toBeLessThan(1_000);
    expect(stream!.isOpen).toBe(false);
    expect(stream!.send('after')).toBe(false);
    await sleep(100); // keep-alive ticks would throw or log if the timer still ran
  });

  it('a client leaving while the producer waits on drain(): drain resolves and onClose runs', async () => {
    const closes: Closed[] = [];
    let waiting = false;
    let drainedAfterClose = false;
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          void (async () => {
            const chunk = Buffer.alloc(4096, 'q');
            for (let i = 0; i < 40_000 && ch.isOpen; i++) {
              if (!ch.send(chunk, false)) {
                waiting = true;
                await ch.drain();
                drainedAfterClose = !ch.isOpen;
                return;
              }
            }
          })();
        },
        onClose: (_ch, reason) => closes.push({ reason, at: Date.now() }),
      }),
    );
    const client = await RawClient.connect(port);
    client.socket.pause();
    await client.write(GET('/firehose'));
    await eventually(() => waiting, 3_000, 'the producer to block');
    client.destroy();
    await settled(server, closes);
    await eventually(() => drainedAfterClose, 1_000, 'drain() to resolve');
    expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
  });

  it('asyncResponse: a client that left before respond() makes respond() a silent no-op', async () => {
    const closes: Closed[] = [];
    let respond: ((r: string) => void) | null = null;
    const { port, server, warnings, errors } = await servers.start((req) =>
      asyncResponse(req, (r) => (respond = r), { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/async'));
    await eventually(() => respond !== null, 1_000, 'register');
    client.destroy();
    await settled(server, closes);
    respond!('too late');
    expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a client leaving with a pipelined request queued behind its parked one: the queued one is never handled', async () => {
    const closes: Closed[] = [];
    const handled: string[] = [];
    const { port, server } = await servers.start((req) => {
      handled.push(req.uri);
      return asChannel(req, { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) });
    });
    const client = await RawClient.connect(port);
    await client.write(GET('/first') + GET('/second'));
    await eventually(() => server.pendingCount === 1, 1_000, 'park');
    client.destroy();
    await settled(server, closes);
    await sleep(50);
    expect(handled).toEqual(['/first']);
    expect(closes.map((c) => c.reason)).toEqual(['client-closed']);
  });

  it('a parked client with pipelined requests sent after it parked, then closing, is noticed promptly', async () => {
    const closes: Closed[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/first'));
    await eventually(() => server.pendingCount === 1, 1_000, 'park');
    // Separate packets, far enough apart that the server reads each before the next arrives.
    for (const path of ['/second', '/third', '/fourth']) {
      await client.write(GET(path));
      await sleep(50);
    }
    const leftAt = Date.now();
    client.destroy();
    await eventually(() => closes.length === 1, 1_500, 'onClose');
    expect(closes[0].reason).toBe('client-closed');
    expect(closes[0].at - leftAt).toBeLessThan(1_000);
    await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 1_000, 'cleanup');
  });

  // Read-ahead behind a pending response is bounded (64 KiB); past it a paused socket would hide
  // the client's close, so a client that piles that much behind a parked request is cut off.
  it('a parked client that pipelines more than the read-ahead bound is cut off, onClose(error)', async () => {
    const closes: Closed[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/first'));
    await eventually(() => server.pendingCount === 1, 1_000, 'park');
    const filler = 'x'.repeat(1000);
    await client.write(Array.from({ length: 70 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: x\r\nX-Fill: ${filler}\r\n\r\n`).join(''));
    await sleep(100);
    await eventually(() => closes.length === 1, 1_500, 'onClose');
    expect(closes[0].reason).toBe('error');
    await eventually(() => server.pendingCount === 0 && server.connectionCount === 0, 1_000, 'cleanup');
    client.destroy();
  });

  it('many parked clients leaving at once are all noticed', async () => {
    const N = 200;
    const closes: Closed[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const clients = await Promise.all(Array.from({ length: N }, () => RawClient.connect(port)));
    await Promise.all(clients.map((c) => c.write(GET('/poll'))));
    await eventually(() => server.pendingCount === N, 3_000, `${N} parked`);
    const leftAt = Date.now();
    for (const c of clients) c.destroy();
    await settled(server, closes, N);
    expect(closes.every((c) => c.reason === 'client-closed')).toBe(true);
    expect(Math.max(...closes.map((c) => c.at)) - leftAt).toBeLessThan(1_000);
  });
});

describe('server.stop({ timeout })', () => {
  it('closes parked channels at once with server-stopping; stop() does not wait for the timeout', async () => {
    const closes: Closed[] = [];
    const { port, server } = await servers.start((req) =>
      asChannel(req, { onClose: (_c, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(port)));
    await Promise.all(clients.map((c) => c.write(GET('/poll'))));
    await eventually(() => server.pendingCount === 5, 1_000, 'park');
    const started = Date.now();
    await server.stop({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(closes.map((c) => c.reason)).toEqual(Array(5).fill('server-stopping'));
    expect(server.status).toBe('stopped');
    expect(server.pendingCount).toBe(0);
    expect(server.connectionCount).toBe(0);
    for (const c of clients) {
      const result = await c.readUntilClose({ timeout: 1_000 });
      expect(result.closedByServer).toBe(true);
    }
  });

  it('lets a stream finish before the deadline and cuts off one that runs past it', async () => {
    const closes = new Map<string, Closed>();
    const { port, server } = await servers.start((req) =>
      asChannel(req, {
        onOpen(ch) {
          ch.send({ status: 200 }, false);
          const total = req.uri === '/short' ? 5 : 100; // 5 × 40 ms vs 100 × 40 ms
          let n = 0;
          const tick = () => {
            if (!ch.isOpen) return;
            ch.send(`${req.uri} ${n}\n`, false);
            if (++n === total) ch.close();
            else setTimeout(tick, 40);
          };
          tick();
        },
        onClose: (ch, reason) => closes.set(ch.request.uri, { reason, at: Date.now() }),
      }),
    );
    const short = await RawClient.connect(port);
    const long = await RawClient.connect(port);
    await short.write(GET('/short'));
    await long.write(GET('/long'));
    await eventually(() => server.pendingCount === 2, 1_000, 'two streams');
    const started = Date.now();
    await server.stop({ timeout: 600 });
    const stoppedAfter = Date.now() - started;
    expect(stoppedAfter).toBeGreaterThanOrEqual(550);
    expect(stoppedAfter).toBeLessThan(1_500);

    // The short stream finished whole, with its last chunk, then the connection closed.
    const shortResult = await short.readUntilClose({ timeout: 1_000 });
    expect(shortResult.responses).toHaveLength(1);
    expect(shortResult.responses[0].text.trim().split('\n')).toHaveLength(5);
    expect(closes.get('/short')!.reason).toBe('server-closed');
    expect(closes.get('/short')!.at - started).toBeLessThan(600);

    // The long one was cut at the deadline: no last chunk.
    const longResult = await long.readUntilClose({ timeout: 1_000 });
    expect(longResult.closedByServer).toBe(true);
    expect(longResult.responses).toHaveLength(0);
    expect(longResult.text).toContain('/long 3');
    expect(closes.get('/long')!.reason).toBe('server-stopping');
    expect(closes.get('/long')!.at - started).toBeGreaterThanOrEqual(550);
    expect(server.pendingCount).toBe(0);
    expect(server.connectionCount).toBe(0);
  });

  it('an SSE stream open at stop is cut at the deadline with server-stopping', async () => {
    const closes: Closed[] = [];
    const { port, server } = await servers.start((req) =>
      asEventStream(req, { keepAliveInterval: 50, onClose: (_s, reason) => closes.push({ reason, at: Date.now() }) }),
    );
    const client = await RawClient.connect(port);
    await client.write(GET('/events'));
    await eventually(() => server.pendingCount === 1, 1_000, 'open');
    const started = Date.now();
    await server.stop({ timeout: 300 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(closes.map((c) => c.reason)).toEqual(['server-stopping']);
    const result = await client.readUntilClose({ timeout: 1_000 });
    expect(result.closedByServer).toBe(true);
  });

  it('after stop() a closed parked channel refuses sends, and new connections are not served', async () => {
    let channel: Channel | null = null;
    const { port, server } = await servers.start((req) => asChannel(req, { onOpen: (ch) => (channel = ch) }));
    const client = await RawClient.connect(port);
    await client.write(GET('/late'));
    await eventually(() => channel !== null, 1_000, 'park');
    const stopping = server.stop({ timeout: 2_000 });
    // The parked channel was closed by stop(); sending now is refused.
    await eventually(() => !channel!.isOpen, 1_000, 'the channel to close');
    expect(channel!.send('nope')).toBe(false);
    await stopping;
    // New connections are not served.
    const refused = await RawClient.connect(port, { timeout: 500 }).then(
      async (c) => (await c.readUntilClose({ timeout: 500 })).closedByServer,
      () => true,
    );
    expect(refused).toBe(true);
  });
});
