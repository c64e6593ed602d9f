// Clients that come and go, and misbehave, over real loopback sockets: sessions that end after N
// answers (a clean close, a drop, a TCP reset) and open again, long polls given up while parked,
// SSE streams reopened with back-off and the server's `retry:`, slow readers, echo runs that get
// broadcasts too, and the run's end: each connection closed as a client would, and the server's
// close of its side awaited and reported. What the tool counts is checked against what the server
// saw.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { asChannel, asEventStream, type Channel, type EventStream, type Request } from '@http-kit/http1';
import { runLoad } from '@http-kit/load';
import { closeAfterEach, eventually, httpServer, listen, useServers } from '@http-kit/test-support';

const servers = closeAfterEach();
const ours = useServers();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** What a raw keep-alive server saw of each connection: requests, and how the client ended it. */
interface Seen {
  requests: number;
  fin: boolean;
  reset: boolean;
}

/** A raw HTTP/1.1 server answering each request head `hi`; `fin: false` never closes its side after the client's FIN. */
async function rawHttp(options: { closeOnFin?: boolean } = {}) {
  const seen: Seen[] = [];
  const raw = net.createServer({ allowHalfOpen: options.closeOnFin === false }, (socket) => {
    const mine: Seen = { requests: 0, fin: false, reset: false };
    seen.push(mine);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let at = pending.indexOf('\r\n\r\n'); at !== -1; at = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(at + 4);
        mine.requests++;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi');
      }
    });
    socket.on('end', () => (mine.fin = true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') mine.reset = true;
    });
  });
  const server = await listen(raw);
  servers.push(server);
  return { server, seen };
}

describe('sessions (sessionRequests)', () => {
  it('http: each connection ends after its N answers with a FIN and opens again as a new connection', async () => {
    const { server, seen } = await rawHttp();
    const result = await runLoad({ url: `${server.url}/`, connections: 2, duration: 0.3, sessionRequests: 3 });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.sessions).toBeGreaterThan(4);
    expect(result.counters.drops).toBe(0);
    // The first two, and one more for each session ended (the last ones may be cut by the run's end).
    expect(server.connections).toBeGreaterThanOrEqual(result.counters.sessions);
    // Every connection the client ended had its 3 requests and ended with a FIN, not a reset.
    const ended = seen.filter((s) => s.fin);
    expect(ended.length).toBeGreaterThanOrEqual(result.counters.sessions);
    for (const s of ended.slice(0, result.counters.sessions)) expect(s.requests).toBe(3);
    expect(seen.some((s) => s.reset)).toBe(false);
    // Each new session's connect is timed (those opened during the measured load).
    expect(result.connectLatency.count).toBeGreaterThanOrEqual(result.counters.sessions - 2);
    expect(result.connectLatency.count).toBeLessThanOrEqual(result.counters.sessions + 2);
    expect(result.connectLatency.p50).toBeGreaterThan(0);
  });

  it('http: resetFraction 1 ends every session with a TCP reset, which the server sees as ECONNRESET', async () => {
    const { server, seen } = await rawHttp();
    const result = await runLoad({ url: `${server.url}/`, connections: 2, duration: 0.3, sessionRequests: [1, 2], resetFraction: 1 });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.resets).toBeGreaterThan(2);
    expect(result.counters.drops).toBe(result.counters.resets);
    await eventually(() => seen.filter((s) => s.reset).length >= result.counters.resets, 2_000, 'the server to see each reset');
    for (const s of seen.filter((s) => s.reset)) expect(s.requests === 1 || s.requests === 2).toBe(true);
  });

  it('websocket echo: dropFraction 1 ends each session without a close frame (1006 at the server), 0 with one (1000)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => wss.close());
    await new Promise((resolve) => wss.once('listening', resolve));
    // The close codes the server saw, by run: each connection's goes to the run it came in.
    let codes: number[] = [];
    wss.on('connection', (ws) => {
      const mine = codes;
      ws.on('message', (data, binary) => ws.send(data, { binary }));
      ws.on('close', (code) => mine.push(code));
      ws.on('error', () => {});
    });
    const count = (list: number[], code: number) => list.filter((c) => c === code).length;
    const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`;
    const droppedCodes = codes;
    const dropped = await runLoad({ url, connections: 2, duration: 0.3, sessionRequests: [2, 4], dropFraction: 1 });
    expect(dropped.counters.errors).toEqual({});
    expect(dropped.counters.sessions).toBeGreaterThan(2);
    expect(dropped.counters.drops).toBe(dropped.counters.sessions);
    await eventually(() => count(droppedCodes, 1006) >= dropped.counters.sessions, 2_000, 'the server to see each drop');
    // Only the run's end closed with a close frame: at most one per connection.
    expect(droppedCodes.length - count(droppedCodes, 1006)).toBeLessThanOrEqual(2);

    codes = [];
    const closedCodes = codes;
    const closed = await runLoad({ url, connections: 2, duration: 0.3, sessionRequests: 3 });
    expect(closed.counters.errors).toEqual({});
    expect(closed.counters.drops).toBe(0);
    expect(closed.counters.sessions).toBeGreaterThan(4);
    await eventually(() => count(closedCodes, 1000) >= closed.counters.sessions, 2_000, 'the server to see each close');
    // Without a close frame: only a socket the run's end caught opening (its 101 not read yet).
    expect(count(closedCodes, 1006)).toBeLessThanOrEqual(2);
    // Each echo timed, each session its 3.
    expect(closed.latency.count).toBe(closed.counters.answers);
  });

  it('websocket echo under --rate: what fell due while a session reopened goes out in the next, never past its share', async () => {
    const { port } = await ours.start((req: Request) => asChannel(req, { onReceive: (ch, message) => ch.send(message) }));
    // 2 sockets, 1,000 echoes a second, sessions of 1-3: messages pile up while a socket reopens.
    const result = await runLoad({ url: `ws://127.0.0.1:${port}/ws`, connections: 2, duration: 0.4, rate: 1000, sessionRequests: [1, 3] });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.sessions).toBeGreaterThan(4);
    expect(result.latency.count).toBeGreaterThanOrEqual(result.counters.sessions - 2);
    // Each session sent at most its 3.
    expect(result.counters.sent).toBeLessThanOrEqual(3 * (result.counters.sessions + 2));
  });
});

