/**
 * Group 14, beyond Autobahn: what a server does with messages meant to exhaust it (deflate
 * bombs, a frame announcing petabytes), with a client that stops reading, and with handshakes it
 * must refuse. RFC 6455 10.4: an implementation "SHOULD impose a limit on frame sizes and the
 * total message size after reassembly"; 7.4.1: 1009 says a message was too big.
 */
import { type Outcome, Verdict } from '../verdict.js';
import { pseudoRandom } from './bytes.js';
import { type WebSocketCase, type WebSocketCaseContext, DEFLATE_OFFER } from './context.js';
import { groupName } from './groups.js';
import { describeFrame, encodeFrame, Op, type RawWebSocket, Rsv } from './raw-websocket.js';
import { constants, createDeflateRaw } from 'node:zlib';

const GROUP = groupName('14');
const MiB = 1 << 20;

/** What the server did after a message it should refuse: closed (with a code), echoed, or nothing within `ms`. */
async function answerTo(ws: RawWebSocket, ms: number): Promise<{ code: number | null; closed: boolean; data: boolean }> {
  await ws.settle(() => ws.unread.length > 0 || ws.ended, ms);
  const frame = ws.takeFrame();
  if (frame === undefined) return { code: null, closed: ws.ended, data: false };
  if (frame.opcode === Op.Close)
    return { code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null, closed: true, data: false };
  ws.note('=', `the server answered with ${describeFrame(frame)}`);
  return { code: null, closed: false, data: true };
}

function tooBig(answer: { code: number | null; closed: boolean; data: boolean }, what: string, whenAccepted: Outcome): Outcome {
  if (answer.code === 1009) return { verdict: Verdict.Ok, reason: `closed with 1009 (message too big) on ${what}` };
  if (answer.closed)
    return {
      verdict: Verdict.NonStrict,
      reason: `closed ${answer.code === null ? 'without a code' : `with ${answer.code}`} on ${what}; 1009 says why (RFC 6455 7.4.1)`,
    };
  return whenAccepted;
}

function bomb(id: string, inflated: number, severity: 'INFORMATIONAL' | 'FAILED'): WebSocketCase {
  const what = `a compressed message of ${Math.round(inflated / MiB)} MiB of zeros (${Math.round(inflated / 1032 / 1024)} KiB on the wire)`;
  return {
    id,
    group: GROUP,
    title: `Deflate bomb: send ${what}.`,
    expectation: "Close 1009 once the inflated size passes the server's limit, without inflating it all. NON-STRICT: another close code.",
    timeoutMs: 30_000,
    run: async (ctx) => {
      const ws = await ctx.connectDeflate(DEFLATE_OFFER);
      // One zlib stream of zeros; written in 1 MiB pieces of input so the kit never holds it inflated.
      const chunks: Buffer[] = [];
      const deflater = createDeflateRaw({ level: 9 });
      deflater.on('data', (chunk: Buffer) => chunks.push(chunk));
      const zeros = Buffer.alloc(MiB);
      for (let sent = 0; sent < inflated; sent += MiB) deflater.write(zeros);
      await new Promise<void>((resolve) => deflater.flush(constants.Z_SYNC_FLUSH, () => resolve()));
      deflater.close();
      const payload = Buffer.concat(chunks).subarray(0, -4);
      await ws.send(encodeFrame(Op.Binary, payload, { rsv: Rsv.Rsv1 }));
      const answer = await answerTo(ws, 10_000);
      ws.destroy();
      const accepted = answer.data
        ? `the server echoed it: it accepts a message of ${Math.round(inflated / MiB)} MiB from ${Math.round(payload.length / 1024)} KiB`
        : 'the server neither answered nor closed within 10 s';
      return tooBig(answer, what, {
        verdict: severity,
        reason: `${accepted}; RFC 6455 10.4: a server SHOULD limit the message size after inflation`,
      });
    },
  };
}

