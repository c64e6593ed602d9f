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
//   with the agreed window and context, so a server that looks back further fails it (past twice
//   the window by default: zlib checks distances only past what one inflate call wrote; 14.x.2-4
//   inflate in 64-byte steps, within 64 bytes of the window).
// - 7.1: the negotiation: the server accepts at most one offer, may decline offers, MUST
//   decline one with an unknown or repeated parameter or an invalid value; with
//   server_no_context_takeover or server_max_window_bits in the offer its response carries them
//   (the window at most the offered one); it MUST NOT send client_max_window_bits unless
//   offered, and then at most the offered value.
// Group 14 here (14.x): what context takeover costs a server in memory, judged by what can be
// seen from outside (a remote server's memory cannot be read): many connections held with their
// contexts, small windows honoured on the data, a long sequence inflating with its dictionary
// carried, and no_context_takeover messages inflating each on its own.
import { setTimeout as delay } from 'node:timers/promises';
import zlib from 'node:zlib';
import { expect } from '../../expect.js';
import { pseudoRandom } from '../bytes.js';
import { type Outcome, Unimplemented, Verdict } from '../../verdict.js';
import {
  closeCleanly,
  connect,
  connectDeclining,
  connectDeflate,
  context,
  DEFLATE_OFFER,
  expectEchoThenFailure,
  expectFailure,
} from '../context.js';
import {
  type ServerFrame,
  encodeFrame,
  Op,
  parseDeflateResponse,
  type PerMessageDeflateParams,
  RawWebSocket,
  Rsv,
} from '../raw-websocket.js';
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

// -- group 14: context-takeover memory ------------------------------------------------------------

/** Close codes a server may use to shed load on purpose (1001 going away, 1008 policy, 1013 try again later). */
const SHEDDING = [1001, 1008, 1013];

/** What became of one message on one held connection: nothing wrong (null), load shed, or broken. */
type Trouble = { kind: 'shed' | 'broken'; text: string } | null;

function closeCode(frame: ServerFrame): number | null {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null;
}

/** Whether `ws` was closed by the server (a close frame waiting, or TCP gone), as a Trouble. */
function closedTrouble(ws: RawWebSocket): Trouble {
  const close = ws.unread.find((f) => f.opcode === Op.Close);
  if (close !== undefined) {
    const code = closeCode(close);
    return {
      kind: code !== null && SHEDDING.includes(code) ? 'shed' : 'broken',
      text: `closed with ${code ?? 'no code'}${close.payload.length > 2 ? ` (${JSON.stringify(close.payload.subarray(2).toString())})` : ''}`,
    };
  }
  if (ws.ended) return { kind: 'broken', text: 'dropped the TCP connection without a close frame (1006)' };
  return null;
}

/** Sends `data` compressed on `ws` and judges the echo. */
async function echoHeld(ws: RawWebSocket, data: Buffer): Promise<Trouble> {
  await ws.sendCompressed(Op.Text, data);
  await ws.settle(() => ws.unread.length > 0 || ws.ended, 15_000);
  if (ws.unread[0]?.opcode === Op.Close || (ws.unread.length === 0 && ws.ended)) return closedTrouble(ws);
  if (ws.unread.length === 0) return { kind: 'broken', text: 'no echo within 15 s' };
  try {
    await ws.expectMessage(Op.Text, data, 15_000);
    return null;
  } catch (error) {
    return { kind: 'broken', text: (error as Error).message.split('\n')[0] };
  }
}

/** Runs `work` on every item, `width` at a time. */
async function inWaves<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < items.length; from += width)
    await Promise.all(items.slice(from, from + width).map((item, i) => work(item, from + i)));
}

