// The kit's own WebSocket server cases, groups 12 and 13 of the Autobahn|Testsuite numbering:
// permessage-deflate (RFC 7692), each case our own. What the RFC requires:
// - 6 / 7.2.3.1: RSV1 marks a compressed message, on its first frame only: "An endpoint MUST NOT
//   set the "Per-Message Compressed" bit of control frames and non-first fragments of a data
//   message. An endpoint receiving such a frame MUST _Fail the WebSocket Connection_." Without
//   the extension, RSV1 is a reserved bit (RFC 6455 5.2: 1002). A message without RSV1 is not
//   compressed and is read as it is.
// - 7.2.1/7.2.2: the payload is raw DEFLATE with the 00 00 ff ff of a sync flush removed.
// - 7.1.1: with server_no_context_takeover the server starts each message with an empty window;
//   7.1.2: with server_max_window_bits=N it uses at most a 2^N-byte window. Our client inflates
//   with exactly the agreed window and context, so a server that looks back further fails it.
// - 7.1: the negotiation: the server accepts at most one offer, may decline offers, MUST
//   decline one with an unknown or repeated parameter or an invalid value; with
//   server_no_context_takeover or server_max_window_bits in the offer its response carries them
//   (the window at most the offered one); it MUST NOT send client_max_window_bits unless
//   offered, and then at most the offered value.
import zlib from 'node:zlib';
import { expect } from '../../expect.js';
import { pseudoRandom } from '../bytes.js';
import {
  closeCleanly,
  connect,
  connectDeclining,
  connectDeflate,
  DEFLATE_OFFER,
  expectEchoThenFailure,
  expectFailure,
} from '../context.js';
import { encodeFrame, Op, parseDeflateResponse, type PerMessageDeflateParams, type RawWebSocket, Rsv } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
const OFFER = DEFLATE_OFFER;

/** Incompressible bytes, the same for the same seed. */
const bytes = pseudoRandom;

/** Compressible text of `n` bytes (words, some multi-byte). */
function text(n: number): Buffer {
  const words = ['deflate ', 'κόσμε ', 'message ', 'window ', '€uro ', 'context ', 'takeover '];
  const parts: string[] = [];
  for (let i = 0, length = 0; length < n; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length];
    parts.push(word);
    length += Buffer.byteLength(word);
  }
  const b = Buffer.from(parts.join(''));
  // Cut at a character boundary, then pad with ASCII.
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return Buffer.concat([b.subarray(0, end), Buffer.alloc(n - end, 0x2e)]);
}

/**
 * Messages that catch a server breaking the agreed window or context: a random block sent twice
 * (the second copy, deflated with context, points 2000 bytes back into the first message: past
 * a 512- or 1024-byte window, and into a previous message), text, an uncompressed message.
 */
async function exchange(ws: RawWebSocket): Promise<void> {
  const block = bytes(2000, 42);
  const messages = [
    { opcode: Op.Binary, data: block, compress: true },
    { opcode: Op.Binary, data: block, compress: true },
    { opcode: Op.Text, data: text(3000), compress: true },
    { opcode: Op.Text, data: text(3000), compress: true },
    { opcode: Op.Binary, data: Buffer.concat([block, block]), compress: false },
    { opcode: Op.Binary, data: block, compress: true },
  ];
  for (const m of messages) {
    if (m.compress) await ws.sendCompressed(m.opcode, m.data);
    else await ws.sendFrame(m.opcode, m.data);
    await ws.expectMessage(m.opcode, m.data);
  }
}

