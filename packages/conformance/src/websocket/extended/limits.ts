// The kit's own WebSocket server cases, group 9 of the Autobahn|Testsuite numbering: large
// messages, many fragments, many messages (sizes shortened for CI: up to 4 MiB), and the
// message size limit. RFC 6455 10.4: an implementation "SHOULD impose a limit on frame sizes and
// the total message size after reassembly from multiple frames"; 7.4.1: 1009 "indicates that an
// endpoint is terminating the connection because it has received a message that is too big for
// it to process". A frame whose header announces more than the limit allows is failed at its
// header: nothing of its payload needs to arrive.
import { pseudoRandom } from '../bytes.js';
import { closeCleanly, connect, expectFailure } from '../context.js';
import { encodeFrame, Op } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
const KiB = 1024;
const MiB = 1024 * KiB;

/** Incompressible bytes, the same for the same seed. */
const bytes = pseudoRandom;

/** Valid UTF-8 of exactly `n` bytes, with multi-byte characters cut by most fragment sizes. */
function text(n: number): Buffer {
  const unit = Buffer.from('aµ€😀-');
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += unit.length) unit.copy(out, i, 0, Math.min(unit.length, n - i));
  // The last unit may be cut: end with ASCII.
  const tail = n % unit.length;
  if (tail !== 0) out.fill(0x2e, n - tail);
  return out;
}

