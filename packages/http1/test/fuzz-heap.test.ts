/**
 * Bad requests leave nothing behind: after 2,000 malformed, oversized, truncated and randomly
 * damaged requests the connection set and channel registry are empty, the requests a handler
 * saw are garbage collected, and the heap is back where it started (within noise).
 *
 * Full collections come from fullGc (test/support/heap.ts). Reproduce a failure with
 * FUZZ_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, type Request } from '@http-kit/http1';
import { eventually, exchange, fullGc, Rng, seedFor, trapProcessErrors, useServers } from '@http-kit/test-support';

const SEED = seedFor(0x4ea9);
const servers = useServers();
const processErrors = trapProcessErrors();
const REQUESTS = 2_000;
const PARALLEL = 32;

const BAD: Array<(rng: Rng) => string> = [
  () => 'GET / HTTP/1.1\r\nHost: x\r\nNo Colon Here\r\n\r\n',
  () => 'GET / HTTP/1.1\r\n\r\n',
  () => 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n',
  () => `GET /${'u'.repeat(3000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  () => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(5000)}\r\n\r\n`,
  () => 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx',
  () => 'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
  // Dispatched first, then the body breaks: the handler's request must not be kept.
  (rng) =>
    `POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n${rng.pick(['zz', '-1', '5\r\nhelloXX'])}\r\n`,
  (rng) => `POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab${rng.pick(['', 'c'])}`,
  () => 'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n0123456789',
  (rng) => {
    // Random bytes after a valid start.
    let text = 'GET /r HTTP/1.1\r\nHost: x\r\n';
    for (let i = rng.int(1, 40); i > 0; i--) text += String.fromCharCode(rng.int(0, 255));
    return text + '\r\n\r\n';
  },
  (rng) => 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'.slice(0, rng.int(1, 25)),
];

describe(`heap after bad requests (seed ${SEED})`, () => {
  it(`${REQUESTS} bad requests leave no connection, channel, request or heap behind`, { timeout: 60_000 }, async () => {
    const rng = new Rng(SEED);
    let errorCount = 0;
    let warnCount = 0;
    let dispatched = 0;
    const samples: Array<WeakRef<Request>> = [];
    const { server, port } = await servers.start(
      async (req) => {
        if (dispatched++ % 5 === 0) samples.push(new WeakRef(req));
        if (req.uri === '/park') return asChannel(req, { timeout: 10_000 });
        if (req.uri === '/read') return `read ${(await req.body?.text())?.length}`;
        return 'ok';
      },
      {
        maxBody: 64 * 1024,
        maxLine: 2048,
        maxHeaderSize: 4096,
        keepAliveTimeout: 300,
        headersTimeout: 300,
        bodyTimeout: 300,
        // Counters, not lists: the test must not hold what it measures.
        errorLogger: () => void errorCount++,
        warnLogger: () => void warnCount++,
      },
    );

    const statuses = new Map<number, number>();
    /** `count` requests, PARALLEL at a time (a pool, so one slow timeout does not hold a batch). */
    const run = async (count: number): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next++ < count) {
          const bytes = rng.pick(BAD)(rng);
          const result = await exchange(port, bytes, { halfClose: rng.chance(0.8), timeout: 2_000 });
          if (result.timedOut) throw new Error(`seed=${SEED}: no close within 2 s for ${JSON.stringify(bytes.slice(0, 200))}`);
          for (const response of result.responses) statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      await eventually(
        () => server.connectionCount === 0 && server.pendingCount === 0,
        3_000,
        `seed=${SEED}: connections and channels released`,
      );
    };

    await run(200); // warm up: JIT, parser pool, wheel slots
    samples.length = 0;
    const before = await fullGc();
    await run(REQUESTS);
    const after = await fullGc();

    const alive = samples.filter((ref) => ref.deref() !== undefined).length;
    const growthKb = (after - before) / 1024;
    console.log(
      `fuzz-heap seed=${SEED}: ${REQUESTS} bad requests; heap ${(before / 1048576).toFixed(1)} -> ${(after / 1048576).toFixed(1)} MB; ` +
        `${alive}/${samples.length} sampled requests reachable; statuses ${[...statuses].map(([s, n]) => `${s}:${n}`).join(' ')}; ${errorCount} errors logged`,
    );
    expect(server.connectionCount).toBe(0);
    expect(server.pendingCount).toBe(0);
    expect(warnCount).toBe(0);
    expect(samples.length).toBeGreaterThan(20);
    expect(alive, `seed=${SEED}`).toBe(0);
    // A leaked connection (socket, parser state, request) is well over 1 KB: 2,000 of them would
    // add several MB. Allow 1.5 MB for noise.
    expect(growthKb, `seed=${SEED}`).toBeLessThan(1.5 * 1024);
    expect(processErrors).toEqual({ uncaught: [], unhandled: [] });
  });
});
