/**
 * The few assertions the kit's cases make, in the shape test runners use (`expect(x).toBe(y)`),
 * so a case reads like a test. A failed assertion throws an Error whose message says what was
 * expected and what came; the runner turns it into a FAILED verdict with that reason.
 *
 * @example
 * expect(answer.status, answer.head).toBe(426);
 */
import { isDeepStrictEqual } from 'node:util';

const show = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value)
    : Buffer.isBuffer(value)
      ? `<${value.toString('hex').slice(0, 64)}>`
      : (JSON.stringify(value) ?? String(value));

class Assertion {
  constructor(
    private readonly actual: unknown,
    private readonly what: string | undefined,
    private readonly negated: boolean,
  ) {}

  get not(): Assertion {
    return new Assertion(this.actual, this.what, !this.negated);
  }

  private check(ok: boolean, expectation: string): void {
    if (ok === this.negated) {
      const label = this.what === undefined ? '' : `${this.what}: `;
      throw new Error(`${label}expected ${show(this.actual)} ${this.negated ? 'not ' : ''}${expectation}`);
    }
  }

  toBe(expected: unknown): void {
    this.check(Object.is(this.actual, expected), `to be ${show(expected)}`);
  }

  toEqual(expected: unknown): void {
    this.check(isDeepStrictEqual(this.actual, expected), `to equal ${show(expected)}`);
  }

  toBeUndefined(): void {
    this.check(this.actual === undefined, 'to be absent');
  }

  toBeDefined(): void {
    this.check(this.actual !== undefined, 'to be present');
  }

  toBeNull(): void {
    this.check(this.actual === null, 'to be null');
  }

  toContain(item: unknown): void {
    const list = this.actual as { includes?: (x: unknown) => boolean } | undefined;
    this.check(typeof list?.includes === 'function' && list.includes(item), `to contain ${show(item)}`);
  }

  toMatch(pattern: RegExp): void {
    this.check(typeof this.actual === 'string' && pattern.test(this.actual), `to match ${pattern}`);
  }

  toBeLessThanOrEqual(limit: number): void {
    this.check(typeof this.actual === 'number' && this.actual <= limit, `to be at most ${limit}`);
  }
}

/** An assertion on `actual`; `what` names it in the failure message. */
export function expect(actual: unknown, what?: string): Assertion {
  return new Assertion(actual, what, false);
}
