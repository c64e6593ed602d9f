/**
 * The checks every middleware factory makes of its options: an object (or nothing), no unknown
 * names, and not a handler given where options were expected (`compose(cors)` instead of
 * `compose(cors())`).
 */
import { describe, InvalidArgumentError } from '@http-kit/core';

/** `options` as an object of known names; throws naming the factory, the wrong name and the known ones. */
export function checkOptions<T extends object>(factory: string, options: T | undefined, known: readonly (keyof T & string)[]): T {
  if (options === undefined) return {} as T;
  if (typeof options === 'function') {
    throw new InvalidArgumentError(
      `${factory}: got a function where options were expected; ${factory}(options) makes the middleware, which then takes the handler: compose(${factory}())(handler)`,
    );
  }
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`${factory}: options must be an object, got ${describe(options)}`);
  const unknown = Object.keys(options).filter((name) => !(known as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${factory}: unknown option${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => JSON.stringify(name)).join(', ')}; the options are ${known.join(', ')}`,
    );
  }
  return options;
}

/** A positive integer option (a count or a size), or its default. */
export function countOption(factory: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new InvalidArgumentError(`${factory}: ${name} must be a positive integer, got ${describe(value)}`);
  return value;
}

/** A function option, or undefined. */
export function functionOption<F>(factory: string, name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new InvalidArgumentError(`${factory}: ${name} must be a function, got ${describe(value)}`);
  return value;
}
