// The shape of the sources, read from the text of packages/*/src (issue 15): no object cut into a
// chain of classes each with one subclass, no state checked by comparing the order of an enum's
// members, and `closed` keeping one meaning (a Promise; the yes/no is `isClosed`) in the
// packages that share their types. Each check is also run on a small sample it must catch.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function packageSources(pkg: string): Array<[file: string, text: string]> {
  try {
    return sources(join(root, 'packages', pkg, 'src')).map((file) => [relative(root, file), readFileSync(file, 'utf8')]);
  } catch {
    return [];
  }
}

const ALL = readdirSync(join(root, 'packages')).flatMap(packageSources);

/**
 * Classes that are only a base for one other class and never made themselves (`new Base(`): an
 * object split over a chain. A base with one subclass that is also made on its own (an error
 * class and its narrower case) is a real "is a", not a chain.
 */
function singleSubclassChains(files: Array<[string, string]>): string[] {
  const subclasses = new Map<string, string[]>();
  for (const [file, text] of files) {
    for (const m of text.matchAll(/\bclass (\w+)(?:<[^>{]*>)?\s+extends\s+(\w+)\b/g))
      subclasses.set(m[2]!, [...(subclasses.get(m[2]!) ?? []), `${m[1]} (${file})`]);
  }
  const declared = new Set(files.flatMap(([, text]) => [...text.matchAll(/\bclass (\w+)\b/g)].map((m) => m[1]!)));
  const all = files.map(([, text]) => text).join('\n');
  return [...subclasses]
    .filter(([base, subs]) => declared.has(base) && subs.length === 1 && !new RegExp(`\\bnew ${base}\\b`).test(all))
    .map(([base, [sub]]) => `${sub} extends ${base}, its only subclass`);
}

/** `<`, `>`, `<=` or `>=` with a member of a state-like enum (`ReadState.Complete`, `ConnState.Idle`...) on either side. */
function enumOrderComparisons(files: Array<[string, string]>): string[] {
  const member = String.raw`\b\w*(?:State|Phase|Stage)\.\w+`;
  const comparison = new RegExp(String.raw`(?:[^=<>]\s(?:<|>|<=|>=)\s*${member})|(?:${member}\s*(?:<|>|<=|>=)\s[^=>])`);
  return files.flatMap(([file, text]) =>
    text
      .split('\n')
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => !/^\s*(\/\/|\*|\/\*)/.test(line) && comparison.test(line))
      .map(([line, n]) => `${file}:${n}: ${line.trim()}`),
  );
}

/**
 * A `closed` member that is not a Promise (nor private): a yes/no is `isClosed`. Members sit two
 * spaces in (the formatter's indent for a top-level class); deeper lines are code in a body.
 */
function booleanClosed(files: Array<[string, string]>): string[] {
  const declaration = /^ {2}(?!private\b)(?:public\s+|readonly\s+|override\s+)*closed\??\s*(?::\s*boolean\b|=\s*(?:true|false)\b)/;
  const getter = /^\s*(?:public\s+)?get closed\(\)\s*:\s*boolean\b/;
  return files.flatMap(([file, text]) =>
    text
      .split('\n')
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => declaration.test(line) || getter.test(line))
      .map(([line, n]) => `${file}:${n}: ${line.trim()}`),
  );
}

describe('the shape of packages/*/src', () => {
  it('reads the sources', () => {
    expect(ALL.length).toBeGreaterThan(100);
  });

  it('has no chain of classes each with one subclass', () => {
    expect(singleSubclassChains(ALL)).toEqual([]);
    // The check catches one: Leaf -> Middle -> Base, none of the bases made alone.
    const sample: Array<[string, string]> = [
      ['a.ts', 'class Base {}\nexport class Middle extends Base {}'],
      ['b.ts', 'export class Leaf extends Middle {}\nnew Leaf();'],
    ];
    expect(singleSubclassChains(sample)).toEqual([
      'Middle (a.ts) extends Base, its only subclass',
      'Leaf (b.ts) extends Middle, its only subclass',
    ]);
    expect(singleSubclassChains([['c.ts', 'class E extends Error {}\nclass F extends E {}\nnew E(); new F();']])).toEqual([]);
  });

  it('checks states with switches and equality, never by the order of enum members', () => {
    expect(enumOrderComparisons(ALL)).toEqual([]);
    const sample: Array<[string, string]> = [
      ['a.ts', 'if (this.state >= ReadState.Complete) return;\nif (read <= ReadState.DiscardingBody) x();\nif (s === ReadState.Body) y();'],
    ];
    expect(enumOrderComparisons(sample)).toEqual([
      'a.ts:1: if (this.state >= ReadState.Complete) return;',
      'a.ts:2: if (read <= ReadState.DiscardingBody) x();',
    ]);
  });

  it('gives `closed` one meaning in the packages that share their types: a Promise, and `isClosed` for the yes/no', () => {
    const shared = ['core', 'http1', 'client', 'websocket'].flatMap(packageSources);
    expect(booleanClosed(shared)).toEqual([]);
    const sample: Array<[string, string]> = [
      [
        'a.ts',
        '  closed = false;\n  readonly closed: boolean;\n  private closed = false;\n  readonly closed: Promise<CloseReason>;\n  get closed(): boolean {\n      closed = true;',
      ],
    ];
    expect(booleanClosed(sample)).toEqual([
      'a.ts:1: closed = false;',
      'a.ts:2: readonly closed: boolean;',
      'a.ts:5: get closed(): boolean {',
    ]);
  });
});
