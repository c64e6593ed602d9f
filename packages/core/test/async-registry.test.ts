import { describe, expect, it } from 'vitest';
import { AsyncRegistry, ChunkQueue, TimerWheel } from '@http-kit/core';
import { sleep } from '@http-kit/test-support';

class Parked {
  timedOut = 0;
  onTimeout(): void {
    this.timedOut++;
  }
}

describe('AsyncRegistry', () => {
  it('counts what it holds and forgets what is deleted', () => {
    const registry = new AsyncRegistry<Parked>(new TimerWheel());
    const items = Array.from({ length: 1000 }, () => new Parked());
    for (const item of items) registry.add(item, 60_000);
    expect(registry.size).toBe(1000);
    for (const item of items) expect(registry.delete(item)).toBe(true);
    expect(registry.size).toBe(0);
    expect(registry.delete(items[0])).toBe(false);
  });

  it('times out an item still registered at its deadline, once', async () => {
    const wheel = new TimerWheel({ tickMs: 5 });
    const registry = new AsyncRegistry<Parked>(wheel);
    const late = new Parked();
    const answered = new Parked();
    registry.add(late, 20);
    registry.add(answered, 20);
    registry.delete(answered);
    await sleep(80);
    expect(late.timedOut).toBe(1);
    expect(answered.timedOut).toBe(0);
    expect(wheel.size).toBe(0);
  });

  it('moves a deadline with setTimeout', async () => {
    const registry = new AsyncRegistry<Parked>(new TimerWheel({ tickMs: 5 }));
    const item = new Parked();
    registry.add(item);
    registry.setTimeout(item, 20);
    await sleep(70);
    expect(item.timedOut).toBe(1);
  });
});

describe('ChunkQueue', () => {
  it('keeps order, byte count, and puts a partly read chunk back in front', () => {
    const queue = new ChunkQueue();
    queue.push(Buffer.from('abc'));
    queue.push(Buffer.from('def'));
    expect(queue.bytes).toBe(6);
    const first = queue.shift()!;
    queue.unshift(first.subarray(1));
    expect(queue.bytes).toBe(5);
    expect(queue.drain().toString()).toBe('bcdef');
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
  });
});
