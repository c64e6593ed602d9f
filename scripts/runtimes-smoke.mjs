// Smoke of the published packages under Bun and Deno, as their users get them: the built
// packages (run `npm run build` first) are packed with `npm pack`, the tarballs alone installed
// into an empty directory, and one program there starts a server, calls it with our client and
// echoes over a WebSocket, under each runtime (and Node, as the reference). Then the workspace
// itself under Bun and Deno: every docs/examples/*.mjs (the programs the docs show, importing the
// packages by name through the workspace's node_modules) runs and exits 0.
//
//   node scripts/runtimes-smoke.mjs            Bun and Deno from the npm registry's `bun` and
//                                              `deno` packages, installed outside the project
//                                              (~/.cache/http-kit-runtimes/<name>)
//   BUN=/path/bun DENO=/path/deno node scripts/runtimes-smoke.mjs   given binaries instead
//
// Any failure (a runtime that cannot be installed, a wrong answer, a timeout) exits 1 naming it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['core', 'http1', 'client', 'websocket'];
const cacheRoot = join(homedir(), '.cache', 'http-kit-runtimes');

/** The program each runtime runs: what a new user tries first. */
const PROGRAM = `import { asChannel, runServer } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';

const server = await runServer((req) => {
  if (req.websocket) return asChannel(req, { onReceive: (ch, message) => ch.send(\`echo \${message}\`) });
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: \`hello \${req.uri}\` };
}, { ip: '127.0.0.1', port: 0 });
const origin = \`127.0.0.1:\${server.port}\`;
const res = await get(\`http://\${origin}/smoke\`, { timeout: 5000 });
const http = res.error ? { error: \`\${res.error.code} \${res.error.message}\` } : { status: res.status, body: String(res.body) };
const websocket = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve({ error: 'no echo within 5 s' }), 5000);
  connect(\`ws://\${origin}/echo\`, { onReceive: (ch, message) => { clearTimeout(timer); ch.close(1000); resolve({ echo: message }); } })
    .then(({ channel, error }) => { if (error) { clearTimeout(timer); resolve({ error: \`\${error.code} \${error.message}\` }); } else channel.send('ping'); });
});
await server.stop({ timeout: 1000 });
console.log(JSON.stringify({ http, websocket }));
`;
const EXPECTED = JSON.stringify({ http: { status: 200, body: 'hello /smoke' }, websocket: { echo: 'echo ping' } });

/** A runtime's binary: $BUN / $DENO, else its npm package installed under ~/.cache. */
function runtimeBinary(name) {
  const given = process.env[name.toUpperCase()];
  if (given) return given;
  const prefix = join(cacheRoot, name);
  const bin = join(prefix, 'node_modules', '.bin', name);
  if (!existsSync(bin)) {
    console.error(`runtimes-smoke: installing the npm package ${name} into ${prefix}`);
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, name], { stdio: 'inherit' });
    if (npm.status !== 0 || !existsSync(bin))
      throw new Error(`runtimes-smoke: could not install ${name} from the npm registry (npm exit ${npm.status})`);
  }
  return bin;
}

function main() {
  for (const name of PACKAGES) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.js')))
      throw new Error(`runtimes-smoke: packages/${name}/dist is missing; run npm run build first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'http-kit-runtimes-'));
  try {
    const tarballs = PACKAGES.map((name) => {
      const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, join(root, 'packages', name)], {
        encoding: 'utf8',
      });
      return join(dir, JSON.parse(out)[0].filename);
    });
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'runtimes-smoke', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], {
      cwd: app,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    writeFileSync(join(app, 'main.mjs'), PROGRAM);

    const runs = [
      ['Node', process.execPath, ['main.mjs']],
      ['Bun', runtimeBinary('bun'), ['main.mjs']],
      // --allow-write to the temporary directory only: the middleware example's multipart() writes uploads there.
      [
        'Deno',
        runtimeBinary('deno'),
        ['run', '--allow-net', '--allow-read', '--allow-env', '--allow-sys', `--allow-write=${tmpdir()}`, 'main.mjs'],
      ],
    ];
    const failed = [];
    const examples = join(root, 'docs', 'examples');
    for (const [label, bin, args] of runs.slice(1)) {
      const before = failed.length;
      for (const file of readdirSync(examples).filter((name) => name.endsWith('.mjs'))) {
        const result = spawnSync(bin, [...args.slice(0, -1), join(examples, file)], { cwd: root, encoding: 'utf8', timeout: 30_000 });
        if (result.status === 0) continue;
        failed.push(`${label} docs/examples/${file}`);
        console.error(`runtimes-smoke: ${label}: docs/examples/${file} failed (exit ${result.status})\n  stderr: ${result.stderr}`);
      }
      if (failed.length === before) console.log(`runtimes-smoke: ${label}: every docs/examples/*.mjs of the workspace ran and exited 0`);
    }
    for (const [label, bin, args] of runs) {
      const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
      const result = spawnSync(bin, args, { cwd: app, encoding: 'utf8', timeout: 30_000 });
      const out = (result.stdout ?? '').trim().split('\n').pop();
      if (result.status === 0 && out === EXPECTED) {
        console.log(`runtimes-smoke: ${label} (${version}): server, client and WebSocket echo ok`);
      } else {
        failed.push(label);
        console.error(`runtimes-smoke: ${label} (${version}) failed (exit ${result.status}${result.signal ? `, ${result.signal}` : ''})`);
        console.error(`  stdout: ${result.stdout}\n  stderr: ${result.stderr}${result.error ? `\n  ${result.error.message}` : ''}`);
      }
    }
    if (failed.length > 0) throw new Error(`runtimes-smoke: failed under ${failed.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
