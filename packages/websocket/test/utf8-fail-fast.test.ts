// Text is validated as it arrives (fail fast, Autobahn 6.4.x): the first byte that cannot be part
// of UTF-8 fails the connection with 1007 in the read that brought it, mid-frame and mid-message,
// on the server and on the client, and on the inflated bytes of a compressed message; a text
// whose code points are cut anywhere (by TCP, by fragments, by zlib's output) still passes.
// First the FrameReader fed every split of the wire bytes, then real sockets on loopback that
// send the first part of a frame and never the rest.
import net from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op, RawWebSocket } from '@http-kit/conformance';
import type { CloseReason } from '@http-kit/core';
import { asChannel, type Request } from '@http-kit/http1';
import { type CloseInfo, connect, FrameReader, PerMessageDeflate } from '@http-kit/websocket';
import { closeAfterEach, listen, useServers, within } from '@http-kit/test-support';

const KEY = Buffer.from([0x5a, 0x17, 0xc3, 0x81]);
/** Autobahn's 6.4.x text: "κόσμε", then U+110000 (F4 90 80 80, bad at its second byte), then "-edited". */
const KOSME = Buffer.from('κόσμε', 'utf8');
const VALID = Buffer.from('aé€𝄞 ascii 😀 ✓ ÿ 中文 κόσμε \u{10FFFF}\u{FFFF}\u{E000}\u{D7FF}', 'utf8');

/** Invalid payloads, each with the index of the first byte that makes it invalid. */
const INVALID: Array<[string, Buffer, number]> = [
  ['above U+10FFFF (6.4.x)', Buffer.concat([KOSME, Buffer.from('f4908080', 'hex'), Buffer.from('-edited')]), KOSME.length + 1],
  ['lead then ASCII', Buffer.concat([VALID, Buffer.from('e28241', 'hex'), VALID]), VALID.length + 2],
  ['overlong C0 80', Buffer.concat([Buffer.from('ab'), Buffer.from('c080', 'hex'), VALID]), 2],
  ['surrogate ED A0 80', Buffer.concat([VALID, Buffer.from('eda080', 'hex')]), VALID.length + 1],
  ['stray continuation', Buffer.concat([VALID, VALID, Buffer.from([0x80]), VALID]), VALID.length * 2],
  ['byte FF at the start', Buffer.concat([Buffer.from([0xff]), VALID]), 0],
  // Long enough for a 16-bit length and for pieces that go to the bulk check.
  [
    'overlong 4-byte deep in 300 bytes',
    Buffer.concat([VALID, VALID, VALID, VALID, Buffer.from('f08f', 'hex'), VALID]),
    VALID.length * 4 + 1,
  ],
];

interface Seen {
  messages: Buffer[];
  errors: Array<{ code: number; reason: string; errorCode: string }>;
}

function reader(masked: boolean, options: { deflate?: PerMessageDeflate; maxMessageSize?: number } = {}) {
  const seen: Seen = { messages: [], errors: [] };
  let resumed: () => void = () => {};
  let settle: () => void = () => {};
  /** Resolves at the first message or error. */
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const r = new FrameReader(
    {
      onMessage: (data, isText) => {
        expect(isText).toBe(true);
        seen.messages.push(Buffer.from(data));
        settle();
      },
      onPing() {},
      onPong() {},
      onCloseFrame() {},
      onProtocolError: (code, reason, error) => {
        seen.errors.push({ code, reason, errorCode: error.code });
        settle();
      },
      onResume: () => resumed(),
    },
    { expectMasked: masked, maxMessageSize: options.maxMessageSize ?? 1 << 24, deflate: options.deflate ?? null },
  );
  return { r, seen, settled, onResume: (fn: () => void) => (resumed = fn) };
}

/** A message as frames cut at `cuts` of its payload (none: one frame), masked or not. */
function wire(payload: Buffer, masked: boolean, cuts: number[] = []): Buffer {
  const points = [0, ...cuts, payload.length];
  const frames: Buffer[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const part = payload.subarray(points[k], points[k + 1]);
    frames.push(encodeFrame(k === 0 ? Op.Text : Op.Continuation, part, { fin: k + 2 === points.length, mask: masked ? KEY : false }));
  }
  return Buffer.concat(frames);
}

/** Where payload byte `index` is in `wire(payload, masked, cuts)`. */
function wireOffset(payload: Buffer, masked: boolean, cuts: number[], index: number): number {
  const points = [0, ...cuts, payload.length];
  let at = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const length = points[k + 1] - points[k];
    at += (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
    if (index < points[k + 1]) return at + index - points[k];
    at += length;
  }
  throw new Error(`index ${index} past the payload`);
}

