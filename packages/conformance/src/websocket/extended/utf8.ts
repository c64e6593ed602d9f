// The kit's own WebSocket server cases, group 6 of the Autobahn|Testsuite numbering: UTF-8 in
// text messages. RFC 6455 5.6: text "data is interpreted as UTF-8"; 8.1: "When an endpoint is to
// interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8
// stream, that endpoint MUST _Fail the WebSocket Connection_", with close 1007 (7.4.1). Valid
// means RFC 3629: no overlong forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF.
//
// Every text is sent whole, as one frame written byte by byte, as one fragment per byte, and cut
// in two fragments at every offset (a sequence cut by a fragment boundary is fine when the next
// fragment completes it). For the invalid ones we also check failing fast: the close 1007
// arrives once the fragment holding the byte that makes the text invalid is in, before the
// message ends. Where that byte is, an independent oracle decides: the WHATWG decoder
// (TextDecoder, fatal, streaming), which rejects a sequence at its first impossible byte.
import { closeCleanly, connect, expectEchoThenFailure, expectFailure } from '../context.js';
import { NonStrict } from '../../verdict.js';
import { encodeFrame, fragments, Op, type RawWebSocket } from '../raw-websocket.js';
import { collect, describe, it } from './define.js';
import type { WebSocketCase, WebSocketSuiteOptions } from '../context.js';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const KOSME = hex('cebae1bdb9cf83cebcceb5'); // κόσμε
const EDITED = utf8('edited');

