#!/usr/bin/env node
// Runs every benchmark in bench/ (each *-bench.mjs: parser, load, memory, client, ...) one after
// another, each in its own child process, passing --smoke through.
//
// Usage: node bench/run-all.mjs [--smoke]      (CI: node bench/run-all.mjs --smoke, ~30 s)
//
// Exit 1 only when a benchmark crashes (non-zero exit, signal, or over its time limit); a missed
// target is each script's report, not a failure here. Builds the packages' JS first when
// packages/*/dist is missing, since the benchmarks import the built packages.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const smoke = process.argv.includes('--smoke');
/** Per script; the smoke run of each takes a few seconds, a full run about a minute. */
const LIMIT_MS = smoke ? 90_000 : 600_000;

const scripts = readdirSync(benchDir)
  .filter((name) => name.endsWith('-bench.mjs'))
  .sort();

if (!existsSync(join(root, 'packages/http1/dist/index.js'))) {
  console.log('run-all: packages are not built; node scripts/build.mjs --no-types');
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--no-types'], { stdio: 'inherit', timeout: 120_000 });
  if (build.status !== 0) {
    console.error('run-all: the build failed');
    process.exit(1);
  }
}

function runScript(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(benchDir, name), ...(smoke ? ['--smoke'] : [])], { cwd: root, stdio: 'inherit' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`run-all: ${name} still running after ${LIMIT_MS / 1000} s, killing it (pid ${child.pid})`);
      child.kill('SIGKILL');
    }, LIMIT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ name, code: -1, signal: null, timedOut, seconds: (Date.now() - started) / 1000, error: error.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, code, signal, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

console.log(`run-all: ${scripts.length} benchmarks${smoke ? ' (smoke)' : ''}: ${scripts.join(', ')}\n`);
const results = [];
for (const name of scripts) {
  console.log(`=== ${name}${smoke ? ' --smoke' : ''}`);
  results.push(await runScript(name));
  console.log('');
}

console.log('run-all: summary');
console.table(
  results.map((r) => ({
    benchmark: r.name,
    result: r.code === 0 ? 'ok' : r.timedOut ? 'TIMED OUT' : r.signal ? `KILLED (${r.signal})` : `CRASHED (exit ${r.code})`,
    seconds: r.seconds.toFixed(1),
  })),
);
const failed = results.filter((r) => r.code !== 0);
if (failed.length > 0) {
  console.error(`run-all: ${failed.length} benchmark(s) crashed: ${failed.map((r) => r.name).join(', ')}`);
  process.exit(1);
}
