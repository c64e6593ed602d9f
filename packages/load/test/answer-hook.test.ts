// runLoad's onAnswer hook over real loopback sockets: each answer's payload reaches the hook once,
// with the index of the connection that got it, so a caller can check what the counters cannot
// (each connection got each broadcast exactly once; each response had the right body); onOpen
// marks where each connection's new session starts.
import { describe, expect, it } from 'vitest';
import { asChannel, type Channel, type Request } from '@http-kit/http1';
import { runLoad } from '@http-kit/load';
import { closeAfterEach, httpServer, useServers } from '@http-kit/test-support';

const servers = closeAfterEach();
const ours = useServers();

describe('onAnswer', () => {
  it('http: hands over each response body, whole even when it comes in several reads, with its connection', async () => {
    let n = 0;
    const server = await httpServer((_req, res) => {
      const mine = ++n;
      // Chunked, in two writes a turn apart: the body reaches the client in pieces.
      res.write(`part one of ${mine};`);
      setImmediate(() => res.end(`part two of ${mine}`));
    });
    servers.push(server);
    const bodies: string[][] = [[], [], []];
    const result = await runLoad(
      { url: `${server.url}/`, connections: 3, duration: 0.3, requestsPerConnection: 4 },
      { onAnswer: (connection, payload) => bodies[connection].push(payload.toString()) },
    );
    expect(result.counters.errors).toEqual({});
    for (const got of bodies) {
      expect(got).toHaveLength(4);
      for (const body of got) expect(body).toMatch(/^part one of (\d+);part two of \1$/);
    }
    expect(new Set(bodies.flat()).size).toBe(12);
  });

  it('onOpen: called with the index each time a connection opens; a session of 2 gets its 2 answers after it', async () => {
    const server = await httpServer((_req, res) => res.end('x'));
    servers.push(server);
    const opens = [0, 0, 0];
    const sinceOpen = [-1, -1, -1];
    const perSession: number[] = [];
    const result = await runLoad(
      { url: `${server.url}/`, connections: 3, duration: 0.3, sessionRequests: 2 },
      {
        onOpen: (connection) => {
          if (sinceOpen[connection] !== -1) perSession.push(sinceOpen[connection]);
          opens[connection]++;
          sinceOpen[connection] = 0;
        },
        onAnswer: (connection) => sinceOpen[connection]++,
      },
    );
    expect(result.counters.errors).toEqual({});
    for (const n of opens) expect(n).toBeGreaterThan(2);
    expect(opens[0] + opens[1] + opens[2]).toBeGreaterThanOrEqual(result.counters.sessions);
    expect(perSession.length).toBeGreaterThan(3);
    expect(perSession.every((n) => n === 2)).toBe(true);
  });

  it('longpoll: each parked poll gets the broadcast once; websocket listen: each socket gets each message once', async () => {
    const parked = new Set<Channel>();
    const sockets = new Set<Channel>();
    const { port } = await ours.start((req: Request) =>
      asChannel(req, {
        onOpen: (ch) => (req.websocket ? sockets : parked).add(ch),
        onClose: (ch) => (req.websocket ? sockets : parked).delete(ch),
      }),
    );
    const polls: string[][] = Array.from({ length: 5 }, () => []);
    const messages: string[][] = Array.from({ length: 4 }, () => []);
    const abort = new AbortController();
    let holding = 0;
    const broadcast = async () => {
      // Once every poll and socket is held: three messages, each to all of them.
      while (parked.size < 5 || sockets.size < 4) await new Promise((resolve) => setTimeout(resolve, 10));
      for (let seq = 1; seq <= 3; seq++) {
        for (const ch of [...parked]) {
          parked.delete(ch);
          ch.send({ status: 200, body: `seq ${seq}` });
        }
        for (const ch of sockets) ch.send(`seq ${seq}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      holding = sockets.size;
      abort.abort();
    };
    const [poll, listen] = await Promise.all([
      runLoad(
        { url: `http://127.0.0.1:${port}/poll`, mode: 'longpoll', connections: 5, duration: 10 },
        { onAnswer: (connection, payload) => polls[connection].push(payload.toString()), signal: abort.signal },
      ),
      runLoad(
        { url: `ws://127.0.0.1:${port}/ws`, wsMode: 'listen', connections: 4, duration: 10 },
        { onAnswer: (connection, payload) => messages[connection].push(payload.toString()), signal: abort.signal },
      ),
      broadcast(),
    ]);
    expect(poll.counters.errors).toEqual({});
    expect(listen.counters.errors).toEqual({});
    expect(holding).toBe(4);
    // A poll re-parks after each answer, so it sees every message too.
    for (const got of polls) expect(got).toEqual(['seq 1', 'seq 2', 'seq 3']);
    for (const got of messages) expect(got).toEqual(['seq 1', 'seq 2', 'seq 3']);
  });
});
