// The WebSocket client suite with permessage-deflate: the kit, as Autobahn's fuzzing server,
// accepts a client's offer in groups 12 and 13 with what each case asks of the client, and
// sends its deflate bombs (14.1: 64 MiB, 14.2: 1 GiB of zeros in about 1 MiB). Judged against
// ws's client (no one here wrote it) run as a command, offering deflate as it does by default
// and with client_no_context_takeover; against our client, in this process (the URL printed);
// and against ws's client offering nothing (UNIMPLEMENTED). Loopback only.
import { connect } from '@http-kit/websocket';
import {
  acceptDeflate,
  ClientDeflate,
  RawWebSocket,
  readDeflateOffers,
  runWebSocketClientSuite,
  type SuiteReport,
} from '@http-kit/conformance';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const node = `"${process.execPath}"`;
const WS_DEFLATE = `${node} "${fileURLToPath(new URL('../peers/ws-deflate-echo-client.mjs', import.meta.url))}"`;
const WS_PLAIN = `${node} "${fileURLToPath(new URL('../peers/ws-echo-client.mjs', import.meta.url))}"`;
/** One run of each data set and each server accept of 13, short and long messages, fragmented, and the bombs. */
const CASES = '12.*.1,12.*.18,13.*.1,13.*.17,14.*';

const verdicts = (report: SuiteReport) => Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
const notOk = (report: SuiteReport, allowed: Record<string, string>) =>
  report.results.filter((r) => r.verdict !== (allowed[r.id] ?? 'OK')).map((r) => `${r.id} ${r.verdict}: ${r.reason}`);

describe('reading and accepting offers as Autobahn fuzzing server does', () => {
  it('skips invalid offers and keeps the valid ones in order', () => {
    expect(
      readDeflateOffers(
        'permessage-deflate; x, permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits=08, x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover; client_max_window_bits="10"',
      ),
    ).toEqual([{ serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: 10 }]);
  });

  it('grants what the client asked of the server and asks only what the offer allows, never above an offered value', () => {
    const offer = 'permessage-deflate; server_max_window_bits=9; client_max_window_bits=10';
    expect(acceptDeflate(offer, [{ noContextTakeover: false, maxWindowBits: 15 }])?.response).toBe(
      'permessage-deflate; server_max_window_bits=9; client_max_window_bits=10',
    );
    // client_no_context_takeover is asked only of a client that offered it (Autobahn's accept2): declined.
    expect(acceptDeflate(offer, [{ noContextTakeover: true, maxWindowBits: 0 }])).toBeNull();
    // The chain of 13.7: the first request some offer allows.
    const agreed = acceptDeflate('permessage-deflate; client_no_context_takeover', [
      { noContextTakeover: true, maxWindowBits: 8 },
      { noContextTakeover: true, maxWindowBits: 0 },
    ]);
    expect(agreed?.response).toBe('permessage-deflate; client_no_context_takeover');
    expect(agreed?.params).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
  });
});

describe('websocket-client suite with permessage-deflate', () => {
  it("judges ws's client offering deflate: 12, 13 OK but where it does not offer client_no_context_takeover, the 64 MiB bomb echoed, 1009 on 1 GiB", async () => {
    const report = await runWebSocketClientSuite({ command: WS_DEFLATE, cases: CASES, connectTimeoutMs: 30_000 });
    expect(report.results.length).toBe(5 * 2 + 7 * 2 + 2);
    const unimplemented = Object.fromEntries(
      ['13.2.1', '13.2.17', '13.5.1', '13.5.17', '13.6.1', '13.6.17'].map((id) => [id, 'UNIMPLEMENTED']),
    );
    expect(notOk(report, { ...unimplemented, '14.1': 'INFORMATIONAL' })).toEqual([]);
    const reason = (id: string) => report.results.find((r) => r.id === id)!.reason;
    expect(reason('13.2.1')).toMatch(/its offer: "permessage-deflate; client_max_window_bits"/);
    // ws's maxPayload (100 MiB) lets 64 MiB through; 1 GiB is refused at the limit.
    expect(reason('14.1')).toMatch(/the client inflated it and echoed/);
    expect(reason('14.2')).toMatch(/closed with 1009/);
  }, 180_000);

  it("judges ws's client offering client_no_context_takeover OK in 13.2, 13.5 and 13.6 too", async () => {
    const report = await runWebSocketClientSuite({
      command: `${WS_DEFLATE} '{"clientNoContextTakeover":true}'`,
      connectTimeoutMs: 30_000,
      cases: '13.2.1,13.5.1,13.5.17,13.6.17',
    });
    expect(notOk(report, {})).toEqual([]);
  }, 120_000);

  it('judges our client with perMessageDeflate OK in 12, 13 (where it offers) and 1009 on both bombs', async () => {
    const clients: Promise<unknown>[] = [];
    const report = await runWebSocketClientSuite({
      cases: CASES,
      // The printed URL, answered by our client in this process: the sources under test, not a build.
      print: (line) => {
        const url = line.split(' ').at(-1)!;
        clients.push(connect(url, { perMessageDeflate: true, onReceive: (ch, message) => ch.send(message) }));
      },
    });
    const results = await Promise.all(clients);
    expect(results.length).toBe(report.results.length);
    const unimplemented = Object.fromEntries(
      ['13.2.1', '13.2.17', '13.5.1', '13.5.17', '13.6.1', '13.6.17'].map((id) => [id, 'UNIMPLEMENTED']),
    );
    expect(notOk(report, unimplemented)).toEqual([]);
    expect(verdicts(report)['14.1']).toBe('OK');
  }, 180_000);

  it('finds a client that ignores the client_max_window_bits the kit asked for FAILED (13.3: 8 bits)', async () => {
    const report = await runWebSocketClientSuite({
      cases: '13.1.10,13.3.10',
      // A liar, from the kit's raw client: it agrees to the response, then deflates with a 32 KiB window.
      print: (line) => {
        void (async () => {
          const ws = await RawWebSocket.open(line.split(' ').at(-1)!, { extensions: 'permessage-deflate; client_max_window_bits' });
          if (ws.deflate !== null) ws.deflate = new ClientDeflate({ ...ws.deflate.params, clientMaxWindowBits: 15 });
          try {
            for (;;) {
              const message = await ws.nextMessage(10_000);
              await ws.sendCompressed(message.opcode, message.data);
            }
          } catch {
            // The kit's close (or its drop) ends the loop: answer and go.
            await ws.sendClose(1000);
            ws.destroy();
          }
        })();
      },
    });
    expect(verdicts(report)).toEqual({ '13.1.10': 'OK', '13.3.10': 'FAILED' });
    expect(report.results[1].reason).toMatch(/a compressed message from the client does not inflate: .*too far back/);
  }, 60_000);

  it("judges ws's client offering nothing UNIMPLEMENTED in 12, 13 and 14", async () => {
    const report = await runWebSocketClientSuite({ command: WS_PLAIN, cases: '12.1.1,13.1.1,13.7.18,14.1', connectTimeoutMs: 30_000 });
    expect(verdicts(report)).toEqual({
      '12.1.1': 'UNIMPLEMENTED',
      '13.1.1': 'UNIMPLEMENTED',
      '13.7.18': 'UNIMPLEMENTED',
      '14.1': 'UNIMPLEMENTED',
    });
    expect(report.results.find((r) => r.id === '14.1')!.reason).toMatch(
      /offered no permessage-deflate \(its Sec-WebSocket-Extensions: none\)/,
    );
  }, 120_000);
});
