// The built command (dist/cli.js, as npm installs it) against our server with a few cases, and
// against the broken server: its exit status, its summary, --json and --report.
import '@http-kit/websocket';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asChannel, type HttpServer, runServer } from '@http-kit/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokenServer, brokenWebSocketServer } from './broken-peers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages/conformance/dist/cli.js');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

let ours: HttpServer;
let broken: BrokenServer;
let dir: string;

beforeAll(async () => {
  // The command runs from dist/: build it when missing or older than the sources.
  const stale = ['core', 'http1', 'websocket', 'conformance'].some((pkg) => {
    const built = join(ROOT, 'packages', pkg, 'dist/index.js');
    return !existsSync(built) || statSync(built).mtimeMs < newest(join(ROOT, 'packages', pkg, 'src'));
  });
  if (stale) execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 90_000 });
  ours = await runServer((req) => asChannel(req, { onReceive: (ch, message) => ch.send(message) }), { ip: '127.0.0.1', port: 0 });
  broken = await brokenWebSocketServer();
  dir = mkdtempSync(join(tmpdir(), 'conformance-cli-'));
}, 120_000);

afterAll(async () => {
  await ours?.stop({ timeout: 500 });
  await broken?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('http-kit-conformance websocket-server', () => {
  it('exits 0 against our server, writing the JSON and the HTML report', async () => {
    const json = join(dir, 'ours.json');
    const html = join(dir, 'ours.html');
    const result = await run([
      'websocket-server',
      `ws://127.0.0.1:${ours.port}/`,
      '--cases',
      '1.1.*,2.*,!2.x.*,5.3,6.4.1,7.7.*,14.5',
      '--json',
      json,
      '--report',
      html,
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/35 cases in [\d.]+ s/);
    expect(result.stdout).toMatch(/OK 35, NON-STRICT 0, INFORMATIONAL 0, UNIMPLEMENTED 0, FAILED 0/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.suite).toBe('websocket-server');
    expect(report.results.map((r: { id: string }) => r.id).slice(0, 3)).toEqual(['1.1.1', '1.1.2', '1.1.3']);
    const fastFail = report.results.find((r: { id: string }) => r.id === '6.4.1');
    expect(fastFail.behavior).toBe('OK');
    expect(fastFail.transcript.join('\n')).toMatch(/< \[op 8 /);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('2 Pings/Pongs');
    expect(page).not.toMatch(/<script|<link|src="http/);
  }, 60_000);

  it('exits 1 against the broken server and names the failed cases', async () => {
    const result = await run(['websocket-server', broken.url, '--cases', '6.3.1,7.3.3', '--quiet']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED 6\.3\.1 /);
    expect(result.stdout).toMatch(/FAILED 7\.3\.3 /);
  }, 60_000);

  it('runs the http-server suite too: exit 0 against our server', async () => {
    const http = await runServer(async (req) => ({ status: 200, body: req.body ? Buffer.from(await req.body.bytes()) : '' }), {
      ip: '127.0.0.1',
      port: 0,
    });
    try {
      const result = await run(['http-server', `http://127.0.0.1:${http.port}/`, '--cases', '1.1,4.4,5.1,7.1', '--quiet']);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/http-server http:\/\/127\.0\.0\.1:\d+\/: 4 cases/);
    } finally {
      await http.stop({ timeout: 500 });
    }
  }, 60_000);

  it('exits 2 naming what is wrong on the command line', async () => {
    const noUrl = await run(['websocket-server']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/give the URL of the peer after "websocket-server"/);
    const badUrl = await run(['websocket-server', 'http://127.0.0.1:1/']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/ws:\/\/ or wss:\/\/ URL/);
    const badCases = await run(['websocket-server', `ws://127.0.0.1:${ours.port}/`, '--cases', 'nothing']);
    expect(badCases.code).toBe(2);
    expect(badCases.stderr).toMatch(/no case matches "nothing"/);
  }, 60_000);
});