describe('long polls given up while parked (abortFraction)', () => {
  it('drops the connection a random 20-40 ms after the poll left; the server lets the channel go; a new client comes', async () => {
    let parked = 0;
    let closed = 0;
    const { port } = await ours.start((req: Request) =>
      asChannel(req, {
        onOpen: () => parked++,
        onClose: () => closed++,
      }),
    );
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/poll`,
      mode: 'longpoll',
      connections: 3,
      duration: 0.4,
      abortFraction: 1,
      abortDelay: [20, 40],
    });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.aborts).toBeGreaterThan(3);
    expect(result.counters.sessions).toBe(result.counters.aborts);
    expect(result.counters.drops).toBe(result.counters.aborts);
    expect(result.counters.answers).toBe(0);
    // Every poll parked was let go by the server (none of them answered).
    await eventually(() => closed === parked, 2_000, 'every parked poll to close at the server');
    expect(parked).toBeGreaterThanOrEqual(result.counters.aborts);
  });

  it('a poll answered before its abort is due is not given up', async () => {
    const { port } = await ours.start(() => ({ status: 200, body: 'now' }));
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/poll`,
      mode: 'longpoll',
      connections: 2,
      duration: 0.3,
      abortFraction: 1,
      abortDelay: [200, 300],
      requestsPerConnection: 5,
    });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.aborts).toBe(0);
  });
});

