// The WebSocket client suite through the library API: the kit as the server, playing Autobahn's
// cases against ws's client (a client no one here wrote) run as a command; and the URL printed
// when no command is given.
import { RawWebSocket, runWebSocketClientSuite } from '@http-kit/conformance';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WS_CLIENT = fileURLToPath(new URL('../peers/ws-echo-client.mjs', import.meta.url));

describe('websocket-client suite', () => {
  it("judges ws's echo client as Autobahn does: OK, and NON-STRICT where it fails UTF-8 at the end of a message", async () => {
    const report = await runWebSocketClientSuite({
      command: `"${process.execPath}" "${WS_CLIENT}"`,
      cases: '1.1.*,2.1,2.10,3.1,4.1.1,5.6,6.3.1,6.4.1,7.1.1,7.7.*,7.9.1',
    });
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id, r.verdict]));
    expect(verdicts['6.4.1']).toBe('NON-STRICT');
    const others = report.results.filter((r) => r.id !== '6.4.1' && r.verdict !== 'OK').map((r) => `${r.id}: ${r.reason}`);
    expect(others).toEqual([]);
    expect(report.results.length).toBe(30);
  }, 60_000);

  it('prints the URL of each case when no command is given, and judges whoever connects', async () => {
    const lines: string[] = [];
    const run = runWebSocketClientSuite({
      cases: '1.1.1',
      print: (line) => {
        lines.push(line);
        // Play the client by hand: connect to the printed URL and echo the one message.
        const url = line.split(' ').at(-1)!;
        void (async () => {
          const ws = await RawWebSocket.open(url);
          const message = await ws.nextMessage();
          await ws.sendFrame(message.opcode, message.data);
          await ws.expectClose(1000);
          await ws.sendClose(1000);
          await ws.waitEnded();
        })();
      },
    });
    const report = await run;
    expect(lines).toEqual([expect.stringMatching(/^case 1\.1\.1: ws:\/\/127\.0\.0\.1:\d+\/$/)]);
    expect(report.results[0].verdict, report.results[0].reason).toBe('OK');
  }, 30_000);
});
