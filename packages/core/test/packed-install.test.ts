/**
 * The seven packages as people get them (issue 10; the tools of issues 17, 19 and 20 too): each is built (scripts/build.mjs --out, into a
 * copy, so the repo's own dist/ is left alone), packed with `npm pack`, and the tarballs alone are
 * installed into an empty directory outside the repo: http1 carries llhttp-wasm inside its build,
 * so the install holds our packages and nothing else (no TypeScript: issue 16). There a plain
 * Node ESM program and the same program as CommonJS (`require()`, issue 16) start a server, echo
 * over a WebSocket and make a client call, and a strict TypeScript file importing all four
 * packages and `@http-kit/http1/codec` (and a file importing the three tools) typechecks with moduleResolution NodeNext and Bundler, and
 * as a CommonJS module (nodenext: require() of these ES modules is allowed; node16, which stands
 * for Node lines that cannot, reports it) (the repo's tsc, skipLibCheck off).
 *
 * The tools' bins run from the install: http-kit-conformance judges and http-kit-load loads a
 * server composed with @http-kit/middleware, all from the tarballs.
 *
 * When npm cannot install the tests skip with a one-line notice; any other failure (a build, a
 * pack, a missing export or dependency) fails.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The library's four packages, which the consumer programs below use. */
const LIBRARY = ['core', 'http1', 'client', 'websocket'] as const;
/** The tools built on them: middleware, the conformance kit and the load tool (with their bins). */
const TOOLS = ['middleware', 'conformance', 'load'] as const;
const PACKAGES = [...LIBRARY, ...TOOLS] as const;
type PackageName = (typeof PACKAGES)[number];
/** What a package's build carries inside itself (scripts/build.mjs): imported by its sources, never a dependency. */
const BUNDLED: Partial<Record<PackageName, string[]>> = { http1: ['llhttp-wasm'] };
/** Files a package ships beside dist/, README.md and LICENSE. */
const EXTRA_FILES: Partial<Record<PackageName, string[]>> = { http1: ['THIRD_PARTY_NOTICES.md'] };
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
    // The cache alone first; then the registry, should a dependency ever need it.
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
    if (failure !== '') skipReason = `npm could not install (no network and not in the npm cache: ${UNREACHABLE.exec(failure)![1]})`;
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
    const shipped = ['package.json', 'README.md', 'LICENSE', ...(EXTRA_FILES[name] ?? [])];
    for (const file of shipped) expect(files).toContain(file);
    expect(files.filter((file) => !file.startsWith('dist/') && !shipped.includes(file))).toEqual([]);
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
      // `default`, not `import`: require() of these ES modules works where Node allows it.
      expect(Object.keys(target), `exports["${subpath}"]`).toEqual(['types', 'default']);
    }
    expect((pkg.exports['.'] as Record<string, string>).types).toBe(pkg.types);
    // require(esm) without a flag: 20.19+ and 22.12+; the root package.json and README say the same.
    expect(pkg.engines).toEqual({ node: '^20.19.0 || >=22.12.0' });
    expect(pkg.engines).toEqual(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines);
    expect(pkg.files).toEqual(['dist', ...(EXTRA_FILES[name] ?? []), 'README.md', 'LICENSE']);
    expect(pkg.license).toBe('MIT');
    // Importing @http-kit/websocket registers the WebSocket acceptor: a bundler must keep it.
    expect(pkg.sideEffects).toBe(name !== 'websocket' ? false : true);

    // Every bare import in the sources (comments aside) is a declared dependency, and the reverse.
    const imported = new Set<string>();
    for (const file of sourceFiles(join(ROOT, 'packages', name, 'src'))) {
      // Comments and template literals aside (an error message may show an import statement).
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|`(?:\\.|[^`\\])*`/g, '');
      for (const match of code.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\(\s*)'([^'.][^']*)'/g)) {
        const spec = match[1]!;
        if (spec.startsWith('node:')) continue;
        const pkgName = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (pkgName !== pkg.name && !(BUNDLED[name] ?? []).includes(pkgName)) imported.add(pkgName);
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

  it('the same program as CommonJS: require() of every package works (Node 20.19+, 22.12+: no top-level await)', async (context) => {
    installed(() => context.skip());
    const result = await run(process.execPath, ['main.cjs'], join(dir, 'app'), 30_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(report).toEqual({
      http: { status: 200, body: 'hello /packed' },
      websocket: { echo: 'echo ping' },
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      codec: true,
      errorBase: true,
      sameModule: true,
    });
  }, 60_000);

  it("a JavaScript user's install holds our packages and nothing else: no TypeScript, no llhttp-wasm", async (context) => {
    installed(() => context.skip());
    const ls = await run('npm', ['ls', '--all', '--parseable'], join(dir, 'app'), 60_000);
    expect(ls.code, ls.stderr).toBe(0);
    const names = ls.stdout
      .trim()
      .split('\n')
      .slice(1) // the app itself
      .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .sort();
    expect(names).toEqual(PACKAGES.map((name) => `@http-kit/${name}`).sort());
    expect(readdirSync(join(dir, 'app', 'node_modules', '@http-kit', 'http1'))).toContain('THIRD_PARTY_NOTICES.md');
  }, 60_000);

  it.for([
    ['cjs-nodenext', ''],
    ['cjs-node16', 'TS1479'],
  ] as const)(
    'a CommonJS TypeScript project (%s) is told the truth about require() of the packages',
    { timeout: 180_000 },
    async ([config, error], context) => {
      installed(() => context.skip());
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${config}.json`], join(dir, 'app'), 120_000);
      if (error === '') {
        // module nodenext: a CommonJS file may require() an ES module without top-level await, as Node 20.19+/22.12+ do.
        expect(result.stdout + result.stderr).toBe('');
        expect(result.code).toBe(0);
      } else {
        // module node16 stands for Node lines that cannot require() an ES module: every import is an error.
        expect(result.stdout).toContain(`cjs/consumer.ts`);
        expect(result.stdout).toContain(`error ${error}:`);
        expect(result.code).not.toBe(0);
      }
    },
  );

  it('the tools run from the install: a middleware-composed server judged by http-kit-conformance, loaded by http-kit-load', async (context) => {
    installed(() => context.skip());
    const result = await run(process.execPath, ['tools.mjs'], join(dir, 'app'), 90_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(report.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.conformance).toMatchObject({ code: 0, failed: 0 });
    expect(report.conformance.ok).toBeGreaterThan(10);
    expect(report.load.code).toBe(0);
    expect(report.load.answers).toBeGreaterThan(0);
    expect(report.load.errors).toBe(0);
    expect(report.help).toEqual({ conformance: 0, load: 0 });
  }, 120_000);

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
  writeFileSync(
    join(app, 'main.cjs'),
    `// The same program as CommonJS: every package through require() (Node 20.19+, 22.12+).
const { asChannel, runServer } = require('@http-kit/http1');
const { connect } = require('@http-kit/websocket'); // lets asChannel take WebSocket upgrades
const { get } = require('@http-kit/client');
const { HttpParser, TYPE_REQUEST } = require('@http-kit/http1/codec');
const { HttpKitError } = require('@http-kit/core');

async function main() {
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
  let internal;
  try { require('@http-kit/http1/dist/index.js'); internal = 'requirable'; } catch (error) { internal = error.code; }
  // require() and import() give the one instance of a package (no dual-package hazard).
  const sameModule = (await import('@http-kit/http1')).runServer === runServer;
  await server.stop({ timeout: 1000 });
  console.log(JSON.stringify({
    http, websocket, internal,
    codec: typeof HttpParser === 'function' && typeof TYPE_REQUEST === 'number',
    errorBase: res.error === undefined || res.error instanceof HttpKitError,
    sameModule,
  }));
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
  );
  writeToolFixtures(app);
  // A CommonJS TypeScript project: the same consumer in a folder whose package.json says commonjs.
  mkdirSync(join(app, 'cjs'));
  writeFileSync(join(app, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  writeFileSync(join(app, 'cjs', 'consumer.ts'), readFileSync(join(app, 'consumer.ts'), 'utf8'));
  const typeRoots = [join(ROOT, 'node_modules/@types')];
  for (const module of ['NodeNext', 'Node16'] as const) {
    const compilerOptions = {
      strict: true,
      target: 'ES2022',
      lib: ['ES2022'],
      module,
      typeRoots,
      types: ['node'],
      skipLibCheck: false,
      noEmit: true,
    };
    writeFileSync(
      join(app, `tsconfig.cjs-${module.toLowerCase()}.json`),
      JSON.stringify({ compilerOptions, files: ['cjs/consumer.ts'] }, null, 2),
    );
  }
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
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ['consumer.ts', 'tools.ts'] }, null, 2));
  }
}

/** The tools' program (their bins run from node_modules/.bin) and their TypeScript file. */
function writeToolFixtures(app: string): void {
  writeFileSync(
    join(app, 'tools.mjs'),
    `// The tools from their tarballs: a server composed with middleware, judged and loaded by the bins.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { asChannel, runServer } from '@http-kit/http1';
import '@http-kit/websocket';
import { compose, cors, requestId } from '@http-kit/middleware';
import { get } from '@http-kit/client';

const bin = (name, args) => new Promise((resolve) => {
  execFile(\`node_modules/.bin/\${name}\`, args, { timeout: 60000 }, (error, stdout, stderr) =>
    resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }));
});
const app = compose(requestId(), cors())((req) => {
  if (req.websocket) return asChannel(req, { onReceive: (ch, message) => ch.send(message) });
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' };
});
const server = await runServer(app, { ip: '127.0.0.1', port: 0 });
const origin = \`127.0.0.1:\${server.port}\`;
const res = await get(\`http://\${origin}/\`, { timeout: 5000 });
const judged = await bin('http-kit-conformance', ['websocket-server', \`ws://\${origin}/\`, '--cases', '1.1.*,5.1,6.4.*', '--json', 'conformance.json', '--quiet']);
const verdicts = judged.code === 2 ? {} : JSON.parse(readFileSync('conformance.json', 'utf8')).counts;
const loaded = await bin('http-kit-load', [\`http://\${origin}/\`, '-c', '4', '-d', '1', '--json', 'load.json']);
const load = loaded.code === 0 ? JSON.parse(readFileSync('load.json', 'utf8')) : {};
const help = { conformance: (await bin('http-kit-conformance', ['--help'])).code, load: (await bin('http-kit-load', ['--help'])).code };
await server.stop({ timeout: 1000 });
console.log(JSON.stringify({
  requestId: res.headers?.['x-request-id'],
  conformance: { code: judged.code, ok: verdicts.OK, failed: verdicts.FAILED, stderr: judged.stderr.slice(0, 500) },
  load: { code: loaded.code, answers: load.counters?.answers, errors: Object.keys(load.counters?.errors ?? { none: 1 }).length, stderr: loaded.stderr.slice(0, 500) },
  help,
}));
`,
  );
  writeFileSync(
    join(app, 'tools.ts'),
    `// Strict TypeScript against the tools' declarations.
import { compose, cors, requestId, type Middleware } from '@http-kit/middleware';
import { caseFilter, type SuiteReport } from '@http-kit/conformance';
import { runLoad } from '@http-kit/load';
import type { Handler } from '@http-kit/http1';

const chain: Middleware = compose(requestId(), cors({ origins: ['https://app.example'] }));
export const app: Handler = chain(() => ({ status: 200, body: 'ok' }));
export const take: (id: string) => boolean = caseFilter('6.*');
export type Report = SuiteReport;
export const load: typeof runLoad = runLoad;
// @ts-expect-error: cors takes its origins as a list, '*' or a function
cors({ origins: 42 });
`,
  );
}
