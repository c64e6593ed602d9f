/**
 * Running cases: a few at a time (each case opens its own connections), each bounded in time,
 * each judged even when it throws: an Error from a case is a FAILED verdict with its message,
 * `Unimplemented` an UNIMPLEMENTED one. What the case's connections saw goes into its result.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type CaseResult, NonStrict, type Outcome, type Requirement, Unimplemented, Verdict } from './verdict.js';

/** One case of a suite, for a peer reached through a context of type `Ctx`. */
export interface ConformanceCase<Ctx> {
  /** Autobahn's numbering for WebSocket ("6.4.1"); the kit's own cases have an `x` ("6.x.12"). */
  id: string;
  group: string;
  title: string;
  expectation?: string;
  requirement?: Requirement;
  reference?: string;
  /** Longest the case may take (default 30 s): past it the case is FAILED and its sockets destroyed. */
  timeoutMs?: number;
  /** Runs the case; returns its outcome, or nothing for OK. Throwing is FAILED with the message. */
  run(ctx: Ctx): Promise<Outcome | undefined>;
}

/** What a case's context must do for the runner: tell what it saw, and let go of its sockets. */
export interface CaseHost {
  transcript(): string[];
  dispose(): void;
}

export interface RunOptions {
  /** Cases run at once (default 6). */
  concurrency?: number;
  /** Called after each case, in the order they finish. */
  onResult?: (result: CaseResult, done: number, total: number) => void;
}

const current = new AsyncLocalStorage<CaseHost>();

/** The context of the case running in this async flow (the kit's own cases find it here). */
export function currentHost<T extends CaseHost>(): T {
  const host = current.getStore();
  if (host === undefined) throw new Error('no conformance case is running here: call this from inside a case');
  return host as T;
}

/**
 * Runs one case with a fresh context and judges it.
 *
 * @example
 * const result = await runCase(someCase, () => new WebSocketCaseContext({ url }));
 */
export async function runCase<Ctx extends CaseHost>(c: ConformanceCase<Ctx>, makeContext: () => Ctx): Promise<CaseResult> {
  const ctx = makeContext();
  const started = performance.now();
  const limit = c.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let outcome: Outcome;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the case did not finish within ${limit} ms`)), limit);
    });
    const result = await Promise.race([current.run(ctx, () => c.run(ctx)), deadline]);
    outcome = result ?? { verdict: Verdict.Ok, reason: 'as expected' };
  } catch (error) {
    outcome =
      error instanceof Unimplemented
        ? { verdict: Verdict.Unimplemented, reason: error.message }
        : error instanceof NonStrict
          ? { verdict: Verdict.NonStrict, reason: error.message }
          : { verdict: Verdict.Failed, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
  const transcript = ctx.transcript();
  ctx.dispose();
  return {
    id: c.id,
    group: c.group,
    title: c.title,
    ...(c.expectation === undefined ? {} : { expectation: c.expectation }),
    ...(c.requirement === undefined ? {} : { requirement: c.requirement }),
    ...(c.reference === undefined ? {} : { reference: c.reference }),
    ...outcome,
    durationMs: Math.round(performance.now() - started),
    transcript,
  };
}

/**
 * Runs `cases` a few at a time and returns their results in the cases' order.
 *
 * @example
 * const results = await runCases(cases, () => new WebSocketCaseContext({ url }), { concurrency: 4 });
 */
export async function runCases<Ctx extends CaseHost>(
  cases: readonly ConformanceCase<Ctx>[],
  makeContext: () => Ctx,
  options: RunOptions = {},
): Promise<CaseResult[]> {
  const concurrency = options.concurrency ?? 6;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be an integer of 1 or more, got ${concurrency}`);
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const result = await runCase(cases[index], makeContext);
      results[index] = result;
      done++;
      options.onResult?.(result, done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return results;
}
