// `npm test`: runs vitest (extra arguments are passed on), then prints one plain closing line,
// "N passed, N failed" (", N skipped" when any), that CI and people can read at a glance.
//
// Tests that need a real peer (curl, nc, wrk, nginx, chromium, openssl, Python's websockets)
// skip when it is missing and print one notice naming its Debian package. Those notices are
// read from vitest's stderr (passed through as it comes): the closing line then says how many
// tests were skipped for missing peers, and one more line gives the command that installs them.
// With HTTPKIT_REQUIRE_PEERS=1 (CI, which installs them all) a missing peer fails the run.
// vitest's JSON report (which it announces) stays at test-output/vitest-results.json, or at
// HTTPKIT_TEST_REPORT when set (a run inside a test, beside the outer one).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const vitest = join(require.resolve('vitest/package.json'), '..', 'vitest.mjs');
// Kept after the run (vitest says where it wrote it; a path that vanished would mislead), ignored by git.
const results = resolve(process.env.HTTPKIT_TEST_REPORT || join('test-output', 'vitest-results.json'));
mkdirSync(dirname(results), { recursive: true });

/**
 * Every Debian package the tests use as a peer: the one command README.md gives (every package of
 * test/support/peers.ts, and Debian's Python modules; npm-test-script.test.ts keeps them in step).
 */
const ALL_PEERS = 'curl netcat-openbsd wrk openssl nginx-light haproxy redis-server chromium python3-websockets python3-h11';
// "<what> skipped: ... (Debian package <name>: apt-get install <name>)", as test/support/peers.ts words it.
const NOTICE = /skipped: .*\(Debian package ([a-z0-9.+-]+)/;
// vitest's header above a test file's console output: "stderr | packages/x/test/y.test.ts > ...".
const OUTPUT_HEADER = /^stderr \| (\S+)/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

const missing = new Set(); // Debian packages named by a notice
const filesWithNotices = new Set(); // test files (relative paths) that printed one
let currentFile = null;
let partial = '';

function scan(text) {
  const lines = (partial + text).split('\n');
  partial = lines.pop();
  for (const raw of lines) {
    const line = raw.replace(ANSI, '');
    const header = OUTPUT_HEADER.exec(line);
    if (header !== null) {
      currentFile = header[1];
      continue;
    }
    const notice = NOTICE.exec(line);
    if (notice !== null) {
      missing.add(notice[1]);
      if (currentFile !== null) filesWithNotices.add(currentFile);
    }
  }
}

const child = spawn(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  {
    stdio: ['inherit', 'inherit', 'pipe'],
  },
);
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  scan(chunk.toString('utf8'));
});
const status = await new Promise((done) => child.on('close', (code) => done(code)));
scan('\n');

let code = status ?? 1;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = report.numPendingTests + report.numTodoTests;
  // Tests skipped in the files that printed a missing-peer notice.
  let skippedForPeers = 0;
  for (const file of report.testResults) {
    if (!filesWithNotices.has(relative(process.cwd(), resolve(file.name)))) continue;
    for (const test of file.assertionResults) if (test.status === 'pending' || test.status === 'skipped') skippedForPeers++;
  }
  const peers = missing.size === 0 ? '' : ` (${skippedForPeers} for missing peers: ${[...missing].join(', ')})`;
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped${peers}` : ''}`);
  if (missing.size > 0) {
    console.log(`Some tests need Debian packages that are not installed; to run them all: apt-get install -y ${ALL_PEERS}`);
    if (process.env.HTTPKIT_REQUIRE_PEERS === '1') {
      console.log(`HTTPKIT_REQUIRE_PEERS=1: missing peers (${[...missing].join(', ')}) fail the run`);
      code = code || 1;
    }
  }
  if (report.numTotalTests === 0) code = code || 1; // a run that ran nothing is not a pass
} catch {
  console.log(`0 passed, 1 failed (vitest wrote no results; exit ${code})`);
  code = code || 1;
}
process.exit(code);
