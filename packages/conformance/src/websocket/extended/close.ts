// The kit's own WebSocket server cases, group 7 of the Autobahn|Testsuite numbering: the closing
// handshake. What RFC 6455 requires:
// - 5.5.1: an endpoint that receives a close frame and has not sent one "MUST send a Close frame
//   in response" (it "typically echos the status code it received"); after sending a close frame
//   it "MUST NOT send any more data frames"; the server closes the TCP connection first (7.1.1).
// - 5.5.1: a close body is a 2-byte code then a UTF-8 reason; a 1-byte body cannot hold a code
//   (protocol error). 5.5: at most 125 bytes, so a reason is at most 123 bytes.
// - 7.4.1/7.4.2: codes below 1000, 1004-1006, 1015, 1016-2999 unassigned, and 5000 up may not
//   appear in a close frame (1002); 1000-1003, 1007-1011 (and 1012-1014, IANA), 3000-4999 may.
// - 8.1: a reason that is not UTF-8 fails the connection (1007).
// - 1.4/5.5.1: data after the close frame is not acted upon.
import { expect } from '../../expect.js';
import { connect, connectDeflate, DEFLATE_OFFER, expectFailure } from '../context.js';
import { closePayload, encodeFrame, Op, type RawWebSocket, Rsv } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The server's close answers ours: with `code`, then TCP closed by the server, nothing else. */
async function expectCloseHandshake(ws: RawWebSocket, code: number | null): Promise<void> {
  await ws.expectClose(code);
  await ws.expectTcpClosed(1_000);
}

/** The server still serves a new connection (it did not crash or wedge). */
async function stillServing(): Promise<void> {
  const ws = await connect();
  await ws.sendFrame(Op.Text, 'still here');
  await ws.expectMessage(Op.Text, 'still here');
  await ws.sendClose(1000);
  await expectCloseHandshake(ws, 1000);
}