/** The cases of group 14. */
export function limitCases(): WebSocketCase[] {
  return [
    bomb('14.1', 64 * MiB, 'INFORMATIONAL'),
    bomb('14.2', 1024 * MiB, 'FAILED'),
    {
      id: '14.3',
      group: GROUP,
      title: 'Send a frame header announcing 2^53 - 1 bytes, and nothing more.',
      expectation: 'Close 1009 at the header, without waiting for the payload. NON-STRICT: another close code.',
      run: async (ctx) => {
        const ws = await ctx.connect();
        await ws.send(encodeFrame(Op.Binary, Buffer.alloc(0), { announce: Number.MAX_SAFE_INTEGER }));
        const answer = await answerTo(ws, 5_000);
        return tooBig(answer, 'a frame announcing 8 PiB', {
          verdict: Verdict.Failed,
          reason: 'the server waits for a payload of 8 PiB: it has no message size limit it checks at the header',
        });
      },
    },
    {
      id: '14.4',
      group: GROUP,
      title: 'Slow reader: send 10 binary messages of 256 KiB while not reading for 500 ms, then read.',
      expectation: 'Every message echoed, in order, once the client reads again.',
      timeoutMs: 30_000,
      run: async (ctx) => {
        const ws = await ctx.connect();
        const messages = Array.from({ length: 10 }, (_, i) => pseudoRandom(256 * 1024, i + 31));
        ws.pauseReading();
        await Promise.race([
          ws.send(Buffer.concat(messages.map((m) => encodeFrame(Op.Binary, m)))),
          new Promise((r) => setTimeout(r, 500)),
        ]);
        await new Promise((r) => setTimeout(r, 500));
        ws.resumeReading();
        for (const [i, m] of messages.entries()) {
          try {
            await ws.expectMessage(Op.Binary, m, 5_000);
          } catch (error) {
            throw new Error(`message ${i + 1} of 10: ${(error as Error).message}`);
          }
        }
        await ws.sendClose(1000);
        await ws.expectClose(1000);
        return undefined;
      },
    },
    refusal(
      '14.5',
      'Handshake with Sec-WebSocket-Version: 12 (never published; 8 is left out: a server may still speak it).',
      { 'Sec-WebSocket-Version': '12' },
      (status, headers) =>
        status === 426 && /\b13\b/.test(headers['sec-websocket-version'] ?? '')
          ? { verdict: Verdict.Ok, reason: '426 with Sec-WebSocket-Version: 13' }
          : status >= 400 && status < 500
            ? {
                verdict: Verdict.NonStrict,
                reason: `${status}${headers['sec-websocket-version'] ? '' : ' without Sec-WebSocket-Version'}; RFC 6455 4.4 asks for 426 with the versions the server speaks`,
              }
            : { verdict: Verdict.Failed, reason: `answered ${status} to a version it does not speak` },
    ),
    refusal('14.6', 'Handshake without Sec-WebSocket-Key.', { 'Sec-WebSocket-Key': null }, (status) =>
      status === 400
        ? { verdict: Verdict.Ok, reason: '400' }
        : status >= 400 && status < 500
          ? { verdict: Verdict.NonStrict, reason: `${status}; RFC 6455 4.2.1 names 400` }
          : { verdict: Verdict.Failed, reason: `answered ${status} to a handshake without a key` },
    ),
    refusal('14.7', 'Handshake with a 4-byte Sec-WebSocket-Key ("abc=").', { 'Sec-WebSocket-Key': 'YWJj' }, (status) =>
      status === 400
        ? { verdict: Verdict.Ok, reason: '400' }
        : status >= 400 && status < 500
          ? { verdict: Verdict.NonStrict, reason: `${status}; RFC 6455 4.2.1: the key is 16 bytes; 400 is the answer` }
          : { verdict: Verdict.Failed, reason: `answered ${status} to a key that does not decode to 16 bytes (RFC 6455 4.2.1)` },
    ),
    refusal('14.8', 'Handshake as POST.', { method: 'POST' }, (status) =>
      status >= 400 && status < 500
        ? { verdict: Verdict.Ok, reason: `${status}` }
        : { verdict: Verdict.Failed, reason: `answered ${status} to a POST handshake (RFC 6455 4.1: the handshake is a GET)` },
    ),
  ];
}

function refusal(
  id: string,
  title: string,
  change: Record<string, string | null>,
  judge: (status: number, headers: Record<string, string>) => Outcome,
): WebSocketCase {
  return {
    id,
    group: GROUP,
    title,
    expectation: 'Refused in HTTP (no 101), with the status RFC 6455 4.2 names.',
    run: async (ctx: WebSocketCaseContext) => {
      const { method = 'GET', ...headers } = change;
      const fields: Record<string, string | null> = {
        Host: `${ctx.target.host}:${ctx.target.port}`,
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        ...(method === 'POST' ? { 'Content-Length': '0' } : {}),
        ...headers,
      };
      const lines = [
        `${method} ${ctx.target.path} HTTP/1.1`,
        ...Object.entries(fields).flatMap(([k, v]) => (v === null ? [] : [`${k}: ${v}`])),
      ];
      const { answer } = await ctx.request(`${lines.join('\r\n')}\r\n\r\n`, 5_000);
      return judge(answer.status, answer.headers);
    },
  };
}