/** The cases of this file. */
export function deflateCases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('12 permessage-deflate messages', () => {
      const sizes = [0, 1, 16, 64, 256, 1023, 1024, 4096, 8192, 16384, 32768, 65536, 131072];
      const rows = [Op.Text, Op.Binary].flatMap((opcode) =>
        sizes.map((n) => ({ kind: opcode === Op.Text ? 'text' : 'binary', opcode, n })),
      );

      it.each(rows)('echoes five compressed $kind messages of $n bytes (context kept)', async ({ opcode, n }) => {
        const ws = await connectDeflate(OFFER);
        for (let i = 0; i < 5; i++) {
          const data = opcode === Op.Text ? text(n) : bytes(n, i % 2);
          await ws.sendCompressed(opcode, data);
          await ws.expectMessage(opcode, data, 15_000);
        }
        await closeCleanly(ws);
      });

      const fragmentCounts = [2, 3, 10, 100];
      it.each(fragmentCounts.map((fragments) => ({ fragments })))(
        'echoes a compressed message sent in $fragments fragments (RSV1 on the first only)',
        async ({ fragments }) => {
          const ws = await connectDeflate(OFFER);
          const data = text(20_000);
          await ws.sendCompressed(Op.Text, data, { fragments });
          await ws.expectMessage(Op.Text, data);
          await ws.sendCompressed(Op.Text, data, { fragments });
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        },
      );

      it.each([
        { how: 'byte by byte', split: 'bytewise' as const },
        { how: 'in writes of 7 bytes', split: { chunk: 7 } },
      ])('echoes a compressed message written $how', async ({ split }) => {
        const ws = await connectDeflate(OFFER);
        const data = text(300);
        await ws.sendCompressed(Op.Text, data, { fragments: 3, split });
        await ws.expectMessage(Op.Text, data);
        await closeCleanly(ws);
      });

      it('answers a ping between the fragments of a compressed message, then echoes it', async () => {
        const ws = await connectDeflate(OFFER);
        const data = text(5000);
        const compressed = await ws.deflate!.compress(data);
        const half = compressed.length >> 1;
        await ws.send(
          Buffer.concat([
            encodeFrame(Op.Text, compressed.subarray(0, half), { fin: false, rsv: Rsv.Rsv1 }),
            encodeFrame(Op.Ping, 'between'),
            encodeFrame(Op.Continuation, compressed.subarray(half)),
          ]),
        );
        await ws.expectFrame(Op.Pong, 'between');
        await ws.expectMessage(Op.Text, data);
        await closeCleanly(ws);
      });

      it.each([
        { what: 'text', opcode: Op.Text, data: text(2000) },
        { what: 'binary', opcode: Op.Binary, data: bytes(2000) },
        { what: 'fragmented text', opcode: Op.Text, data: text(2000), fragments: 4 },
      ])('echoes an uncompressed $what message (RSV1 clear) on a deflate connection', async ({ opcode, data, fragments }) => {
        const ws = await connectDeflate(OFFER);
        if (fragments === undefined) await ws.sendFrame(opcode, data);
        else {
          const size = Math.ceil(data.length / fragments);
          for (let i = 0; i < fragments; i++)
            await ws.sendFrame(i === 0 ? opcode : Op.Continuation, data.subarray(i * size, (i + 1) * size), { fin: i === fragments - 1 });
        }
        await ws.expectMessage(opcode, data);
        // And compressed messages still work after it, with the context intact.
        await ws.sendCompressed(opcode, data);
        await ws.expectMessage(opcode, data);
        await closeCleanly(ws);
      });

      it.each([
        { what: 'an empty payload', payload: Buffer.alloc(0) },
        { what: 'a single 0x00 byte (an empty stored block start, RFC 7692 7.2.3.6)', payload: Buffer.from([0x00]) },
        { what: 'an empty fixed block (02 00)', payload: Buffer.from([0x02, 0x00]) },
      ])('echoes an empty compressed message carried as $what', async ({ payload }) => {
        const ws = await connectDeflate(OFFER);
        await ws.sendFrame(Op.Text, payload, { rsv: Rsv.Rsv1 });
        await ws.expectMessage(Op.Text, '');
        await closeCleanly(ws);
      });

      // RFC 7692 7.2.3.3: a sender may end a message with a DEFLATE block that has BFINAL set. The
      // next message, deflated on its own (valid with or without context takeover), must inflate too.
      it('echoes a message compressed into a final (BFINAL) block, then the next message', async () => {
        const ws = await connectDeflate(OFFER);
        const first = text(500);
        const second = text(700);
        await ws.sendFrame(Op.Text, zlib.deflateRawSync(first), { rsv: Rsv.Rsv1 });
        await ws.expectMessage(Op.Text, first);
        await ws.sendFrame(Op.Text, zlib.deflateRawSync(second, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4), {
          rsv: Rsv.Rsv1,
        });
        await ws.expectMessage(Op.Text, second);
        await closeCleanly(ws);
      });

      // Many messages in one go: each echo is compressed in turn while the socket may be full; all
      // must go out, in order (a queue that stops when the socket needs draining loses the rest).
      const pipelined = [
        { what: '3 incompressible messages of 256 KiB', count: 3, make: (i: number) => bytes(256 * 1024, i) },
        { what: '20 incompressible messages of 64 KiB', count: 20, make: (i: number) => bytes(64 * 1024, i + 100) },
        { what: '100 text messages of 16 KiB', count: 100, make: (i: number) => Buffer.concat([Buffer.from(String(i)), text(16 * 1024)]) },
        { what: '300 text messages of 100 bytes', count: 300, make: (i: number) => Buffer.concat([Buffer.from(String(i)), text(100)]) },
      ];
      const pipelinedRows = pipelined.flatMap((row) =>
        [true, false].map((compress) => ({ ...row, compress, how: compress ? 'compressed' : 'uncompressed' })),
      );
      it.each(pipelinedRows)('echoes $what sent $how in one write, all of them, in order', async ({ count, make, compress }) => {
        const ws = await connectDeflate(OFFER);
        const messages = Array.from({ length: count }, (_, i) => make(i));
        const frames: Buffer[] = [];
        for (const m of messages)
          frames.push(compress ? encodeFrame(Op.Binary, await ws.deflate!.compress(m), { rsv: Rsv.Rsv1 }) : encodeFrame(Op.Binary, m));
        await ws.send(Buffer.concat(frames));
        for (const [i, m] of messages.entries()) {
          try {
            await ws.expectMessage(Op.Binary, m, 2_000);
          } catch (error) {
            throw new Error(`message ${i + 1} of ${count}: ${(error as Error).message}`);
          }
        }
        await closeCleanly(ws);
      });

      // Group 9 with compression: large messages, many compressed fragments (each one inflated
      // before the next frame is read).
      const large = [
        { what: '1 MiB of text in one frame', n: 1 << 20, kind: 'text', fragment: 1 << 20 },
        { what: '4 MiB of text in fragments of 64 KiB', n: 4 << 20, kind: 'text', fragment: 64 << 10 },
        { what: '1 MiB of text in fragments of 256 bytes', n: 1 << 20, kind: 'text', fragment: 256 },
        { what: '1 MiB of text in fragments of 4 KiB', n: 1 << 20, kind: 'text', fragment: 4 << 10 },
        { what: '1 MiB of incompressible bytes in one frame', n: 1 << 20, kind: 'random', fragment: 2 << 20 },
        { what: '1 MiB of incompressible bytes in fragments of 16 KiB', n: 1 << 20, kind: 'random', fragment: 16 << 10 },
      ];
      it.each(large)('echoes $what, compressed', async ({ n, kind, fragment }) => {
        const ws = await connectDeflate(OFFER);
        const data = kind === 'text' ? text(n) : bytes(n);
        const opcode = kind === 'text' ? Op.Text : Op.Binary;
        await ws.sendCompressed(opcode, data, { fragments: Math.max(1, Math.ceil(data.length / fragment)) });
        await ws.expectMessage(opcode, data, 15_000);
        await closeCleanly(ws);
      });

      // A client that stops reading for a while: the server's socket fills, and its queue of
      // compressed echoes must go on once the client reads again (RFC 6455 has no flow control of
      // its own: every message sent must arrive).
      const slow = [
        { what: '10 incompressible messages of 256 KiB sent compressed', deflate: true, compress: true },
        { what: '10 incompressible messages of 256 KiB sent uncompressed', deflate: true, compress: false },
        { what: '10 messages of 256 KiB without permessage-deflate', deflate: false, compress: false },
      ];
      it.each(slow)('echoes all of $what to a client that pauses reading for 300 ms', async ({ deflate, compress }) => {
        const ws = deflate ? await connectDeflate(OFFER) : await connect();
        const messages = Array.from({ length: 10 }, (_, i) => bytes(256 * 1024, i + 7));
        const frames: Buffer[] = [];
        for (const m of messages)
          frames.push(compress ? encodeFrame(Op.Binary, await ws.deflate!.compress(m), { rsv: Rsv.Rsv1 }) : encodeFrame(Op.Binary, m));
        ws.pauseReading();
        await ws.send(Buffer.concat(frames));
        await new Promise((resolve) => setTimeout(resolve, 300));
        ws.resumeReading();
        for (const [i, m] of messages.entries()) {
          try {
            await ws.expectMessage(Op.Binary, m, 2_000);
          } catch (error) {
            throw new Error(`message ${i + 1} of ${messages.length}: ${(error as Error).message}`);
          }
        }
        await closeCleanly(ws);
      });
    });

    describe('12 permessage-deflate protocol errors', () => {
      it.each([1, 2, 3, 4, 5, 6, 7].map((rsv) => ({ rsv })))(
        'fails a continuation frame with RSV=$rsv on a deflate connection with 1002',
        async ({ rsv }) => {
          const ws = await connectDeflate(OFFER);
          const compressed = await ws.deflate!.compress(text(1000));
          const half = compressed.length >> 1;
          await ws.send(
            Buffer.concat([
              encodeFrame(Op.Text, compressed.subarray(0, half), { fin: false, rsv: Rsv.Rsv1 }),
              encodeFrame(Op.Continuation, compressed.subarray(half), { rsv }),
            ]),
          );
          await expectFailure(ws, 1002);
        },
      );

      it('fails RSV1 on the continuation of an uncompressed message with 1002', async () => {
        const ws = await connectDeflate(OFFER);
        await ws.send(Buffer.concat([encodeFrame(Op.Text, 'abc', { fin: false }), encodeFrame(Op.Continuation, 'def', { rsv: Rsv.Rsv1 })]));
        await expectFailure(ws, 1002);
      });

      const controls = [Op.Ping, Op.Pong, Op.Close].flatMap((opcode) =>
        [Rsv.Rsv1, Rsv.Rsv2, Rsv.Rsv3].map((rsv) => ({
          what: ({ 8: 'close', 9: 'ping', 10: 'pong' } as Record<number, string>)[opcode],
          opcode,
          rsv,
        })),
      );
      it.each(controls)('fails a $what frame with RSV=$rsv on a deflate connection with 1002', async ({ opcode, rsv }) => {
        const ws = await connectDeflate(OFFER);
        await ws.sendFrame(opcode, opcode === Op.Close ? Buffer.from([0x03, 0xe8]) : Buffer.from('x'), { rsv });
        await expectFailure(ws, 1002);
      });

      const reserved = [Op.Text, Op.Binary].flatMap((opcode) =>
        [Rsv.Rsv2, Rsv.Rsv3, Rsv.Rsv2 | Rsv.Rsv3, Rsv.Rsv1 | Rsv.Rsv2, Rsv.Rsv1 | Rsv.Rsv3, 7].map((rsv) => ({
          what: opcode === Op.Text ? 'text' : 'binary',
          opcode,
          rsv,
        })),
      );
      it.each(reserved)(
        'fails a $what frame with RSV=$rsv (RSV2/RSV3 undefined by permessage-deflate) with 1002',
        async ({ opcode, rsv }) => {
          const ws = await connectDeflate(OFFER);
          const compressed = await ws.deflate!.compress(Buffer.from('hello'));
          await ws.sendFrame(opcode, compressed, { rsv });
          await expectFailure(ws, 1002);
        },
      );

      // RFC 6455 5.2: RSV1 with no extension that defines it.
      it.each([
        { what: 'the client did not offer permessage-deflate', extensions: undefined },
        { what: 'the client offered only something unknown', extensions: 'x-unknown-extension' },
        { what: 'the offer was declined (unknown parameter)', extensions: 'permessage-deflate; x_unknown' },
      ])('fails a compressed frame with 1002 when $what', async ({ extensions }) => {
        const ws = extensions === undefined ? await connect() : await connectDeclining(extensions);
        expect(ws.deflate, 'no permessage-deflate agreed').toBeNull();
        expect(ws.answer.headers['sec-websocket-extensions']).toBeUndefined();
        await ws.sendFrame(
          Op.Text,
          zlib.deflateRawSync(Buffer.from('hello'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4),
          {
            rsv: Rsv.Rsv1,
          },
        );
        await expectFailure(ws, 1002);
      });

      // RFC 7692 does not name the code for data that does not inflate; 1007 ("data within a
      // message that was not consistent with the type of the message") is what we expect, 1002 is
      // tolerated.
      it.each([
        { what: 'garbage', payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]) },
        { what: 'a reserved block type (BTYPE 11)', payload: Buffer.from([0x07, 0x00]) },
        // Deflated against a dictionary the server never saw: it points back before the data.
        {
          what: 'a distance before the start of the data',
          payload: zlib
            .deflateRawSync(bytes(500, 5), { dictionary: bytes(500, 5), finishFlush: zlib.constants.Z_SYNC_FLUSH })
            .subarray(0, -4),
        },
        { what: 'a stored block whose length check fails', payload: Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00, 0x41]) },
      ])('fails a compressed message made of $what', async ({ payload }) => {
        const ws = await connectDeflate(OFFER);
        await ws.sendFrame(Op.Binary, payload, { rsv: Rsv.Rsv1 });
        await expectFailure(ws, [1007, 1002]);
      });

      it.each([
        { what: 'a surrogate', data: Buffer.concat([Buffer.from('compressed '), Buffer.from([0xed, 0xa0, 0x80])]) },
        { what: 'byte 0xFF after 3000 bytes', data: Buffer.concat([Buffer.from('x'.repeat(3000)), Buffer.from([0xff])]) },
        { what: 'a sequence cut at the end', data: Buffer.concat([Buffer.from('compressed '), Buffer.from([0xe2, 0x82])]) },
      ])('fails a compressed text message that inflates to invalid UTF-8 ($what) with 1007', async ({ data }) => {
        const ws = await connectDeflate(OFFER);
        await ws.sendCompressed(Op.Text, data);
        await expectFailure(ws, 1007);
      });

      // The limit the user declared (--max-message-size): only then can a 1009 be asked for.
      const LIMIT = options.maxMessageSize;
      if (LIMIT !== undefined) {
        it.each([
          { what: '16 times the limit in zeros', size: 16 * LIMIT, fragments: 1 },
          { what: 'the limit + 1 in zeros', size: LIMIT + 1, fragments: 1 },
          { what: '16 times the limit in zeros, in 8 fragments', size: 16 * LIMIT, fragments: 8 },
        ])('fails a compressed message inflating past the declared maxMessageSize, $what, with 1009', async ({ size, fragments }) => {
          const ws = await connectDeflate(OFFER);
          await ws.sendCompressed(Op.Binary, Buffer.alloc(size), { fragments });
          await expectFailure(ws, 1009);
        });

        it('echoes a compressed message that inflates to exactly the declared maxMessageSize', async () => {
          const ws = await connectDeflate(OFFER);
          const data = Buffer.alloc(LIMIT, 0x61);
          await ws.sendCompressed(Op.Text, data);
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        });
      }

      // RFC 6455 7.1.7: the failing endpoint sends its close frame; what it was echoing before the
      // bad frame is still echoed first (the echo may be compressing when the bad frame is read).
      const errors = [
        { error: 'a frame with reserved opcode 5', code: 1002, bad: () => encodeFrame(5, 'x') },
        { error: 'a text frame with RSV2', code: 1002, bad: () => encodeFrame(Op.Text, 'x', { rsv: Rsv.Rsv2 }) },
        { error: 'an unmasked frame', code: 1002, bad: () => encodeFrame(Op.Text, 'x', { mask: false }) },
        { error: 'a continuation with nothing to continue', code: 1002, bad: () => encodeFrame(Op.Continuation, 'x') },
        { error: 'a ping of 126 bytes', code: 1002, bad: () => encodeFrame(Op.Ping, Buffer.alloc(126)) },
        { error: 'a close with code 1005', code: 1002, bad: () => encodeFrame(Op.Close, Buffer.from([0x03, 0xed])) },
        { error: 'a text message that is not UTF-8', code: 1007, bad: () => encodeFrame(Op.Text, Buffer.from([0x61, 0xff])) },
        ...(LIMIT === undefined
          ? []
          : [
              {
                error: 'a frame over maxMessageSize',
                code: 1009,
                bad: () => encodeFrame(Op.Binary, Buffer.alloc(0), { announce: 2 * LIMIT }),
              },
            ]),
      ];
      const errorRows = errors.flatMap((row) =>
        [true, false].map((compress) => ({ ...row, compress, how: compress ? 'compressed' : 'uncompressed' })),
      );
      it.each(errorRows)('echoes the $how message before $error, then fails with $code', async ({ code, bad, compress }) => {
        const ws = await connectDeflate(OFFER);
        const data = text(2000);
        const first = compress ? encodeFrame(Op.Text, await ws.deflate!.compress(data), { rsv: Rsv.Rsv1 }) : encodeFrame(Op.Text, data);
        await ws.send(Buffer.concat([first, bad(), encodeFrame(Op.Ping, 'no pong')]));
        await expectEchoThenFailure(ws, Op.Text, data, code);
      });
    });

    // ------------------------------------------------------------------------------------------------

    interface Negotiation {
      offer: string;
      /** What the response must carry (RFC 7692 7.1), for the offer that is accepted. */
      serverNoContextTakeover?: boolean;
      clientNoContextTakeover?: boolean;
      /** server_max_window_bits must be present, at most this. */
      serverBitsAtMost?: number;
      /** client_max_window_bits: absent ('absent'), or present and at most this. */
      clientBits?: 'absent' | number;
    }

    /** Checks the agreed parameters against what the offer allows (RFC 7692 7.1.1, 7.1.2). */
    function checkAgreed(params: PerMessageDeflateParams, raw: string, row: Negotiation): void {
      if (row.serverNoContextTakeover) expect(params.serverNoContextTakeover, `server_no_context_takeover in ${raw}`).toBe(true);
      if (row.clientNoContextTakeover) expect(params.clientNoContextTakeover, `client_no_context_takeover in ${raw}`).toBe(true);
      if (row.serverBitsAtMost !== undefined) {
        expect(raw, 'server_max_window_bits in the response').toMatch(/server_max_window_bits=/);
        expect(params.serverMaxWindowBits).toBeLessThanOrEqual(row.serverBitsAtMost);
      }
      if (row.clientBits === 'absent') expect(raw, 'no client_max_window_bits unless offered').not.toMatch(/client_max_window_bits/);
      // RFC 7692 7.1.2.2: the server MAY name it, and then at most the offered value.
      else if (row.clientBits !== undefined && /client_max_window_bits/.test(raw))
        expect(params.clientMaxWindowBits, 'client_max_window_bits in the response').toBeLessThanOrEqual(row.clientBits);
    }

    describe('13 permessage-deflate negotiation and parameters', () => {
      const accepted: Negotiation[] = [
        { offer: 'permessage-deflate', clientBits: 'absent' },
        { offer: 'permessage-deflate; client_max_window_bits' },
        { offer: 'permessage-deflate; server_no_context_takeover', serverNoContextTakeover: true, clientBits: 'absent' },
        { offer: 'permessage-deflate; client_no_context_takeover', clientBits: 'absent' },
        {
          offer: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
          serverNoContextTakeover: true,
          clientBits: 'absent',
        },
        ...[8, 9, 10, 11, 12, 13, 14, 15].map((n) => ({
          offer: `permessage-deflate; server_max_window_bits=${n}`,
          serverBitsAtMost: n,
          clientBits: 'absent' as const,
        })),
        ...[8, 9, 10, 11, 12, 13, 14, 15].map((n) => ({ offer: `permessage-deflate; client_max_window_bits=${n}`, clientBits: n })),
        ...[9, 12, 15].map((n) => ({
          offer: `permessage-deflate; server_no_context_takeover; server_max_window_bits=${n}; client_max_window_bits=${n}`,
          serverNoContextTakeover: true,
          serverBitsAtMost: n,
          clientBits: n,
        })),
        ...[8, 15].map((n) => ({ offer: `permessage-deflate; client_no_context_takeover; client_max_window_bits=${n}`, clientBits: n })),
        { offer: 'permessage-deflate; client_max_window_bits="10"', clientBits: 10 },
        { offer: 'permessage-deflate; server_max_window_bits="9"', serverBitsAtMost: 9 },
        { offer: 'permessage-deflate ;client_max_window_bits ; server_no_context_takeover', serverNoContextTakeover: true },
        // More than one offer: the first acceptable one (7: "the server accepts ... at most one").
        // Two offers: the server may accept either, so only what both allow is checked.
        { offer: 'permessage-deflate; server_max_window_bits=10, permessage-deflate' },
        { offer: 'permessage-deflate; x_unknown, permessage-deflate; server_no_context_takeover', serverNoContextTakeover: true },
        { offer: 'permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits', clientBits: 15 },
        { offer: 'x-webkit-deflate-frame, permessage-deflate', clientBits: 'absent' },
        {
          offer: 'permessage-deflate; client_max_window_bits=8; server_max_window_bits=8, permessage-deflate; client_max_window_bits=15',
          clientBits: 15,
        },
      ];

      const declined: Array<{ offer: string; why: string }> = [
        { offer: 'permessage-deflate; x_unknown', why: 'an unknown parameter' },
        { offer: 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', why: 'a repeated parameter' },
        { offer: 'permessage-deflate; client_max_window_bits=10; client_max_window_bits=11', why: 'a repeated parameter with values' },
        { offer: 'permessage-deflate; server_max_window_bits', why: 'server_max_window_bits without a value' },
        ...['7', '16', '0', '08', '1a', '-9', '9.0', '99999999999999999999'].map((v) => ({
          offer: `permessage-deflate; server_max_window_bits=${v}`,
          why: `server_max_window_bits=${v}`,
        })),
        ...['7', '16', '08', 'x'].map((v) => ({
          offer: `permessage-deflate; client_max_window_bits=${v}`,
          why: `client_max_window_bits=${v}`,
        })),
        { offer: 'permessage-deflate; server_no_context_takeover=1', why: 'a value on server_no_context_takeover' },
        { offer: 'permessage-deflate; client_no_context_takeover=true', why: 'a value on client_no_context_takeover' },
        { offer: 'x-webkit-deflate-frame', why: 'another extension only' },
        { offer: 'permessage-foo', why: 'an unknown extension' },
      ];

      // A server may decline any offer (RFC 7692 5): a declined one leaves the case UNIMPLEMENTED.
      it.each(accepted)('accepts "$offer" within what it allows, then exchanges compressed messages', async (row) => {
        const ws = await connectDeflate(row.offer);
        const raw = ws.answer.headers['sec-websocket-extensions'];
        const params = parseDeflateResponse(raw)!;
        checkAgreed(params, raw, row);
        await exchange(ws);
        await closeCleanly(ws);
      });

      it.each(declined)('declines an offer with $why (101 without the extension) and echoes uncompressed', async ({ offer }) => {
        const ws = await connectDeclining(offer);
        expect(ws.answer.headers['sec-websocket-extensions']).toBeUndefined();
        await ws.sendFrame(Op.Text, 'uncompressed');
        const { compressed } = await ws.expectMessage(Op.Text, 'uncompressed');
        expect(compressed).toBe(false);
        await closeCleanly(ws);
      });

      // Each negotiated parameter, checked on the data: the client inflates with exactly the agreed
      // window and context, deflates with exactly its own.
      const parameterRows = [
        { what: 'context takeover both ways (default)', offer: 'permessage-deflate; client_max_window_bits' },
        { what: 'server_no_context_takeover', offer: 'permessage-deflate; server_no_context_takeover' },
        { what: 'client_no_context_takeover', offer: 'permessage-deflate; client_no_context_takeover' },
        { what: 'both no_context_takeover', offer: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' },
        ...[9, 10, 11, 12, 13, 14, 15].map((n) => ({
          what: `server_max_window_bits=${n}`,
          offer: `permessage-deflate; server_max_window_bits=${n}`,
        })),
        {
          what: 'server_max_window_bits=8 (zlib deflates with 9; it must still fit a 256-byte window)',
          offer: 'permessage-deflate; server_max_window_bits=8',
        },
        ...[8, 9, 10, 11, 12, 13, 14, 15].map((n) => ({
          what: `client_max_window_bits=${n}`,
          offer: `permessage-deflate; client_max_window_bits=${n}`,
        })),
      ];
      it.each(parameterRows)('honours $what over 30 messages of mixed sizes', async ({ offer }) => {
        const ws = await connectDeflate(offer);
        const block = bytes(3000, 7);
        for (let i = 0; i < 30; i++) {
          // Repeats across messages (context), far-back repeats within one (window), small ones.
          const data = i % 3 === 0 ? block : i % 3 === 1 ? Buffer.concat([bytes(100 * i, i), block.subarray(0, 600)]) : text(50 + i * 37);
          await ws.sendCompressed(i % 3 === 2 ? Op.Text : Op.Binary, data);
          await ws.expectMessage(i % 3 === 2 ? Op.Text : Op.Binary, data);
        }
        await closeCleanly(ws);
      });

      it('keeps separate contexts per connection', async () => {
        const a = await connectDeflate(OFFER);
        const b = await connectDeflate(OFFER);
        const block = bytes(2000, 9);
        await a.sendCompressed(Op.Binary, block);
        await a.expectMessage(Op.Binary, block);
        // b has never seen the block: an echo that refers back into a's context would not inflate.
        await b.sendCompressed(Op.Binary, block);
        await b.expectMessage(Op.Binary, block);
        await a.sendCompressed(Op.Binary, block);
        await a.expectMessage(Op.Binary, block);
        await closeCleanly(a);
        await closeCleanly(b);
      });

      it('echoes a 20 KB repeat (only a large window finds it) after offering client_max_window_bits bare', async () => {
        const ws = await connectDeflate(OFFER);
        // A 20 KB repeat: only a large window finds it.
        const block = bytes(20_000, 11);
        await ws.sendCompressed(Op.Binary, Buffer.concat([block, block]));
        await ws.expectMessage(Op.Binary, Buffer.concat([block, block]));
        await ws.sendCompressed(Op.Binary, block);
        await ws.expectMessage(Op.Binary, block);
        await closeCleanly(ws);
      });
    });
  });
}