/** Pushes `bytes` one byte at a time; the index of the byte whose push reported the error (-1: none). */
function failingByte(masked: boolean, bytes: Buffer): { at: number; seen: Seen } {
  const { r, seen } = reader(masked);
  const copy = Buffer.from(bytes); // unmasked in place
  for (let i = 0; i < copy.length; i++) {
    r.push(copy.subarray(i, i + 1));
    if (seen.errors.length > 0) return { at: i, seen };
  }
  return { at: -1, seen };
}

describe('FrameReader: UTF-8 checked as the bytes arrive', () => {
  for (const masked of [true, false]) {
    const side = masked ? 'server (masked)' : 'client (unmasked)';

    it(`${side}: valid multi-byte text in one frame and in 3 fragments, cut at every byte boundary, arrives whole`, () => {
      const payload = Buffer.concat([VALID, VALID, VALID, VALID, VALID]); // over 125: a 16-bit length
      for (const cuts of [[], [1, 9], [VALID.length + 1, VALID.length * 3 + 2]]) {
        const bytes = wire(payload, masked, cuts);
        for (let p = 0; p <= bytes.length; p++) {
          const { r, seen } = reader(masked);
          const copy = Buffer.from(bytes);
          r.push(copy.subarray(0, p));
          r.push(copy.subarray(p));
          expect(seen.errors, `cuts ${cuts} split at ${p}`).toEqual([]);
          expect(seen.messages, `cuts ${cuts} split at ${p}`).toEqual([payload]);
        }
        expect(failingByte(masked, bytes).seen.messages).toEqual([payload]);
      }
    });

    for (const [name, payload, bad] of INVALID) {
      it(`${side}: ${name} fails with 1007 in the piece that holds the bad byte, cut at every boundary`, () => {
        for (const cuts of [[], [Math.max(1, bad - 1)], [bad, Math.min(payload.length, bad + 3)]]) {
          const bytes = wire(payload, masked, cuts);
          const badAt = wireOffset(payload, masked, cuts, bad);
          // Byte by byte: the error comes with the bad byte itself, not at the end of its frame.
          const bytewise = failingByte(masked, bytes);
          expect(bytewise.at, `cuts ${cuts}: failed at wire byte`).toBe(badAt);
          expect(bytewise.seen.errors).toEqual([
            { code: 1007, reason: 'text message is not valid UTF-8', errorCode: 'HTTPKIT_WS_INVALID_UTF8' },
          ]);
          for (let p = 0; p <= bytes.length; p++) {
            const { r, seen } = reader(masked);
            const copy = Buffer.from(bytes);
            r.push(copy.subarray(0, p));
            // Failed by the first part exactly when it holds the bad byte.
            expect(seen.errors.length, `cuts ${cuts} split at ${p}`).toBe(p > badAt ? 1 : 0);
            r.push(copy.subarray(p));
            expect(seen.errors.map((e) => e.code)).toEqual([1007]);
            expect(seen.messages).toEqual([]);
          }
        }
      });
    }

    it(`${side}: text ending inside a sequence fails at the end of its message, or at the byte that breaks it`, () => {
      // The message ends after E2 82: nothing is wrong until its last byte.
      const cut = Buffer.concat([VALID, Buffer.from('e282', 'hex')]);
      for (const cuts of [[], [VALID.length + 1]]) {
        const bytes = wire(cut, masked, cuts);
        const { at, seen } = failingByte(masked, bytes);
        expect(at).toBe(bytes.length - 1);
        expect(seen.errors).toEqual([
          { code: 1007, reason: 'text message ends inside a UTF-8 sequence', errorCode: 'HTTPKIT_WS_INVALID_UTF8' },
        ]);
      }
      // A fragment ends after E2 82, the next begins with 'A': fails at the 'A', not at the end.
      const broken = Buffer.concat([VALID, Buffer.from('e282', 'hex'), Buffer.from('A and more text after it')]);
      const cuts = [VALID.length + 2];
      const bytes = wire(broken, masked, cuts);
      expect(failingByte(masked, bytes).at).toBe(wireOffset(broken, masked, cuts, VALID.length + 2));
    });
  }
});

