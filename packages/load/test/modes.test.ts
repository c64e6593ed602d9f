// Each mode of runLoad over real loopback sockets, against node:http, a raw node:net server or
// our own server: what the tool counts must be what the server saw. Runs are a fraction of a
// second each.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { asChannel, asEventStream, type Channel, type EventStream, type Request } from '@http-kit/http1';
import { runLoad, type LoadResult } from '@http-kit/load';
import { closeAfterEach, freePort, httpServer, listen, readBody, useServers } from '@http-kit/test-support';

const servers = closeAfterEach();
const ours = useServers();
const timers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const timer of timers.splice(0)) clearInterval(timer);
});

function expectClean(result: LoadResult): void {
  expect(result.counters.errors).toEqual({});
  expect(result.open.failed).toBe(0);
}

describe('http mode', () => {
  it('sends keep-alive requests to node:http and counts what it answered', async () => {
    let served = 0;
    const server = await httpServer((_req, res) => {
      served++;
      res.end('hello');
    });
    servers.push(server);
    const result = await runLoad({ url: `${server.url}/`, connections: 4, duration: 0.4 });
    expectClean(result);
    expect(result.open.opened).toBe(4);
    expect(server.connections).toBe(4);
    expect(result.counters.answers).toBeGreaterThan(10);
    expect(result.counters.answers).toBeLessThanOrEqual(served);
    // One in flight per connection: at most 4 requests unanswered when the run ended.
    expect(result.counters.sent - result.counters.answers).toBeLessThanOrEqual(4);
    expect(result.counters.status[2]).toBe(result.counters.answers);
    expect(result.latency.count).toBe(result.counters.answers);
    expect(result.latency.p50).toBeGreaterThan(0);
    expect(result.latency.p50).toBeLessThanOrEqual(result.latency.p99);
    expect(result.counters.bytesRead).toBeGreaterThan(result.counters.answers * 40);
    expect(result.timeline.length).toBeGreaterThan(0);
    expect(result.client.rssPeakBytes).toBeGreaterThan(0);
    // Every connection opened before the measured load: none timed in it.
    expect(result.connectLatency.count).toBe(0);
  });

  it('rotates through a list of requests with methods, headers and bodies', async () => {
    const seen: string[] = [];
    const hosts = new Set<string>();
    const server = await httpServer(async (req, res) => {
      hosts.add(req.headers.host as string);
      seen.push(`${req.method} ${req.url} ${req.headers['x-who']} ${(await readBody(req)).toString()}`);
      if (req.method === 'HEAD') {
        // A length and no body: the tool must not wait for 5 bytes.
        res.writeHead(200, { 'content-length': '5' });
        res.end();
        return;
      }
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end();
    });
    servers.push(server);
    const result = await runLoad({
      url: `${server.url}/`,
      connections: 1,
      duration: 0.3,
      headers: { 'X-Who': 'load' },
      requests: [
        { method: 'POST', path: '/a', body: 'one=1' },
        { path: '/b?q=2', headers: { Host: 'virtual.example' } },
        { path: '/missing', method: 'DELETE' },
        { method: 'HEAD', path: '/h' },
      ],
    });
    expectClean(result);
    expect(seen.slice(0, 4)).toEqual(['POST /a load one=1', 'GET /b?q=2 load ', 'DELETE /missing load ', 'HEAD /h load ']);
    expect(seen.length).toBeGreaterThan(8);
    expect([...hosts].sort()).toEqual([`127.0.0.1:${server.port}`, 'virtual.example']);
    expect(result.counters.status[4]).toBeGreaterThan(0);
    expect(result.counters.status[2] + result.counters.status[4]).toBe(result.counters.answers);
  });

  it('requestsPerConnection: each connection sends its N, then stays open and idle', async () => {
    let served = 0;
    const server = await httpServer((_req, res) => {
      served++;
      res.end('x');
    });
    servers.push(server);
    let opened: { opened: number; answers: number } | null = null;
    const result = await runLoad(
      { url: `${server.url}/`, connections: 3, duration: 0.3, requestsPerConnection: 2 },
      { onOpened: (info) => (opened = { opened: info.opened, answers: info.answers + info.counters().answers }) },
    );
    expectClean(result);
    expect(opened).not.toBeNull();
    expect(opened!.opened).toBe(3);
    expect(served).toBe(6);
    // Six requests in all, whether they left while opening or after.
    expect(result.counters.sent).toBeLessThanOrEqual(6);
    expect(opened!.answers).toBeLessThanOrEqual(6);
    expect(server.connections).toBe(3);
  });

  it('counts a refused connect as a connect error and reports no connection opened', async () => {
    const port = await freePort();
    const result = await runLoad({ url: `http://127.0.0.1:${port}/`, connections: 2, duration: 0.2 });
    expect(result.open.opened).toBe(0);
    expect(result.open.failed).toBe(2);
    expect(result.counters.errors['connect: ECONNREFUSED']).toBeGreaterThanOrEqual(1);
  });

  it('opens connections from the source addresses it is given', async () => {
    const from = new Set<string>();
    const server = await httpServer((req, res) => {
      from.add(req.socket.remoteAddress as string);
      res.end('x');
    });
    servers.push(server);
    const result = await runLoad({ url: `${server.url}/`, connections: 4, duration: 0.2, localAddresses: ['127.0.0.2', '127.0.0.3'] });
    expectClean(result);
    expect([...from].sort()).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(result.open.sourceAddresses.sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});

describe('pipeline mode', () => {
  it('keeps N requests in flight: a server that answers only once it holds 8 gets answers', async () => {
    const DEPTH = 8;
    let batches = 0;
    const raw = net.createServer((socket) => {
      let pending = '';
      socket.on('data', (chunk) => {
        pending += chunk.toString('latin1');
        let count = 0;
        for (let at = pending.indexOf('\r\n\r\n'); at !== -1; at = pending.indexOf('\r\n\r\n', at + 4)) count++;
        if (count < DEPTH) return;
        // Answer exactly DEPTH requests, keep the rest for the next batch.
        let cut = -4;
        for (let i = 0; i < DEPTH; i++) cut = pending.indexOf('\r\n\r\n', cut + 4);
        pending = pending.slice(cut + 4);
        batches++;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'.repeat(DEPTH));
      });
    });
    const server = await listen(raw);
    servers.push(server);
    const result = await runLoad({ url: `${server.url}/`, mode: 'pipeline', pipeline: DEPTH, connections: 2, duration: 0.3 });
    expectClean(result);
    expect(batches).toBeGreaterThan(2);
    expect(result.counters.answers).toBeGreaterThan(0);
    expect(result.counters.answers).toBeLessThanOrEqual(batches * DEPTH);
    expect(result.counters.sent - result.counters.answers).toBeLessThanOrEqual(2 * DEPTH);
  });
});

describe('longpoll mode', () => {
  it('parks a request per connection, re-parks on each answer, and times event -> answer from the stamp header', async () => {
    const parked = new Set<Channel>();
    let published = 0;
    let answered = 0;
    const { port } = await ours.start((req: Request) =>
      asChannel(req, { onOpen: (ch) => parked.add(ch), onClose: (ch) => parked.delete(ch) }),
    );
    timers.push(
      setInterval(() => {
        published++;
        const at = String(Date.now());
        for (const ch of [...parked]) {
          parked.delete(ch);
          answered++;
          ch.send({ status: 200, headers: { 'x-event-time': at }, body: 'news' });
        }
      }, 40),
    );
    const result = await runLoad({ url: `http://127.0.0.1:${port}/poll`, mode: 'longpoll', connections: 5, duration: 0.5 });
    expectClean(result);
    expect(published).toBeGreaterThan(3);
    expect(result.counters.answers).toBeGreaterThan(5 * 2);
    expect(result.counters.answers).toBeLessThanOrEqual(answered);
    // Every answer carried a stamp, so every answer has a latency; no answer needs as long as the publish period * 10.
    expect(result.latency.count).toBe(result.counters.answers);
    expect(result.latency.max).toBeLessThan(2_000_000);
  });
});

describe('sse mode', () => {
  it('holds N streams, counts their events and the ids it missed', async () => {
    const streams = new Set<EventStream>();
    const { port } = await ours.start((req: Request) =>
      asEventStream(req, { onOpen: (s) => streams.add(s), onClose: (s) => streams.delete(s) }),
    );
    let id = 0;
    timers.push(
      setInterval(() => {
        id++;
        // Id 4 is never sent: every stream that saw 3 and 5 has a gap of one.
        if (id === 4) return;
        for (const s of streams) s.send({ id, data: { n: id } });
      }, 20),
    );
    const result = await runLoad({ url: `http://127.0.0.1:${port}/events`, mode: 'sse', connections: 3, duration: 0.5 });
    expectClean(result);
    expect(result.open.opened).toBe(3);
    expect(result.counters.answers).toBeGreaterThan(3 * 5);
    expect(result.counters.gaps).toBe(3);
    expect(result.counters.reconnects).toBe(0);
  });
});

describe('sse mode, reconnecting', () => {
  it('opens a stream the server ended again, with Last-Event-ID, and counts the reconnect', async () => {
    const lastIds: Array<string | undefined> = [];
    let id = 0;
    const { port } = await ours.start((req: Request) => {
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      return asEventStream(req, {
        onOpen: (s) => {
          // Two events, then the server ends the stream.
          s.send({ id: ++id, data: 'a' });
          s.send({ id: ++id, data: 'b' });
          setTimeout(() => s.close(), 20);
        },
      });
    });
    // A short reconnection time (the default is 3 s, as browsers): several streams in the run.
    const result = await runLoad({ url: `http://127.0.0.1:${port}/events`, mode: 'sse', connections: 1, duration: 0.4, sseRetry: 20 });
    expectClean(result);
    expect(result.counters.reconnects).toBeGreaterThan(1);
    expect(lastIds.length).toBeGreaterThan(2);
    expect(lastIds[0]).toBeUndefined();
    // Each stream after the first names the last id the one before it carried.
    for (let i = 1; i < lastIds.length; i++) expect(lastIds[i]).toBe(String(2 * i));
    expect(result.counters.gaps).toBe(0);
  });
});

describe('websocket mode', () => {
  async function echoServer(): Promise<{ port: number; open: () => number }> {
    let open = 0;
    const { port } = await ours.start((req: Request) =>
      req.websocket
        ? asChannel(req, {
            onOpen: () => open++,
            onClose: () => open--,
            onReceive: (ch, message) => ch.send(message),
          })
        : { status: 404, body: 'ws only' },
    );
    return { port, open: () => open };
  }

  it('echo: keeps M messages in flight per socket and times each round trip', async () => {
    const server = await echoServer();
    const result = await runLoad({ url: `ws://127.0.0.1:${server.port}/ws`, connections: 3, duration: 0.4, inFlight: 4, messageSize: 300 });
    expectClean(result);
    expect(result.wsMode).toBe('echo');
    expect(result.counters.answers).toBeGreaterThan(20);
    expect(result.counters.sent - result.counters.answers).toBeLessThanOrEqual(3 * 4);
    expect(result.latency.count).toBe(result.counters.answers);
    expect(result.counters.bytesWritten).toBeGreaterThan(result.counters.sent * 300);
  });

  it('echo under --rate: sends what falls due, spread over the sockets, and times each from its due time', async () => {
    const server = await echoServer();
    const result = await runLoad({ url: `ws://127.0.0.1:${server.port}/ws`, connections: 4, duration: 0.5, rate: 400 });
    expectClean(result);
    // 400/s for 0.5 s: about 200 due (the pacer's first and last millisecond may add or drop one each).
    expect(result.counters.sent).toBeGreaterThanOrEqual(190);
    expect(result.counters.sent).toBeLessThanOrEqual(210);
    expect(result.counters.answers).toBeGreaterThanOrEqual(result.counters.sent - 8);
    expect(result.latency.count).toBe(result.counters.answers);
  });

  it('an echo not back within the timeout: one timeout error, the socket replaced (not also counted as closed by the server)', async () => {
    const { port } = await ours.start((req: Request) => asChannel(req, {}));
    const result = await runLoad({ url: `ws://127.0.0.1:${port}/ws`, connections: 1, duration: 1.5, timeout: 200 });
    expect(result.counters.answers).toBe(0);
    expect(Object.keys(result.counters.errors)).toEqual(['timeout']);
    // Checked once a second: one or two timeouts in the run, each followed by a new socket.
    expect(result.counters.errors.timeout).toBeGreaterThanOrEqual(1);
    expect(result.counters.reconnects).toBe(result.counters.errors.timeout);
  });

  it('a server that accepts and never answers the handshake: an open-timeout, tried again', async () => {
    const raw = net.createServer((socket) => socket.on('error', () => {}));
    const server = await listen(raw);
    servers.push(server);
    const result = await runLoad({ url: `ws://127.0.0.1:${server.port}/`, connections: 1, duration: 0.3, openTimeout: 100 });
    expect(result.open.opened).toBe(0);
    expect(result.open.failed).toBe(1);
    expect(result.counters.errors['connect: open-timeout']).toBeGreaterThanOrEqual(1);
    expect(Object.keys(result.counters.errors)).toEqual(['connect: open-timeout']);
    expect(server.connections).toBeGreaterThanOrEqual(2);
  });

  it('idle: holds the sockets open and sends nothing; listen: counts broadcasts', async () => {
    const server = await echoServer();
    const idle = await runLoad({ url: `ws://127.0.0.1:${server.port}/ws`, wsMode: 'idle', connections: 6, duration: 0.2 });
    expectClean(idle);
    expect(idle.open.opened).toBe(6);
    expect(idle.counters.sent).toBe(0);

    const channels = new Set<Channel>();
    const { port } = await ours.start((req: Request) =>
      asChannel(req, { onOpen: (ch) => channels.add(ch), onClose: (ch) => channels.delete(ch) }),
    );
    timers.push(
      setInterval(() => {
        for (const ch of channels) ch.send('tick');
      }, 20),
    );
    const listen = await runLoad({ url: `ws://127.0.0.1:${port}/`, wsMode: 'listen', connections: 4, duration: 0.4 });
    expectClean(listen);
    expect(listen.counters.answers).toBeGreaterThan(4 * 5);
    expect(listen.counters.sent).toBe(0);
  });
});

describe('--rate (open model)', () => {
  it('counts latency from the due time, so a server stall shows in p90 and p99 (and closed-model timing hides it)', async () => {
    // Requests arriving 300-800 ms after the first are held until 800 ms: a 0.5 s stall.
    let first = 0;
    const server = await httpServer((_req, res) => {
      const now = Date.now();
      if (first === 0) first = now;
      const since = now - first;
      if (since >= 300 && since < 800) setTimeout(() => res.end('late'), 800 - since);
      else res.end('ok');
    });
    servers.push(server);
    const open = await runLoad({ url: `${server.url}/`, connections: 2, duration: 1.4, rate: 200 });
    expectClean(open);
    // About 100 of ~280 requests fall due in the stall and wait up to 0.5 s for it to end.
    expect(open.counters.sent).toBeGreaterThan(150);
    expect(open.latency.p90).toBeGreaterThanOrEqual(100_000);
    expect(open.latency.max).toBeGreaterThanOrEqual(300_000);

    first = 0;
    const closed = await runLoad({ url: `${server.url}/`, connections: 2, duration: 1.4 });
    expectClean(closed);
    // Closed model: only the two requests in flight when the stall began waited.
    expect(closed.latency.max).toBeGreaterThanOrEqual(300_000);
    expect(closed.latency.p90 * 3).toBeLessThan(open.latency.p90);
  });

  it('refuses a rate where the server sets the pace', async () => {
    await expect(runLoad({ url: 'http://127.0.0.1:1/', mode: 'longpoll', rate: 10 })).rejects.toThrow(
      /rate applies to http, pipeline and websocket echo/,
    );
    await expect(runLoad({ url: 'http://127.0.0.1:1/', connections: 0 })).rejects.toThrow(/connections must be an integer from 1/);
    await expect(runLoad({ url: 'ftp://x/' })).rejects.toThrow(/http:\/\/ or ws:\/\//);
  });
});
