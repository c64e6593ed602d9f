import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { Timer, TimerWheel } from '@http-kit/core';
import { sleep } from '@http-kit/test-support';

describe('TimerWheel', () => {
  it('fires timers after their delay, in deadline order, within one tick of it', async () => {
    const wheel = new TimerWheel({ tickMs: 10 });
    const fired: Array<[string, number]> = [];
    const start = performance.now();
    const make = (name: string) => new Timer((n: string) => fired.push([n, performance.now() - start]), name);
    wheel.schedule(make('c'), 90);
    wheel.schedule(make('a'), 30);
    wheel.schedule(make('b'), 60);
    expect(wheel.size).toBe(3);
    await sleep(200);
    expect(fired.map(([name]) => name)).toEqual(['a', 'b', 'c']);
    for (const [name, at] of fired) {
      const due = { a: 30, b: 60, c: 90 }[name]!;
      expect(at).toBeGreaterThanOrEqual(due - 1);
      expect(at).toBeLessThan(due + 80); // one tick plus a loaded machine's event-loop lag
    }
    expect(wheel.size).toBe(0);
  });

  it('cancels in O(1) and never fires a cancelled timer', async () => {
    const wheel = new TimerWheel({ tickMs: 5 });
    let fired = 0;
    const timers = Array.from({ length: 10_000 }, () => new Timer(() => fired++, null));
    for (const timer of timers) wheel.schedule(timer, 20);
    for (let i = 0; i < timers.length; i += 2) timers[i].cancel();
    expect(wheel.size).toBe(5_000);
    await sleep(80);
    expect(fired).toBe(5_000);
    expect(wheel.size).toBe(0);
  });

  it('moves a timer when it is scheduled again (keep-alive re-arming)', async () => {
    const wheel = new TimerWheel({ tickMs: 5 });
    let fired = 0;
    const timer = new Timer(() => fired++, null);
    wheel.schedule(timer, 30);
    await sleep(15);
    wheel.schedule(timer, 60);
    await sleep(30);
    expect(fired).toBe(0);
    expect(timer.armed).toBe(true);
    await sleep(80);
    expect(fired).toBe(1);
    expect(timer.armed).toBe(false);
  });

  it('handles timers longer than one turn of the wheel', async () => {
    const wheel = new TimerWheel({ tickMs: 2, slots: 8 }); // one turn = 16 ms
    let firedAt = 0;
    const start = performance.now();
    wheel.schedule(new Timer(() => (firedAt = performance.now() - start), null), 50);
    await sleep(120);
    expect(firedAt).toBeGreaterThanOrEqual(49);
  });

  it('lets a callback cancel or re-arm other timers in the same slot', async () => {
    const wheel = new TimerWheel({ tickMs: 10 });
    const log: string[] = [];
    const second = new Timer(() => log.push('second'), null);
    const third = new Timer(() => log.push('third'), null);
    const first = new Timer(() => {
      log.push('first');
      second.cancel();
      wheel.schedule(third, 40);
    }, null);
    wheel.schedule(third, 20);
    wheel.schedule(second, 20);
    wheel.schedule(first, 20);
    await sleep(120);
    expect(log).toEqual(['first', 'third']);
  });

  it('reports a throwing callback and keeps firing the others', async () => {
    const errors: unknown[] = [];
    const wheel = new TimerWheel({ tickMs: 5, onError: (error) => errors.push(error) });
    let fired = 0;
    wheel.schedule(
      new Timer(() => {
        throw new Error('boom');
      }, null),
      10,
    );
    wheel.schedule(new Timer(() => fired++, null), 10);
    await sleep(60);
    expect(fired).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('does not keep the process alive', () => {
    // Run the wheel in a plain Node process: transpile the module, arm a 60 s timer, and the
    // process must still exit at once.
    const source = readFileSync(fileURLToPath(new URL('../src/timer-wheel.ts', import.meta.url)), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'wheel-'));
    const module = join(dir, 'timer-wheel.mjs');
    writeFileSync(module, transformSync(source, { loader: 'ts', format: 'esm' }).code);
    const script = `
      const { defaultWheel, Timer } = await import(${JSON.stringify(module)});
      defaultWheel.schedule(new Timer(() => console.log('fired'), null), 60_000);
      console.log('armed', defaultWheel.size);
    `;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stdout).toContain('armed 1');
    expect(result.stdout).not.toContain('fired');
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