describe('FrameReader with permessage-deflate: the inflated text is checked as zlib makes it', () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const deflates: PerMessageDeflate[] = [];
  afterEach(() => {
    for (const d of deflates.splice(0)) d.close();
  });

  /** Reads one compressed text message (RSV1, masked) pushed in `chunk`-byte pieces; resolves when it ends or fails. */
  async function readCompressed(text: Buffer, maxMessageSize: number, chunk = Infinity): Promise<Seen> {
    const deflate = new PerMessageDeflate(params, true, {}, maxMessageSize);
    deflates.push(deflate);
    const { r, seen, settled, onResume } = reader(true, { deflate, maxMessageSize });
    const compressed = deflateRawSync(text, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const frame = encodeFrame(Op.Text, compressed.subarray(0, compressed.length - 4), { rsv: 4, mask: KEY });
    let at = 0;
    const pushMore = () => {
      while (at < frame.length) {
        const end = Math.min(frame.length, at + chunk);
        const taken = r.push(frame.subarray(at, end));
        at += taken;
        // Took less than given: it is inflating, and onResume() says when to go on.
        if (at < end) return;
      }
    };
    onResume(pushMore);
    pushMore();
    await within(20_000, 'the message or its error', settled);
    return seen;
  }

  it('passes valid multi-byte text whose code points zlib cuts across its output pieces', async () => {
    const text = Buffer.alloc(200 * 1024);
    for (let at = 0; at < text.length; ) at += VALID.copy(text, at, 0, Math.min(VALID.length, text.length - at));
    // Make the end whole: trim to the last complete sequence.
    const whole = Buffer.from(text.toString('utf8').replace(/\uFFFD+$/, ''), 'utf8');
    const seen = await readCompressed(whole, 1 << 24, 1000);
    expect(seen.errors).toEqual([]);
    expect(seen.messages.length).toBe(1);
    expect(seen.messages[0].equals(whole)).toBe(true);
  });

  it('fails with 1007 at the first bad inflated piece: a bad byte before 64 MiB of text is not inflated past maxMessageSize (1009)', async () => {
    const bomb = Buffer.alloc(64 << 20, 0x61);
    bomb[10] = 0xff;
    const seen = await readCompressed(bomb, 8 << 20);
    expect(seen.errors).toEqual([{ code: 1007, reason: 'text message is not valid UTF-8', errorCode: 'HTTPKIT_WS_INVALID_UTF8' }]);
  });

  it('fails with 1007 a compressed text that ends inside a sequence', async () => {
    const seen = await readCompressed(Buffer.concat([VALID, Buffer.from('f09d84', 'hex')]), 1 << 24);
    expect(seen.errors).toEqual([
      { code: 1007, reason: 'text message ends inside a UTF-8 sequence', errorCode: 'HTTPKIT_WS_INVALID_UTF8' },
    ]);
  });

  it('fails a compressed text in fragments at the fragment whose inflated bytes are bad, before the last is sent', async () => {
    // The sender's side: each part flushed, so each fragment inflates to exactly its part; the
    // flush marker stays in all but the last (RFC 7692 7.2.1 removes it from the message's end).
    const sender = new PerMessageDeflate(params, false, {}, Infinity);
    deflates.push(sender);
    const compress = (data: Buffer) =>
      new Promise<Buffer>((resolve, reject) => sender.compress(data, (error, out) => (error ? reject(error) : resolve(out))));
    const flushed = (out: Buffer) => Buffer.concat([out, Buffer.from([0, 0, 0xff, 0xff])]);
    // The first part ends inside '€' (E2 82), the second goes on with 41: bad at its first byte.
    const first = flushed(await compress(Buffer.concat([VALID, Buffer.from('e282', 'hex')])));
    const second = flushed(await compress(Buffer.from('A, and more text')));
    const third = await compress(Buffer.from(' the end'));
    const deflate = new PerMessageDeflate(params, true, {}, 1 << 24);
    deflates.push(deflate);
    const { r, seen, settled, onResume } = reader(true, { deflate });
    // One chunk: the reader takes the first frame, holds the rest while it inflates (push() says
    // how much it took), and asks for it again with onResume().
    let rest = Buffer.concat([
      encodeFrame(Op.Text, first, { rsv: 4, fin: false, mask: KEY }),
      encodeFrame(Op.Continuation, second, { fin: false, mask: KEY }),
    ]);
    const pushRest = () => {
      rest = rest.subarray(r.push(rest));
    };
    onResume(pushRest);
    pushRest();
    await within(5_000, 'the error, with the last fragment not sent', settled);
    expect(seen.errors).toEqual([{ code: 1007, reason: 'text message is not valid UTF-8', errorCode: 'HTTPKIT_WS_INVALID_UTF8' }]);
    expect(third.length).toBeGreaterThan(0); // never sent
  });
});

// --- over real sockets ----------------------------------------------------------------------