const payloadFor = (opcode: number, n: number) => (opcode === Op.Text ? text(n) : bytes(n));
const name = (opcode: number) => (opcode === Op.Text ? 'text' : 'binary');
const size = (n: number) => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} bytes`);

/** The frames of one message of `data`, in fragments of `fragment` bytes. */
function fragmented(opcode: number, data: Buffer, fragment: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < data.length; i += fragment) {
    frames.push(encodeFrame(i === 0 ? opcode : Op.Continuation, data.subarray(i, i + fragment), { fin: i + fragment >= data.length }));
  }
  return Buffer.concat(frames);
}

/** The cases of this file. */
export function limitsCases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('9 large messages and many fragments', () => {
      describe('single-frame messages', () => {
        const rows = [Op.Text, Op.Binary].flatMap((opcode) =>
          [64 * KiB, 256 * KiB, MiB, 4 * MiB].map((n) => ({ what: `${name(opcode)} of ${size(n)}`, opcode, n })),
        );
        it.each(rows)('echoes a $what in one frame', async ({ opcode, n }) => {
          const ws = await connect();
          const data = payloadFor(opcode, n);
          await ws.sendFrame(opcode, data);
          await ws.expectMessage(opcode, data, 10_000);
          await closeCleanly(ws);
        });
      });

      describe('fragmented messages', () => {
        const fragmentSizes = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];
        const rows = [
          ...fragmentSizes.map((f) => ({ what: `binary of 4 MiB in fragments of ${size(f)}`, opcode: Op.Binary, n: 4 * MiB, f })),
          ...[64, 4 * KiB, 64 * KiB].map((f) => ({ what: `text of 4 MiB in fragments of ${size(f)}`, opcode: Op.Text, n: 4 * MiB, f })),
          ...[64, 1000, 64 * KiB].map((f) => ({ what: `binary of 1 MiB in fragments of ${size(f)}`, opcode: Op.Binary, n: MiB, f })),
        ];
        it.each(rows)('echoes a $what', async ({ opcode, n, f }) => {
          const ws = await connect();
          const data = payloadFor(opcode, n);
          await ws.send(fragmented(opcode, data, f));
          await ws.expectMessage(opcode, data, 10_000);
          await closeCleanly(ws);
        });

        it('echoes 1 MiB in frames of 64 KiB written in 1 KiB chunks', async () => {
          const ws = await connect();
          const data = bytes(MiB);
          await ws.send(fragmented(Op.Binary, data, 64 * KiB), { chunk: KiB });
          await ws.expectMessage(Op.Binary, data, 10_000);
          await closeCleanly(ws);
        });
      });

      describe('one large frame written in chops', () => {
        const chops = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 128 * KiB];
        const rows = [
          ...chops.map((c) => ({ what: `binary of 1 MiB written in chops of ${size(c)}`, opcode: Op.Binary, n: MiB, c })),
          ...chops
            .filter((c) => c >= KiB)
            .map((c) => ({ what: `text of 1 MiB written in chops of ${size(c)}`, opcode: Op.Text, n: MiB, c })),
        ];
        it.each(rows)('echoes a $what', async ({ opcode, n, c }) => {
          const ws = await connect();
          const data = payloadFor(opcode, n);
          await ws.sendFrame(opcode, data, { split: { chunk: c } });
          await ws.expectMessage(opcode, data, 10_000);
          await closeCleanly(ws);
        });
      });

      describe('many messages', () => {
        it.each([
          { what: '1000 text messages of 16 bytes', count: 1000, n: 16, opcode: Op.Text },
          { what: '1000 binary messages of 64 bytes', count: 1000, n: 64, opcode: Op.Binary },
          { what: '100 binary messages of 16 KiB', count: 100, n: 16 * KiB, opcode: Op.Binary },
        ])('echoes $what written in one go, in order', async ({ count, n, opcode }) => {
          const ws = await connect();
          const messages = Array.from({ length: count }, (_, i) =>
            opcode === Op.Text ? Buffer.from(String(i).padStart(n, '.')) : bytes(n, i),
          );
          await ws.send(Buffer.concat(messages.map((m) => encodeFrame(opcode, m))));
          for (const m of messages) await ws.expectMessage(opcode, m, 15_000);
          await closeCleanly(ws);
        });

        it.each([
          { what: '200 round trips of 1 KiB', count: 200, n: KiB },
          { what: '50 round trips of 64 KiB', count: 50, n: 64 * KiB },
        ])('echoes $what, each awaited before the next', async ({ count, n }) => {
          const ws = await connect();
          for (let i = 0; i < count; i++) {
            const m = bytes(n, i);
            await ws.sendFrame(Op.Binary, m);
            await ws.expectMessage(Op.Binary, m);
          }
          await closeCleanly(ws);
        });
      });

      // The limit the user declared (--max-message-size): only then can a 1009 be asked for.
      const LIMIT = options.maxMessageSize;
      if (LIMIT !== undefined) {
        const HALF = Math.floor(LIMIT / 2);
        describe(`maxMessageSize (${size(LIMIT)})`, () => {
          it.each([
            { what: 'a binary message of exactly the limit', opcode: Op.Binary, fragments: [LIMIT] },
            { what: 'a text message of exactly the limit', opcode: Op.Text, fragments: [LIMIT] },
            { what: 'a message of the limit in two fragments', opcode: Op.Binary, fragments: [HALF, LIMIT - HALF] },
            {
              what: 'a message of the limit in 1024 fragments',
              opcode: Op.Binary,
              fragments: [...Array.from({ length: 1023 }, () => Math.floor(LIMIT / 1024)), LIMIT - 1023 * Math.floor(LIMIT / 1024)],
            },
          ])('echoes $what', async ({ opcode, fragments }) => {
            const ws = await connect();
            const data = payloadFor(
              opcode,
              fragments.reduce((a, b) => a + b, 0),
            );
            const frames: Buffer[] = [];
            let at = 0;
            fragments.forEach((n, i) => {
              frames.push(encodeFrame(i === 0 ? opcode : Op.Continuation, data.subarray(at, at + n), { fin: i === fragments.length - 1 }));
              at += n;
            });
            await ws.send(Buffer.concat(frames));
            await ws.expectMessage(opcode, data);
            await closeCleanly(ws);
          });

          // Only the header is sent: the close must come without the payload.
          it.each([
            { what: 'limit + 1 bytes', opcode: Op.Binary, announce: LIMIT + 1 },
            { what: 'limit + 1 bytes in a text frame', opcode: Op.Text, announce: LIMIT + 1 },
            { what: 'twice the limit', opcode: Op.Binary, announce: 2 * LIMIT },
            { what: '2^32 bytes', opcode: Op.Binary, announce: 2 ** 32 },
            { what: '2^53 - 1 bytes', opcode: Op.Binary, announce: Number.MAX_SAFE_INTEGER },
          ])('fails a frame announcing $what with 1009 as soon as its header is in', async ({ opcode, announce }) => {
            const ws = await connect();
            await ws.send(encodeFrame(opcode, Buffer.alloc(0), { announce }));
            await expectFailure(ws, 1009);
          });

          it.each([
            { what: 'after half the limit', first: HALF, next: LIMIT - HALF + 1 },
            { what: 'after the whole limit', first: LIMIT, next: 1 },
            { what: 'after all but one byte', first: LIMIT - 1, next: 2 },
          ])('fails a continuation announcing more than is left $what with 1009, before its payload', async ({ first, next }) => {
            const ws = await connect();
            await ws.sendFrame(Op.Binary, bytes(first), { fin: false });
            await ws.send(encodeFrame(Op.Continuation, Buffer.alloc(0), { announce: next }));
            await expectFailure(ws, 1009);
          });

          it('echoes the message before the one over the limit, then fails with 1009', async () => {
            const ws = await connect();
            await ws.send(Buffer.concat([encodeFrame(Op.Text, 'fits'), encodeFrame(Op.Binary, bytes(LIMIT + 1))]));
            await ws.expectMessage(Op.Text, 'fits');
            await expectFailure(ws, 1009);
          });

          it('applies the limit to each message apart: many messages of the limit pass', async () => {
            const ws = await connect();
            const messages = [0, 1, 2, 3].map((i) => bytes(LIMIT, i));
            await ws.send(Buffer.concat(messages.map((m) => encodeFrame(Op.Binary, m))));
            for (const m of messages) await ws.expectMessage(Op.Binary, m);
            await closeCleanly(ws);
          });

          it('lets control frames between fragments pass without counting them', async () => {
            const ws = await connect();
            const data = bytes(LIMIT);
            await ws.send(
              Buffer.concat([
                encodeFrame(Op.Binary, data.subarray(0, HALF), { fin: false }),
                encodeFrame(Op.Ping, bytes(125)),
                encodeFrame(Op.Continuation, data.subarray(HALF)),
              ]),
            );
            await ws.expectFrame(Op.Pong, bytes(125));
            await ws.expectMessage(Op.Binary, data);
            await closeCleanly(ws);
          });
        });
      }
    });
  });
}
