/**
 * The docs' examples run, and the docs show them as they are (issue 10). Every ```js block in
 * docs/**\/*.md is the whole of one file in docs/examples/, byte for byte, and every file there is
 * shown somewhere; each file is a program that starts its own server on port 0, checks itself with
 * node:assert and stops. Here each runs with plain Node against the built packages (what a user
 * installs), and must exit 0 without writing to stderr.
 *
 * To change an example, edit the file, then paste it into the markdown (the first test says which
 * block no longer matches).
 */
import { describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peer, startRedis } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const EXAMPLES = join(DOCS, 'examples');
const REDIS = peer('redis-server', 'docs-examples.test.ts (scaling-hub.mjs on Redis)');

/** Every markdown file under docs/, recursively. */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

interface Block {
  where: string;
  code: string;
}

/** The ```js and ```ts blocks of a markdown file, each with the file and line it starts on. */
function codeBlocks(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(js|ts)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    blocks.push({ where: `${relative(ROOT, path)}:${start}`, code: body.join('\n') + '\n' });
  }
  return blocks;
}

const examples = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.mjs'))
  .sort();
// TypeScript versions: `npm run typecheck` compiles them (tsconfig.json includes docs/examples/*.ts).
const tsExamples = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.ts'))
  .sort();
const sources = new Map([...examples, ...tsExamples].map((name) => [name, readFileSync(join(EXAMPLES, name), 'utf8')]));

function runNode(file: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file],
      { cwd: ROOT, timeout: 20_000, encoding: 'utf8', env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('docs/ examples', () => {
  it('every ```js and ```ts block in docs/ is one whole file of docs/examples/, and every such file is shown', () => {
    const blocks = markdownFiles(DOCS).flatMap(codeBlocks);
    expect(blocks.length).toBeGreaterThan(0);
    const unmatched = blocks.filter((block) => ![...sources.values()].includes(block.code)).map((block) => block.where);
    expect(unmatched, 'these blocks differ from every file in docs/examples/ (paste the file in again)').toEqual([]);
    const shown = new Set(blocks.map((block) => block.code));
    const orphans = [...examples, ...tsExamples].filter((name) => !shown.has(sources.get(name)!));
    expect(orphans, 'these examples are in no markdown file under docs/').toEqual([]);
  });

  it('the examples import the packages by name, as a user would', () => {
    for (const [name, code] of sources) expect(code, name).not.toMatch(/from '\.\.?\//);
  });

  describe('each runs with plain Node against the built packages and exits 0', () => {
    // The examples import the built packages (dist/) through the workspace links in node_modules.
    if (
      !existsSync(join(ROOT, 'packages/http1/dist/index.js')) ||
      !existsSync(join(ROOT, 'packages/websocket/dist/index.js')) ||
      !existsSync(join(ROOT, 'packages/client/dist/index.js'))
    ) {
      execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 });
    }
    for (const name of examples) {
      it(name, async () => {
        const result = await runNode(join(EXAMPLES, name));
        expect({ code: result.code, stderr: result.stderr }, result.stdout).toEqual({ code: 0, stderr: '' });
      }, 25_000);
    }

    // The TypeScript versions, run here through vitest's TypeScript (against the sources: plain Node 20 runs no .ts).
    for (const name of tsExamples) {
      it(`${name} (through vitest)`, async () => {
        await import(join(EXAMPLES, name));
      }, 25_000);
    }

    // The scaling guide's example takes the hub to Redis when REDIS_URL is set: run it that way too.
    it.skipIf(REDIS === null)(
      'scaling-hub.mjs with REDIS_URL, on a real redis-server',
      async () => {
        const redis = await startRedis(REDIS!);
        try {
          const result = await runNode(join(EXAMPLES, 'scaling-hub.mjs'), { REDIS_URL: redis.url });
          expect({ code: result.code, stderr: result.stderr }, result.stdout).toEqual({ code: 0, stderr: '' });
        } finally {
          await redis.stop();
        }
      },
      25_000,
    );
  });
});