describe('sse reconnecting with back-off', () => {
  it('reopens an ended stream after sseRetry (jittered 50-100 %), then after the `retry:` the server sent, with Last-Event-ID', async () => {
    const opens: Array<{ at: number; lastId: string | undefined }> = [];
    let id = 0;
    const { port } = await ours.start((req: Request) => {
      opens.push({ at: performance.now(), lastId: req.headers['last-event-id'] as string | undefined });
      const retry = opens.length === 2 ? 300 : undefined;
      return asEventStream(req, {
        onOpen: (s) => {
          s.send({ id: ++id, data: 'a', retry });
          setTimeout(() => s.close(), 10);
        },
      });
    });
    const result = await runLoad({ url: `http://127.0.0.1:${port}/events`, mode: 'sse', connections: 1, duration: 0.7, sseRetry: 100 });
    expect(result.counters.errors).toEqual({});
    expect(opens.length).toBeGreaterThanOrEqual(3);
    expect(opens[0].lastId).toBeUndefined();
    expect(opens[1].lastId).toBe('1');
    expect(opens[2].lastId).toBe('2');
    // Opened, 10 ms of stream, then at least half of the reconnection time: 100 ms, then the server's 300 ms.
    expect(opens[1].at - opens[0].at).toBeGreaterThanOrEqual(50);
    expect(opens[2].at - opens[1].at).toBeGreaterThanOrEqual(150);
  });

  it('doubles the wait after each failed reopen, up to sseRetryMax', async () => {
    const opens: number[] = [];
    const server = await httpServer((_req, res) => {
      opens.push(performance.now());
      res.statusCode = 503;
      res.end('down');
    });
    servers.push(server);
    const result = await runLoad({
      url: `${server.url}/events`,
      mode: 'sse',
      connections: 1,
      duration: 1.2,
      sseRetry: 20,
      sseRetryMax: 160,
    });
    expect(result.counters.errors['sse: status 503']).toBeGreaterThanOrEqual(4);
    const gaps = opens.slice(1).map((at, i) => at - opens[i]);
    // Failure k waits 50-100 % of min(160, 20 * 2^k) ms: at least 20, 40, 80, 80, ...
    gaps.forEach((gap, k) => expect(gap).toBeGreaterThanOrEqual(0.5 * Math.min(160, 20 * 2 ** (k + 1)) - 2));
    // Capped: never the uncapped doubling (the 5th would be 320-640 ms).
    expect(opens.length).toBeGreaterThanOrEqual(5);
  });

  it('sessionRequests: the client closes its stream after N events and comes back at once as a new client', async () => {
    const lastIds: Array<string | undefined> = [];
    let id = 0;
    const streams = new Set<EventStream>();
    const { port } = await ours.start((req: Request) => {
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      return asEventStream(req, { onOpen: (s) => streams.add(s), onClose: (s) => streams.delete(s) });
    });
    const timer = setInterval(() => {
      id++;
      for (const s of streams) s.send({ id, data: 'x' });
    }, 10);
    cleanups.push(() => clearInterval(timer));
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/events`,
      mode: 'sse',
      connections: 2,
      duration: 0.4,
      sessionRequests: 3,
    });
    expect(result.counters.errors).toEqual({});
    expect(result.counters.sessions).toBeGreaterThan(2);
    expect(result.counters.reconnects).toBe(0);
    expect(lastIds.every((last) => last === undefined)).toBe(true);
  });
});

describe('think time (thinkTime)', () => {
  it('http: a connection waits thinkTime ms between an answer and its next request', async () => {
    const at: number[] = [];
    const server = await httpServer((_req, res) => {
      at.push(performance.now());
      res.end('x');
    });
    servers.push(server);
    const result = await runLoad({ url: `${server.url}/`, connections: 1, duration: 0.5, thinkTime: [40, 60] });
    expect(result.counters.errors).toEqual({});
    expect(at.length).toBeGreaterThan(3);
    // The run's timer may fire a little early; the pause is never much shorter than 40 ms.
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(38);
  });

  it('websocket echo: each next message leaves thinkTime ms after the echo; latency is the round trip only', async () => {
    const at: number[] = [];
    const { port } = await ours.start((req: Request) =>
      asChannel(req, {
        onReceive: (ch, message) => {
          at.push(performance.now());
          ch.send(message);
        },
      }),
    );
    const result = await runLoad({ url: `ws://127.0.0.1:${port}/ws`, connections: 1, duration: 0.7, thinkTime: 150 });
    expect(result.counters.errors).toEqual({});
    expect(at.length).toBeGreaterThan(2);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(148);
    // A loopback echo takes far less than the pause: the pause is not in the latency.
    expect(result.latency.p50).toBeLessThan(150_000);
  });

  it('refuses thinkTime with rate (the open model sets when requests leave)', async () => {
    await expect(runLoad({ url: 'http://127.0.0.1:1/', rate: 10, thinkTime: 5 })).rejects.toThrow(
      /thinkTime applies to the closed model only/,
    );
  });
});

