/**
 * Abrupt peers: clients that reset the connection (RST) at random points — mid-head, mid-body,
 * mid-response of a large streamed or file body, while parked on a channel, while a streaming
 * channel or an SSE stream is sending. The server must not crash or log, must release every
 * connection, destroy every streamed body, close every file it opened, and call each channel's
 * onClose exactly once.
 *
 * Reproduce a failure with FUZZ_SEED=<seed>.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asChannel, asEventStream, file, type CloseReason, type Handler, type Request } from '@http-kit/http1';
import { eventually, RawClient, Rng, seedFor, sleep, type Started, trapProcessErrors, useServers } from '@http-kit/test-support';

const SEED = seedFor(0xab2c7e11);
const servers = useServers();
const processErrors = trapProcessErrors();

let dir = '';
const FILE_SIZE = 8 * 1024 * 1024;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'http1-fuzz-abrupt-'));
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(FILE_SIZE, 0x61));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Open file descriptors of this process (Linux). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What the handlers of one run created, to check each was released. */
interface Tracked {
  streams: Readable[];
  generatorsDone: number;
  generatorsStarted: number;
  bodies: Request['body'][];
  closes: Map<number, CloseReason[]>;
  channelsOpened: number;
  producersRunning: number;
  /** Streams and producers stopped by the spin guard (a source pumped into a dead socket). */
  spins: number;
}

function newTracked(): Tracked {
  return {
    streams: [],
    generatorsDone: 0,
    generatorsStarted: 0,
    bodies: [],
    closes: new Map(),
    channelsOpened: 0,
    producersRunning: 0,
    spins: 0,
  };
}

const CHUNK = Buffer.alloc(16 * 1024, 0x62);
/**
 * No client here reads more than a few MB before it resets, so a source asked for more than
 * this many 16 KiB chunks is being pumped into a dead socket (see the dead-socket test): it stops, so
 * the bug shows as a count instead of a hung event loop and an out-of-memory crash.
 */
const SPIN_LIMIT = 5_000;

/** Routes by path; every route either streams without end or holds the request open. */
function handlerFor(t: Tracked): Handler {
  return (req) => {
    const path = req.uri;
    if (path === '/body') {
      // Reads the request body; a reset must end the read (with an error) and destroy the body.
      t.bodies.push(req.body);
      return (async () => {
        try {
          await req.body?.bytes();
        } catch {
          // expected when the client resets
        }
        return 'read';
      })();
    }
    if (path === '/readable') {
      let pushes = 0;
      const stream = new Readable({
        read() {
          if (++pushes > SPIN_LIMIT) {
            t.spins++;
            this.push(null);
            return;
          }
          this.push(CHUNK);
        },
      });
      t.streams.push(stream);
      return { status: 200, body: stream };
    }
    if (path === '/generator') {
      return {
        status: 200,
        body: (async function* () {
          t.generatorsStarted++;
          let pulls = 0;
          try {
            for (;;) {
              yield CHUNK;
              if (++pulls > SPIN_LIMIT) {
                t.spins++;
                return;
              }
              if (Math.random() < 0.1) await sleep(0);
            }
          } finally {
            t.generatorsDone++;
          }
        })(),
      };
    }
    if (path === '/file') return { status: 200, body: file(join(dir, 'big.bin')) };
    const id = t.channelsOpened++;
    const onClose = (reason: CloseReason) => {
      const list = t.closes.get(id) ?? [];
      list.push(reason);
      t.closes.set(id, list);
    };
    if (path === '/park') return asChannel(req, { timeout: 30_000, onClose: (_ch, reason) => onClose(reason) });
    if (path === '/stream') {
      return asChannel(req, {
        onOpen: async (ch) => {
          ch.send({ status: 200, headers: { 'content-type': 'application/octet-stream' } }, false);
          t.producersRunning++;
          try {
            let sends = 0;
            while (ch.isOpen) {
              if (!ch.send(CHUNK)) await ch.drain();
              if (++sends > SPIN_LIMIT) {
                t.spins++;
                break;
              }
            }
          } finally {
            t.producersRunning--;
          }
        },
        onClose: (_ch, reason) => onClose(reason),
      });
    }
    if (path === '/sse') {
      let timer: NodeJS.Timeout | null = null;
      return asEventStream(req, {
        keepAliveInterval: 5,
        onOpen: (stream) => {
          let n = 0;
          timer = setInterval(() => stream.send({ id: n++, data: { n, pad: 'x'.repeat(200) } }), 1);
        },
        onClose: (_stream, reason) => {
          if (timer !== null) clearInterval(timer);
          onClose(reason);
        },
      });
    }
    return { status: 404 };
  };
}