/** The cases of this file. */
export function closeCases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('7 close handling', () => {
      describe('the close handshake', () => {
        it.each([
          { name: 'in one write', split: 'whole' as const },
          { name: 'byte by byte', split: 'bytewise' as const },
        ])('answers close 1000 ($name) with close 1000 and closes the TCP connection', async ({ split }) => {
          const ws = await connect();
          await ws.sendClose(1000, '', { split });
          await expectCloseHandshake(ws, 1000);
        });

        it('answers a close without payload with a close without payload (or 1000), and closes TCP', async () => {
          const ws = await connect();
          await ws.sendClose(null);
          const frame = await ws.nextFrame();
          expect(frame.opcode).toBe(Op.Close);
          expect(frame.masked).toBe(false);
          // RFC 6455 7.4.1: 1005 is never sent; an empty close, or 1000, answers one without a code.
          if (frame.payload.length > 0) expect(frame.payload.readUInt16BE(0)).toBe(1000);
          await ws.expectTcpClosed(1_000);
        });

        it.each([
          { name: 'a short ASCII reason', reason: Buffer.from('bye') },
          { name: 'a UTF-8 reason', reason: Buffer.from('κόσμε 😀 au revoir') },
          { name: 'a 123-byte reason (the largest that fits)', reason: Buffer.alloc(123, 0x2a) },
          { name: 'a 123-byte reason of 3-byte characters', reason: Buffer.from('€'.repeat(41)) },
        ])('answers close 1000 with $name with close 1000', async ({ reason }) => {
          const ws = await connect();
          await ws.sendClose(1000, reason);
          await expectCloseHandshake(ws, 1000);
        });

        it.each([
          { name: '124 bytes (a 126-byte payload)', size: 124 },
          { name: '200 bytes', size: 200 },
        ])('fails a close whose reason is $name with 1002', async ({ size }) => {
          const ws = await connect();
          await ws.sendClose(1000, Buffer.alloc(size, 0x2a));
          await expectFailure(ws, 1002);
        });

        it.each([{ byte: 0x03 }, { byte: 0x00 }, { byte: 0xe8 }])(
          'fails a close with a 1-byte payload <$byte> with 1002',
          async ({ byte }) => {
            const ws = await connect();
            await ws.sendFrame(Op.Close, Buffer.from([byte]));
            await expectFailure(ws, 1002);
          },
        );
      });

      describe('close codes', () => {
        const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3001, 3999, 4000, 4001, 4999];
        const rows = validCodes.flatMap((code) =>
          ['', 'with a reason'].map((reason) => ({ code, reason, label: reason === '' ? 'no reason' : 'a reason' })),
        );
        it.each(rows)('echoes close code $code ($label)', async ({ code, reason }) => {
          const ws = await connect();
          await ws.sendClose(code, reason);
          await expectCloseHandshake(ws, code);
        });

        const invalidCodes = [0, 1, 500, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 6000, 65535];
        const bad = invalidCodes.flatMap((code) =>
          ['', 'with a reason'].map((reason) => ({ code, reason, label: reason === '' ? 'no reason' : 'a reason' })),
        );
        it.each(bad)('fails close code $code ($label) with 1002', async ({ code, reason }) => {
          const ws = await connect();
          await ws.sendClose(code, reason);
          await expectFailure(ws, 1002);
        });
      });

      describe('close reasons', () => {
        const reasons = [
          { name: 'byte 0xFF', reason: hex('ff') },
          { name: 'an overlong "/"', reason: hex('c0af') },
          { name: 'a surrogate', reason: hex('eda080') },
          { name: 'U+110000', reason: hex('f4908080') },
          { name: 'a sequence cut at the end', reason: hex('cebae1bdb9cf83cebcce') },
          { name: 'a stray continuation byte', reason: hex('41 80 42') },
          { name: 'κόσμε, a surrogate, "edited"', reason: hex('cebae1bdb9cf83cebcceb5 eda080 656469746564') },
        ];
        it.each(reasons)('fails a close whose reason holds $name with 1007', async ({ reason }) => {
          const ws = await connect();
          await ws.sendClose(1000, reason);
          await expectFailure(ws, 1007);
        });
      });

      describe('what comes after the close frame', () => {
        const after = [
          { name: 'a text message', bytes: () => encodeFrame(Op.Text, 'ignored') },
          { name: 'a ping', bytes: () => encodeFrame(Op.Ping, 'no pong') },
          { name: 'a second close', bytes: () => encodeFrame(Op.Close, closePayload(1001)) },
          { name: 'a frame with a reserved opcode', bytes: () => encodeFrame(5, 'x') },
          { name: 'an unmasked frame', bytes: () => encodeFrame(Op.Text, 'x', { mask: false }) },
          { name: 'one stray byte', bytes: () => Buffer.from([0x81]) },
          { name: '64 KiB of garbage', bytes: () => Buffer.alloc(65536, 0xfe) },
          { name: 'a frame announcing 1 GiB', bytes: () => encodeFrame(Op.Binary, '', { announce: 1 << 30 }) },
        ];
        it.each(after)('ignores $name written with the close frame, answers the close and closes TCP', async ({ bytes }) => {
          const ws = await connect();
          await ws.send(Buffer.concat([encodeFrame(Op.Close, closePayload(1000)), bytes()]));
          await expectCloseHandshake(ws, 1000);
          await stillServing();
        });

        // http-kit's bug #227: a byte arriving after the close handshake crashed the server.
        it.each(after)('survives $name arriving after its close answer, and closes TCP', async ({ bytes }) => {
          const ws = await connect();
          await ws.sendClose(1000);
          await ws.expectClose(1000);
          await ws.send(bytes());
          await ws.expectTcpClosed(1_000);
          await stillServing();
        });

        it('survives bytes arriving after the close, one at a time', async () => {
          const ws = await connect();
          await ws.sendClose(1000);
          await ws.expectClose(1000);
          await ws.send(encodeFrame(Op.Text, 'after the close handshake'), 'bytewise');
          await ws.expectTcpClosed(1_000);
          await stillServing();
        });

        it('survives a protocol error arriving after its close answer (no second close)', async () => {
          const ws = await connect();
          await ws.sendClose(1000);
          await ws.expectClose(1000);
          await ws.sendFrame(Op.Text, hex('ff'));
          await ws.expectTcpClosed(1_000);
          await stillServing();
        });
      });

      // With permessage-deflate the echo of a message may still be compressing when the close frame
      // is read; it must still go out, and before the close answer (RFC 6455 5.5.1: the close is the
      // last frame sent; 7.1.1: the server closes TCP after it).
      const peers = [
        { peer: 'no extension', deflate: false, compress: false },
        { peer: 'permessage-deflate, messages sent uncompressed', deflate: true, compress: false },
        { peer: 'permessage-deflate, messages sent compressed', deflate: true, compress: true },
      ];
      describe.each(peers)('what comes before the close frame ($peer)', ({ deflate, compress }) => {
        const open = () => (deflate ? connectDeflate(DEFLATE_OFFER) : connect());
        /** The bytes of one message, compressed (RSV1) when this row says so. */
        const frame = async (ws: RawWebSocket, opcode: number, data: Buffer) =>
          compress ? encodeFrame(opcode, await ws.deflate!.compress(data), { rsv: Rsv.Rsv1 }) : encodeFrame(opcode, data);

        it.each([
          { name: 'a text message', frames: [{ opcode: Op.Text, data: Buffer.from('before the close') }] },
          { name: 'a binary message', frames: [{ opcode: Op.Binary, data: Buffer.from([0, 1, 2, 255]) }] },
          { name: 'ten messages', frames: Array.from({ length: 10 }, (_, i) => ({ opcode: Op.Text, data: Buffer.from(`message ${i}`) })) },
          { name: 'a 2 KiB text message', frames: [{ opcode: Op.Text, data: Buffer.from('κόσμε '.repeat(200)) }] },
          { name: 'a 256 KiB message', frames: [{ opcode: Op.Binary, data: Buffer.alloc(256 * 1024, 0x5a) }] },
        ])('echoes $name written in the same write as the close, then answers the close', async ({ frames }) => {
          const ws = await open();
          const bytes: Buffer[] = [];
          for (const f of frames) bytes.push(await frame(ws, f.opcode, f.data));
          await ws.send(Buffer.concat([...bytes, encodeFrame(Op.Close, closePayload(1000))]));
          for (const f of frames) await ws.expectMessage(f.opcode, f.data);
          await expectCloseHandshake(ws, 1000);
        });

        it('echoes a message sent just before the close, in its own write', async () => {
          const ws = await open();
          const data = Buffer.from('x'.repeat(3000));
          await ws.send(await frame(ws, Op.Text, data));
          await ws.sendClose(1000);
          await ws.expectMessage(Op.Text, data);
          await expectCloseHandshake(ws, 1000);
        });

        it('answers a ping written with the close, then the close', async () => {
          const ws = await open();
          await ws.send(Buffer.concat([encodeFrame(Op.Ping, 'ping first'), encodeFrame(Op.Close, closePayload(1000))]));
          await ws.expectFrame(Op.Pong, 'ping first');
          await expectCloseHandshake(ws, 1000);
        });

        it('answers a close that interrupts a fragmented message, echoing nothing of it', async () => {
          const ws = await open();
          await ws.send(
            Buffer.concat([
              encodeFrame(Op.Text, 'frag', { fin: false }),
              encodeFrame(Op.Close, closePayload(1000)),
              encodeFrame(Op.Continuation, 'ment'),
            ]),
          );
          await expectCloseHandshake(ws, 1000);
        });

        it('answers a close that comes between the fragments of a message, sent apart', async () => {
          const ws = await open();
          await ws.sendFrame(Op.Text, 'frag', { fin: false });
          await ws.sendClose(1000);
          await expectCloseHandshake(ws, 1000);
        });
      });

      describe('TCP', () => {
        it('closes the connection when the client half-closes without a close frame', async () => {
          const ws = await connect();
          ws.end();
          await ws.waitEnded(2_000);
          // A close frame is allowed before the TCP close; data is not.
          for (const frame of ws.unread) expect(frame.opcode).toBe(Op.Close);
        });

        it('keeps the connection open while the client sends nothing', async () => {
          const ws = await connect();
          await ws.expectSilence(100);
          await ws.sendClose(1000);
          await expectCloseHandshake(ws, 1000);
        });
      });
    });
  });
}
