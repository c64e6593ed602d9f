/**
 * Errors with stable `code` strings that callers can switch on.
 *
 * @example
 * if (result.error?.code === 'HTTPKIT_TIMEOUT') retry();
 */
export class HttpKitError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpKitError';
  }
}