describe('slow readers (slowFraction)', () => {
  it('a slow socket reads at most slowReadRate bytes a second (and one read more): the server waits on it', async () => {
    const body = Buffer.alloc(20_000, 'b');
    const server = await httpServer((_req, res) => res.end(body));
    servers.push(server);
    const fast = await runLoad({ url: `${server.url}/`, connections: 2, duration: 0.5 });
    const RATE = 100_000;
    const slow = await runLoad({ url: `${server.url}/`, connections: 2, duration: 0.5, slowFraction: 1, slowReadRate: RATE });
    expect(slow.counters.errors).toEqual({});
    expect(slow.counters.slowReaders).toBe(2); // every socket drawn slow, counted once each
    expect(slow.counters.answers).toBeGreaterThan(0);
    // Each read of n bytes is followed by n / RATE s of not reading: over the load, RATE * s and
    // the one read (at most 64 KiB) before the last pause, per socket.
    const bound = 2 * (RATE * slow.seconds + 65_536);
    expect(slow.counters.bytesRead).toBeLessThanOrEqual(bound);
    expect(fast.counters.bytesRead).toBeGreaterThan(2 * bound);
  });
});

describe('websocket echo beside broadcasts', () => {
  it('counts a broadcast as an answer but times only the echoes', async () => {
    const channels = new Set<Channel>();
    const { port } = await ours.start((req: Request) =>
      asChannel(req, {
        onOpen: (ch) => channels.add(ch),
        onClose: (ch) => channels.delete(ch),
        onReceive: (ch, message) => ch.send(message),
      }),
    );
    const timer = setInterval(() => {
      for (const ch of channels) ch.send('{"seq":1}');
    }, 10);
    cleanups.push(() => clearInterval(timer));
    const broadcasts: number[] = [0, 0];
    const result = await runLoad(
      { url: `ws://127.0.0.1:${port}/ws`, connections: 2, duration: 0.4, rate: 100 },
      { onAnswer: (connection, payload) => payload.toString() === '{"seq":1}' && broadcasts[connection]++ },
    );
    expect(result.counters.errors).toEqual({});
    expect(broadcasts[0] + broadcasts[1]).toBeGreaterThan(4);
    expect(result.latency.count + broadcasts[0] + broadcasts[1]).toBe(result.counters.answers);
    expect(result.latency.count).toBeGreaterThanOrEqual(result.counters.sent - 4);
  });
});

describe("the run's end", () => {
  it('closes each connection with a FIN and reports when the server closed its side', async () => {
    const server = await httpServer((_req, res) => res.end('x'));
    servers.push(server);
    const result = await runLoad({ url: `${server.url}/`, connections: 3, duration: 0.2, requestsPerConnection: 1 });
    expect(result.closing.connections).toBe(3);
    expect(result.closing.peerClosed).toBe(3);
    expect(result.closing.forced).toBe(0);
    expect(result.closing.lastPeerCloseMs).not.toBeNull();
  });

  it('a server that never closes its side after the FIN: each connection destroyed after closeTimeout, counted as forced', async () => {
    const { server } = await rawHttp({ closeOnFin: false });
    const result = await runLoad({ url: `${server.url}/`, connections: 2, duration: 0.2, requestsPerConnection: 1, closeTimeout: 100 });
    expect(result.closing.connections).toBe(2);
    expect(result.closing.peerClosed).toBe(0);
    expect(result.closing.forced).toBe(2);
    expect(result.closing.lastPeerCloseMs).toBeNull();
  });

  it('websocket: a close frame, and the server closes', async () => {
    const { port } = await ours.start((req: Request) => asChannel(req, {}));
    const result = await runLoad({ url: `ws://127.0.0.1:${port}/ws`, wsMode: 'idle', connections: 3, duration: 0.2 });
    expect(result.closing).toMatchObject({ connections: 3, peerClosed: 3, forced: 0 });
  });
});

describe('options', () => {
  it('refuses what does not fit, naming the value', async () => {
    await expect(runLoad({ url: 'http://127.0.0.1:1/', dropFraction: 0.5 })).rejects.toThrow(/give sessionRequests too/);
    await expect(runLoad({ url: 'http://127.0.0.1:1/', sessionRequests: [3, 1] })).rejects.toThrow(/min <= max/);
    await expect(runLoad({ url: 'http://127.0.0.1:1/', abortFraction: 0.1 })).rejects.toThrow(/longpoll mode only/);
    await expect(runLoad({ url: 'http://127.0.0.1:1/', sessionRequests: 2, dropFraction: 0.7, resetFraction: 0.5 })).rejects.toThrow(
      /at most 1, got 0.7 \+ 0.5/,
    );
    await expect(runLoad({ url: 'http://127.0.0.1:1/', sessionRequests: 0 })).rejects.toThrow(
      /sessionRequests\[0\] must be an integer from 1/,
    );
  });
});
