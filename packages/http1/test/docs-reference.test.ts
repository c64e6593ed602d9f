/**
 * docs/reference.md names everything the packages export, so it cannot fall behind them: each
 * package's index (and the codec subpath) is imported for its runtime names, and its index.ts is
 * read for the type-only ones (`export type { ... }`, invisible at run time). Each name must appear
 * in backticks in that package's section of the reference (`name` or `name(...)`).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as core from '@http-kit/core';
import * as http1 from '@http-kit/http1';
import * as codec from '@http-kit/http1/codec';
import * as client from '@http-kit/client';
import * as websocket from '@http-kit/websocket';
import * as middleware from '@http-kit/middleware';

const ROOT = new URL('../../../', import.meta.url);
const REFERENCE = readFileSync(fileURLToPath(new URL('docs/reference.md', ROOT)), 'utf8');

const PACKAGES: Array<{ name: string; index: string; module: Record<string, unknown> }> = [
  { name: '@http-kit/core', index: 'packages/core/src/index.ts', module: core },
  { name: '@http-kit/http1', index: 'packages/http1/src/index.ts', module: http1 },
  { name: '@http-kit/http1/codec', index: 'packages/http1/src/codec/index.ts', module: codec },
  { name: '@http-kit/client', index: 'packages/client/src/index.ts', module: client },
  { name: '@http-kit/websocket', index: 'packages/websocket/src/index.ts', module: websocket },
  { name: '@http-kit/middleware', index: 'packages/middleware/src/index.ts', module: middleware },
];

/** The names a package's index.ts exports as types only (`export type { A, B as C } from ...`). */
function typeExports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/export\s+type\s*\{([^}]*)\}/g)) {
    for (const part of match[1].split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      if (name !== '') names.push(name);
    }
  }
  for (const match of source.matchAll(/export\s+(?:interface|type)\s+([A-Za-z_$][\w$]*)/g)) names.push(match[1]);
  return names;
}

/** The text of the reference's `## \`<pkg>\`` section, up to the next `## `. */
function section(pkg: string): string {
  const start = REFERENCE.indexOf(`\n## \`${pkg}\`\n`);
  if (start < 0) return '';
  const end = REFERENCE.indexOf('\n## ', start + 1);
  return REFERENCE.slice(start, end < 0 ? undefined : end);
}

/** Whether `name` appears in backticks, alone or as the head of a call or a list: `name`, `name(...)`, `a`, `name`. */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, '\\$');
  return new RegExp(`\`${escaped}(?:\\(|\`)`).test(text);
}

describe('docs/reference.md', () => {
  for (const pkg of PACKAGES) {
    it(`names every export of ${pkg.name} in its section`, () => {
      const text = section(pkg.name);
      expect(text, `docs/reference.md has no section "## \`${pkg.name}\`"`).not.toBe('');
      const source = readFileSync(fileURLToPath(new URL(pkg.index, ROOT)), 'utf8');
      const names = [...new Set([...Object.keys(pkg.module), ...typeExports(source)])].sort();
      expect(names.length).toBeGreaterThan(5);
      expect(names.filter((name) => !mentions(text, name))).toEqual([]);
    });
  }

  it('gives every error code the packages define', () => {
    const sources = ['core/src/errors.ts', 'http1/src/errors.ts', 'client/src/errors.ts', 'websocket/src/client/errors.ts']
      .map((path) => readFileSync(fileURLToPath(new URL(`packages/${path}`, ROOT)), 'utf8'))
      .join('\n');
    const codes = [...new Set([...sources.matchAll(/'(HTTPKIT_[A-Z_]+)'/g)].map((m) => m[1]))];
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((code) => !REFERENCE.includes(`\`${code}\``))).toEqual([]);
  });

  it('gives every close reason a channel can report', () => {
    const protocol = readFileSync(fileURLToPath(new URL('packages/core/src/protocol.ts', ROOT)), 'utf8');
    const union = /export type CloseReason = ([^;]+);/.exec(protocol);
    expect(union).not.toBeNull();
    const reasons = [...union![1].matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    const table = REFERENCE.slice(REFERENCE.indexOf('## Channel close reasons'));
    expect(reasons.filter((reason) => !table.includes(`\`'${reason}'\``))).toEqual([]);
  });

  it('states the defaults the server and WebSocket code use', () => {
    const run = readFileSync(fileURLToPath(new URL('packages/http1/src/server/run-server.ts', ROOT)), 'utf8');
    const defaults = /const DEFAULTS = \{([\s\S]*?)\n\};/.exec(run)![1];
    const options = section('@http-kit/http1');
    for (const [, name, expr] of defaults.matchAll(/^\s*(\w+): ([^,\n]+),/gm)) {
      // A string stands as written ('0.0.0.0'); a number as its value in bytes or ms (8 * 1024 * 1024 -> 8388608).
      const value = expr.startsWith("'") ? expr : ` ${String(Function(`return ${expr}`)())}`;
      const row = options.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row!.replace(/,/g, ''), `${name} =${value}`).toContain(value);
    }
    for (const [name, value] of Object.entries(websocket.WEBSOCKET_DEFAULTS)) {
      const row = section('@http-kit/websocket')
        .split('\n')
        .find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row, `${name} = ${value}`).toContain(` ${value}`);
    }
  });
});
