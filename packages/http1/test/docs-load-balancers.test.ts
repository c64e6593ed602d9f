/**
 * docs/guides/load-balancers.md's configs work: its ```nginx and ```haproxy blocks, taken from the
 * guide as they stand (only the listen port and the two upstream ports changed to free loopback
 * ones), each in front of two http-kit servers of its own. Through each proxy: keep-alive on both
 * sides with requests reaching both instances, the forwarded headers, read timeouts above 60 s and
 * long polls parked for a while, a stream passed on unbuffered, WebSocket echoes (our client and
 * `ws`), and an instance that stops being stepped around; behind nginx a client leaving a parked
 * poll ends it, behind HAProxy health checks reach both instances. Each proxy's part is skipped,
 * with a one-line notice, when it is not installed.
 *
 * Upstream connections are counted from Node's `net.server.socket` diagnostics channel: the
 * server keeps no count of the connections it accepted, and a request carries no remote port.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asChannel, runServer, type Channel, type HttpServer, type Request } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { createClient, type HttpClient } from '@http-kit/client';
import { eventually, peer, RawClient, sleep, startHaproxy, startNginx, within } from '@http-kit/test-support';

const GUIDE = fileURLToPath(new URL('../../../docs/guides/load-balancers.md', import.meta.url));
const NGINX = peer('nginx', 'docs-load-balancers.test.ts (its nginx part)');
const HAPROXY = peer('haproxy', 'docs-load-balancers.test.ts (its HAProxy part)');
/** How long the long poll stays parked before it is answered. */
const PARKED_MS = 1_500;

/** The guide's ```<lang> block with each `from` (which must be there exactly once) replaced by its `to`. */
function guideBlock(lang: string, replacements: ReadonlyArray<readonly [string, string]> = []): string {
  const match = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(readFileSync(GUIDE, 'utf8'));
  if (match === null) throw new Error(`docs/guides/load-balancers.md has no \`\`\`${lang} block`);
  let config = match[1];
  for (const [from, to] of replacements) {
    const count = config.split(from).length - 1;
    if (count !== 1)
      throw new Error(
        `the ${lang} block of load-balancers.md contains "${from}" ${count} times, not once: update docs-load-balancers.test.ts`,
      );
    config = config.replace(from, to);
  }
  return config;
}

const MS_PER_UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The value of `<directive> <number><unit>` in `config`, in ms; `unit` when the number has none (nginx: s, HAProxy: ms). */
function timeoutMs(config: string, directive: string, unit: 's' | 'ms'): number {
  const match = new RegExp(`^\\s*${directive}\\s+(\\d+)(us|ms|s|m|h|d)?\\s*;?\\s*(#.*)?$`, 'm').exec(config);
  if (match === null) throw new Error(`no "${directive} <time>" line in the config: update docs-load-balancers.test.ts`);
  return Number(match[1]) * MS_PER_UNIT[match[2] ?? unit];
}

/** One http-kit server behind the proxy, and what it saw. */
interface Instance {
  name: string;
  server: HttpServer;
  /** Connections its server accepted. */
  accepted: number;
  /** Heads of the requests to /who. */
  seen: Array<Request['headers']>;
  /** Protocol versions of the health checks it answered. */
  healthChecks: string[];
  parked: Set<Channel>;
  /** Why each long poll that was parked here ended. */
  pollsEnded: string[];
  streams: Set<Channel>;
}

