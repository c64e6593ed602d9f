// `npm test`: runs vitest (extra arguments are passed on), then prints one plain closing line,
// "N passed, N failed" (", N skipped" when any), that CI and people can read at a glance.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const vitest = join(require.resolve('vitest/package.json'), '..', 'vitest.mjs');
const dir = mkdtempSync(join(tmpdir(), 'http-kit-test-'));
const results = join(dir, 'results.json');
const run = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let code = run.status ?? 1;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (report.numTotalTests === 0) code = code || 1; // a run that ran nothing is not a pass
} catch {
  console.log(`0 passed, 1 failed (vitest wrote no results; exit ${code})`);
  code = code || 1;
}
rmSync(dir, { recursive: true, force: true });
process.exit(code);
