// The packages' import graph, read from the sources: no file imports another that imports it
// back (type-only imports included), and the layers hold (core at the bottom, the codec without
// the server, the client without the server).
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ESM script without types
import { cycles, importGraph, ruleBreaks } from '../../../scripts/import-graph.mjs';

describe('import graph of packages/*/src', () => {
  const graph = importGraph() as Map<string, string[]>;

  it('reads every package', () => {
    for (const pkg of ['core', 'http1', 'client']) expect([...graph.keys()].some((f) => f.startsWith(`packages/${pkg}/src/`))).toBe(true);
  });

  it('has no import cycle', () => {
    expect((cycles(graph) as string[][]).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps the layers: core imports no package, the codec and the client never load the server', () => {
    expect(ruleBreaks(graph)).toEqual([]);
  });
});
