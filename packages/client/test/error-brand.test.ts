/**
 * The client's error catalogue: stable codes, every class a core HttpKitError exported from the
 * package, and `instanceof` that holds for errors made by another copy of the package (the
 * Symbol.for brand), as when two versions are installed side by side.
 */
import { describe, expect, it, vi } from 'vitest';
import * as client from '@http-kit/client';
import {
  AbortedError,
  BadJsonError,
  BadResponseError,
  BodyTooLargeError,
  ClientClosedError,
  ConnectError,
  ConnectTimeoutError,
  ConnectionClosedError,
  HeadersTooLargeError,
  HttpKitError,
  InvalidRequestError,
  PoolTimeoutError,
  ProxyError,
  RequestBodyError,
  TimeoutError,
  TlsError,
  TooManyRedirectsError,
} from '@http-kit/client';

const CODES: Array<[new (...args: never[]) => Error, string]> = [
  [InvalidRequestError, 'HTTPKIT_INVALID_REQUEST'],
  [ConnectError, 'HTTPKIT_CONNECT_FAILED'],
  [ConnectTimeoutError, 'HTTPKIT_CONNECT_TIMEOUT'],
  [PoolTimeoutError, 'HTTPKIT_POOL_TIMEOUT'],
  [TlsError, 'HTTPKIT_TLS'],
  [TimeoutError, 'HTTPKIT_TIMEOUT'],
  [BadResponseError, 'HTTPKIT_BAD_RESPONSE'],
  [HeadersTooLargeError, 'HTTPKIT_HEADERS_TOO_LARGE'],
  [BodyTooLargeError, 'HTTPKIT_BODY_TOO_LARGE'],
  [ConnectionClosedError, 'HTTPKIT_CONNECTION_CLOSED'],
  [TooManyRedirectsError, 'HTTPKIT_TOO_MANY_REDIRECTS'],
  [RequestBodyError, 'HTTPKIT_REQUEST_BODY'],
  [ProxyError, 'HTTPKIT_PROXY'],
  [ClientClosedError, 'HTTPKIT_CLIENT_CLOSED'],
  [AbortedError, 'HTTPKIT_ABORTED'],
  [BadJsonError, 'HTTPKIT_BAD_JSON'],
];

/** An instance of `Class`: a message, and Node's code as the reason for the two that carry one. */
function make(Class: new (...args: never[]) => Error): Error & { code?: string } {
  if (Class === ConnectError || Class === TlsError)
    return new (Class as unknown as new (message: string, reason: string) => Error)('message', 'ECONNREFUSED');
  return new (Class as unknown as new (message: string) => Error)('message');
}

describe('the error catalogue', () => {
  it('keeps its codes, and each error is named after its class', () => {
    for (const [Class, code] of CODES) {
      const error = make(Class);
      expect(error.code).toBe(code);
      expect(error.name).toBe(Class.name);
      expect(error).toBeInstanceOf(HttpKitError);
      expect(error).toBeInstanceOf(Error);
    }
  });

  it("exports every error class, each extending core's HttpKitError", () => {
    const exported = Object.entries(client).filter(
      ([name, value]) => typeof value === 'function' && name.endsWith('Error') && name !== 'HttpKitError',
    );
    expect(exported.map(([name]) => name).sort()).toEqual(CODES.map(([Class]) => Class.name).sort());
    for (const [, Class] of exported) expect(HttpKitError.prototype.isPrototypeOf((Class as { prototype: object }).prototype)).toBe(true);
  });

  it('instanceof holds for errors made by a second copy of the package, both ways', async () => {
    vi.resetModules();
    const copy = await import('@http-kit/client');
    // A real second copy: other class objects, and another core under them.
    expect(copy.TimeoutError).not.toBe(TimeoutError);
    expect(copy.HttpKitError).not.toBe(HttpKitError);

    const theirs = new copy.TimeoutError('slow');
    expect(theirs).toBeInstanceOf(TimeoutError);
    expect(theirs).toBeInstanceOf(HttpKitError);
    expect(theirs).not.toBeInstanceOf(ConnectError);
    expect(new TimeoutError('slow')).toBeInstanceOf(copy.TimeoutError);
    expect(new HeadersTooLargeError('big')).toBeInstanceOf(copy.BadResponseError);
    expect(new copy.BadResponseError('bad')).not.toBeInstanceOf(HeadersTooLargeError);

    // And an error as a request of the other copy returns it.
    const other = copy.createClient();
    const res = await other.get('http://127.0.0.1:1/', { timeout: 2000 });
    other.close();
    expect(res.error).toBeInstanceOf(ConnectError);
    expect(res.error).toBeInstanceOf(HttpKitError);
    expect(res.error).not.toBeInstanceOf(copy.TlsError);
  });

  it('is not fooled by plain objects or errors of other libraries', () => {
    expect({ code: 'HTTPKIT_TIMEOUT', name: 'TimeoutError' }).not.toBeInstanceOf(TimeoutError);
    expect(new Error('x')).not.toBeInstanceOf(HttpKitError);
    expect(null).not.toBeInstanceOf(HttpKitError);
  });
});
