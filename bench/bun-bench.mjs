// Our server on Bun against Bun's own: hello world under wrk, `runServer` (@http-kit/http1) vs
// `Bun.serve`, with node:http as Bun implements it for reference. Prints each server's req/s and
// the ratio ours / Bun.serve (on Node, ours / node:http is 1.2-1.5x: see README.md).
//
//   node bench/bun-bench.mjs [--seconds N] [--connections N] [--rounds N] [--smoke]
//
// Bun is $BUN, else the npm package `bun` installed outside the project
// (`npm i --prefix ~/.cache/http-kit-runtimes/bun bun`, as scripts/runtimes-smoke.mjs does), else
// `bun` on PATH. Needs the built packages (npm run build) and wrk. Each server runs in its own Bun
// process on CPU 0, wrk on CPU 1 (when taskset and two CPUs are there); the servers take turns,
// round after round, and each one's best round counts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canPin, libPath, run, TASKSET } from './lib/children.mjs';
import { cpuSeconds } from './lib/proc.mjs';
import { checkHello, findWrk, runWrk, wrkFigures } from './lib/wrk.mjs';

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const seconds = option('--seconds', smoke ? 1 : 10);
const connections = option('--connections', 50);
const rounds = option('--rounds', smoke ? 1 : 3);
const KINDS = ['ours', 'bun', 'node-http'];
const LABELS = { ours: 'ours (runServer)', bun: 'Bun.serve', 'node-http': 'node:http on Bun' };
const root = fileURLToPath(new URL('..', import.meta.url));

async function findBun() {
  if (process.env.BUN) return process.env.BUN;
  const cached = join(homedir(), '.cache', 'http-kit-runtimes', 'bun', 'node_modules', '.bin', 'bun');
  if (existsSync(cached)) return cached;
  return (await run('sh', ['-c', 'command -v bun'], { timeoutMs: 2000 })).stdout.trim();
}

/** Starts one server under Bun; resolves to { port, stop } once it says it listens. */
function startServer(bun, kind, cpu) {
  const args = [libPath('bun-server.mjs'), kind];
  const [command, fullArgs] = cpu === null ? [bun, args] : [TASKSET, ['-c', String(cpu), bun, ...args]];
  const child = spawn(command, fullArgs, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.stdin.end(); // the server exits when its stdin closes
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`bun-server ${kind}: not listening within 10 s`)), 10_000);
    let out = '';
    const fail = (error) => {
      clearTimeout(timer);
      stop().then(() => reject(error));
    };
    const early = (code) => fail(new Error(`bun-server ${kind} exited (${code}) before listening`));
    child.once('exit', early);
    child.stdout.setEncoding('utf8').on('data', (text) => {
      out += text;
      const m = /listening (\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ port: Number(m[1]), pid: child.pid, stop });
    });
  });
}

async function main() {
  const bun = await findBun();
  if (bun === '' || !existsSync(bun)) {
    // run-all's smoke goes on without it (CI installs Bun first, in scripts/runtimes-smoke.mjs).
    console.error('bun-bench: skipped: Bun not found; install it with `npm i --prefix ~/.cache/http-kit-runtimes/bun bun` or set BUN');
    return smoke ? 0 : 2;
  }
  const wrk = await findWrk();
  if (wrk === '') {
    console.error('bun-bench: wrk not found (Debian package wrk)');
    return 2;
  }
  const version = (await run(bun, ['--version'], { timeoutMs: 5000 })).stdout.trim();
  const pin = canPin();
  console.log(
    `bun-bench${smoke ? ' (smoke)' : ''}: Bun ${version}, hello world, wrk -t1 -c${connections} -d${seconds}s, ${rounds} round(s); ${pin ? 'server on CPU 0, wrk on CPU 1' : 'not pinned'}`,
  );
  const best = Object.fromEntries(KINDS.map((kind) => [kind, null]));
  const cheapest = {};
  for (let round = 1; round <= rounds; round++) {
    for (const kind of KINDS) {
      const server = await startServer(bun, kind, pin ? 0 : null);
      try {
        await checkHello(server.port);
        // CPU time per request too: on a busy machine req/s swings with the neighbours' load.
        const cpuBefore = cpuSeconds(server.pid).own;
        const figures = wrkFigures(await runWrk(wrk, { port: server.port, connections, seconds, cpu: pin ? 1 : null }));
        figures.cpuMicrosPerRequest = ((cpuSeconds(server.pid).own - cpuBefore) * 1e6) / figures.requests;
        if (figures.non2xx > 0 || figures.socketErrors > 0) {
          throw new Error(`${LABELS[kind]}: ${figures.non2xx} non-2xx answers, ${figures.socketErrors} socket errors`);
        }
        console.log(
          `  round ${round} ${LABELS[kind].padEnd(18)} ${Math.round(figures.requestsPerSecond).toLocaleString('en-US').padStart(8)} req/s  ${figures.cpuMicrosPerRequest.toFixed(1).padStart(5)} µs CPU/request  p99 ${figures.p99} ms`,
        );
        if (best[kind] === null || figures.requestsPerSecond > best[kind].requestsPerSecond) best[kind] = figures;
        cheapest[kind] = Math.min(cheapest[kind] ?? Infinity, figures.cpuMicrosPerRequest);
      } finally {
        await server.stop();
      }
    }
  }
  const rps = (kind) => best[kind].requestsPerSecond;
  console.log(
    `ours / Bun.serve ${(rps('ours') / rps('bun')).toFixed(2)}x  ours / node:http on Bun ${(rps('ours') / rps('node-http')).toFixed(2)}x (req/s, best round)`,
  );
  console.log(
    `CPU per request: ours ${cheapest.ours.toFixed(1)} µs, Bun.serve ${cheapest.bun.toFixed(1)} µs, node:http on Bun ${cheapest['node-http'].toFixed(1)} µs; Bun.serve / ours ${(cheapest.bun / cheapest.ours).toFixed(2)}x`,
  );
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(`bun-bench: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  },
);
