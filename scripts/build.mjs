// Builds every package: esbuild for the JS (one ESM file per package), tsc for the types.
// Runs from `npm install` (prepare), so plain Node can import the packages right after install.
// `--out <dir>` builds into <dir>/<package>/dist instead of each package's own dist/: the
// packed-install test builds its copies that way, so it never removes a dist/ another run reads.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['core', 'http1', 'websocket', 'client', 'middleware', 'conformance', 'load'];
/** Entry points beyond src/index.ts: deliberate subpath exports (see each package.json). */
const subpaths = { http1: { codec: 'src/codec/index.ts' }, conformance: { cli: 'src/cli.ts' }, load: { cli: 'src/cli.ts' } };
const skipTypes = process.argv.includes('--no-types');
const outAt = process.argv.indexOf('--out');
const outRoot = outAt === -1 ? join(root, 'packages') : resolve(process.argv[outAt + 1]);
const typesDir = outAt === -1 ? join(root, '.types') : join(outRoot, '.types');

/**
 * http1's build carries llhttp-wasm inside itself (its constants bundled, its wasm bytes as a
 * string; notices in packages/http1/THIRD_PARTY_NOTICES.md): the package's only version declares
 * a peer dependency on TypeScript, which a user of @http-kit/http1 must not get.
 */
function llhttpWasmBase64() {
  const entry = createRequire(import.meta.url).resolve('llhttp-wasm');
  // The same pattern as packages/http1/src/codec/llhttp-module.ts reads it with from source.
  const match = /binaryString\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(readFileSync(entry, 'latin1'));
  if (match === null) throw new Error(`build: ${entry} holds no embedded llhttp wasm module`);
  return match[1];
}
const define = { http1: { __LLHTTP_WASM_BASE64__: JSON.stringify(llhttpWasmBase64()) } };

for (const name of packages) {
  const dir = join(root, 'packages', name);
  const dist = join(outRoot, name, 'dist');
  rmSync(dist, { recursive: true, force: true });
  await build({
    entryPoints: {
      index: join(dir, 'src/index.ts'),
      ...Object.fromEntries(Object.entries(subpaths[name] ?? {}).map(([out, src]) => [out, join(dir, src)])),
    },
    outdir: dist,
    // Code shared by a package's entry points lives in one chunk, loaded once (one llhttp instance).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    // Class names stay as written: an error's name is its class's (its instanceof brand is its code).
    keepNames: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // Sibling packages stay imports, so each is loaded once; llhttp-wasm is bundled (see define).
    external: ['@http-kit/*', 'node:*'],
    define: define[name] ?? {},
    logLevel: 'warning',
  });
}

if (!skipTypes) {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  rmSync(typesDir, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', typesDir], { stdio: 'inherit' });
  for (const name of packages) {
    const from = join(typesDir, name, 'src');
    if (!existsSync(from)) continue;
    const dist = join(outRoot, name, 'dist');
    mkdirSync(dist, { recursive: true });
    for (const entry of readdirSync(from)) cpSync(join(from, entry), join(dist, entry), { recursive: true });
  }
  rmSync(typesDir, { recursive: true, force: true });
}
console.log(`built ${packages.length} packages${skipTypes ? ' (JS only)' : ''}`);
