/**
 * `npm test` (scripts/test.mjs) with a peer missing: the closing lines name it, the install line
 * names every peer package the tests use (each of test/support/peers.ts, haproxy and
 * redis-server included, as README.md's does), HTTPKIT_REQUIRE_PEERS=1 fails the run, and the
 * JSON report vitest announces is still there afterwards. Runs the script on one small test file
 * with a PATH that hides curl.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// ANSI colours vitest adds around paths.
const ANSI = /\x1b\[[0-9;]*m/g;

function peerPackages(): string[] {
  const source = readFileSync(`${ROOT}test/support/peers.ts`, 'utf8');
  const table = /const PACKAGES = \{([^}]*)\}/.exec(source)![1];
  return [...table.matchAll(/:\s*'([a-z0-9.+-]+)'/g)].map((m) => m[1]);
}

describe('npm test with a missing peer', () => {
  it('names every peer to install, fails under HTTPKIT_REQUIRE_PEERS=1, keeps the report it announces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npm-test-script-'));
    const report = join(dir, 'report.json');
    // Its own report path: an `npm test` running this test writes test-output/vitest-results.json.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: '/nonexistent',
      HTTPKIT_REQUIRE_PEERS: '1',
      FORCE_COLOR: '0',
      HTTPKIT_TEST_REPORT: report,
    };
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['scripts/test.mjs', 'packages/http1/test/curl.test.ts'],
        { cwd: ROOT, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: child.exitCode ?? (error ? 1 : 0), output: `${stdout}\n${stderr}`.replace(ANSI, '') }),
      );
    });
    expect(output).toMatch(/curl\.test\.ts skipped: curl is not installed \(Debian package curl/);
    expect(output).toMatch(/\d+ passed, 0 failed, \d+ skipped \(\d+ for missing peers: curl\)/);
    const install = /to run them all: apt-get install -y (.*)$/m.exec(output);
    expect(install).not.toBeNull();
    const named = install![1].trim().split(/\s+/);
    for (const name of [...peerPackages(), 'python3-websockets', 'python3-h11']) expect(named).toContain(name);
    expect(named).toContain('haproxy');
    expect(named).toContain('redis-server');
    // README.md gives the same command.
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain(`apt-get install -y ${install![1].trim()}`);
    expect(output).toContain('HTTPKIT_REQUIRE_PEERS=1: missing peers (curl) fail the run');
    expect(code).toBe(1);
    const announced = /JSON report written to (\S+)/.exec(output);
    expect(announced).not.toBeNull();
    expect(announced![1]).toBe(report);
    expect(existsSync(report)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 150_000);
});
