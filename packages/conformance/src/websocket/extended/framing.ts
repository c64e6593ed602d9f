// The kit's own WebSocket server cases, groups 1-5 of the Autobahn|Testsuite numbering (framing,
// ping/pong, reserved bits, opcodes, fragmentation), each written for the kit, driven by its raw client
// against an echo server. What each case expects is what RFC 6455
// requires: data echoed as sent, pings answered by pongs with the same payload (5.5.2, 5.5.3),
// and for a protocol error a close 1002 (7.4.1), then the TCP connection closed by the server with
// nothing echoed after the error (7.1.7).
import { pseudoRandom } from '../bytes.js';
import { closeCleanly, connect, expectEchoThenFailure, expectFailure } from '../context.js';
import { encodeFrame, fragments, Op, type Split } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
/** Deterministic bytes (a small LCG), so a failing case can be replayed. */
/** Incompressible bytes, the same for the same seed. */
const bytes = pseudoRandom;

/** ASCII text of `n` bytes. */
function text(n: number): Buffer {
  const out = bytes(n);
  for (let i = 0; i < n; i++) out[i] = 0x20 + (out[i] % 95);
  return out;
}

const payloadFor = (opcode: number, n: number) => (opcode === Op.Text ? text(n) : bytes(n));
const opName = (opcode: number) =>
  ({ 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' })[opcode] ?? `opcode ${opcode}`;

/** The cases of this file. */
export function framingCases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('1 framing', () => {
      const lengths = [0, 125, 126, 127, 128, 65535, 65536, 131072, 1 << 20];
      const splits: Array<{ how: string; split: (frameLength: number) => Split; upTo: number }> = [
        { how: 'in one write', split: () => 'whole', upTo: Infinity },
        { how: 'in writes of 997 bytes', split: () => ({ chunk: 997 }), upTo: Infinity },
        // Every cut inside the header: 1 byte, 2, ... then the payload at once.
        {
          how: 'header byte by byte, then the payload',
          split: () => ({ at: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] }),
          upTo: Infinity,
        },
        { how: 'byte by byte', split: () => 'bytewise', upTo: 128 },
      ];
      const rows = [Op.Text, Op.Binary].flatMap((opcode) =>
        lengths.flatMap((length) =>
          splits
            .filter((s) => length <= s.upTo)
            .map((s) => ({ name: `${opName(opcode)} of ${length} bytes ${s.how}`, opcode, length, split: s.split })),
        ),
      );

      it.each(rows)('echoes a $name', async ({ opcode, length, split }) => {
        const ws = await connect();
        const payload = payloadFor(opcode, length);
        const frame = encodeFrame(opcode, payload);
        await ws.send(frame, split(frame.length));
        await ws.expectMessage(opcode, payload, 5_000);
        await closeCleanly(ws);
      });

      const batches = [
        { name: '20 text messages of 0..19 bytes', sizes: Array.from({ length: 20 }, (_, i) => i) },
        { name: '5 messages across the length forms (125, 126, 65535, 65536, 0)', sizes: [125, 126, 65535, 65536, 0] },
      ];
      it.each(batches)('echoes $name written in one write, in order', async ({ sizes }) => {
        const ws = await connect();
        const messages = sizes.map((n, i) => ({
          opcode: i % 2 === 0 ? Op.Text : Op.Binary,
          payload: payloadFor(i % 2 === 0 ? Op.Text : Op.Binary, n),
        }));
        await ws.send(Buffer.concat(messages.map((m) => encodeFrame(m.opcode, m.payload))));
        for (const m of messages) await ws.expectMessage(m.opcode, m.payload);
        await closeCleanly(ws);
      });

      // RFC 6455 5.1: "The server MUST close the connection upon receiving a frame that is not masked."
      const unmasked = [
        { opcode: Op.Text, payload: 'hello' },
        { opcode: Op.Binary, payload: 'hello' },
        { opcode: Op.Text, payload: '' },
        { opcode: Op.Ping, payload: 'ping' },
        { opcode: Op.Pong, payload: '' },
        { opcode: Op.Close, payload: Buffer.from([0x03, 0xe8]) },
      ];
      it.each(unmasked.map((u) => ({ ...u, name: opName(u.opcode), size: u.payload.length })))(
        'fails an unmasked $name frame ($size bytes) with 1002',
        async ({ opcode, payload }) => {
          const ws = await connect();
          await ws.send(Buffer.concat([encodeFrame(opcode, payload, { mask: false }), encodeFrame(Op.Text, 'after')]));
          await expectFailure(ws);
        },
      );

      // RFC 6455 5.2: "the most significant bit MUST be 0" in a 64-bit length.
      it.each([
        { name: '2^63', high: 0x80000000 },
        { name: '2^64 - 1', high: 0xffffffff },
      ])('fails a frame whose 64-bit length has the high bit set ($name) with 1002 or 1009', async ({ high }) => {
        const ws = await connect();
        const header = Buffer.alloc(14);
        header[0] = 0x82;
        header[1] = 0x80 | 127;
        header.writeUInt32BE(high, 2);
        header.writeUInt32BE(0xffffffff, 6);
        await ws.send(header);
        // 1009 (too big) is as fair an answer as 1002 (a length no frame may have).
        await expectFailure(ws, [1002, 1009]);
      });
    });

    describe('2 ping/pong', () => {
      // RFC 6455 5.5.3: "A Pong frame sent in response to a Ping frame must have identical
      // "Application data" as found in the message body of the Ping frame being replied to."
      it.each(Array.from({ length: 126 }, (_, n) => ({ n })))('answers a ping of $n bytes with a pong of the same bytes', async ({ n }) => {
        const ws = await connect();
        const payload = bytes(n, n + 1000);
        await ws.sendFrame(Op.Ping, payload);
        await ws.expectFrame(Op.Pong, payload);
        await closeCleanly(ws);
      });

      it.each([
        { name: 'byte by byte', split: 'bytewise' as Split },
        { name: 'in two writes', split: { at: [3] } as Split },
      ])('answers a 125-byte ping written $name', async ({ split }) => {
        const ws = await connect();
        const payload = text(125);
        await ws.sendFrame(Op.Ping, payload, { split });
        await ws.expectFrame(Op.Pong, payload);
        await closeCleanly(ws);
      });

      // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less."
      it.each([126, 127, 1000, 65535, 65536].map((n) => ({ n })))(
        'fails a ping announcing $n bytes with 1002, without a pong',
        async ({ n }) => {
          const ws = await connect();
          const payload = n <= 1000 ? bytes(n) : Buffer.alloc(0);
          await ws.send(Buffer.concat([encodeFrame(Op.Ping, payload, { announce: n }), encodeFrame(Op.Text, 'not echoed')]));
          await expectFailure(ws);
        },
      );

      it.each([126, 127].map((n) => ({ n })))('fails a pong of $n bytes with 1002', async ({ n }) => {
        const ws = await connect();
        await ws.sendFrame(Op.Pong, bytes(n));
        await expectFailure(ws);
      });

      // RFC 6455 5.5.3: "A response to an unsolicited Pong frame is not expected."
      it.each([
        { name: 'empty', payload: Buffer.alloc(0) },
        { name: 'with a payload', payload: Buffer.from('unsolicited') },
        { name: 'of 125 bytes', payload: bytes(125) },
      ])('ignores an unsolicited pong ($name): the next message is echoed and nothing else', async ({ payload }) => {
        const ws = await connect();
        await ws.sendFrame(Op.Pong, payload);
        await ws.sendFrame(Op.Text, 'after the pong');
        await ws.expectMessage(Op.Text, 'after the pong');
        await closeCleanly(ws);
      });

      it('answers only the ping after an unsolicited pong', async () => {
        const ws = await connect();
        await ws.send(Buffer.concat([encodeFrame(Op.Pong, 'unsolicited'), encodeFrame(Op.Ping, 'solicited')]));
        await ws.expectFrame(Op.Pong, 'solicited');
        await closeCleanly(ws);
      });

      it.each([
        { name: 'in one write', split: 'whole' as const },
        { name: 'one write per ping', split: 'per-frame' as const },
      ])('answers 10 pings in a row ($name) with 10 pongs, in order', async ({ split }) => {
        const ws = await connect();
        const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
        const frames = payloads.map((p) => encodeFrame(Op.Ping, p));
        if (split === 'whole') await ws.send(Buffer.concat(frames));
        else for (const frame of frames) await ws.send(frame);
        for (const p of payloads) await ws.expectFrame(Op.Pong, p);
        await closeCleanly(ws);
      });

      it('answers a ping sent between the fragments of a message, then echoes the message', async () => {
        const ws = await connect();
        await ws.sendFrame(Op.Text, 'frag', { fin: false });
        await ws.sendFrame(Op.Ping, 'between');
        await ws.expectFrame(Op.Pong, 'between');
        await ws.sendFrame(Op.Continuation, 'ment');
        await ws.expectMessage(Op.Text, 'fragment');
        await closeCleanly(ws);
      });
    });

    describe('3 reserved bits', () => {
      // RFC 6455 5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings for
      // non-zero values. If a nonzero value is received and none of the negotiated extensions
      // defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail the WebSocket
      // Connection_." No extension is negotiated here.
      const opcodes = [Op.Text, Op.Binary, Op.Ping, Op.Pong, Op.Close];
      const payloadOf = (opcode: number) => (opcode === Op.Close ? Buffer.from([0x03, 0xe8]) : Buffer.from('reserved'));
      const rows = opcodes.flatMap((opcode) => [1, 2, 3, 4, 5, 6, 7].map((rsv) => ({ name: opName(opcode), opcode, rsv })));

      it.each(rows)('fails a $name frame with RSV=$rsv with 1002, and answers nothing', async ({ opcode, rsv }) => {
        const ws = await connect();
        await ws.send(Buffer.concat([encodeFrame(opcode, payloadOf(opcode), { rsv }), encodeFrame(Op.Ping, 'no pong')]));
        await expectFailure(ws);
      });

      it.each(rows)('echoes a valid message first, then fails a $name frame with RSV=$rsv (one write)', async ({ opcode, rsv }) => {
        const ws = await connect();
        await ws.send(
          Buffer.concat([
            encodeFrame(Op.Text, 'valid first'),
            encodeFrame(opcode, payloadOf(opcode), { rsv }),
            encodeFrame(Op.Ping, 'no pong'),
          ]),
        );
        await expectEchoThenFailure(ws, Op.Text, 'valid first');
      });

      it.each([1, 2, 3, 4, 5, 6, 7].map((rsv) => ({ rsv })))(
        'fails a text frame with RSV=$rsv written byte by byte, after echoing the message before it',
        async ({ rsv }) => {
          const ws = await connect();
          await ws.sendFrame(Op.Text, 'valid first');
          await ws.expectMessage(Op.Text, 'valid first');
          await ws.sendFrame(Op.Text, 'reserved', { rsv, split: 'bytewise' });
          await expectFailure(ws);
        },
      );

      it.each([1, 2, 3, 4, 5, 6, 7].map((rsv) => ({ rsv })))(
        'fails a continuation frame with RSV=$rsv with 1002, without echoing the message',
        async ({ rsv }) => {
          const ws = await connect();
          await ws.send(Buffer.concat([encodeFrame(Op.Text, 'first', { fin: false }), encodeFrame(Op.Continuation, 'second', { rsv })]));
          await expectFailure(ws);
        },
      );
    });

    describe('4 opcodes', () => {
      // RFC 6455 5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
      // WebSocket Connection_." 3-7 are reserved for data frames, 11-15 for control frames.
      const reserved = [3, 4, 5, 6, 7, 11, 12, 13, 14, 15];

      it.each(reserved.map((opcode) => ({ opcode })))('fails an empty frame with reserved opcode $opcode with 1002', async ({ opcode }) => {
        const ws = await connect();
        await ws.sendFrame(opcode);
        await expectFailure(ws);
      });

      it.each(reserved.map((opcode) => ({ opcode })))(
        'fails a frame with reserved opcode $opcode and a payload with 1002',
        async ({ opcode }) => {
          const ws = await connect();
          await ws.sendFrame(opcode, 'reserved opcode payload');
          await expectFailure(ws);
        },
      );

      it.each(reserved.map((opcode) => ({ opcode })))(
        'echoes the text before a frame with reserved opcode $opcode, then fails with 1002 and answers no ping after it',
        async ({ opcode }) => {
          const ws = await connect();
          await ws.sendFrame(Op.Text, 'before');
          await ws.sendFrame(opcode, 'x');
          await ws.sendFrame(Op.Ping, 'after');
          await expectEchoThenFailure(ws, Op.Text, 'before');
        },
      );

      it.each(reserved.map((opcode) => ({ opcode })))(
        'fails reserved opcode $opcode inside a fragmented message with 1002',
        async ({ opcode }) => {
          const ws = await connect();
          await ws.send(
            Buffer.concat([
              encodeFrame(Op.Text, 'frag', { fin: false }),
              encodeFrame(opcode, 'x', { fin: opcode < 8 ? false : true }),
              encodeFrame(Op.Continuation, 'ment'),
            ]),
          );
          await expectFailure(ws);
        },
      );
    });

    describe('5 fragmentation', () => {
      const counts = [1, 2, 3, 10, 64];
      const echoed = [Op.Text, Op.Binary].flatMap((opcode) =>
        counts.flatMap((n) =>
          (['in one write', 'one write per frame'] as const).map((how) => ({
            name: `${opName(opcode)} in ${n} fragment(s) ${how}`,
            opcode,
            n,
            how,
          })),
        ),
      );

      // RFC 6455 5.4: a message is "a single frame with the FIN bit clear and an opcode other than
      // 0, followed by zero or more frames with the FIN bit clear and the opcode set to 0, and
      // terminated by a single frame with the FIN bit set and an opcode of 0".
      it.each(echoed)('echoes a $name whole', async ({ opcode, n, how }) => {
        const ws = await connect();
        const payload = payloadFor(opcode, 10 * n + 7);
        const pieces = Array.from({ length: n }, (_, i) =>
          payload.subarray(Math.floor((i * payload.length) / n), Math.floor(((i + 1) * payload.length) / n)),
        );
        const frames = pieces.map((piece, i) => encodeFrame(i === 0 ? opcode : Op.Continuation, piece, { fin: i === n - 1 }));
        if (how === 'in one write') await ws.send(Buffer.concat(frames));
        else for (const frame of frames) await ws.send(frame);
        await ws.expectMessage(opcode, payload);
        await closeCleanly(ws);
      });

      const empties = [
        { name: 'an empty first fragment', pieces: ['', 'abc', 'def'] },
        { name: 'an empty middle fragment', pieces: ['abc', '', 'def'] },
        { name: 'an empty last fragment', pieces: ['abc', 'def', ''] },
        { name: 'only empty fragments', pieces: ['', '', ''] },
        { name: 'two empty fragments', pieces: ['', ''] },
      ];
      it.each(empties)('echoes a text message made of $name', async ({ pieces }) => {
        const ws = await connect();
        await ws.send(fragments(Op.Text, pieces));
        await ws.expectMessage(Op.Text, pieces.join(''));
        await closeCleanly(ws);
      });

      // RFC 6455 5.4: "Control frames MAY be injected in the middle of a fragmented message."
      const injected = [
        { name: 'a ping between two fragments', layout: ['frag', 'ping:p1', 'ment'], pongs: ['p1'] },
        { name: 'a pong between two fragments (ignored)', layout: ['frag', 'pong:x', 'ment'], pongs: [] },
        {
          name: 'a ping after each of five fragments',
          layout: ['a', 'ping:1', 'b', 'ping:2', 'c', 'ping:3', 'd', 'ping:4', 'e'],
          pongs: ['1', '2', '3', '4'],
        },
        { name: 'a pong then a ping between fragments', layout: ['ab', 'pong:x', 'ping:y', 'cd'], pongs: ['y'] },
        { name: 'three pings in a row between fragments', layout: ['ab', 'ping:1', 'ping:2', 'ping:3', 'cd'], pongs: ['1', '2', '3'] },
        { name: 'an empty ping between empty fragments', layout: ['', 'ping:', ''], pongs: [''] },
      ];
      const injectedRows = injected.flatMap((row) =>
        (['in one write', 'one write per frame', 'byte by byte'] as const).map((how) => ({ ...row, how })),
      );
      it.each(injectedRows)('answers $name ($how) and echoes the message', async ({ layout, pongs, how }) => {
        const ws = await connect();
        const dataPieces = layout.filter((p) => !p.startsWith('ping:') && !p.startsWith('pong:'));
        let index = 0;
        const frames = layout.map((p) => {
          if (p.startsWith('ping:')) return encodeFrame(Op.Ping, p.slice(5));
          if (p.startsWith('pong:')) return encodeFrame(Op.Pong, p.slice(5));
          const i = index++;
          return encodeFrame(i === 0 ? Op.Text : Op.Continuation, p, { fin: i === dataPieces.length - 1 });
        });
        if (how === 'in one write') await ws.send(Buffer.concat(frames));
        else if (how === 'byte by byte') await ws.send(Buffer.concat(frames), 'bytewise');
        else for (const frame of frames) await ws.send(frame);
        for (const p of pongs) await ws.expectFrame(Op.Pong, p);
        await ws.expectMessage(Op.Text, dataPieces.join(''));
        await closeCleanly(ws);
      });

      // RFC 6455 5.4 / 5.2: a continuation frame continues a fragmented message; with none started
      // there is nothing to continue: a protocol error.
      const orphans = [true, false].flatMap((fin) =>
        ['', 'payload'].flatMap((payload) =>
          (['in one write', 'byte by byte'] as const).map((how) => ({
            name: `${payload === '' ? 'an empty' : 'a'} continuation frame (FIN ${fin ? 1 : 0}) ${how}`,
            fin,
            payload,
            how,
          })),
        ),
      );
      it.each(orphans)('fails $name with no message to continue with 1002, echoing nothing after it', async ({ fin, payload, how }) => {
        const ws = await connect();
        const bytes = Buffer.concat([encodeFrame(Op.Continuation, payload, { fin }), encodeFrame(Op.Text, 'not echoed')]);
        await ws.send(bytes, how === 'byte by byte' ? 'bytewise' : 'whole');
        await expectFailure(ws);
      });

      it('fails a continuation after a complete message with 1002, after echoing that message', async () => {
        const ws = await connect();
        await ws.send(Buffer.concat([encodeFrame(Op.Text, 'whole'), encodeFrame(Op.Continuation, 'orphan')]));
        await expectEchoThenFailure(ws, Op.Text, 'whole');
      });

      // RFC 6455 5.4: "The fragments of one message MUST NOT be interleaved between the fragments of
      // another message unless an extension has been negotiated that can interpret the interleaving."
      const interleaved = [Op.Text, Op.Binary].flatMap((outer) =>
        [Op.Text, Op.Binary].flatMap((inner) =>
          [true, false].map((fin) => ({
            name: `a ${opName(inner)} frame (FIN ${fin ? 1 : 0}) inside a fragmented ${opName(outer)} message`,
            outer,
            inner,
            fin,
          })),
        ),
      );
      it.each(interleaved)('fails $name with 1002 and echoes neither', async ({ outer, inner, fin }) => {
        const ws = await connect();
        await ws.send(
          Buffer.concat([
            encodeFrame(outer, 'outer', { fin: false }),
            encodeFrame(inner, 'inner', { fin }),
            encodeFrame(Op.Continuation, 'end'),
          ]),
        );
        await expectFailure(ws);
      });

      // RFC 6455 5.5: "Control frames themselves MUST NOT be fragmented."
      const controls = [Op.Ping, Op.Pong, Op.Close].flatMap((opcode) =>
        (['alone', 'followed by its continuation', 'inside a fragmented message'] as const).map((where) => ({
          name: `a fragmented ${opName(opcode)} (FIN 0) ${where}`,
          opcode,
          where,
        })),
      );
      it.each(controls)('fails $name with 1002', async ({ opcode, where }) => {
        const ws = await connect();
        const payload = opcode === Op.Close ? Buffer.from([0x03, 0xe8]) : Buffer.from('ctl');
        const control = encodeFrame(opcode, payload, { fin: false });
        const frames =
          where === 'alone'
            ? [control]
            : where === 'followed by its continuation'
              ? [control, encodeFrame(Op.Continuation, 'rest')]
              : [encodeFrame(Op.Text, 'frag', { fin: false }), control, encodeFrame(Op.Continuation, 'ment')];
        await ws.send(Buffer.concat(frames));
        await expectFailure(ws);
      });

      const tiny = [
        { name: '1000 fragments of 1 byte (text)', opcode: Op.Text, n: 1000, size: 1 },
        { name: '1000 fragments of 1 byte (binary)', opcode: Op.Binary, n: 1000, size: 1 },
        { name: '300 empty fragments then one of 10 bytes', opcode: Op.Text, n: 300, size: 0 },
        { name: '4096 fragments of 3 bytes', opcode: Op.Binary, n: 4096, size: 3 },
      ];
      it.each(tiny)('echoes a message in $name', async ({ opcode, n, size }) => {
        const ws = await connect();
        const pieces = Array.from({ length: n }, (_, i) =>
          payloadFor(opcode, size === 0 ? 0 : size).fill(opcode === Op.Text ? 0x61 + (i % 26) : i & 0xff),
        );
        if (size === 0) pieces.push(text(10));
        await ws.send(fragments(opcode, pieces), { chunk: 4096 });
        await ws.expectMessage(opcode, Buffer.concat(pieces));
        await closeCleanly(ws);
      });

      it('echoes two fragmented messages written back to back in one write', async () => {
        const ws = await connect();
        await ws.send(Buffer.concat([fragments(Op.Text, ['a', 'b', 'c']), fragments(Op.Binary, [Buffer.from([1]), Buffer.from([2])])]));
        await ws.expectMessage(Op.Text, 'abc');
        await ws.expectMessage(Op.Binary, Buffer.from([1, 2]));
        await closeCleanly(ws);
      });

      it('echoes nothing of a message whose first fragment is RSV-free but the socket then closes with a close frame', async () => {
        const ws = await connect();
        await ws.send(Buffer.concat([encodeFrame(Op.Text, 'never', { fin: false }), encodeFrame(Op.Close, Buffer.from([0x03, 0xe8]))]));
        await ws.expectClose(1000);
        await ws.expectTcpClosed();
      });
    });
  });
}
