/**
 * Checks of options, shared by every package: a wrong value is reported with its name, the
 * function it was given to and the value itself; an unknown name with the known ones and, for a
 * near miss, the one that was meant.
 */
import { InvalidArgumentError } from './errors.js';

/** `value` if it is a positive finite number (or Infinity when `allowInfinity`), else `fallback` when undefined; throws otherwise. */
export function positiveOption(where: string, name: string, value: number | undefined, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a positive number${allowInfinity ? ' or Infinity' : ''}, got ${describe(value)}`,
    );
  }
  return value;
}

/** `value` if it is a finite number >= 0 (0 usually meaning "no limit"), else `fallback` when undefined; throws otherwise. */
export function nonNegativeOption(where: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: ${name} must be zero or more, got ${describe(value)}`);
  }
  return value;
}

/** A value as it reads in a message: strings quoted, objects by their type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}

/**
 * Why `given` is not all options `known` has, in words: each unknown name, with "did you mean"
 * for a near miss (a typo, another case, or a name another library uses, from `habits`), then
 * the known names. Null when every name is known. Each caller throws its own error with it.
 *
 * @example
 * const problem = unknownOptions('get', { timout: 300 }, KNOWN);
 * // 'get: unknown option "timout" (did you mean "timeout"?); the options are url, method, ...'
 * if (problem !== null) throw new InvalidArgumentError(problem);
 */
export function unknownOptions(
  where: string,
  given: object,
  known: Readonly<Record<string, unknown>>,
  habits: Readonly<Record<string, string>> = NO_HABITS,
): string | null {
  let unknown: string[] | null = null;
  for (const name in given) {
    if (!Object.hasOwn(known, name) && Object.hasOwn(given, name)) (unknown ??= []).push(name);
  }
  if (unknown === null) return null;
  const names = Object.keys(known);
  const each = unknown.map((name) => {
    const meant = Object.hasOwn(habits, name) ? habits[name] : nearest(name, names);
    return meant === null ? JSON.stringify(name) : `${JSON.stringify(name)} (did you mean ${JSON.stringify(meant)}?)`;
  });
  return `${where}: unknown option${unknown.length === 1 ? '' : 's'} ${each.join(', ')}; the options are ${names.join(', ')}`;
}

const NO_HABITS: Readonly<Record<string, string>> = Object.freeze({});

/** The known name `name` is a near miss of: the same but for case, or at most two edits away (one for short names). */
function nearest(name: string, names: readonly string[]): string | null {
  const lower = name.toLowerCase();
  const most = name.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = most + 1;
  for (const candidate of names) {
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = editDistance(lower, candidate.toLowerCase(), most);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (adjacent swaps count one), or `most + 1` once it is certainly past `most`. */
function editDistance(a: string, b: string, most: number): number {
  if (Math.abs(a.length - b.length) > most) return most + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      let cost = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cost = Math.min(cost, before[j - 2] + 1);
      current[j] = cost;
      if (cost < rowBest) rowBest = cost;
    }
    if (rowBest > most) return most + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}