const REQUESTS: Record<string, string> = {
  body: 'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'z'.repeat(5000),
  chunkedBody:
    'POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '1000\r\n' +
    'z'.repeat(4096) +
    '\r\n1000\r\n' +
    'z'.repeat(100),
  readable: 'GET /readable HTTP/1.1\r\nHost: x\r\n\r\n',
  generator: 'GET /generator HTTP/1.1\r\nHost: x\r\n\r\n',
  file: 'GET /file HTTP/1.1\r\nHost: x\r\n\r\n',
  park: 'GET /park HTTP/1.1\r\nHost: x\r\n\r\n',
  parkPipelined:
    'GET /park HTTP/1.1\r\nHost: x\r\n\r\nGET /readable HTTP/1.1\r\nHost: x\r\n\r\nPOST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab',
  stream: 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n',
  sse: 'GET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n',
  stream10: 'GET /stream HTTP/1.0\r\n\r\n',
  readable10: 'GET /readable HTTP/1.0\r\n\r\n',
};

/** One client: sends all or part of a request, waits a random moment, then resets. */
async function resetAt(port: number, rng: Rng): Promise<string> {
  const kind = rng.pick(Object.keys(REQUESTS));
  const bytes = Buffer.from(REQUESTS[kind], 'latin1');
  const client = await RawClient.connect(port);
  const how = rng.int(0, 3);
  if (how === 0) {
    // Mid-request: part of the head or body, then gone.
    await client.writeSplit(bytes.subarray(0, rng.int(1, bytes.length - 1)), [rng.int(1, 40)], rng.int(0, 2));
  } else {
    await client.writeSplit(bytes, [rng.int(1, bytes.length - 1)], rng.int(0, 2));
    if (how === 1) await sleep(rng.int(0, 15));
    else {
      // Mid-response: once some of the answer arrived (or a bound passed, for parked requests).
      const want = rng.int(1, 512 * 1024);
      await client.waitFor((c) => c.received.length >= want, rng.int(5, 60), 'some bytes').catch(() => {});
    }
  }
  client.socket.resetAndDestroy();
  return `${kind}/${how}`;
}