async function startInstance(name: string): Promise<Instance> {
  const text = { 'content-type': 'text/plain', 'x-instance': name };
  const instance: Instance = {
    name,
    server: null!,
    accepted: 0,
    seen: [],
    healthChecks: [],
    parked: new Set(),
    pollsEnded: [],
    streams: new Set(),
  };
  instance.server = await runServer(
    (req) => {
      switch (req.uri) {
        case '/healthz':
          instance.healthChecks.push(req.protocol);
          return { status: 200, headers: text, body: 'ok' };
        case '/who':
          instance.seen.push(req.headers);
          return { status: 200, headers: text, body: name };
        case '/poll':
          return asChannel(req, {
            onOpen: (ch) => instance.parked.add(ch),
            onClose(ch, reason) {
              instance.parked.delete(ch);
              instance.pollsEnded.push(String(reason));
            },
            timeout: 10_000,
          });
        case '/stream':
          // The head alone; the test writes each piece of the body once the client has what came before.
          return asChannel(req, {
            onOpen(ch) {
              ch.send({ status: 200, headers: text }, false);
              instance.streams.add(ch);
            },
            onClose: (ch) => instance.streams.delete(ch),
          });
        case '/ws':
          if (!req.websocket) return { status: 426, headers: text, body: 'the upgrade did not get through the proxy' };
          return asChannel(req, { onReceive: (ch, message) => ch.send(`${name}: ${String(message)}`) });
        default:
          return { status: 404, headers: text, body: 'not found' };
      }
    },
    { ip: '127.0.0.1', port: 0 },
  );
  return instance;
}

/** The instances running, by port: each connection accepted is counted against the one it reached. */
const listening = new Map<number, Instance>();
const countAccepted = (message: unknown): void => {
  const instance = listening.get((message as { socket: Socket }).socket.localPort!);
  if (instance !== undefined) instance.accepted++;
};
subscribe('net.server.socket', countAccepted);
afterAll(() => unsubscribe('net.server.socket', countAccepted));

interface Proxy {
  base: string;
  stop(): unknown;
}

/** What a proxy's own checks (`more`) get. */
interface ProxyContext {
  instances: () => Instance[];
  base: () => string;
  client: HttpClient;
}

interface ProxyCase {
  label: string;
  /** The proxy's binary, or null when it is not installed (its part is skipped). */
  binary: string | null;
  /** Runs the proxy in front of instances listening on ports `a` and `b`; `client` may poll it until it answers. */
  start: (a: number, b: number, client: HttpClient) => Promise<Proxy>;
  /** Its read timeouts, by name, in ms. */
  timeouts: () => Record<string, number>;
  /** Checks only this proxy passes. */
  more?: (context: ProxyContext) => void;
}

