/**
 * Group 14 of the client suite, beyond Autobahn: deflate bombs sent to a client. The kit, as the
 * server, accepts the client's permessage-deflate offer and sends one small compressed message
 * that inflates to far more than any sane message (64 MiB, 1 GiB of zeros). RFC 6455 10.4: an
 * implementation "SHOULD impose a limit on frame sizes and the total message size after
 * reassembly"; 7.4.1: 1009 says a message was too big. The client must close 1009 (or fail the
 * connection) once past its limit, not inflate it all; the kit never reads an echo past its header.
 *
 * @example
 * const cases = clientBombCases(); // 14.1 (64 MiB, INFORMATIONAL when echoed), 14.2 (1 GiB, FAILED when echoed)
 */
import zlib from 'node:zlib';
import type { CaseHost, ConformanceCase } from '../run.js';
import { type Outcome, Unimplemented, Verdict } from '../verdict.js';
import { ACCEPT_AS_OFFERED, type DeflateRequest } from './deflate-accept.js';
import { groupName } from './groups.js';
import { closePayload, encodeFrame, Op, type RawWebSocket, Rsv } from './raw-websocket.js';

const MiB = 1 << 20;

/** What a bomb case needs of the client suite's context: the client's connection, deflate negotiated. */
export interface BombHost extends CaseHost {
  connection(accept?: readonly DeflateRequest[]): Promise<RawWebSocket>;
}

let segment: Buffer | null = null;

/**
 * A compressed message of `mib` MiB of zeros without its 00 00 ff ff: 1 MiB deflated once
 * (sync-flushed, it ends on a byte boundary and looks back only into zeros), repeated.
 */
export function zeroBomb(mib: number): Buffer {
  segment ??= zlib.deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return Buffer.concat(Array.from({ length: mib }, () => segment!)).subarray(0, -4);
}

/** The header of a data frame at the start of `bytes` (its payload may not be there yet), or null. */
function dataHeader(bytes: Buffer): { length: number } | null {
  if (bytes.length < 2) return null;
  const opcode = bytes[0] & 0x0f;
  if (opcode !== Op.Text && opcode !== Op.Binary && opcode !== Op.Continuation) return null;
  const short = bytes[1] & 0x7f;
  if (short < 126) return { length: short };
  if (short === 126) return bytes.length < 4 ? null : { length: bytes.readUInt16BE(2) };
  return bytes.length < 10 ? null : { length: bytes.readUInt32BE(2) * 2 ** 32 + bytes.readUInt32BE(6) };
}

type Answer = { kind: 'close'; code: number | null } | { kind: 'dropped' } | { kind: 'data'; length: number } | { kind: 'nothing' };

/** The client's first answer after the bomb, within `ms`: a close, a dropped connection, data (seen at its header), or nothing. */
async function answerOf(ws: RawWebSocket, ms: number): Promise<Answer> {
  const deadline = Date.now() + ms;
  for (;;) {
    await ws.settle(() => ws.unread.length > 0 || ws.ended || dataHeader(ws.unparsed) !== null, Math.max(0, deadline - Date.now()));
    const frame = ws.takeFrame();
    if (frame !== undefined) {
      if (frame.opcode === Op.Close) return { kind: 'close', code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null };
      if (frame.opcode === Op.Ping || frame.opcode === Op.Pong) continue;
      return { kind: 'data', length: frame.payload.length };
    }
    const header = dataHeader(ws.unparsed);
    if (header !== null) return { kind: 'data', length: header.length };
    if (ws.ended) return { kind: 'dropped' };
    if (Date.now() >= deadline) return { kind: 'nothing' };
  }
}

function bomb(id: string, mib: number, severity: 'INFORMATIONAL' | 'FAILED'): ConformanceCase<BombHost> {
  const wire = zeroBomb(1).length * mib;
  const what = `a compressed message of ${mib} MiB of zeros (${Math.round(wire / 1024)} KiB on the wire)`;
  return {
    id,
    group: groupName('14'),
    title: `Deflate bomb: send the client ${what}.`,
    expectation:
      "Close 1009 once the inflated size passes the client's limit, without inflating it all. NON-STRICT: another close code, or dropping the connection. UNIMPLEMENTED when the client offers no permessage-deflate.",
    timeoutMs: 30_000,
    run: async (ctx): Promise<Outcome> => {
      const ws = await ctx.connection(ACCEPT_AS_OFFERED);
      if (ws.deflate === null)
        throw new Unimplemented(`the client offered no permessage-deflate (its Sec-WebSocket-Extensions: ${ws.offered ?? 'none'})`);
      await ws.send(encodeFrame(Op.Binary, zeroBomb(mib), { mask: false, rsv: Rsv.Rsv1 }));
      const answer = await answerOf(ws, 10_000);
      switch (answer.kind) {
        case 'close':
          // The closing handshake's end, the kit being the server: the close answered, TCP closed.
          await ws.send(encodeFrame(Op.Close, closePayload(answer.code), { mask: false }));
          ws.end();
          return answer.code === 1009
            ? { verdict: Verdict.Ok, reason: `closed with 1009 (message too big) on ${what}` }
            : {
                verdict: Verdict.NonStrict,
                reason: `closed with ${answer.code ?? 'no code'} on ${what}; 1009 says why (RFC 6455 7.4.1)`,
              };
        case 'dropped':
          return {
            verdict: Verdict.NonStrict,
            reason: `dropped the connection without a close frame on ${what}; a close with 1009 says why (RFC 6455 7.4.1)`,
          };
        case 'data':
          ws.destroy();
          return {
            verdict: severity,
            reason: `the client inflated it and echoed a message (${answer.length} bytes announced): it accepts ${mib} MiB from ${Math.round(wire / 1024)} KiB; RFC 6455 10.4: a client SHOULD limit the message size after inflation`,
          };
        case 'nothing':
          ws.destroy();
          return {
            verdict: severity,
            reason: `the client neither answered nor closed within 10 s of ${what} (inflating it all?); RFC 6455 10.4: a client SHOULD limit the message size after inflation`,
          };
      }
    },
  };
}

/** The client suite's group 14. */
export function clientBombCases(): ConformanceCase<BombHost>[] {
  return [bomb('14.1', 64, 'INFORMATIONAL'), bomb('14.2', 1024, 'FAILED')];
}
