// Many requests against a server that misbehaves in every way at random (seeded: FUZZ_SEED=<n>
// picks another sequence): every promise resolves, with a response or an error, nothing throws,
// and no connection is left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { defaultWheel } from '@http-kit/core';
import { createClient, type HttpResult } from '@http-kit/client';
import { cannedServer, eventually, Rng, seedFor, type TestServer } from '@http-kit/test-support';

const rng = new Rng(seedFor(42));

const GOOD = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
const behaviours: Array<() => { bytes?: string; end?: boolean; destroy?: boolean } | void> = [
  () => ({ bytes: GOOD }),
  () => ({ bytes: GOOD, end: true }),
  () => ({ bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' }),
  () => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort', end: true }),
  () => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\ntoo long' }),
  () => ({ bytes: 'garbage\r\n\r\n' }),
  () => ({ destroy: true }),
  () => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe' }), // then hangs
  () => undefined, // hangs
  () => ({ bytes: 'HTTP/1.1 100 Continue\r\n\r\n' + GOOD }),
  () => ({ bytes: 'HTTP/1.0 200 OK\r\n\r\nclose delimited', end: true }),
];

let server: TestServer;
afterAll(() => server?.close());

describe('chaos', () => {
  it('every request settles, whatever the server does', async () => {
    server = await cannedServer(() => rng.pick(behaviours)());
    const client = createClient({ maxConnectionsPerHost: 10 });
    const results: HttpResult[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 15; i++) results.push(await client.get(server.url, { timeout: 150, as: 'text' }));
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(results.length).toBe(300);
    const ok = results.filter((r) => r.status === 200).length;
    const failed = results.filter((r) => r.error !== undefined).length;
    expect(ok + failed).toBe(300);
    expect(ok).toBeGreaterThan(30);
    for (const r of results) if (r.error) expect(r.error.code).toMatch(/^HTTPKIT_/);
    client.close();
    expect(client.connections).toBe(0);
    expect(defaultWheel.size).toBe(0);
    await eventually(() => server.open.size === 0, 2_000, 'the server-side sockets to close');
  });
});
