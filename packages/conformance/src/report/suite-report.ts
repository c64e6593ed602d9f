/** A suite's run as data: what was tested, when, and every case's result. */
import type { CaseResult, Verdict } from '../verdict.js';

export interface SuiteReport {
  /** websocket-server, http-server, ... */
  suite: string;
  /** The peer: its URL. */
  target: string;
  /** ISO time the run began. */
  started: string;
  durationMs: number;
  counts: Record<Verdict, number>;
  results: CaseResult[];
}
