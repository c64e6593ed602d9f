/**
 * The base of every error the packages make: a stable `code` callers can switch on, and a brand
 * that makes `instanceof` work across duplicate copies of a package (two versions installed side
 * by side, or a bundle beside node_modules), as undici's `Symbol.for` brand does.
 *
 * @example
 * if (result.error?.code === 'HTTPKIT_TIMEOUT') retry();
 * if (error instanceof HttpKitError) console.log(error.code);
 */

/** Shared by every copy of the package: `Symbol.for` returns the same symbol everywhere. */
const kBrand = Symbol.for('http-kit.error');

export class HttpKitError extends Error {
  /** Names of this error's class and of the classes it extends, for `instanceof` across copies. */
  declare readonly [kBrand]: readonly string[];

  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    const names: string[] = [];
    for (let c: Function | null = new.target; c !== null && c !== Error; c = Object.getPrototypeOf(c) as Function | null)
      names.push(c.name);
    Object.defineProperty(this, kBrand, { value: names });
  }

  /** `error instanceof SomeError` holds for an error made by any copy of the class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== 'object') return false;
    const names = (value as { [kBrand]?: unknown })[kBrand];
    return Array.isArray(names) && names.includes(this.name);
  }
}

/** An option or argument with a wrong value: the message names it and what was given. */
export class InvalidArgumentError extends HttpKitError {
  constructor(message: string) {
    super(message, 'HTTPKIT_INVALID_ARGUMENT');
  }
}

/** A hub publish refused without trying: its Redis publisher connection is down, or the hub is closed. */
export class RedisUnavailableError extends HttpKitError {
  constructor(message: string) {
    super(message, 'HTTPKIT_REDIS_UNAVAILABLE');
  }
}