/** What many connections held with context takeover showed: see the case's expectation. */
async function holdMany(count: number): Promise<Outcome> {
  const ctx = context();
  const started = performance.now();
  // The first connection alone: a server without permessage-deflate stops the case here.
  const first = await connectDeflate(OFFER);
  const held: RawWebSocket[] = [first];
  const refused: string[] = [];
  let declined = 0;
  await inWaves(
    Array.from({ length: count - 1 }, (_, i) => i + 1),
    25,
    async (k) => {
      try {
        const ws = ctx.track(await RawWebSocket.open(ctx.target, { extensions: OFFER, timeout: 10_000 }), k >= 3);
        if (ws.deflate === null) declined++;
        else held.push(ws);
      } catch (error) {
        refused.push(`connection ${k + 1}: ${(error as Error).message.split('\n')[0]}`);
      }
    },
  );
  const troubles: Array<{ k: number; when: string; trouble: NonNullable<Trouble> }> = [];
  const round = async (when: string, message: (k: number) => Buffer) =>
    inWaves(held, 50, async (ws, k) => {
      if (troubles.some((t) => t.k === k)) return;
      const trouble = await echoHeld(ws, message(k));
      if (trouble !== null) troubles.push({ k, when, trouble });
    });
  const firstMessage = (k: number) => Buffer.concat([Buffer.from(`connection ${k + 1}: `), text(4000)]);
  await round('first message', firstMessage);
  // Held: nothing sent for a second; a server that frees or loses contexts under this load shows it now.
  await delay(1_000);
  for (const [k, ws] of held.entries()) {
    const trouble = troubles.some((t) => t.k === k) ? null : closedTrouble(ws);
    if (trouble !== null) troubles.push({ k, when: 'while held', trouble });
  }
  // The second message repeats most of the first: our deflater points back into it, so only a
  // server that kept this connection's inflate context can read it.
  await round('second message (refers into the first)', (k) =>
    Buffer.concat([Buffer.from(`again ${k + 1}: `), firstMessage(k).subarray(0, 3000)]),
  );
  const ms = Math.round(performance.now() - started);
  await Promise.all(held.map((ws) => ws.sendClose(1000)));
  await Promise.all(held.map((ws) => ws.settle(() => ws.ended, 3_000)));
  // Still up, and its contexts given back? A fresh connection, one compressed echo.
  let alive = 'it answered a fresh connection after';
  try {
    const trouble = await echoHeld(await connectDeflate(OFFER), text(2000));
    if (trouble !== null) troubles.push({ k: -1, when: 'after, on a fresh connection', trouble });
  } catch (error) {
    // Switching a fresh connection without compression is allowed; failing to switch it is not.
    if (error instanceof Unimplemented) alive = 'it switched a fresh connection after, without permessage-deflate';
    else
      troubles.push({
        k: -1,
        when: 'after',
        trouble: { kind: 'broken', text: `a fresh connection failed: ${(error as Error).message.split('\n')[0]}` },
      });
  }
  const list = (items: typeof troubles) =>
    items
      .slice(0, 3)
      .map((t) => `${t.k < 0 ? '' : `connection ${t.k + 1}, `}${t.when}: ${t.trouble.text}`)
      .join('; ') + (items.length > 3 ? `; and ${items.length - 3} more` : '');
  const broken = troubles.filter((t) => t.trouble.kind === 'broken');
  const shed = troubles.filter((t) => t.trouble.kind === 'shed');
  const measured = { connections: held.length, ms };
  if (broken.length > 0)
    return {
      verdict: Verdict.Failed,
      reason: `${broken.length} of ${held.length} connections with permessage-deflate failed (1011, 1006, a wrong echo or no answer are not load shedding): ${list(broken)}`,
      measured,
    };
  const kept = `${held.length - shed.length} connections held with context takeover both ways echoed two messages each, the second read through the context of the first; ${alive}`;
  if (refused.length > 0 || shed.length > 0)
    return {
      verdict: Verdict.Informational,
      reason: `${kept}. It refused ${refused.length} connection(s) and shed ${shed.length} (a limit of its own; whether it is memory cannot be seen from here): ${[...refused.slice(0, 3), list(shed)].filter((x) => x !== '').join('; ')}`,
      measured,
    };
  return {
    verdict: Verdict.Ok,
    reason: `${kept}${declined > 0 ? `; ${declined} further connection(s) were switched without permessage-deflate (a server may bound its zlib memory so)` : ''}`,
    measured,
  };
}