describe(`abrupt peers (seed ${SEED})`, () => {
  it('clients resetting at random points never crash the server or leak', { timeout: 30_000 }, async () => {
    const t = newTracked();
    const started: Started = await servers.start(handlerFor(t), { keepAliveTimeout: 500, headersTimeout: 1_000, bodyTimeout: 1_000 });
    const { server, port, errors, warnings } = started;
    const rng = new Rng(SEED);
    const fdsBefore = openFds();
    const kinds: string[] = [];
    const ROUNDS = 25;
    const PARALLEL = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const rngs = Array.from({ length: PARALLEL }, () => rng.fork());
      kinds.push(...(await Promise.all(rngs.map((r) => resetAt(port, r)))));
    }
    const label = `seed=${SEED}`;
    await eventually(() => server.connectionCount === 0, 3_000, `${label}: connectionCount 0 (is ${server.connectionCount})`);
    await eventually(() => server.pendingCount === 0, 1_000, `${label}: pendingCount 0`);
    await eventually(() => t.producersRunning === 0, 1_000, `${label}: streaming producers stopped`);
    await eventually(
      () => t.streams.every((s) => s.destroyed) && t.generatorsDone === t.generatorsStarted,
      1_000,
      `${label}: streamed bodies released`,
    );
    await eventually(
      () => t.bodies.every((b) => b === null || b.destroyed || b.readableEnded),
      1_000,
      `${label}: request bodies ended or destroyed`,
    );
    // Every channel opened got exactly one onClose, and it says the client went.
    for (let id = 0; id < t.channelsOpened; id++) {
      expect(t.closes.get(id), `${label}: channel ${id} onClose calls`).toEqual(['client-closed']);
    }
    // Every file opened for a response was closed again.
    await eventually(() => openFds() <= fdsBefore, 1_000, `${label}: file descriptors back to ${fdsBefore} (are ${openFds()})`);
    expect(
      errors.map((e) => `${e.message}: ${String(e.error)}`),
      label,
    ).toEqual([]);
    expect(warnings, label).toEqual([]);
    expect(processErrors, label).toEqual({ uncaught: [], unhandled: [] });
    // Sanity: the scenarios were actually reached.
    expect(t.channelsOpened, label).toBeGreaterThan(10);
    expect(t.streams.length + t.generatorsStarted, label).toBeGreaterThan(10);

    // The server still serves, and stops at once.
    const client = await RawClient.connect(port);
    await client.write('GET /readable HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((c) => c.received.length > 100_000, 2_000, 'a streamed answer');
    client.destroy();
    await eventually(() => server.connectionCount === 0, 1_000, `${label}: last connection closed`);
    const stopAt = Date.now();
    await server.stop({ timeout: 1_000 });
    expect(Date.now() - stopAt, label).toBeLessThan(200);
    expect(t.spins, `seed=${SEED}: sources pumped into a dead socket`).toBe(0);
    console.log(
      `fuzz-abrupt-peers ${label}: ${t.spins} sources pumped into a dead socket; ${kinds.length} resets, ${t.channelsOpened} channels, ${t.streams.length + t.generatorsStarted} streamed bodies, ${t.bodies.length} request bodies`,
    );
  });

  it('a client resetting while the server stops does not hold stop() up', { timeout: 10_000 }, async () => {
    const t = newTracked();
    const { server, port, errors } = await servers.start(handlerFor(t));
    const rng = new Rng(SEED ^ 0x55);
    const clients = await Promise.all(Array.from({ length: 12 }, () => RawClient.connect(port)));
    const paths = ['/park', '/stream', '/sse', '/readable', '/file', '/generator'];
    await Promise.all(clients.map((c, i) => c.write(`GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: x\r\n\r\n`)));
    await eventually(() => t.channelsOpened >= 6, 1_000, 'channels opened');
    await sleep(10);
    const stopping = server.stop({ timeout: 300 });
    for (const c of clients) {
      await sleep(rng.int(0, 3));
      c.socket.resetAndDestroy();
    }
    const stopAt = Date.now();
    await stopping;
    expect(Date.now() - stopAt, `seed=${SEED}`).toBeLessThan(500);
    expect(server.connectionCount).toBe(0);
    expect(server.pendingCount).toBe(0);
    for (let id = 0; id < t.channelsOpened; id++) expect(t.closes.get(id)?.length, `seed=${SEED}: channel ${id}`).toBe(1);
    await eventually(
      () => t.streams.every((s) => s.destroyed) && t.generatorsDone === t.generatorsStarted,
      1_000,
      'streamed bodies released',
    );
    expect(errors.filter((e) => !/failed mid-body/.test(e.message))).toEqual([]);
  });

  // A failed write (EPIPE / ECONNRESET after a reset) destroys the server's socket a turn of the
  // event loop before 'close': the connection must count as closed at once, or a pump (or a
  // `while (ch.isOpen) if (!ch.send(x)) await ch.drain()` loop) would spin in microtasks forever.
  // Endless Readable bodies, 8 clients at once each resetting 0-3 ms after sending.
  it('a source pumped to a client that reset is stopped, not spun on (event loop stays live)', { timeout: 20_000 }, async () => {
    let spins = 0;
    let maxGap = 0;
    let last = Date.now();
    const heartbeat = setInterval(() => {
      maxGap = Math.max(maxGap, Date.now() - last);
      last = Date.now();
    }, 5);
    const { server, port } = await servers.start(() => {
      let pushes = 0;
      const stream = new Readable({
        read() {
          if (++pushes > SPIN_LIMIT) {
            spins++;
            this.push(null);
            return;
          }
          this.push(CHUNK);
        },
      });
      return { status: 200, body: stream };
    });
    try {
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const client = await RawClient.connect(port);
            await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
            await sleep(i % 4);
            client.socket.resetAndDestroy();
          }),
        );
      }
      await eventually(() => server.connectionCount === 0, 2_000, 'connections closed');
    } finally {
      clearInterval(heartbeat);
    }
    expect({ spins, stalled: maxGap > 250 }, `seed=${SEED}, longest event-loop gap ${maxGap} ms`).toEqual({ spins: 0, stalled: false });
  });
});
