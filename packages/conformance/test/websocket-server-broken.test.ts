// The kit finds a broken WebSocket server wanting: one that echoes without checking UTF-8,
// reserved bits or opcodes and never answers a close frame. Each group's failure is judged
// FAILED with the reason that names it, through the library API.
import { runWebSocketServerSuite } from '@http-kit/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokenServer, brokenWebSocketServer } from './broken-peers.js';

let broken: BrokenServer;
beforeAll(async () => {
  broken = await brokenWebSocketServer();
});
afterAll(() => broken.close());

describe('a WebSocket server with no UTF-8 checks and no close handshake', () => {
  it('is FAILED on invalid UTF-8 (6.3.1, 6.x), reserved bits (3.1), opcodes (4.1.1) and every close (7.x)', async () => {
    const report = await runWebSocketServerSuite({ url: broken.url, cases: '3.1,4.1.1,6.3.1,6.20.1,7.1.1,7.3.3,7.9.1', concurrency: 7 });
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({
      '3.1': 'FAILED',
      '4.1.1': 'FAILED',
      '6.3.1': 'FAILED',
      '6.20.1': 'FAILED',
      '7.1.1': 'FAILED',
      '7.3.3': 'FAILED',
      // As in Autobahn: after an invalid close code the close need not be clean, and a server
      // that says nothing at all sends no wrong code. The kit's own 7.x cases catch it.
      '7.9.1': 'OK',
    });
    const reason = (id: string) => report.results.find((r) => r.id === id)?.reason ?? '';
    // It echoed the invalid text back: no client may accept that.
    expect(reason('6.3.1')).toMatch(/the server sent a text message that is not UTF-8/);
    // No close answer: the close is judged apart.
    expect(reason('7.3.3')).toMatch(/cleanly/);
    expect(report.counts.FAILED).toBe(6);
  }, 60_000);

  it('is FAILED on the kit own close cases as well', async () => {
    const report = await runWebSocketServerSuite({ url: broken.url, cases: '7.x.1,7.x.2,6.x.1', concurrency: 3 });
    for (const r of report.results) expect(r.verdict, `${r.id}: ${r.reason}`).toBe('FAILED');
  }, 60_000);
});
