/**
 * The four packages as people get them (issue 10): each is built (scripts/build.mjs --out, into a
 * copy, so the repo's own dist/ is left alone), packed with `npm pack`, and the tarballs are
 * installed with llhttp-wasm into an empty directory outside the repo. There a plain Node ESM
 * program starts a server, echoes over a WebSocket and makes a client call, and a strict
 * TypeScript file importing all four packages and `@http-kit/http1/codec` typechecks with
 * moduleResolution NodeNext and Bundler (the repo's tsc, skipLibCheck off).
 *
 * When npm cannot install (no network and llhttp-wasm not in the npm cache) the tests skip with a
 * one-line notice; any other failure (a build, a pack, a missing export or dependency) fails.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core', 'http1', 'client', 'websocket'] as const;
type PackageName = (typeof PACKAGES)[number];
const LLHTTP_WASM = 'llhttp-wasm@1.0.3';
/** npm's codes for "could not reach the registry, and the cache did not have it". */
const UNREACHABLE =
  /\b(ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ERR_SOCKET_TIMEOUT|FETCH_ERROR)\b/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  missing: boolean;
}

function run(command: string, args: string[], cwd: string, timeout: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, env: childEnv(), maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({
        code,
        stdout,
        stderr: stderr || (error?.message ?? ''),
        missing: (error as NodeJS.ErrnoException | null)?.code === 'ENOENT',
      });
    });
  });
}

/** The environment minus what `npm test` puts there about this repo (its prefix, its package). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/.test(key) || /^npm_config_(local_prefix|prefix|workspaces?|include_workspace_root|global)$/.test(key))
      continue;
    env[key] = value;
  }
  return env;
}

interface Packed {
  filename: string;
  files: string[];
}

let dir = '';
let skipReason: string | null = null;
const packed = new Map<PackageName, Packed>();

/** Skips the calling test when npm could not install; the notice was printed once already. */
function installed(skip: () => void): void {
  if (skipReason !== null) skip();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'http-kit-packed-'));
  const stage = join(dir, 'stage');
  const app = join(dir, 'app');
  // Each package folder as it is (sources, tests, README, LICENSE), so `files` picks as it would
  // in the repo; then its dist/ built there.
  for (const name of PACKAGES) {
    cpSync(join(ROOT, 'packages', name), join(stage, name), {
      recursive: true,
      filter: (source) => !['dist', 'node_modules'].includes(basename(source)),
    });
  }
  const build = await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', stage], ROOT, 240_000);
  if (build.code !== 0) throw new Error(`scripts/build.mjs --out failed:\n${build.stderr}${build.stdout}`);

  for (const name of PACKAGES) {
    const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, join(stage, name)], dir, 120_000);
    if (pack.missing) {
      skipReason = 'npm is not on PATH';
      break;
    }
    if (pack.code !== 0) throw new Error(`npm pack of ${name} failed:\n${pack.stderr}`);
    const [result] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed.set(name, { filename: join(dir, result!.filename), files: result!.files.map((file) => file.path) });
  }

  if (skipReason === null) {
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'packed-install-app', private: true, type: 'module' }, null, 2));
    const tarballs = PACKAGES.map((name) => packed.get(name)!.filename);
    // The cache alone first; then the registry for what the cache lacks (llhttp-wasm's metadata).
    let failure = '';
    for (const mode of ['--offline', '--prefer-offline']) {
      const install = await run(
        'npm',
        [
          'install',
          mode,
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          '--fetch-retries=1',
          '--fetch-retry-mintimeout=2000',
          '--fetch-retry-maxtimeout=5000',
          '--fetch-timeout=30000',
          ...tarballs,
          LLHTTP_WASM,
        ],
        app,
        240_000,
      );
      if (install.code === 0) {
        failure = '';
        break;
      }
      failure = install.stderr;
      if (!UNREACHABLE.test(failure)) throw new Error(`npm install ${mode} of the packed tarballs failed:\n${failure}`);
    }
    if (failure !== '')
      skipReason = `npm could not fetch ${LLHTTP_WASM} (no network and not in the npm cache: ${UNREACHABLE.exec(failure)![1]})`;
  }
  if (skipReason !== null) console.warn(`packed-install: tests of the installed packages skipped, ${skipReason}`);
  else writeFixtures(app);
}, 600_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it.for(PACKAGES)('%s holds its dist, README.md, LICENSE and package.json, and no sources or tests', (name, context) => {
    if (!packed.has(name)) context.skip();
    const files = packed.get(name)!.files;
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(files).toContain(file);
    expect(files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file))).toEqual([]);
    const pkg = readPackageJson(name);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === 'string' ? [target] : Object.values(target);
      for (const path of targets) expect(files, `exports["${subpath}"] -> ${path}`).toContain(path.replace(/^\.\//, ''));
    }
    expect(readFileSync(join(ROOT, 'packages', name, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });
});