const ours = useServers();
const servers = closeAfterEach();
const raws: RawWebSocket[] = [];
afterEach(() => {
  for (const ws of raws.splice(0)) ws.destroy();
});

async function echoServerPort(): Promise<number> {
  const { port } = await ours.start((req: Request) => asChannel(req, { onReceive: (ch, message) => ch.send(message) }));
  return port;
}

describe('our server fails the connection before the rest of the frame is sent', () => {
  it("Autobahn's 6.4.3 and 6.4.4 shapes: close 1007 after the part holding the bad byte, the rest never sent", async () => {
    const port = await echoServerPort();
    // 6.4.3: KOSME, then F4 90 80 80 alone; 6.4.4: KOSME F4, then 90 alone.
    for (const [first, second] of [
      [KOSME.length, KOSME.length + 4],
      [KOSME.length + 1, KOSME.length + 2],
    ]) {
      const payload = INVALID[0][1];
      const bytes = wire(payload, true);
      const header = bytes.length - payload.length;
      const ws = await RawWebSocket.open(port);
      raws.push(ws);
      await ws.send(bytes.subarray(0, header + first));
      await ws.expectSilence(100); // valid so far: nothing happens
      await ws.send(bytes.subarray(header + first, header + second));
      expect(await ws.expectClose(1007)).toMatch(/not valid UTF-8/);
      await ws.expectTcpClosed();
    }
  });

  it('closes with 1007 for every first part that holds the bad byte, and echoes valid text sent at every split', async () => {
    const port = await echoServerPort();
    for (const [, payload, bad] of [INVALID[0], INVALID[6]]) {
      const bytes = wire(payload, true);
      const badAt = wireOffset(payload, true, [], bad);
      for (let p = badAt + 1; p < bytes.length; p++) {
        const ws = await RawWebSocket.open(port);
        raws.push(ws);
        await ws.send(bytes.subarray(0, p));
        expect(await ws.expectClose(1007), `split at ${p}`).toMatch(/not valid UTF-8/);
        await ws.expectTcpClosed();
        ws.destroy();
      }
    }
    // One connection, the valid text's frame sent in two writes cut at each boundary: each echoed.
    const ws = await RawWebSocket.open(port);
    raws.push(ws);
    const bytes = wire(VALID, true);
    for (let p = 1; p < bytes.length; p++) {
      await ws.send(bytes, { at: [p], pauseMs: 1 });
      await ws.expectMessage(Op.Text, VALID);
    }
  });
});

describe('our client fails the connection before the rest of the frame is sent', () => {
  it('answers close 1007 (masked) to a server that sends the first part of a frame with a bad byte', async () => {
    const payload = INVALID[0][1];
    const bad = INVALID[0][2];
    const frame = encodeFrame(Op.Text, payload, { mask: false });
    const header = frame.length - payload.length;
    let accepted: (ws: RawWebSocket) => void = () => {};
    const peer = new Promise<RawWebSocket>((resolve) => (accepted = resolve));
    const server = await listen(
      net.createServer((socket) => {
        RawWebSocket.accept(socket).then(
          ({ ws }) => accepted(ws),
          () => socket.destroy(),
        );
      }),
      'ws',
    );
    servers.push(server);
    let closed: (value: { reason: CloseReason; info: CloseInfo }) => void = () => {};
    const done = new Promise<{ reason: CloseReason; info: CloseInfo }>((resolve) => (closed = resolve));
    const result = await connect(`ws://127.0.0.1:${server.port}/`, {
      onReceive: () => {
        throw new Error('no message expected');
      },
      onClose: (_ch, reason, info) => closed({ reason, info }),
    });
    expect(result.error).toBeUndefined();
    const ws = await peer;
    raws.push(ws);
    await ws.send(frame.subarray(0, header + bad)); // valid so far
    await ws.expectSilence(100);
    await ws.send(frame.subarray(header + bad, header + bad + 1)); // the bad byte; the rest never sent
    const close = await ws.nextFrame(3_000, 'the close frame');
    expect({ opcode: close.opcode, masked: close.masked, code: close.payload.readUInt16BE(0) }).toEqual({
      opcode: Op.Close,
      masked: true,
      code: 1007,
    });
    expect(close.payload.subarray(2).toString()).toMatch(/not valid UTF-8/);
    const { reason, info } = await within(3_000, 'onClose', done);
    expect(reason).toBe('protocol-error');
    expect(info.code).toBe(1007);
    expect(info.error?.code).toBe('HTTPKIT_WS_INVALID_UTF8');
  });
});
