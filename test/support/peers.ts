/**
 * Real programs the tests talk to or run: which ones are installed, and one way to run curl.
 * A test that needs a missing one is skipped, and `peer` prints one line saying which Debian
 * package brings it (the names .ci/run installs).
 *
 * @example
 * const CURL = peer('curl', 'curl.test.ts');
 * describe.skipIf(CURL === null)('curl', () => { ... });
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each peer and the Debian package that installs it. */
const PACKAGES = {
  curl: 'curl',
  nc: 'netcat-openbsd', // `nc -N` (half-close after stdin ends) is the OpenBSD netcat's
  wrk: 'wrk',
  nginx: 'nginx-light',
  chromium: 'chromium',
  openssl: 'openssl',
  haproxy: 'haproxy',
  'redis-server': 'redis-server',
} as const;

export type PeerName = keyof typeof PACKAGES;

/** PATH, then the sbin folders a non-root PATH may leave out (nginx lives there). */
function searchPath(): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return [...dirs, '/usr/local/sbin', '/usr/sbin', '/sbin'];
}

const found = new Map<PeerName, string | null>();
const noticed = new Set<string>();

function locate(name: PeerName): string | null {
  for (const dir of searchPath()) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why a test cannot run without `name`: `nginx is not installed (Debian package nginx-light: apt-get install nginx-light)`. */
export function missingPeer(name: PeerName): string {
  return `${name} is not installed (Debian package ${PACKAGES[name]}: apt-get install ${PACKAGES[name]})`;
}

/**
 * The absolute path of `name` when it is installed (looked up once per process), else null; with
 * `skipping` (what is skipped without it), a missing peer also prints, once, the line
 * `<skipping> skipped: <name> is not installed (Debian package ...)`.
 */
export function peer(name: PeerName, skipping?: string): string | null {
  if (!found.has(name)) found.set(name, locate(name));
  const path = found.get(name)!;
  if (path === null && skipping !== undefined && !noticed.has(`${skipping}\0${name}`)) {
    noticed.add(`${skipping}\0${name}`);
    console.warn(`${skipping} skipped: ${missingPeer(name)}`);
  }
  return path;
}

export interface CurlResult {
  /** curl's exit code; 0 on success. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `curl -sS --max-time 8 <args>` with `input` on its stdin, killed after 10 s; never rejects.
 * Output is read as latin1, so bytes come back one-to-one.
 */
export function curl(args: string[], input?: Buffer | string): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'curl',
      ['-sS', '--max-time', '8', ...args],
      { timeout: 10_000, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}