interface PackageJson {
  name: string;
  exports: Record<string, string | Record<string, string>>;
  types: string;
  files: string[];
  engines: { node: string };
  sideEffects: boolean | string[];
  license: string;
  dependencies?: Record<string, string>;
}

function readPackageJson(name: PackageName): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as PackageJson;
}

describe('package.json', () => {
  it.each(PACKAGES)('%s: exports (types first), engines, files, sideEffects, license, and the dependencies its code imports', (name) => {
    const pkg = readPackageJson(name);
    expect(pkg.exports['./package.json']).toBe('./package.json');
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      expect(Object.keys(target), `exports["${subpath}"]`).toEqual(['types', 'import']);
    }
    expect((pkg.exports['.'] as Record<string, string>).types).toBe(pkg.types);
    expect(pkg.engines).toEqual({ node: '>=20' });
    expect(pkg.files).toEqual(['dist', 'README.md', 'LICENSE']);
    expect(pkg.license).toBe('MIT');
    // Importing @http-kit/websocket registers the WebSocket acceptor: a bundler must keep it.
    expect(pkg.sideEffects).toBe(name !== 'websocket' ? false : true);

    // Every bare import in the sources (comments aside) is a declared dependency, and the reverse.
    const imported = new Set<string>();
    for (const file of sourceFiles(join(ROOT, 'packages', name, 'src'))) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
      for (const match of code.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\(\s*)'([^'.][^']*)'/g)) {
        const spec = match[1]!;
        if (spec.startsWith('node:')) continue;
        const pkgName = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (pkgName !== pkg.name) imported.add(pkgName);
      }
    }
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...imported].sort());
  });
});

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((entry) => entry.endsWith('.ts'))
    .map((entry) => join(folder, entry));
}

