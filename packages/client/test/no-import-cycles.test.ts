/**
 * The client's modules import one another without a cycle — type-only imports included: the
 * connection knows its pool and its request only through interfaces it declares or imports
 * from below, never by importing the pool or the exchange.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Each module's local imports (`import`, `import type`, `export ... from`), by file name. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(SRC).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'\.\/([\w.-]+)\.js'/gms)].map((m) => m[1] + '.ts');
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The first cycle found, as a path of file names, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    const at = path.indexOf(file);
    if (at !== -1) return [...path.slice(at), file];
    if (done.has(file)) return null;
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    done.add(file);
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle !== null) return cycle;
  }
  return null;
}

describe('module structure', () => {
  it('has no import cycle in packages/client/src', () => {
    const graph = importGraph();
    expect(graph.get('pool.ts')).toContain('connection.ts');
    expect(findCycle(graph)).toBeNull();
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });

  it('keeps the connection ignorant of the pool and the exchange', () => {
    const imports = importGraph().get('connection.ts')!;
    expect(imports).not.toContain('pool.ts');
    expect(imports).not.toContain('exchange.ts');
  });
});
