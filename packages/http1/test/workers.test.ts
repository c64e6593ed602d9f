/**
 * `runServer(handler, { workers: 2 })` over node:cluster, run as a program does: the fixture
 * (test/fixtures/workers-app.mjs, on the built packages) runs in the primary and in each worker.
 * Both workers serve the one port the primary shares (port 0 included), a killed worker is
 * replaced, stop() ends every worker and lets the primary exit, a listen that fails in the workers
 * rejects in the primary, and a hub message published in one worker reaches a long poll parked in
 * the other exactly once. Loopback only; every process is killed after the tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, within } from '@http-kit/test-support';
import { InvalidArgumentError, runServer } from '@http-kit/http1';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/workers-app.mjs', import.meta.url));
const children: ChildProcess[] = [];
const workerPids = new Set<number>();

/** The newest modification time under `dir` (its .ts files). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  // The fixture runs on dist/: build it when missing or older than the sources.
  const stale = ['core', 'http1'].some((pkg) => {
    const built = join(ROOT, 'packages', pkg, 'dist/index.js');
    return !existsSync(built) || statSync(built).mtimeMs < newestSource(join(ROOT, 'packages', pkg, 'src'));
  });
  if (stale) execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 });
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of workerPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

interface WorkerInfo {
  pid: number;
  state: string;
}

/** The fixture's primary: its JSON lines on stdout, and a command to send it. */
class Program {
  readonly child: ChildProcess;
  private readonly lines: Array<Record<string, unknown>> = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [FIXTURE], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(this.child);
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = JSON.parse(pending.slice(0, newline)) as Record<string, unknown>;
        pending = pending.slice(newline + 1);
        for (const worker of (line.workers as WorkerInfo[] | undefined) ?? []) workerPids.add(worker.pid);
        this.lines.push(line);
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** The first line (from now on, or already printed) that has `key`. */
  async line(key: string, after = 0, timeout = 10_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await eventually(
      () => (found = this.lines.slice(after).find((line) => key in line)) !== undefined,
      timeout,
      `a line with ${key}; stderr ${this.stderr}`,
    );
    return found!;
  }

  async workers(): Promise<WorkerInfo[]> {
    const from = this.lines.length;
    this.child.stdin!.write('workers\n');
    return (await this.line('status', from)).workers as WorkerInfo[];
  }

  send(command: string): number {
    const from = this.lines.length;
    this.child.stdin!.write(`${command}\n`);
    return from;
  }
}

/** GET `path` on a new connection (or on `agent`'s kept-alive one); the body as text. */
function get(port: number, path: string, agent: Agent | false = false, timeout = 5_000): Promise<string> {
  return within(
    timeout,
    `GET ${path}`,
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (text: string) => (body += text))
          .on('end', () => resolve(body))
          .on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
  );
}

/** New connections until both pids answered (round robin hands them out in turn). */
async function servingPids(port: number, expected: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 40 && pids.size < expected; i++) pids.add(Number(await get(port, '/pid')));
  return pids;
}

