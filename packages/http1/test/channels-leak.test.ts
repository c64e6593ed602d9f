/**
 * No leak across 10,000 connect / park / disconnect cycles: every channel's onClose runs, the
 * registry and the connection set end empty, the channels themselves are garbage collected
 * (checked with WeakRefs after a full GC, from fullGc in test/support/heap.ts), and the heap
 * does not grow with the cycle count.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, asEventStream, type CloseReason } from '@http-kit/http1';
import { eventually, fullGc, RawClient, useServers } from '@http-kit/test-support';

const servers = useServers();
const CYCLES = 10_000;
const BATCH = 200;
/** One WeakRef per this many channels. */
const SAMPLE_EVERY = 50;

describe('10K connect / disconnect cycles', () => {
  it('leave no channel, connection or heap behind', { timeout: 120_000 }, async () => {
    let opened = 0;
    let closedCount = 0;
    const reasons = new Map<CloseReason, number>();
    const samples: Array<WeakRef<object>> = [];
    const { port, server, errors, warnings } = await servers.start((req) => {
      const kind = opened % 3;
      const onClose = (_c: unknown, reason: CloseReason) => {
        closedCount++;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      };
      if (kind === 2) {
        return asEventStream(req, {
          keepAliveInterval: 1_000,
          onOpen: (stream) => {
            if (opened++ % SAMPLE_EVERY === 0) samples.push(new WeakRef(stream), new WeakRef(stream.channel));
          },
          onClose,
        });
      }
      return asChannel(req, {
        timeout: 30_000, // a timer on the wheel per channel: cancelled on close
        onOpen(ch) {
          if (opened++ % SAMPLE_EVERY === 0) samples.push(new WeakRef(ch), new WeakRef(ch.request));
          if (kind === 1) ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'streaming' }, false);
        },
        onClose,
      });
    });

    const cycle = async (count: number): Promise<void> => {
      const target = opened + count;
      const clients = await Promise.all(Array.from({ length: count }, () => RawClient.connect(port, { timeout: 5_000 })));
      await Promise.all(clients.map((c, i) => c.write(`GET /poll/${i} HTTP/1.1\r\nHost: x\r\n\r\n`)));
      await eventually(() => opened >= target, 5_000, `${target} channels open`);
      for (const c of clients) c.destroy();
      await eventually(() => closedCount >= target && server.connectionCount === 0, 5_000, `${target} channels closed`);
    };

    // Warm up (JIT, parser pool, wheel slots), then take the baseline.
    await cycle(BATCH);
    samples.length = 0;
    const before = await fullGc();
    const startedAt = Date.now();
    for (let done = 0; done < CYCLES; done += BATCH) await cycle(BATCH);
    const elapsed = Date.now() - startedAt;
    const after = await fullGc();

    expect(opened).toBe(CYCLES + BATCH);
    expect(closedCount).toBe(CYCLES + BATCH);
    expect([...reasons.entries()]).toEqual([['client-closed', CYCLES + BATCH]]);
    expect(server.pendingCount).toBe(0);
    expect(server.connectionCount).toBe(0);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);

    const alive = samples.filter((ref) => ref.deref() !== undefined).length;
    const growthKb = (after - before) / 1024;
    console.log(
      `channels-leak: ${CYCLES} cycles in ${elapsed} ms; heap ${(before / 1048576).toFixed(1)} -> ${(after / 1048576).toFixed(1)} MB (${((growthKb / CYCLES) * 1024).toFixed(1)} B/cycle); ${alive}/${samples.length} sampled objects still reachable`,
    );
    expect(samples.length).toBe((2 * CYCLES) / SAMPLE_EVERY);
    expect(alive).toBe(0);
    // A leaked channel with its connection, socket and request is well over 1 KB; 10K of them
    // would add >10 MB. Allow 3 MB for noise (JIT code, V8's own caches).
    expect(growthKb).toBeLessThan(3 * 1024);
  });
});
