/**
 * What the README example tests share: the ```js blocks of a Markdown file with their headings,
 * `adapt` (a replacement that fails loudly when the README no longer says what it replaces), and
 * `load` (a block written to a temporary module and imported, so it resolves `@http-kit/*` as the
 * tests do). `hooks` is what an adapted example calls back into (`globalThis.readmeHooks`).
 *
 * @example
 * const [block] = jsBlocks(readFileSync(readme, 'utf8'));
 * const example = await load(`${adapt(block.code, '{ port: 8080 }', '{ port: 0 }')}\nexport { server };`);
 */
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The temporary folder of this test file's example modules (and of any file they read). */
export const dir = mkdtempSync(join(tmpdir(), 'http-kit-readme-'));
let modules = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

export interface Block {
  /** The heading the block sits under. */
  heading: string;
  code: string;
}

/** The ```js blocks of a Markdown text, in order, with their headings. */
export function jsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^#+ /.test(line)) heading = line.replace(/^#+ /, '');
    if (!/^\s*```js\s*$/.test(line)) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    blocks.push({ heading, code: body.join('\n') });
  }
  return blocks;
}

/** Replaces `from` (which must occur) in a block's code. */
export function adapt(code: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? code.includes(from) : from.test(code);
  if (typeof from !== 'string') from.lastIndex = 0; // test() on a /g pattern moves it
  if (!found) throw new Error(`the README example no longer contains ${String(from)}: update the test that adapts it`);
  return code.replace(from, to);
}

/** Writes `code` as a module and imports it. */
export async function load(code: string): Promise<Record<string, unknown>> {
  const file = join(dir, `example-${++modules}.mjs`);
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
}

/** What the test hands to an example's hooks. */
export const hooks: Record<string, (...args: never[]) => Promise<void>> = {};
(globalThis as Record<string, unknown>).readmeHooks = hooks;