/** The checks every proxy passes, against two instances of its own. */
function behindProxy({ label, binary, start, timeouts, more }: ProxyCase): void {
  describe.skipIf(binary === null)(`docs/guides/load-balancers.md: two instances behind ${label}`, () => {
    const client = createClient();
    let proxy: Proxy | null = null;
    let instances: Instance[] = [];
    const port = (): number => Number(new URL(proxy!.base).port);

    beforeAll(async () => {
      instances = await Promise.all([startInstance('a'), startInstance('b')]);
      for (const instance of instances) listening.set(instance.server.port, instance);
      proxy = await start(instances[0].server.port, instances[1].server.port, client);
    }, 15_000);

    afterAll(async () => {
      client.close();
      await proxy?.stop();
      await Promise.all(
        instances.map((instance) => (instance.server.status === 'running' ? instance.server.stop({ timeout: 500 }) : undefined)),
      );
      for (const instance of instances) listening.delete(instance.server.port);
    });

    it('answers several requests over one client connection from both instances, over reused upstream connections', async () => {
      const requests = 10;
      const acceptedBefore = instances[0].accepted + instances[1].accepted;
      const raw = await RawClient.connect(port());
      try {
        for (let i = 1; i <= requests; i++) {
          await raw.write('GET /who HTTP/1.1\r\nHost: lb.test\r\n\r\n');
          await raw.waitForResponses(i, { timeout: 3_000 });
        }
        const { responses } = raw.responses();
        expect(responses.map((res) => res.status)).toEqual(Array(requests).fill(200));
        expect(new Set(responses.map((res) => res.headers['x-instance']))).toEqual(new Set(['a', 'b']));
        expect(raw.closed, 'the proxy closed the client connection').toBe(false);
      } finally {
        raw.destroy();
      }
      const accepted = instances[0].accepted + instances[1].accepted - acceptedBefore;
      expect(accepted, `${accepted} upstream connections accepted for ${requests} requests`).toBeLessThan(requests / 2);
    });

    it('passes Host, X-Forwarded-For and X-Forwarded-Proto', async () => {
      const res = await client.get(`${proxy!.base}/who`, { headers: { host: 'lb.test' } });
      expect(res.status).toBe(200);
      const seen = instances.find((instance) => instance.name === res.headers!['x-instance'])!.seen.at(-1)!;
      expect([seen.host, seen['x-forwarded-for'], seen['x-forwarded-proto']]).toEqual(['lb.test', '127.0.0.1', 'http']);
    });

    it('keeps its read timeouts above 60 s, room for a long poll', () => {
      for (const [name, ms] of Object.entries(timeouts())) expect(ms, name).toBeGreaterThan(60_000);
    });

    it(`holds long polls parked ${PARKED_MS} ms on either instance until they are answered`, async () => {
      const polls = [client.get(`${proxy!.base}/poll`, { as: 'text' }), client.get(`${proxy!.base}/poll`, { as: 'text' })];
      const parked = (): number => instances[0].parked.size + instances[1].parked.size;
      await eventually(() => parked() === 2, 3_000, 'both polls to reach the instances and park');
      expect(instances.map((instance) => instance.parked.size)).toEqual([1, 1]);
      await sleep(PARKED_MS);
      expect(parked(), 'polls still parked').toBe(2);
      for (const instance of instances)
        for (const ch of instance.parked)
          ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: `news from ${instance.name}` });
      const answers = await within(3_000, 'the answers through the proxy', Promise.all(polls));
      expect(answers.map((res) => [res.status, res.body]).sort()).toEqual([
        [200, 'news from a'],
        [200, 'news from b'],
      ]);
    });

    it('passes a stream on unbuffered: its head and each piece arrive before the server writes the next', async () => {
      const res = await within(
        3_000,
        "the stream's head before any of its body is written (is the proxy buffering?)",
        client.get(`${proxy!.base}/stream`, { as: 'stream' }),
      );
      expect(res.status).toBe(200);
      const [stream] = [...instances[0].streams, ...instances[1].streams];
      const chunks = (res.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      const delays: number[] = [];
      for (const piece of ['first\n', 'second\n', 'third\n']) {
        const sent = performance.now();
        stream.send(piece, false);
        let text = '';
        while (text !== piece) {
          const next = await within(
            3_000,
            `"${piece.trim()}" before the server writes the next piece (is the proxy buffering?)`,
            chunks.next(),
          );
          if (next.done === true)
            throw new Error(`the stream ended with ${JSON.stringify(text)} where ${JSON.stringify(piece)} was expected`);
          text += String(next.value);
        }
        delays.push(performance.now() - sent);
      }
      stream.close();
      expect((await within(3_000, 'the end of the stream', chunks.next())).done).toBe(true);
      // Pieces held back (HAProxy without option http-no-delay) take ~200 ms; the median of three stands one slow turn.
      const median = [...delays].sort((x, y) => x - y)[1];
      expect(median, `from write to arrival: ${delays.map((ms) => ms.toFixed(0)).join(', ')} ms`).toBeLessThan(100);
    });

    it('upgrades a WebSocket and echoes through it (@http-kit/websocket connect)', async () => {
      const heard: string[] = [];
      const { channel, error } = await connect(`ws://127.0.0.1:${port()}/ws`, {
        onReceive: (_ch, message) => void heard.push(String(message)),
        timeout: 3_000,
      });
      expect(error).toBeUndefined();
      channel!.send(`through ${label}`);
      await eventually(() => heard.length === 1, 3_000, 'the echo');
      expect(heard[0]).toMatch(new RegExp(`^[ab]: through ${label}$`));
      channel!.close();
    });

    it('upgrades a WebSocket and echoes through it (ws)', async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port()}/ws`);
      try {
        const failed = new Promise<never>((_, reject) => {
          socket.once('error', reject);
          socket.once('unexpected-response', (_req, res) => reject(new Error(`the handshake was answered ${res.statusCode}`)));
        });
        await within(3_000, 'the ws handshake', Promise.race([once(socket, 'open'), failed]));
        socket.send(`through ${label}`);
        const [message] = await within(3_000, 'the echo', Promise.race([once(socket, 'message'), failed]));
        expect(String(message)).toMatch(new RegExp(`^[ab]: through ${label}$`));
        socket.close();
        await within(3_000, 'the close handshake', once(socket, 'close'));
      } finally {
        socket.terminate();
      }
    });

    more?.({ instances: () => instances, base: () => proxy!.base, client });

    it('steps around an instance that stopped: every request answered by the other', async () => {
      await instances[1].server.stop({ timeout: 500 });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await client.get(`${proxy!.base}/who`, { timeout: 5_000 }));
      expect(answers.map((res) => [res.status, res.headers?.['x-instance']])).toEqual(Array(4).fill([200, 'a']));
    });
  });
}

const ready =
  (client: HttpClient) =>
  async (base: string): Promise<boolean> =>
    (await client.get(`${base}/healthz`, { timeout: 500 })).status === 200;

behindProxy({
  label: 'nginx',
  binary: NGINX,
  start: (a, b, client) =>
    startNginx(NGINX!, {
      http: (_dir, port) =>
        guideBlock('nginx', [
          ['listen 80;', `listen 127.0.0.1:${port};`],
          ['127.0.0.1:8081', `127.0.0.1:${a}`],
          ['127.0.0.1:8082', `127.0.0.1:${b}`],
        ]),
      ready: ready(client),
    }),
  timeouts() {
    const config = guideBlock('nginx');
    return {
      proxy_read_timeout: timeoutMs(config, 'proxy_read_timeout', 's'),
      proxy_send_timeout: timeoutMs(config, 'proxy_send_timeout', 's'),
    };
  },
  more({ instances, base, client }) {
    it('ends a parked long poll on its instance when the client goes away', async () => {
      const leaving = new AbortController();
      const poll = client.get(`${base()}/poll`, { signal: leaving.signal });
      await eventually(() => instances().some((instance) => instance.parked.size === 1), 3_000, 'the poll to park');
      const [instance] = instances().filter((candidate) => candidate.parked.size === 1);
      leaving.abort();
      await within(3_000, 'the aborted poll', poll);
      await eventually(() => instance.parked.size === 0, 3_000, "the instance to see the poll's connection close");
      expect(instance.pollsEnded.at(-1)).toBe('client-closed');
    });
  },
});

behindProxy({
  label: 'HAProxy',
  binary: HAPROXY,
  start: (a, b, client) =>
    startHaproxy(HAPROXY!, {
      config: (_dir, port) =>
        guideBlock('haproxy', [
          ['bind :80', `bind 127.0.0.1:${port}`],
          ['127.0.0.1:8081', `127.0.0.1:${a}`],
          ['127.0.0.1:8082', `127.0.0.1:${b}`],
        ]),
      ready: ready(client),
    }),
  timeouts() {
    const config = guideBlock('haproxy');
    return {
      'timeout server': timeoutMs(config, 'timeout server', 'ms'),
      'timeout client': timeoutMs(config, 'timeout client', 'ms'),
      'timeout tunnel': timeoutMs(config, 'timeout tunnel', 'ms'),
    };
  },
  more({ instances }) {
    it('health-checks both instances with GET /healthz', async () => {
      await eventually(() => instances().every((instance) => instance.healthChecks.length > 0), 4_000, 'a health check on each instance');
      expect(instances().map((instance) => instance.healthChecks[0])).toEqual(['HTTP/1.0', 'HTTP/1.0']);
    });
  },
});