describe('runServer({ workers: 2 })', () => {
  let program: Program;
  let port: number;

  beforeAll(async () => {
    program = new Program({ PORT: '0', WORKERS: '2' });
    const ready = await program.line('ready');
    port = ready.port as number;
    expect(port).toBeGreaterThan(0);
    expect((ready.workers as WorkerInfo[]).map((w) => w.state)).toEqual(['listening', 'listening']);
  });

  it('serves one port (port 0 included) from both workers, not from the primary', async () => {
    const workers = await program.workers();
    const pids = await servingPids(port, 2);
    expect([...pids].sort()).toEqual(workers.map((w) => w.pid).sort());
    expect(pids.has(program.child.pid!)).toBe(false);
  });

  it('delivers a hub message published in one worker to a long poll parked in the other, once', async () => {
    // Kept-alive connections stay with the worker that accepted them: open some until each worker has what the test needs.
    const agents: Agent[] = [];
    const byPid = new Map<number, Agent[]>();
    try {
      for (let i = 0; i < 20 && !([...byPid.values()].some((a) => a.length >= 2) && byPid.size === 2); i++) {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        agents.push(agent);
        const pid = Number(await get(port, '/pid', agent));
        byPid.set(pid, [...(byPid.get(pid) ?? []), agent]);
      }
      const [parkedPid, [pollAgent, askAgent]] = [...byPid].find(([, list]) => list.length >= 2)!;
      const [publishPid, [publishAgent]] = [...byPid].find(([pid]) => pid !== parkedPid)!;
      const topic = 'chat';
      const poll = get(port, `/poll?topic=${topic}`, pollAgent, 8_000);
      // Two subscribers in the parked worker: the fixture's own counter, and the poll.
      let parked = '';
      for (const deadline = Date.now() + 3_000; parked !== '2' && Date.now() < deadline; )
        parked = await get(port, `/subscribers?topic=${topic}`, askAgent);
      expect(parked).toBe('2');
      expect(await get(port, '/publish?topic=chat&text=hello', publishAgent)).toBe('ok');
      const answer = JSON.parse(await poll) as { pid: number; message: { text: string; from: number } };
      expect(answer).toEqual({ pid: parkedPid, message: { text: 'hello', from: publishPid } });
      // Each worker's own subscriber got it exactly once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(JSON.parse(await get(port, '/received?topic=chat', askAgent))).toEqual([{ text: 'hello', from: publishPid }]);
      expect(JSON.parse(await get(port, '/received?topic=chat', publishAgent))).toEqual([{ text: 'hello', from: publishPid }]);
    } finally {
      for (const agent of agents) agent.destroy();
    }
  });

  it('replaces a killed worker with a new process that serves', async () => {
    const before = await program.workers();
    process.kill(before[0].pid, 'SIGKILL');
    let after: WorkerInfo[] = before;
    for (
      const deadline = Date.now() + 5_000;
      (after[0].pid === before[0].pid || after[0].state !== 'listening') && Date.now() < deadline;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await program.workers();
    }
    expect(after[0].pid).not.toBe(before[0].pid);
    expect(after[0].state).toBe('listening');
    expect(after[1]).toEqual(before[1]);
    const pids = await servingPids(port, 2);
    expect(pids).toEqual(new Set([after[0].pid, after[1].pid]));
  });

  it('backs off: the same slot dying again quickly waits twice as long (200 ms) for its replacement', async () => {
    const before = await program.workers();
    const killedAt = Date.now();
    process.kill(before[0].pid, 'SIGKILL');
    let after: WorkerInfo[] = before;
    for (const deadline = Date.now() + 5_000; after[0].pid === before[0].pid && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await program.workers();
    }
    expect(after[0].pid).not.toBe(before[0].pid);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(200);
    for (const deadline = Date.now() + 5_000; after[0].state !== 'listening' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await program.workers();
    }
    expect(after[0].state).toBe('listening');
  });

  it('stop() ends every worker, then the primary exits', async () => {
    const workers = await program.workers();
    const from = program.send('stop');
    const stopped = await program.line('stopped', from, 8_000);
    expect(stopped.status).toBe('stopped');
    expect((stopped.workers as WorkerInfo[]).map((w) => w.state)).toEqual(['exited', 'exited']);
    expect(await within(5_000, 'the primary to exit', program.exited)).toBe(0);
    for (const { pid } of workers) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('the workers option', () => {
  it('is a non-negative integer, refused otherwise in words', async () => {
    for (const bad of [-1, 1.5, '2', null]) {
      await expect(runServer(() => 'x', { port: 0, workers: bad as never })).rejects.toThrow(InvalidArgumentError);
    }
    await expect(runServer(() => 'x', { port: 0, workers: -1 })).rejects.toThrow(
      /workers must be a non-negative integer \(processes; 0 for none\), got -1/,
    );
  });

  it('checks the other options in the primary too, before forking anything', async () => {
    await expect(runServer(() => 'x', { port: 0, workers: 2, maxBody: -1 })).rejects.toThrow(/maxBody/);
    await expect(runServer(() => 'x', { port: 0, workers: 2, serverHeader: 'a\nb' })).rejects.toThrow(/serverHeader/);
  });

  it('0 serves in this process, with no workers to report', async () => {
    const server = await runServer(() => 'x', { ip: '127.0.0.1', port: 0, workers: 0 });
    try {
      expect(server.workers).toEqual([]);
      expect(await get(server.port, '/')).toBe('x');
    } finally {
      await server.stop({ timeout: 100 });
    }
  });
});

describe('runServer({ workers: 2 }) on a port in use', () => {
  let busy: Server;
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it("rejects in the primary with the workers' ListenError, and the program exits", async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const program = new Program({ PORT: String((busy.address() as { port: number }).port), WORKERS: '2' });
    const failed = await program.line('error');
    expect(failed).toMatchObject({ error: 'HTTPKIT_LISTEN', systemCode: 'EADDRINUSE' });
    await within(5_000, 'the program to exit', program.exited);
  });
});