/** A text message of the long sequence: phrases that recur across messages, so context takeover pays. */
function sequenceMessage(i: number): Buffer {
  const phrases = Array.from(
    { length: 40 },
    (_, p) => `${p * 7919} ${['κόσμε', 'window', 'context', '€uro', 'inflate'][p % 5]} phrase ${p}; `,
  );
  const parts = [`message ${i}: `];
  for (let j = 0; j < 60; j++) parts.push(phrases[(i * 7 + j * 13 + (i >> 2)) % phrases.length]);
  return Buffer.from(parts.join(''));
}

/** Rewords an inflate failure of the server's echo as what it means. */
function inflateFailure(error: unknown, what: string): Error {
  const message = (error as Error).message;
  return /distance/.test(message) ? new Error(`${what} (zlib: ${message})`) : (error as Error);
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

    describe('14 permessage-deflate memory (context takeover)', () => {
      const held = options.heldConnections ?? 200;
      it(
        `holds ${held} connections, each with context takeover both ways and a message sent, and echoes on all of them`,
        () => holdMany(held),
        {
          timeoutMs: 120_000,
          expectation:
            `Every connection echoes its first message, stays open through a second of silence, then echoes a second message that our deflater wrote against the first (so the server must still hold that connection's inflate context); none is closed with 1011 or dropped (1006); a fresh connection is answered after. ` +
            'Refusing some handshakes or closing with 1001/1008/1013 is a limit of its own: INFORMATIONAL; switching without permessage-deflate beyond some number is allowed (OK). ' +
            "Measures what a client sees; the server's memory itself cannot be read from here. UNIMPLEMENTED when permessage-deflate is declined.",
        },
      );

      it.each([8, 9, 11].map((bits) => ({ bits, window: 1 << bits })))(
        'agrees server_max_window_bits=$bits and client_max_window_bits=$bits, and its compressed echoes never look back past $window bytes',
        async ({ bits }) => {
          const offer = `permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${bits}`;
          const ws = await connectDeflate(offer);
          const raw = ws.answer.headers['sec-websocket-extensions'];
          if (!/server_max_window_bits/.test(raw))
            throw new Error(
              `accepted "${offer}" answering "${raw}": RFC 7692 7.1.2.1: it accepts server_max_window_bits by naming it, or declines the offer`,
            );
          const agreed = ws.deflate!.params.serverMaxWindowBits;
          expect(agreed, 'server_max_window_bits in the response').toBeLessThanOrEqual(bits);
          // Inflate in 64-byte steps: zlib then refuses any distance past the window (by 64 bytes at most).
          ws.deflate!.inflateChunk = 64;
          const window = 1 << agreed;
          const block = bytes(window + 200, bits);
          const messages = [
            { opcode: Op.Binary, data: Buffer.concat([block, block]) },
            { opcode: Op.Binary, data: block },
            { opcode: Op.Text, data: text(3000) },
            { opcode: Op.Binary, data: Buffer.concat([bytes(300, bits + 1), block]) },
            { opcode: Op.Text, data: Buffer.concat([text(1500), text(1500)]) },
          ];
          let compressed = 0;
          for (const [i, m] of messages.entries()) {
            await ws.sendCompressed(m.opcode, m.data);
            try {
              if ((await ws.expectMessage(m.opcode, m.data, 10_000)).compressed) compressed++;
            } catch (error) {
              throw inflateFailure(
                error,
                `echo ${i + 1}: it looks back further than the agreed ${window}-byte window (server_max_window_bits=${agreed}, RFC 7692 7.1.2.1)`,
              );
            }
          }
          await closeCleanly(ws);
          if (compressed === 0)
            return {
              verdict: Verdict.Informational,
              reason: `agreed server_max_window_bits=${agreed} but sent every echo uncompressed: its window could not be seen on the data`,
            };
          return {
            verdict: Verdict.Ok,
            reason: `${compressed} of ${messages.length} echoes compressed, each within the ${window}-byte window`,
          };
        },
        {
          expectation:
            'The response names server_max_window_bits at most the offered value, and every compressed echo inflates with a raw inflater held to that window (in 64-byte steps, so a distance past the window fails), its context carried across messages. A smaller window is what a server agrees to to spend less memory per connection; that it allocates less cannot be seen, only that its data keep within it. INFORMATIONAL when nothing comes back compressed; UNIMPLEMENTED when the offer is declined.',
        },
      );

      it(
        'keeps inflating and echoing 300 messages that each refer back into earlier ones (context takeover both ways)',
        async () => {
          const ws = await connectDeflate(OFFER);
          let wire = 0;
          let alone = 0;
          let compressed = 0;
          for (let i = 0; i < 300; i++) {
            const data = sequenceMessage(i);
            await ws.sendCompressed(Op.Text, data);
            try {
              const echo = await ws.expectMessage(Op.Text, data, 10_000);
              if (echo.compressed) {
                compressed++;
                wire += echo.wire;
                alone += zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length - 4;
              }
            } catch (error) {
              throw new Error(`message ${i + 1} of 300: ${(error as Error).message}`);
            }
          }
          await closeCleanly(ws);
          const context = ws.deflate!.params.serverNoContextTakeover
            ? 'it agreed server_no_context_takeover'
            : compressed === 0
              ? 'it sent every echo uncompressed'
              : wire < alone * 0.7
                ? `its ${compressed} compressed echoes took ${wire} bytes against ${alone} deflated each on its own: it carries its context`
                : `its ${compressed} compressed echoes took ${wire} bytes against ${alone} deflated each on its own: it starts each message afresh (allowed)`;
          return {
            verdict: Verdict.Ok,
            reason: `all 300 echoed, each read through the context of those before; ${context}`,
            measured: { wire, alone },
          };
        },
        {
          timeoutMs: 60_000,
          expectation:
            "Every message, deflated by us with the context of all before it, is inflated by the server (its inflater keeps the dictionary across messages) and echoed; the server's compressed echoes inflate with one inflater carried across them. The reason tells whether the server's echoes use its context (their size against each deflated alone): both are allowed. UNIMPLEMENTED when permessage-deflate is declined.",
        },
      );

      it(
        'with server_no_context_takeover and client_no_context_takeover agreed, echoes 100 near-identical messages each inflating on its own',
        async () => {
          const offer = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
          const ws = await connectDeflate(offer);
          const raw = ws.answer.headers['sec-websocket-extensions'];
          if (!ws.deflate!.params.serverNoContextTakeover)
            throw new Error(`accepted "${offer}" answering "${raw}": RFC 7692 7.1.1.1: the response MUST carry server_no_context_takeover`);
          const base = text(3000);
          let compressed = 0;
          for (let i = 0; i < 100; i++) {
            const data = Buffer.concat([Buffer.from(`${i} `), base]);
            // Deflated afresh each time, as we promised.
            const payload = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
            await ws.send(encodeFrame(Op.Text, payload, { rsv: Rsv.Rsv1 }));
            try {
              // The kit's inflater is a fresh one for each message (server_no_context_takeover).
              if ((await ws.expectMessage(Op.Text, data, 10_000)).compressed) compressed++;
            } catch (error) {
              throw inflateFailure(
                error,
                `echo ${i + 1}: it refers back into an earlier message after agreeing server_no_context_takeover (RFC 7692 7.1.1.1)`,
              );
            }
          }
          await closeCleanly(ws);
          if (compressed === 0)
            return {
              verdict: Verdict.Informational,
              reason: 'every echo came uncompressed: the context rule could not be seen on the data',
            };
          return { verdict: Verdict.Ok, reason: `${compressed} of 100 echoes compressed, each inflating with a fresh inflater` };
        },
        {
          timeoutMs: 60_000,
          expectation:
            'The response carries server_no_context_takeover; every compressed echo inflates with a fresh inflater (a server that kept its deflate context, which a near-identical message would make it use, fails the inflate); our messages are deflated afresh and must be read so. That the server frees its windows between messages cannot be seen, only that its data do not need them. INFORMATIONAL when nothing comes back compressed; UNIMPLEMENTED when the offer is declined.',
        },
      );
    });
  });
}
