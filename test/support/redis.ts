/**
 * A private redis-server for tests: on a free loopback port, no persistence, its directory in a
 * temporary folder; it can be killed and started again on the same port (a Redis restart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './listen.js';
import { sleep } from './wait.js';

export interface PrivateRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Kills the server (SIGKILL: connections drop as in a crash); `start()` brings it back on the same port (and does nothing while it runs). */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Kills it for good and removes its directory. */
  stop(): Promise<void>;
}

/** True once Redis answers PING on `port`. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString('latin1').startsWith('+PONG')));
  });
}

export interface RedisOptions {
  /** Keeps the data through a kill (an append-only file, synced on every write), as a production Redis would. */
  persist?: boolean;
}

/** Starts `binary` (from `peer('redis-server')`); throws with its output if it never answers. */
export async function startRedis(binary: string, options: RedisOptions = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'httpkit-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    if (child !== null) return; // already running
    const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--protected-mode', 'yes'];
    const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.on('data', (data: Buffer) => (output = (output + data.toString()).slice(-4000)));
    started.stderr!.on('data', (data: Buffer) => (output = (output + data.toString()).slice(-4000)));
    for (let i = 0; i < 100; i++) {
      if (await answersPing(port)) return;
      if (started.exitCode !== null) break;
      await sleep(50);
    }
    started.kill('SIGKILL');
    child = null;
    throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`);
  };

  const kill = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
