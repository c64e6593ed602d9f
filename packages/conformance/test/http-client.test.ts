// The HTTP/1.1 client suite through the library API, against curl (a client no one here wrote):
// each hostile server is judged by what curl did with it. Bounded: curl gets 2 s a case.
import { runHttpClientSuite } from '@http-kit/conformance';
import { peer } from '@http-kit/test-support';
import { describe, expect, it } from 'vitest';

const curl = peer('curl');

describe.skipIf(!curl)('http-client suite against curl', () => {
  it('judges each hostile server by the exit status, the output and the time', async () => {
    const report = await runHttpClientSuite({
      command: `${curl} -sS --max-time 2 -L --max-redirs 20 "$CONFORMANCE_URL"`,
      cases: '!c.12',
      timeoutMs: 8_000,
      concurrency: 6,
    });
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
    // Plain, chunked, CL+TE read by TE, truncated, bad status, bad chunk size, no answer, endless
    // 1xx and a trickle (curl's --max-time), a redirect loop (--max-redirs), 1 MiB of headers.
    for (const id of ['c.1', 'c.2', 'c.3', 'c.5', 'c.6', 'c.7', 'c.8', 'c.9', 'c.10', 'c.11', 'c.13']) expect(verdicts[id], id).toBe('OK');
    // curl prints a response with two differing Content-Length headers (it uses the last).
    expect(verdicts['c.4']).toBe('FAILED');
    expect(report.results.find((r) => r.id === 'c.11')?.reason).toMatch(/stopped after \d+ requests/);
  }, 60_000);
});
