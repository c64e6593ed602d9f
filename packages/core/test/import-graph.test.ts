// The packages' import graph, read from the sources: no file imports another that imports it
// back (type-only imports included), and the layers hold (core at the bottom and its hub apart
// from its base, the codecs without the servers or sockets, the client without the server or
// WebSocket, the client connection without its pool or its exchange). The checks themselves are
// checked on small graphs.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ESM script without types
import { cycles, importGraph, RULES, ruleBreaks } from '../../../scripts/import-graph.mjs';

type Rule = [from: string, forbidden: string, why: string, exempt?: string[]];

describe('import graph of packages/*/src', () => {
  const graph = importGraph() as Map<string, string[]>;

  it('reads every package', () => {
    for (const pkg of ['core', 'http1', 'client', 'websocket'])
      expect([...graph.keys()].some((f) => f.startsWith(`packages/${pkg}/src/`))).toBe(true);
    // Edges too: the pool opens connections by name.
    expect(graph.get('packages/client/src/pool.ts')).toContain('packages/client/src/connection.ts');
  });

  it('has no import cycle', () => {
    expect((cycles(graph) as string[][]).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps the layers: core imports no package, the codecs and the client never load the servers', () => {
    expect(ruleBreaks(graph)).toEqual([]);
  });

  it('has rules about files that exist (a rule on a moved file would hold by default)', () => {
    const files = [...graph.keys()];
    // A Node module (node:net) is a rule's target when some file of the packages imports it.
    const imported = new Set([...graph.values()].flat());
    const stale = (RULES as Rule[]).filter(
      ([from, forbidden]) =>
        !files.some((f) => f.startsWith(from)) || !(files.some((f) => f.startsWith(forbidden)) || imported.has(forbidden)),
    );
    expect(stale).toEqual([]);
  });

  it('finds a cycle and a rule break when there is one (the checks themselves work)', () => {
    const cyclic = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(cycles(cyclic)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(ruleBreaks(new Map([['packages/client/src/connection.ts', ['packages/client/src/pool.ts']]]))).toHaveLength(1);
    expect(ruleBreaks(new Map([['packages/core/src/socket-loop.ts', ['packages/core/src/hub/hub.ts']]]))).toHaveLength(1);
    expect(ruleBreaks(new Map([['packages/websocket/src/codec/mask.ts', ['node:net']]]))).toHaveLength(1);
    // Exempt: core's entry exports the hub, and the hub's files import one another.
    expect(ruleBreaks(new Map([['packages/core/src/index.ts', ['packages/core/src/hub/hub.ts']]]))).toEqual([]);
    expect(ruleBreaks(new Map([['packages/core/src/hub/hub.ts', ['packages/core/src/hub/hub-redis.ts']]]))).toEqual([]);
  });
});
