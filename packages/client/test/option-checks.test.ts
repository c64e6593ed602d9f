/**
 * Wrong option values are reported in words naming the option and the value: as a result's
 * error for a request (it never throws), by createClient for the pool's limits.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@http-kit/core';
import { createClient, InvalidRequestError } from '@http-kit/client';

describe('option checks', () => {
  it('turns a bad timeout into an HTTPKIT_INVALID_REQUEST result naming the option and the value', async () => {
    const client = createClient();
    const negative = await client.get('http://127.0.0.1:1/', { timeout: -5 });
    expect(negative.error).toBeInstanceOf(InvalidRequestError);
    // The option the caller set is the one named (it used to say connectTimeout, which timeout only fed).
    expect(negative.error?.message).toBe('timeout must be a positive number of ms (Infinity for none), got -5');
    const zero = await client.get('http://127.0.0.1:1/', { timeout: 0 });
    expect(zero.error?.message).toBe('timeout must be a positive number of ms (Infinity for none), got 0');
    const text = await client.get('http://127.0.0.1:1/', { idleTimeout: 'soon' as never });
    expect(text.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(text.error?.message).toBe('idleTimeout must be a positive number of ms, got "soon"');
    client.close();
  });

  it('refuses a keepalive that is not a number of ms or -1, naming it (an idle connection would never expire)', async () => {
    const client = createClient();
    for (const keepalive of ['ten', Number.NaN, -5, {}]) {
      const result = await client.get('http://127.0.0.1:1/', { keepalive: keepalive as never });
      expect(result.error?.code, String(keepalive)).toBe('HTTPKIT_INVALID_REQUEST');
      expect(result.error?.message).toMatch(/^keepalive must be a number of ms \(0 or more\), or -1 for Connection: close, got /);
    }
    expect((await client.get('http://127.0.0.1:1/', { keepalive: 'ten' as never })).error?.message).toMatch(/, got "ten"$/);
    client.close();
    // The client's own default is checked when a request uses it.
    const defaults = createClient({ keepalive: Number.NaN });
    expect((await defaults.get('http://127.0.0.1:1/')).error?.message).toMatch(/^keepalive must be a number of ms/);
    defaults.close();
  });

  it('names the bad header or method', async () => {
    const client = createClient();
    expect((await client.get('http://127.0.0.1:1/', { headers: { 'bad name': 'x' } })).error?.message).toBe(
      'invalid header name "bad name"',
    );
    expect((await client.get('http://127.0.0.1:1/', { headers: { 'x-a': 'one\ntwo' } })).error?.message).toMatch(
      /invalid value for header x-a: "one\\ntwo"/,
    );
    expect((await client.request({ url: 'http://127.0.0.1:1/', method: 'GE T' })).error?.message).toBe('invalid method "GE T"');
    client.close();
  });

  it('throws at createClient for a connection limit that is not a positive number', () => {
    expect(() => createClient({ maxConnectionsPerHost: 0 })).toThrow(InvalidArgumentError);
    expect(() => createClient({ maxConnectionsPerHost: 0 })).toThrow(
      'createClient: maxConnectionsPerHost must be a positive number or Infinity, got 0',
    );
    expect(() => createClient({ maxConnections: Number.NaN })).toThrow(/maxConnections .* got NaN/);
    expect(createClient({ maxConnections: Infinity, maxConnectionsPerHost: 2 }).connections).toBe(0);
  });
});
