// The built `http-kit-load` bin (dist/cli.js, built first when missing or stale) run as a user
// runs it: against node:http, with --json and --report, with --workers 2, and with wrong
// arguments (exit 2 and a message naming the value).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '@http-kit/load';
import { closeAfterEach, httpServer } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages/load/dist/cli.js');
const servers = closeAfterEach();
const dir = mkdtempSync(join(tmpdir(), 'http-kit-load-'));

function newestSource(path: string): number {
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  const stale = ['core', 'http1', 'websocket', 'load'].some((pkg) => {
    const built = join(ROOT, 'packages', pkg, 'dist/index.js');
    return !existsSync(built) || statSync(built).mtimeMs < newestSource(join(ROOT, 'packages', pkg, 'src'));
  });
  if (stale) execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

async function hello() {
  const server = await httpServer((_req, res) => res.end('hello'));
  servers.push(server);
  return server;
}

describe('http-kit-load (built bin)', () => {
  it('runs, prints progress and a summary, and writes --json and a self-contained --report', async () => {
    const server = await hello();
    const json = join(dir, 'result.json');
    const report = join(dir, 'report.html');
    const { code, stdout, stderr } = await run([`${server.url}/`, '-c', '3', '-d', '1.2', '--json', json, '--report', report]);
    expect(stderr).toMatch(/^\[1s\] [\d,]+ responses\/s {2}p99 /m);
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 connections/);
    expect(stdout).toMatch(/latency: p50 .* p99\.9 .* max /);
    const result = JSON.parse(readFileSync(json, 'utf8')) as LoadResult;
    expect(result.mode).toBe('http');
    expect(result.open.opened).toBe(3);
    expect(result.counters.answers).toBeGreaterThan(0);
    expect(result.counters.errors).toEqual({});
    expect(result.latency.count).toBe(result.counters.answers);
    expect(result.histogram.count).toBe(result.latency.count);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)?.length).toBe(3);
    // Self-contained: nothing is fetched (the only URLs are the SVG namespace and the target).
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
  });

  it('--workers 2 splits the connections over two processes and merges their histograms', async () => {
    const server = await hello();
    const { code, stdout } = await run([`${server.url}/`, '-c', '4', '-d', '1', '-w', '2', '-q', '--json', '-']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as LoadResult;
    expect(result.processes).toBe(2);
    expect(result.connections).toBe(4);
    expect(result.open.opened).toBe(4);
    expect(server.connections).toBe(4);
    expect(result.histogram.count).toBe(result.counters.answers);
    expect(result.latency.count).toBe(result.counters.answers);
  });

  it('explains the open-file limit before it fails: more connections than ulimit -n allows', async () => {
    const server = await hello();
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        'sh',
        ['-c', `ulimit -n 256 && exec "${process.execPath}" "${BIN}" ${server.url}/ -c 1000 -d 1`],
        { timeout: 20_000, encoding: 'utf8' },
        (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr }),
      );
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/the open-file limit \(ulimit -n\) is 256, and 1000 connections need about 1064 file descriptors/);
    // Node raises its soft limit to the hard one at start: the hard one is what must be raised.
    expect(outcome.stderr).toMatch(/the hard limit is 256 too: raise it as root/);
    // Nothing was opened.
    expect(server.connections).toBe(0);
  });

  it('--sessions, --drop, --reset: clients that come and go, counted in the summary and the JSON', async () => {
    const server = await hello();
    const { code, stdout, stderr } = await run([
      `${server.url}/`,
      '-c',
      '3',
      '-d',
      '0.5',
      '-q',
      '--sessions',
      '2-4',
      '--drop',
      '0.3',
      '--reset',
      '0.3',
      '--json',
      '-',
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/sessions ended by the client: [\d,]+ \([\d,]+ closed, [\d,]+ dropped, [\d,]+ reset\)/);
    // Those open at the end (one between two sessions is not): each closed by the server.
    expect(stderr).toMatch(/closing: ([1-3])\/\1 closed by the server, the last [\d.]+ ms after the client's close/);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as LoadResult;
    expect(result.counters.sessions).toBeGreaterThan(3);
    expect(result.counters.drops).toBeGreaterThanOrEqual(result.counters.resets);
    expect(server.connections).toBeGreaterThanOrEqual(result.counters.sessions);
  });

  it('exits 2 naming the wrong argument', async () => {
    const range = await run(['http://127.0.0.1:1/', '--sessions', '5-x']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/--sessions wants N or N-M \(non-negative integers\), got "5-x"/);
    const fraction = await run(['http://127.0.0.1:1/', '--sessions', '3', '--drop', '2']);
    expect(fraction.code).toBe(2);
    expect(fraction.stderr).toMatch(/dropFraction must be a number from 0 to 1, got 2/);
    const bad = await run(['http://127.0.0.1:1/', '-c', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--connections wants a non-negative number, got "many"/);
    const mode = await run(['http://127.0.0.1:1/', '--mode', 'udp']);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/mode must be one of http, pipeline, longpoll, sse, websocket, got "udp"/);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/the target URL is missing/);
  });
});
