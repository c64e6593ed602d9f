/**
 * A private HAProxy for tests: no root, run in the foreground (`haproxy -f <cfg> -db`) from a
 * temporary directory, on a free loopback port; the caller gives the whole configuration file.
 * What HAProxy prints is kept, to be shown if it exits or never gets ready.
 *
 * @example
 * const haproxy = await startHaproxy(peer('haproxy')!, {
 *   config: (_dir, port) => `defaults\n  mode http\nfrontend web\n  bind 127.0.0.1:${port}\n  ...`,
 *   ready: async (base) => (await get(`${base}/`)).status === 200,
 * });
 * await haproxy.stop();
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './listen.js';
import { sleep, within } from './wait.js';

export interface PrivateHaproxy {
  /** Its directory (holds haproxy.cfg). */
  dir: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** What HAProxy has printed so far (stdout and stderr, warnings included). */
  output(): string;
  /** Stops HAProxy (SIGTERM, SIGKILL after 2 s), waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** The whole configuration file, given HAProxy's directory and the free port its frontend should bind. */
  config: (dir: string, port: number) => string;
  /** True once HAProxy answers as expected; polled every 50 ms, at most 100 times. */
  ready: (base: string) => Promise<boolean>;
}

/** Starts `binary` (from `peer('haproxy')`) as a private HAProxy; throws with its output if it exits or never gets ready. */
export async function startHaproxy(binary: string, options: HaproxyOptions): Promise<PrivateHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'httpkit-haproxy-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, options.config(dir, port));
  // -db: foreground, no daemon and no master process, so killing this pid stops it all.
  const haproxy = spawn(binary, ['-f', config, '-db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const keep = (chunk: Buffer): void => {
    printed += chunk.toString();
  };
  haproxy.stdout.on('data', keep);
  haproxy.stderr.on('data', keep);
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    haproxy.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    });
    haproxy.once('error', (error) => {
      exitCode = error.message;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (exitCode === null) {
      haproxy.kill('SIGTERM');
      await within(2_000, 'haproxy to exit after SIGTERM', exited).catch(() => {
        haproxy.kill('SIGKILL');
        return exited;
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && exitCode === null; i++) {
    if (await options.ready(base).catch(() => false)) return { dir, port, base, output: () => printed, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(exitCode === null ? `haproxy did not get ready:\n${printed}` : `haproxy exited (${exitCode}):\n${printed}`);
}