/** The index of the first byte at which `data` can no longer be UTF-8, or -1 when only its end makes it invalid (or it is valid). */
function firstBadByte(data: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < data.length; i++) {
    try {
      decoder.decode(data.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return -1;
}

function isValidUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * The close 1007 must come before the message ends. A server that waits for the end of the
 * message is NON-STRICT (RFC 6455 8.1 does not ask to fail fast; Autobahn's 6.4 judges it so).
 */
async function failsFast(ws: RawWebSocket): Promise<void> {
  try {
    // Two seconds: a server that fails fast does so at once; one that waits would wait forever.
    await ws.expectClose(1007, 2_000);
  } catch (error) {
    if (ws.unread.length > 0 || ws.ended) throw error;
    throw new NonStrict(
      `no close 1007 while the message stays open: the server waits for its end to judge it (failing fast is better, not required) (${(error as Error).message})`,
    );
  }
  await ws.expectTcpClosed();
}

const perByte = (data: Buffer) => Array.from(data, (_, i) => data.subarray(i, i + 1));

const valid: Array<{ name: string; data: Buffer }> = [
  { name: 'ASCII', data: utf8('Hello, World!') },
  { name: 'Latin-1 supplement', data: utf8('Hello-µ@ßöäüàá-UTF-8!!') },
  { name: 'Greek κόσμε', data: KOSME },
  { name: 'U+0000', data: hex('00') },
  { name: 'U+007F (last 1-byte)', data: hex('7f') },
  { name: 'U+0080 (first 2-byte)', data: hex('c280') },
  { name: 'U+07FF (last 2-byte)', data: hex('dfbf') },
  { name: 'U+0800 (first 3-byte)', data: hex('e0a080') },
  { name: 'U+D7FF (just below the surrogates)', data: hex('ed9fbf') },
  { name: 'U+E000 (just above the surrogates)', data: hex('ee8080') },
  { name: 'U+FEFF (byte order mark)', data: hex('efbbbf') },
  { name: 'U+FFFD (replacement character)', data: hex('efbfbd') },
  { name: 'U+FFFE (noncharacter)', data: hex('efbfbe') },
  { name: 'U+FFFF (last 3-byte)', data: hex('efbfbf') },
  { name: 'U+10000 (first 4-byte)', data: hex('f0908080') },
  { name: 'U+1F600 (emoji)', data: hex('f09f9880') },
  { name: 'U+10FFFF (last code point)', data: hex('f48fbfbf') },
  { name: 'CJK', data: utf8('漢字かな交じり文') },
  { name: 'one of each length', data: utf8('a\u00b5\u20ac\u{1f600}') },
];
for (const v of valid) if (!isValidUtf8(v.data)) throw new Error(`table error: ${v.name} is not valid UTF-8`);

const invalid: Array<{ name: string; data: Buffer }> = [
  // Overlong forms (RFC 3629 3: "Implementations ... MUST protect against decoding invalid sequences")
  { name: 'overlong "/" in 2 bytes', data: hex('c0af') },
  { name: 'overlong "/" in 3 bytes', data: hex('e080af') },
  { name: 'overlong "/" in 4 bytes', data: hex('f08080af') },
  { name: 'overlong "/" in 5 bytes', data: hex('f8808080af') },
  { name: 'overlong "/" in 6 bytes', data: hex('fc80808080af') },
  { name: 'largest overlong 2-byte (U+007F)', data: hex('c1bf') },
  { name: 'largest overlong 3-byte (U+07FF)', data: hex('e09fbf') },
  { name: 'largest overlong 4-byte (U+FFFF)', data: hex('f08fbfbf') },
  { name: 'overlong NUL in 2 bytes', data: hex('c080') },
  { name: 'overlong NUL in 3 bytes', data: hex('e08080') },
  { name: 'overlong NUL in 4 bytes', data: hex('f0808080') },
  // Surrogates, alone and paired (RFC 3629 3: U+D800-U+DFFF are not encoded)
  { name: 'surrogate U+D800', data: hex('eda080') },
  { name: 'surrogate U+DB7F', data: hex('edadbf') },
  { name: 'surrogate U+DB80', data: hex('edae80') },
  { name: 'surrogate U+DBFF', data: hex('edafbf') },
  { name: 'surrogate U+DC00', data: hex('edb080') },
  { name: 'surrogate U+DF80', data: hex('edbe80') },
  { name: 'surrogate U+DFFF', data: hex('edbfbf') },
  { name: 'surrogate pair U+D800 U+DC00', data: hex('eda080edb080') },
  { name: 'surrogate pair U+DBFF U+DFFF', data: hex('edafbfedbfbf') },
  // Above U+10FFFF
  { name: 'U+110000', data: hex('f4908080') },
  { name: 'U+1FFFFF (4 bytes)', data: hex('f7bfbfbf') },
  { name: '5-byte sequence', data: hex('f888808080') },
  { name: '6-byte sequence', data: hex('fc8480808080') },
  // Bytes that never appear in UTF-8
  ...['c0', 'c1', 'f5', 'f6', 'f7', 'f8', 'f9', 'fa', 'fb', 'fc', 'fd', 'fe', 'ff'].map((b) => ({
    name: `byte 0x${b.toUpperCase()}`,
    data: hex(b),
  })),
  { name: 'bytes FE FE FF FF', data: hex('fefeffff') },
  // Continuation bytes with no lead
  { name: 'stray continuation 0x80', data: hex('80') },
  { name: 'stray continuation 0xBF', data: hex('bf') },
  { name: 'stray continuations 80 BF', data: hex('80bf') },
  { name: 'stray continuations 80 BF 80 BF', data: hex('80bf80bf') },
  { name: 'all 64 continuation bytes', data: Buffer.from(Array.from({ length: 64 }, (_, i) => 0x80 + i)) },
  { name: 'one continuation too many after "é"', data: hex('c3a9a9') },
  // Lead bytes followed by something that does not continue them
  { name: '2-byte lead then a space', data: hex('c220') },
  { name: '3-byte lead then a space', data: hex('e020') },
  { name: '4-byte lead then a space', data: hex('f020') },
  { name: 'incomplete 3-byte then ASCII', data: hex('e0a041') },
  { name: 'incomplete 4-byte then ASCII', data: hex('f0908041') },
  { name: 'two 2-byte leads', data: hex('c2c2') },
  // Sequences cut short by the end of the message
  { name: 'message ends after a 2-byte lead', data: hex('c2') },
  { name: 'message ends after "€" minus one byte', data: hex('e282') },
  { name: 'message ends after 1 of 3 bytes', data: hex('e0') },
  { name: 'message ends after 1 of 4 bytes', data: hex('f0') },
  { name: 'message ends after 2 of 4 bytes', data: hex('f090') },
  { name: 'message ends after 3 of 4 bytes', data: hex('f09080') },
  { name: 'message ends after 3 of 4 bytes of U+10FFFF', data: hex('f48fbf') },
];
for (const v of invalid) if (isValidUtf8(v.data)) throw new Error(`table error: ${v.name} is valid UTF-8`);

/** The cases of this file. */
export function utf8Cases(options: WebSocketSuiteOptions): WebSocketCase[] {
  return collect(() => {
    describe('6 UTF-8', () => {
      describe('valid texts are echoed', () => {
        it.each(valid)('echoes $name sent whole', async ({ data }) => {
          const ws = await connect();
          await ws.sendFrame(Op.Text, data);
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        });

        it.each(valid)('echoes $name in one frame written byte by byte', async ({ data }) => {
          const ws = await connect();
          await ws.sendFrame(Op.Text, data, { split: 'bytewise' });
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        });

        it.each(valid)('echoes $name sent as one fragment per byte', async ({ data }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, perByte(data)));
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        });

        // A fragment may end inside a sequence when the next fragment completes it.
        const cuts = valid
          .filter((v) => v.data.length >= 2 && v.data.length <= 40)
          .flatMap(({ name, data }) => Array.from({ length: data.length - 1 }, (_, i) => ({ name, data, at: i + 1 })));
        it.each(cuts)('echoes $name cut in two fragments after byte $at', async ({ data, at }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, [data.subarray(0, at), data.subarray(at)]));
          await ws.expectMessage(Op.Text, data);
          await closeCleanly(ws);
        });

        it.each([97, 1000, 4093].map((size) => ({ size })))(
          'echoes 64 KiB of mixed 1-4 byte characters in fragments of $size bytes',
          async ({ size }) => {
            const ws = await connect();
            let s = '';
            while (Buffer.byteLength(s) < 65536) s += 'aµ€😀κόσμε漢';
            const data = utf8(s);
            const pieces: Buffer[] = [];
            for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
            await ws.send(fragments(Op.Text, pieces));
            await ws.expectMessage(Op.Text, data);
            await closeCleanly(ws);
          },
        );
      });

      describe('invalid texts fail with 1007', () => {
        const contexts = [
          { where: 'alone', wrap: (bad: Buffer) => bad },
          { where: 'between valid text', wrap: (bad: Buffer) => Buffer.concat([KOSME, bad, EDITED]) },
        ];
        const whole = invalid.flatMap((v) => contexts.map((c) => ({ ...v, where: c.where, message: c.wrap(v.data) })));

        it.each(whole)('fails $name ($where) in one frame with 1007', async ({ message }) => {
          const ws = await connect();
          await ws.send(Buffer.concat([encodeFrame(Op.Text, message), encodeFrame(Op.Text, 'not echoed')]));
          await expectFailure(ws, 1007);
        });

        it.each(invalid)('fails $name (between valid text) in one frame written byte by byte with 1007', async ({ data }) => {
          const ws = await connect();
          await ws.sendFrame(Op.Text, Buffer.concat([KOSME, data, EDITED]), { split: 'bytewise' });
          await expectFailure(ws, 1007);
        });

        it.each(invalid)('fails $name (between valid text) sent as one fragment per byte with 1007', async ({ data }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, perByte(Buffer.concat([KOSME, data, EDITED]))));
          await expectFailure(ws, 1007);
        });

        // Two fragments cut at every offset around the bad bytes: each side of a cut is checked apart.
        const invalidCuts = invalid.flatMap(({ name, data }) => {
          const message = Buffer.concat([KOSME, data, EDITED]);
          const cuts: number[] = [];
          for (let at = KOSME.length - 2; at <= KOSME.length + data.length + 1; at++) cuts.push(at);
          return cuts.map((at) => ({ name, message, at }));
        });
        it.each(invalidCuts)('fails $name (between valid text) cut in two fragments after byte $at with 1007', async ({ message, at }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, [message.subarray(0, at), message.subarray(at)]));
          await expectFailure(ws, 1007);
        });

        it.each(invalid)('echoes the valid message before $name, then fails with 1007', async ({ data }) => {
          const ws = await connect();
          await ws.send(Buffer.concat([encodeFrame(Op.Text, KOSME), encodeFrame(Op.Text, data)]));
          await expectEchoThenFailure(ws, Op.Text, KOSME, 1007);
        });

        // Fail fast: the fragment with the first impossible byte is the last one sent; the message
        // stays open, and the close must come anyway.
        const early = invalid
          .map((v) => ({ ...v, message: Buffer.concat([KOSME, v.data, EDITED]) }))
          .map((v) => ({ ...v, bad: firstBadByte(v.message) }))
          .filter((v) => v.bad >= 0);
        it.each(early)(
          'fails $name as soon as the fragment holding byte $bad is in (one fragment per byte), before the message ends',
          async ({ message, bad }) => {
            const ws = await connect();
            // Fragments 0..bad, none final.
            await ws.send(
              Buffer.concat(
                perByte(message.subarray(0, bad + 1)).map((piece, i) =>
                  encodeFrame(i === 0 ? Op.Text : Op.Continuation, piece, { fin: false }),
                ),
              ),
            );
            await failsFast(ws);
          },
        );

        it.each(early)(
          'fails $name as soon as the fragment holding it is in (three fragments: valid, bad, rest never sent)',
          async ({ message, bad }) => {
            const ws = await connect();
            // The first fragment ends before the bad byte (it may end inside a valid sequence).
            await ws.sendFrame(Op.Text, message.subarray(0, Math.min(bad, KOSME.length)), { fin: false });
            await ws.expectSilence(20);
            await ws.sendFrame(Op.Continuation, message.subarray(Math.min(bad, KOSME.length), bad + 1), { fin: false });
            await failsFast(ws);
          },
        );

        // RFC 6455 8.1 applies to the message as a whole: a sequence still open when it ends is invalid.
        const openAtEnd = invalid.filter((v) => firstBadByte(v.data) === -1);
        it.each(openAtEnd)('fails $name when the final fragment ends the message inside the sequence', async ({ data }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, [KOSME, data, Buffer.alloc(0)]));
          await expectFailure(ws, 1007);
        });

        it.each([
          { name: 'a 2-byte lead', end: hex('c2'), next: utf8('A') },
          { name: 'a 3-byte lead', end: hex('e282'), next: utf8(' ') },
          { name: 'a 4-byte lead', end: hex('f09f98'), next: hex('c280') },
        ])('fails a fragment ending inside $name followed by a fragment that does not continue it', async ({ end, next }) => {
          const ws = await connect();
          await ws.send(fragments(Op.Text, [Buffer.concat([KOSME, end]), next]));
          await expectFailure(ws, 1007);
        });

        it('leaves binary messages alone: invalid UTF-8 in a binary message is echoed', async () => {
          const ws = await connect();
          const data = Buffer.concat(invalid.map((v) => v.data));
          await ws.sendFrame(Op.Binary, data);
          await ws.expectMessage(Op.Binary, data);
          await closeCleanly(ws);
        });
      });
    });
  });
}
