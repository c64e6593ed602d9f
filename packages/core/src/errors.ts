/**
 * The base of every error the packages make: a stable `code` callers can switch on, and a brand
 * that makes `instanceof` work across duplicate copies of a package (two versions installed side
 * by side, or a bundle beside node_modules), as undici's `Symbol.for` brand does.
 *
 * Each class declares its code once, as `static readonly code`, and passes it to this
 * constructor: one code per class (a test collects them across the packages and checks that no
 * two classes share one). The brand is made of those codes, not of class names, which a
 * minifier renames.
 *
 * @example
 * if (result.error?.code === 'HTTPKIT_TIMEOUT') retry();
 * if (error instanceof HttpKitError) console.log(error.code);
 */

/** Shared by every copy of the package: `Symbol.for` returns the same symbol everywhere. */
const kBrand = Symbol.for('http-kit.error');

/** What brands a class: its own static `code`; for a class that declares none (a program's own subclass), its name. */
function brandOf(c: Function): string {
  return Object.hasOwn(c, 'code') ? (c as unknown as { code: string }).code : c.name;
}

export class HttpKitError extends Error {
  /** The brand of every error of the packages (`instanceof HttpKitError`); an instance's own `code` is its class's, or the one given. */
  static readonly code: string = 'HTTPKIT_ERROR';
  /** The codes of this error's class and of the classes it extends, for `instanceof` across copies. */
  declare readonly [kBrand]: readonly string[];

  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    const codes: string[] = [];
    for (let c: Function | null = new.target; c !== null && c !== Error; c = Object.getPrototypeOf(c) as Function | null)
      codes.push(brandOf(c));
    Object.defineProperty(this, kBrand, { value: codes });
  }

  /** `error instanceof SomeError` holds for an error made by any copy of the class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== 'object') return false;
    const codes = (value as { [kBrand]?: unknown })[kBrand];
    return Array.isArray(codes) && codes.includes(brandOf(this));
  }
}

/** An option or argument with a wrong value: the message names it and what was given. */
export class InvalidArgumentError extends HttpKitError {
  static override readonly code = 'HTTPKIT_INVALID_ARGUMENT';
  constructor(message: string) {
    super(message, InvalidArgumentError.code);
  }
}

/** A hub publish refused without trying: its Redis publisher connection is down, or the hub is closed. */
export class RedisUnavailableError extends HttpKitError {
  static override readonly code = 'HTTPKIT_REDIS_UNAVAILABLE';
  constructor(message: string) {
    super(message, RedisUnavailableError.code);
  }
}
