/**
 * How the kit's own WebSocket cases are written: `describe` / `it` / `it.each` in the shape of a
 * test runner's, so a case reads as the test it was, but each `it` becomes a case of the suite
 * (an id, a group, a title) instead of a test. `collect()` runs a file's definitions and returns
 * its cases; nothing runs at import.
 *
 * Ids: the group's Autobahn number, `x`, and the case's place in the group ("6.x.12"), so the
 * kit's cases sort beside Autobahn's and `--cases 6.*` takes both.
 *
 * @example
 * const cases = collect(() => {
 *   describe('1 framing', () => {
 *     it.each([{ n: 1 }, { n: 2 }])('echoes $n', async ({ n }) => { ... });
 *   });
 * });
 */
import type { ConformanceCase } from '../../run.js';
import type { Outcome } from '../../verdict.js';
import type { WebSocketCaseContext } from '../context.js';
import { groupName } from '../groups.js';

type Row = object;
type Case = ConformanceCase<WebSocketCaseContext>;
/** A case's body: nothing for OK (throwing for the rest), or an outcome of its own (INFORMATIONAL, say). */
type Body = () => Promise<Outcome | undefined | void>;
/** How long a case may take (ms), or that and what a conforming server does (the report's expectation). */
type CaseOptions = number | { timeoutMs?: number; expectation?: string };

interface Collector {
  cases: Case[];
  /** Names of the describes we are in, outermost first. */
  path: string[];
  counters: Map<string, number>;
}

let collector: Collector | null = null;

/** Runs `build` (which calls describe/it) and returns the cases it defined. */
export function collect(build: () => void): Case[] {
  const outer = collector;
  collector = { cases: [], path: [], counters: new Map() };
  try {
    build();
    return collector.cases;
  } finally {
    collector = outer;
  }
}

function active(): Collector {
  if (collector === null) throw new Error('describe/it are for case files, inside collect()');
  return collector;
}

/** A title with `$key` replaced by the row's value. */
function format(title: string, row: Row): string {
  return title.replace(/\$(\w+)/g, (whole, key: string) => (key in row ? String((row as Record<string, unknown>)[key]) : whole));
}

function register(title: string, body: Body, options?: CaseOptions): void {
  const { timeoutMs, expectation } = typeof options === 'number' ? { timeoutMs: options, expectation: undefined } : (options ?? {});
  const c = active();
  const top = c.path[0] ?? '0';
  const number = /^(\d+)/.exec(top)?.[1] ?? '0';
  const n = (c.counters.get(number) ?? 0) + 1;
  c.counters.set(number, n);
  const where = c.path.slice(1).join(' / ');
  c.cases.push({
    id: `${number}.x.${n}`,
    group: groupName(number),
    title: where === '' ? title : `${where}: ${title}`,
    ...(expectation === undefined ? {} : { expectation }),
    timeoutMs: timeoutMs ?? 20_000,
    run: async () => (await body()) ?? undefined,
  });
}

/** A group of cases; the outermost one names the Autobahn group by its leading number. */
export function describe(name: string, body: () => void): void {
  const c = active();
  c.path.push(name);
  try {
    body();
  } finally {
    c.path.pop();
  }
}

describe.each =
  <R extends Row>(rows: readonly R[]) =>
  (name: string, body: (row: R) => void) => {
    for (const row of rows) describe(format(name, row), () => body(row));
  };

/** One case; `options` is its time limit in ms, or that and its expectation. */
export function it(title: string, body: Body, options?: CaseOptions): void {
  register(title, body, options);
}

/** One case per row; `$key` in the title takes the row's value. */
it.each =
  <R extends Row>(rows: readonly R[]) =>
  (title: string, body: (row: R) => Promise<Outcome | undefined | void>, options?: CaseOptions) => {
    for (const row of rows) register(format(title, row), () => body(row), options);
  };