describe('installed in an empty directory', () => {
  it('a plain Node ESM program serves, echoes over a WebSocket and calls itself with the client', async (context) => {
    installed(() => context.skip());
    const result = await run(process.execPath, ['main.mjs'], join(dir, 'app'), 30_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(report).toEqual({
      http: { status: 200, body: 'hello /packed' },
      websocket: { echo: 'echo ping' },
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      versions: { core: '0.1.0', http1: '0.1.0', client: '0.1.0', websocket: '0.1.0' },
      codec: true,
      errorBase: true,
    });
  }, 60_000);

  it.for(['NodeNext', 'Bundler'] as const)(
    'strict TypeScript importing all four packages and the codec typechecks (moduleResolution %s)',
    { timeout: 180_000 },
    async (resolution, context) => {
      installed(() => context.skip());
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution.toLowerCase()}.json`], join(dir, 'app'), 120_000);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    },
  );
});

/** The consumer's program, its TypeScript file and the two tsconfigs. */
function writeFixtures(app: string): void {
  writeFileSync(
    join(app, 'main.mjs'),
    `// A plain Node program using the installed packages: a server, a WebSocket echo, a client call.
import { createRequire } from 'node:module';
import { asChannel, runServer } from '@http-kit/http1';
import '@http-kit/websocket'; // lets asChannel take WebSocket upgrades
import { connect } from '@http-kit/websocket';
import { get } from '@http-kit/client';
import { HttpParser, TYPE_REQUEST } from '@http-kit/http1/codec';
import { HttpKitError } from '@http-kit/core';

const server = await runServer((req) => {
  if (req.websocket) return asChannel(req, { onReceive: (ch, message) => ch.send(\`echo \${message}\`) });
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: \`hello \${req.uri}\` };
}, { ip: '127.0.0.1', port: 0 });
const origin = \`127.0.0.1:\${server.port}\`;

const res = await get(\`http://\${origin}/packed\`, { timeout: 5000 });
const http = res.error ? { error: \`\${res.error.code} \${res.error.message}\` } : { status: res.status, body: String(res.body) };

const websocket = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve({ error: 'no echo within 5 s' }), 5000);
  connect(\`ws://\${origin}/echo\`, {
    onReceive: (ch, message) => { clearTimeout(timer); ch.close(1000); resolve({ echo: message }); },
  }).then(({ channel, error }) => {
    if (error) { clearTimeout(timer); resolve({ error: \`\${error.code} \${error.message}\` }); } else channel.send('ping');
  });
});

// Only the exports map's entries can be imported.
let internal;
try { await import('@http-kit/http1/dist/index.js'); internal = 'importable'; } catch (error) { internal = error.code; }

const require = createRequire(import.meta.url);
const versions = Object.fromEntries(['core', 'http1', 'client', 'websocket'].map((name) => [name, require(\`@http-kit/\${name}/package.json\`).version]));
await server.stop({ timeout: 1000 });
console.log(JSON.stringify({
  http, websocket, internal, versions,
  codec: typeof HttpParser === 'function' && typeof TYPE_REQUEST === 'number',
  errorBase: res.error === undefined || res.error instanceof HttpKitError,
}));
`,
  );
  writeFileSync(
    join(app, 'consumer.ts'),
    `// Strict TypeScript against the installed packages' declarations.
import { asChannel, runServer, type HttpServer, type Request, type Response } from '@http-kit/http1';
import { HttpParser, TYPE_REQUEST, type HeaderValue } from '@http-kit/http1/codec';
import { createClient, get, type HttpResult } from '@http-kit/client';
import { broadcast, connect, type ConnectResult, type WebSocketChannel } from '@http-kit/websocket';
import { HttpKitError, TimerWheel } from '@http-kit/core';

const hello = (req: Request): Response => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: \`hello \${req.uri}\` });

export async function main(): Promise<string[]> {
  const room = new Set<WebSocketChannel>();
  const server: HttpServer = await runServer((req) => {
    if (!req.websocket) return hello(req);
    return asChannel(req, { onOpen: (ch) => room.add(ch as WebSocketChannel), onReceive: (_ch, message) => broadcast(room, message) });
  }, { ip: '127.0.0.1', port: 0 });
  const res: HttpResult = await get(\`http://127.0.0.1:\${server.port}/\`, { timeout: 2000 });
  const status: number | string = res.error ? (res.error.code ?? res.error.message) : res.status;
  const ws: ConnectResult = await connect(\`ws://127.0.0.1:\${server.port}/\`);
  ws.channel?.send('hi');
  createClient().close();
  const header: HeaderValue = 'text/plain';
  const isBase = (error: unknown): boolean => error instanceof HttpKitError;
  // The declarations are the packages' own, not \`any\`: these must be errors.
  // @ts-expect-error: a server's port is a number
  const port: string = server.port;
  // @ts-expect-error: the codec's parser types are numbers
  const type: string = TYPE_REQUEST;
  // @ts-expect-error: runServer refuses an unknown option
  void runServer(hello, { prot: 8080 });
  await server.stop({ timeout: 1000 });
  return [String(status), header, port, type, HttpParser.name, TimerWheel.name, String(isBase(null))];
}
`,
  );
  const typeRoots = [join(ROOT, 'node_modules/@types')];
  for (const [name, module] of [
    ['nodenext', 'NodeNext'],
    ['bundler', 'ESNext'],
  ] as const) {
    const compilerOptions = {
      strict: true,
      target: 'ES2022',
      lib: ['ES2022'],
      module,
      moduleResolution: name === 'nodenext' ? 'NodeNext' : 'Bundler',
      // @types/node from the repo (a consumer has their own); the packages' .d.ts checked too
      typeRoots,
      types: ['node'],
      skipLibCheck: false,
      noEmit: true,
    };
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
  }
}
