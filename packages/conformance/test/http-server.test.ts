// The HTTP/1.1 server suite through the library API: our server (echoing bodies, h1spec's
// convention) judged OK but where it makes a documented choice, and a broken server (no Host
// rules, no Transfer-Encoding, a loose parser) found wanting: duplicate Host accepted,
// smuggled requests answered.
import { runHttpServerSuite } from '@http-kit/conformance';
import { type HttpServer, runServer } from '@http-kit/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokenServer, brokenHttpServer } from './broken-peers.js';

let ours: HttpServer;
let broken: BrokenServer;
beforeAll(async () => {
  ours = await runServer(async (req) => ({ status: 200, body: req.body ? Buffer.from(await req.body.bytes()) : '' }), {
    ip: '127.0.0.1',
    port: 0,
    requestTimeout: 2_000,
    // Bodies the kit cuts short on purpose make the handler's read fail: expected, not news.
    errorLogger: () => {},
  });
  broken = await brokenHttpServer();
});
afterAll(async () => {
  await ours?.stop({ timeout: 500 });
  await broken?.close();
});

describe('http-server suite', () => {
  it('judges our server OK on every case but 3.8 (a Host that disagrees with an absolute-form target is refused: NON-STRICT)', async () => {
    const report = await runHttpServerSuite({ url: `http://127.0.0.1:${ours.port}/`, idleWaitMs: 6_000, concurrency: 8 });
    const notOk = report.results.filter((r) => r.verdict !== 'OK').map((r) => `${r.id} ${r.verdict}: ${r.reason}`);
    expect(notOk).toEqual([expect.stringMatching(/^3\.8 NON-STRICT: refused it with 400/)]);
    for (const r of report.results) expect(r.requirement, r.id).toMatch(/^(MUST|SHOULD|MAY)$/);
    for (const r of report.results) expect(r.reference, r.id).toMatch(/^RFC \d+/);
  }, 60_000);

  it('finds the broken server wanting: duplicate Host accepted, smuggled requests answered, bad framing read', async () => {
    const report = await runHttpServerSuite({ url: broken.url, cases: '3.1,3.2,4.1,4.4,4.13,5.1,2.5,7.1', concurrency: 8 });
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({
      '2.5': 'FAILED',
      '3.1': 'FAILED',
      '3.2': 'FAILED',
      '4.1': 'FAILED',
      '4.4': 'FAILED',
      '4.13': 'FAILED',
      '5.1': 'FAILED',
      '7.1': 'OK',
    });
    expect(report.results.find((r) => r.id === '4.1')?.reason).toMatch(/smuggling|accepted it/);
  }, 60_000);
});
