/**
 * Checks of numeric options, shared by every package: a wrong value is reported with its name,
 * the function it was given to and the value itself.
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
