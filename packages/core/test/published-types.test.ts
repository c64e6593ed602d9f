/**
 * The packages' published declarations work for a TypeScript user with `isolatedModules` (every
 * Vite, esbuild or swc project): the packages are built (scripts/build.mjs --out, into a
 * temporary node_modules, so the repo's own dist/ is left alone), and a user-shaped file that
 * imports every entry point and touches every value each exports typechecks with no error — in
 * particular no TS2748, which a `const enum` in a .d.ts gives the first time its members are
 * read. No built .d.ts declares a const enum at all (public enumerations are objects `as const`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')).exports !== undefined;
  } catch {
    return false;
  }
});

let dir = '';
/** Every entry point: import specifier -> its built .d.ts. */
const entries = new Map<string, string>();

function run(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: 150_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: stdout + stderr });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'http-kit-types-'));
  const scope = join(dir, 'node_modules', '@http-kit');
  const build = await run([join(ROOT, 'scripts/build.mjs'), '--out', scope], ROOT);
  if (build.code !== 0) throw new Error(`build failed:\n${build.output}`);
  for (const name of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8'));
    writeFileSync(join(scope, name, 'package.json'), JSON.stringify(pkg));
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, { types?: string } | string>)) {
      if (typeof target === 'string' || target.types === undefined) continue;
      entries.set(`@http-kit/${name}${subpath.slice(1)}`, join(scope, name, target.types));
    }
  }
  mkdirSync(join(dir, 'app'));
}, 180_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** The names of the values (not only types) an entry point's declarations export. */
function valueExports(dts: string): string[] {
  const program = ts.createProgram([dts], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(dts)!)!;
  return checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((symbol) => symbol.name)
    .filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name));
}

/** tsc on `files` in the app folder, the way a Vite project sets it up (bundler resolution, isolatedModules). */
async function typecheck(files: string[], resolution: 'Bundler' | 'NodeNext'): Promise<string> {
  const config = `tsconfig.${resolution.toLowerCase()}.json`;
  const compilerOptions = {
    strict: true,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    module: resolution === 'Bundler' ? 'ESNext' : 'NodeNext',
    moduleResolution: resolution,
    isolatedModules: true,
    verbatimModuleSyntax: true,
    // The packages' declarations are checked too; @types/node from the repo (a user has their own).
    skipLibCheck: false,
    typeRoots: [join(ROOT, 'node_modules/@types')],
    types: ['node'],
    noEmit: true,
  };
  writeFileSync(join(dir, 'app', config), JSON.stringify({ compilerOptions, files }, null, 2));
  writeFileSync(join(dir, 'app', 'package.json'), JSON.stringify({ type: 'module' }));
  return (await run([TSC, '-p', config], join(dir, 'app'))).output;
}

describe('the published declarations, for a user with isolatedModules', () => {
  it('declare no const enum', () => {
    const found: string[] = [];
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.d.ts'))
          for (const m of readFileSync(path, 'utf8').matchAll(/\bconst enum (\w+)/g)) found.push(`${path.slice(dir.length + 1)}: ${m[1]}`);
      }
    };
    walk(join(dir, 'node_modules', '@http-kit'));
    expect(found).toEqual([]);
  });

  it.for(['Bundler', 'NodeNext'] as const)(
    'a file importing every entry point and reading every value it exports typechecks (moduleResolution %s)',
    { timeout: 180_000 },
    async (resolution) => {
      expect(entries.size).toBeGreaterThanOrEqual(PACKAGES.length + 1);
      const lines = ['// Every value every entry point exports, read once: a const enum among them is TS2748.'];
      let n = 0;
      for (const [specifier, dts] of entries) {
        const names = valueExports(dts);
        expect(names.length, specifier).toBeGreaterThan(0);
        lines.push(
          `import * as p${n} from '${specifier}';`,
          `export const values${n} = [${names.map((name) => `p${n}.${name}`).join(', ')}];`,
        );
        n++;
      }
      writeFileSync(join(dir, 'app', 'every-export.ts'), `${lines.join('\n')}\n`);
      writeFileSync(
        join(dir, 'app', 'user.ts'),
        `// What a user writes: enumerations read by member, a handler, a client call, a WebSocket echo.
import { runServer, type Request, type Response } from '@http-kit/http1';
import { HttpParser, ParseResult, TYPE_REQUEST } from '@http-kit/http1/codec';
import { get } from '@http-kit/client';
import { CloseCode, Opcode, encodeFrame } from '@http-kit/websocket';
import { HttpKitError } from '@http-kit/core';

const hello = (req: Request): Response => ({ status: 200, body: \`hello \${req.uri}\` });
export async function main(): Promise<number[]> {
  const server = await runServer(hello, { ip: '127.0.0.1', port: 0 });
  const res = await get(\`http://127.0.0.1:\${server.port}/\`);
  const failed = res.error instanceof HttpKitError ? res.error.code : null;
  await server.stop({ timeout: 100 });
  const frame = encodeFrame(Opcode.Text, Buffer.from(failed ?? 'ok'), true, false, null);
  const ok: number = ParseResult.Ok;
  return [frame.length, CloseCode.Normal, Opcode.Binary, ok, TYPE_REQUEST, HttpParser.length];
}
`,
      );
      const output = await typecheck(['every-export.ts', 'user.ts'], resolution);
      expect(output).not.toContain('TS2748');
      expect(output).toBe('');
    },
  );

  it('would see a const enum: the same options report TS2748 for one (the check itself works)', async () => {
    const fake = join(dir, 'node_modules', 'fake-enum');
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, 'package.json'),
      JSON.stringify({
        name: 'fake-enum',
        type: 'module',
        types: './index.d.ts',
        exports: { '.': { types: './index.d.ts', default: './index.js' } },
      }),
    );
    writeFileSync(join(fake, 'index.d.ts'), 'export declare const enum Kind {\n  A = 0,\n}\n');
    writeFileSync(join(dir, 'app', 'fake.ts'), "import { Kind } from 'fake-enum';\nexport const a: number = Kind.A;\n");
    expect(await typecheck(['fake.ts'], 'Bundler')).toContain('TS2748');
  }, 60_000);
});
