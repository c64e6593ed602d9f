/**
 * What a case can conclude, and the record of one case's run. The WebSocket suites use
 * Autobahn|Testsuite's verdicts (OK, NON-STRICT, INFORMATIONAL, FAILED, UNIMPLEMENTED) so a run
 * compares line by line with an Autobahn report; the HTTP suites map pass/warn/fail onto the
 * same words (pass = OK, warn = NON-STRICT).
 */

/** A case's verdict. */
export const Verdict = {
  Ok: 'OK',
  NonStrict: 'NON-STRICT',
  Informational: 'INFORMATIONAL',
  Unimplemented: 'UNIMPLEMENTED',
  Failed: 'FAILED',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** How strongly the specification asks for what a case checks (RFC 2119 words). */
export type Requirement = 'MUST' | 'SHOULD' | 'MAY';

/** What a case concludes. */
export interface Outcome {
  verdict: Verdict;
  /** Why, in words: what was expected and what came. */
  reason: string;
  /** Autobahn's two halves of a judgement, for its numbered cases: the events, and the close. */
  behavior?: string;
  behaviorClose?: string;
  /** Anything measured on the way (durations of the performance cases, for instance). */
  measured?: Record<string, number>;
}

/** One case's run, as the report and the JSON show it. */
export interface CaseResult extends Outcome {
  id: string;
  /** The group's name, e.g. "6 UTF-8 handling". */
  group: string;
  title: string;
  /** What a conforming peer does. */
  expectation?: string;
  requirement?: Requirement;
  /** Where the specification says so, e.g. "RFC 9112 6.3". */
  reference?: string;
  durationMs: number;
  /** What went each way: '>' sent by the kit, '<' received, '=' what happened. */
  transcript: string[];
}

/** Thrown by a case when the peer does not offer what the case needs (permessage-deflate, say). */
export class Unimplemented extends Error {
  readonly code = 'CONFORMANCE_UNIMPLEMENTED';
}

/** Thrown by a case when the peer did what the RFC allows but not the best thing (the reason says what). */
export class NonStrict extends Error {
  readonly code = 'CONFORMANCE_NON_STRICT';
}

/** Verdicts from best to worst, for summaries and for combining. */
export const VERDICT_ORDER: readonly Verdict[] = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'];

/** The number of results per verdict. */
export function countVerdicts(results: readonly CaseResult[]): Record<Verdict, number> {
  const counts = { OK: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 } as Record<Verdict, number>;
  for (const r of results) counts[r.verdict]++;
  return counts;
}
