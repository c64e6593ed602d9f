import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { FrameReader, type FrameReaderEvents, type FrameReaderOptions } from '../src/codec/frame-reader.js';
import { Opcode } from '../src/codec/opcodes.js';

// -- a frame builder of our own, independent of frame-writer.ts (and able to write what it refuses)

interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Length form: 7-bit, 16-bit or 64-bit (by default the shortest). */
  form?: 7 | 16 | 64;
}

const MASK = Buffer.from([0x3c, 0xa1, 0x07, 0xee]);

function frame(spec: FrameSpec, masked: boolean): Buffer {
  const payload = Buffer.from(typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0)));
  const length = payload.length;
  const form = spec.form ?? (length < 126 ? 7 : length < 65536 ? 16 : 64);
  const b0 = (spec.fin === false ? 0 : 0x80) | (spec.rsv1 ? 0x40 : 0) | (spec.rsv2 ? 0x20 : 0) | (spec.rsv3 ? 0x10 : 0) | spec.opcode;
  const m = masked ? 0x80 : 0;
  let header: Buffer;
  if (form === 7) header = Buffer.from([b0, m | length]);
  else if (form === 16) header = Buffer.from([b0, m | 126, length >> 8, length & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = m | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (!masked) return Buffer.concat([header, payload]);
  for (let i = 0; i < length; i++) payload[i] ^= MASK[i & 3];
  return Buffer.concat([header, MASK, payload]);
}

const client = (...specs: FrameSpec[]) => Buffer.concat(specs.map((s) => frame(s, true)));
const server = (...specs: FrameSpec[]) => Buffer.concat(specs.map((s) => frame(s, false)));

// -- a recorder of what the reader reports

function describeBytes(data: Buffer): string {
  return data.length <= 64 ? data.toString('hex') : `${data.length}b:${createHash('sha1').update(data).digest('hex').slice(0, 12)}`;
}

function record(options: Partial<FrameReaderOptions> = {}) {
  const log: string[] = [];
  const events: FrameReaderEvents = {
    onMessage: (data, isText) =>
      log.push(isText ? `text:${data.length <= 64 ? data.toString() : describeBytes(data)}` : `binary:${describeBytes(data)}`),
    onPing: (payload) => log.push(`ping:${describeBytes(payload)}`),
    onPong: (payload) => log.push(`pong:${describeBytes(payload)}`),
    onCloseFrame: (code, reason) => log.push(`close:${code}:${reason}`),
    onProtocolError: (code, reason, error) => {
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123); // fits a close frame
      // One stable code per kind of failure, with the same close code and the reason as message.
      expect([error.code, error.closeCode, error.message]).toEqual([expect.stringMatching(/^HTTPKIT_WS_[A-Z0-9_]+$/), code, reason]);
      log.push(`error:${code}`);
    },
    onResume: () => log.push('resume'),
  };
  const reader = new FrameReader(events, { expectMasked: true, maxMessageSize: 64 << 20, deflate: null, ...options });
  return { reader, log };
}

/** Pushes a copy of `stream` cut at `cuts`; every push must take all it is given. */
function run(stream: Buffer, cuts: number[], options: Partial<FrameReaderOptions> = {}): string[] {
  const { reader, log } = record(options);
  const copy = Buffer.from(stream); // the reader unmasks in place
  let start = 0;
  for (const end of [...cuts, copy.length]) {
    const piece = copy.subarray(start, end);
    expect(reader.push(piece)).toBe(piece.length);
    start = end;
  }
  return log;
}

function byteByByte(length: number): number[] {
  return Array.from({ length }, (_, i) => i + 1).slice(0, -1);
}

/**
 * Every cut point for small streams; for large ones, every point within 20 bytes of a frame
 * boundary (`frames`: the frames' lengths, in order) and a sample of the rest.
 */
function cutPoints(length: number, frames: number[]): number[] {
  if (length <= 3000) return Array.from({ length: length + 1 }, (_, i) => i);
  const near = new Set<number>();
  let start = 0;
  for (const frameLength of [...frames, 0]) {
    for (let d = -20; d <= 20; d++) if (start + d >= 0 && start + d <= length) near.add(start + d);
    start += frameLength;
  }
  for (let i = 0; i <= length; i += 4999) near.add(i);
  return [...near].sort((a, b) => a - b);
}

function expectSameEverywhere(stream: Buffer, expected: string[], options: Partial<FrameReaderOptions> = {}, frames: number[] = []): void {
  expect(run(stream, [], options)).toEqual(expected);
  for (const cut of cutPoints(stream.length, frames)) expect(run(stream, [cut], options), `cut at ${cut}`).toEqual(expected);
  expect(run(stream, byteByByte(stream.length), options)).toEqual(expected);
}

const bytes = (n: number, seed = 1) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
};

describe('FrameReader: a corpus of frames split at every byte boundary', () => {
  const small = (f: typeof client) =>
    f(
      { opcode: Opcode.Text, payload: 'hello' },
      { opcode: Opcode.Binary, payload: '' },
      { opcode: Opcode.Text, payload: 'é€𝄞 ünïcödé' },
      { opcode: Opcode.Binary, payload: bytes(125) },
      { opcode: Opcode.Binary, payload: bytes(126) },
      { opcode: Opcode.Binary, payload: bytes(300) },
      { opcode: Opcode.Text, payload: 'five!', form: 16 }, // lengths not minimally encoded are legal
      { opcode: Opcode.Binary, payload: bytes(5), form: 64 },
      { opcode: Opcode.Ping, payload: 'are you there' },
      { opcode: Opcode.Pong, payload: '' },
      { opcode: Opcode.Ping, payload: bytes(125) },
      // fragmented, with control frames between the fragments and a character cut across two
      { opcode: Opcode.Text, payload: 'Hel', fin: false },
      { opcode: Opcode.Ping, payload: 'p1' },
      { opcode: Opcode.Continuation, payload: Buffer.from('lo w\xc3', 'latin1'), fin: false },
      { opcode: Opcode.Pong, payload: 'p2' },
      { opcode: Opcode.Continuation, payload: Buffer.from('\xb6rld', 'latin1') },
      // fragmented binary with empty fragments
      { opcode: Opcode.Binary, payload: '', fin: false },
      { opcode: Opcode.Continuation, payload: 'ab', fin: false },
      { opcode: Opcode.Continuation, payload: '', fin: false },
      { opcode: Opcode.Continuation, payload: 'cd' },
      { opcode: Opcode.Close, payload: Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye ✓')]) },
      // after the close frame: ignored
      { opcode: Opcode.Text, payload: 'ignored' },
    );

  const expected = [
    'text:hello',
    'binary:',
    'text:é€𝄞 ünïcödé',
    `binary:${describeBytes(bytes(125))}`,
    `binary:${describeBytes(bytes(126))}`,
    `binary:${describeBytes(bytes(300))}`,
    'text:five!',
    `binary:${bytes(5).toString('hex')}`,
    `ping:${Buffer.from('are you there').toString('hex')}`,
    'pong:',
    `ping:${describeBytes(bytes(125))}`,
    `ping:${Buffer.from('p1').toString('hex')}`,
    `pong:${Buffer.from('p2').toString('hex')}`,
    'text:Hello wörld',
    `binary:${Buffer.from('abcd').toString('hex')}`,
    'close:1000:bye ✓',
  ];

  it('reads masked client frames the same however they are cut (and byte by byte)', () => {
    expectSameEverywhere(small(client), expected, { expectMasked: true });
  });

  it('reads unmasked server frames the same however they are cut (and byte by byte)', () => {
    expectSameEverywhere(small(server), expected, { expectMasked: false });
  });

  it('reads every cut into three pieces of a short fragmented stream', () => {
    const stream = client(
      { opcode: Opcode.Text, payload: 'a€', fin: false },
      { opcode: Opcode.Ping, payload: 'x' },
      { opcode: Opcode.Continuation, payload: 'b' },
      { opcode: Opcode.Close, payload: '' },
    );
    const want = [`ping:${Buffer.from('x').toString('hex')}`, 'text:a€b', 'close:1005:'];
    for (let i = 0; i <= stream.length; i++) for (let j = i; j <= stream.length; j++) expect(run(stream, [i, j])).toEqual(want);
  });

  it('reads 16-bit and 64-bit lengths at their boundaries, cut anywhere', () => {
    for (const masked of [true, false]) {
      const frames = [
        frame({ opcode: Opcode.Binary, payload: bytes(65535, 3) }, masked),
        frame({ opcode: Opcode.Binary, payload: bytes(65536, 4) }, masked),
        frame({ opcode: Opcode.Text, payload: 'x'.repeat(70000) }, masked),
        frame({ opcode: Opcode.Close, payload: Buffer.from([0x0f, 0xa0]) }, masked),
      ];
      const want = [
        `binary:${describeBytes(bytes(65535, 3))}`,
        `binary:${describeBytes(bytes(65536, 4))}`,
        `text:${describeBytes(Buffer.from('x'.repeat(70000)))}`,
        'close:4000:',
      ];
      expectSameEverywhere(
        Buffer.concat(frames),
        want,
        { expectMasked: masked },
        frames.map((f) => f.length),
      );
    }
  });

  it('takes a chunk that ends exactly at a frame boundary, and an empty chunk', () => {
    const { reader, log } = record();
    expect(reader.push(Buffer.alloc(0))).toBe(0);
    const one = client({ opcode: Opcode.Text, payload: 'one' });
    expect(reader.push(one)).toBe(one.length);
    expect(log).toEqual(['text:one']);
  });
});

describe('FrameReader: protocol errors', () => {
  const header64 = (high: number, low: number) => {
    const h = Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, ...MASK]);
    h.writeUInt32BE(high, 2);
    h.writeUInt32BE(low, 6);
    return h;
  };
  const closeWith = (code: number, reason: Buffer = Buffer.alloc(0)) => {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    return client({ opcode: Opcode.Close, payload: Buffer.concat([payload, reason]) });
  };

  const cases: Array<[string, Buffer, number, Partial<FrameReaderOptions>?]> = [
    ['RSV1 without a negotiated permessage-deflate', client({ opcode: Opcode.Text, payload: 'x', rsv1: true }), 1002],
    ['RSV2', client({ opcode: Opcode.Text, payload: 'x', rsv2: true }), 1002],
    ['RSV3', client({ opcode: Opcode.Binary, payload: 'x', rsv3: true }), 1002],
    ['RSV2 on a control frame', client({ opcode: Opcode.Ping, rsv2: true }), 1002],
    ['a continuation with no message started', client({ opcode: Opcode.Continuation, payload: 'x' }), 1002],
    [
      'a text frame inside a fragmented message',
      client({ opcode: Opcode.Text, payload: 'a', fin: false }, { opcode: Opcode.Text, payload: 'b' }),
      1002,
    ],
    [
      'a binary frame inside a fragmented message',
      client({ opcode: Opcode.Binary, payload: 'a', fin: false }, { opcode: Opcode.Binary, payload: 'b' }),
      1002,
    ],
    ['a control frame over 125 bytes', client({ opcode: Opcode.Ping, payload: bytes(126) }), 1002],
    ['a control frame over 125 bytes (long form)', client({ opcode: Opcode.Pong, payload: bytes(200), form: 64 }), 1002],
    ['a fragmented ping', client({ opcode: Opcode.Ping, payload: 'x', fin: false }), 1002],
    ['a fragmented close', client({ opcode: Opcode.Close, payload: Buffer.from([3, 0xe8]), fin: false }), 1002],
    ['an unmasked frame to the server', server({ opcode: Opcode.Text, payload: 'x' }), 1002],
    ['a masked frame to the client', client({ opcode: Opcode.Text, payload: 'x' }), 1002, { expectMasked: false }],
    ['text that is not UTF-8', client({ opcode: Opcode.Text, payload: Buffer.from([0x61, 0xff]) }), 1007],
    ['text that ends inside a sequence', client({ opcode: Opcode.Text, payload: Buffer.from([0x61, 0xe2, 0x82]) }), 1007],
    ['a close frame with a 1-byte payload', client({ opcode: Opcode.Close, payload: Buffer.from([3]) }), 1002],
    ['a close reason that is not UTF-8', closeWith(1000, Buffer.from([0xc3, 0x28])), 1007],
    ['a 64-bit length with the top bit set', header64(0x80000000, 5), 1002],
    ['a 64-bit length of 2^64 - 1', header64(0xffffffff, 0xffffffff), 1002],
  ];
  for (let opcode = 3; opcode <= 15; opcode++) {
    if (opcode >= 8 && opcode <= 10) continue;
    cases.push([`reserved opcode ${opcode}`, client({ opcode, payload: 'x' }), 1002]);
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    cases.push([`close code ${code}`, closeWith(code), 1002]);
  }

  for (const [name, stream, code, options] of cases) {
    it(`fails ${name} with ${code}, cut anywhere, and reads nothing more`, () => {
      const after = client({ opcode: Opcode.Text, payload: 'after' }, { opcode: Opcode.Ping });
      const whole = Buffer.concat([stream, after]);
      const want = [`error:${code}`];
      expect(run(whole, [], options)).toEqual(want);
      expect(run(whole, byteByByte(whole.length), options)).toEqual(want);
      for (let cut = 0; cut <= whole.length; cut++) expect(run(whole, [cut], options)).toEqual(want);
      const { reader, log } = record(options);
      reader.push(Buffer.from(stream));
      expect(reader.isClosed).toBe(true);
      expect(reader.push(Buffer.from(after))).toBe(after.length);
      expect(log).toEqual(want);
    });
  }

  it('accepts every close code a close frame may carry', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      expect(run(closeWith(code, Buffer.from('ok')), [])).toEqual([`close:${code}:ok`]);
    }
  });

  it('reports a close frame without a code as 1005, and stops reading', () => {
    const { reader, log } = record();
    const stream = client({ opcode: Opcode.Close }, { opcode: Opcode.Text, payload: 'late' });
    expect(reader.push(Buffer.from(stream))).toBe(stream.length);
    expect(reader.isClosed).toBe(true);
    expect(log).toEqual(['close:1005:']);
  });
});

describe('FrameReader: UTF-8 checked fragment by fragment', () => {
  /** Pushes each fragment as its own frame; returns the index of the fragment after which 1007 came (-1: none). */
  function failingFragment(fragments: Buffer[]): number {
    const { reader, log } = record();
    for (let k = 0; k < fragments.length; k++) {
      const opcode = k === 0 ? Opcode.Text : Opcode.Continuation;
      reader.push(client({ opcode, payload: fragments[k], fin: k === fragments.length - 1 }));
      if (log.includes('error:1007')) return k;
    }
    expect(log.length).toBe(1); // the message
    return -1;
  }

  const text = Buffer.from('aé€𝄞z');
  it('accepts valid text cut into fragments at every pair of points', () => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        expect(failingFragment([text.subarray(0, i), text.subarray(i, j), text.subarray(j)])).toBe(-1);
      }
    }
  });

  const invalid: Array<[string, number[]]> = [
    ['overlong', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['stray continuation', [0x80]],
    ['invalid byte', [0xfe]],
  ];
  for (const [name, bad] of invalid) {
    it(`fails ${name} in the fragment that holds the bad byte, not at the end`, () => {
      const ok = Buffer.from('ok ✓ ');
      expect(failingFragment([ok, Buffer.concat([ok, Buffer.from(bad), ok]), ok, ok])).toBe(1);
      // The sequence cut after its lead byte: the bad second byte is in the next fragment.
      if (bad.length > 1 && bad[0] !== 0xc0) {
        expect(failingFragment([ok, Buffer.concat([ok, Buffer.from(bad.slice(0, 1))]), Buffer.from(bad.slice(1)), ok, ok])).toBe(2);
      }
    });
  }

  it('fails text truncated inside a sequence at the last fragment', () => {
    expect(failingFragment([Buffer.from('ab'), Buffer.from([0xe2, 0x82]), Buffer.from('')])).toBe(2);
    expect(failingFragment([Buffer.from('ab'), Buffer.from([0xf0, 0x9f, 0x98])])).toBe(1);
  });
});

describe('FrameReader: limits are on bytes', () => {
  it('reads a 4 MiB message sent in 64-byte fragments', () => {
    const size = 4 << 20;
    const message = bytes(size, 9);
    const frames: Buffer[] = [];
    for (let offset = 0; offset < size; offset += 64) {
      frames.push(
        frame(
          {
            opcode: offset === 0 ? Opcode.Binary : Opcode.Continuation,
            payload: message.subarray(offset, offset + 64),
            fin: offset + 64 >= size,
          },
          true,
        ),
      );
    }
    const stream = Buffer.concat(frames);
    for (const chunkSize of [65536, 1000]) {
      const { reader, log } = record({ maxMessageSize: size });
      let received: Buffer | null = null;
      const events = reader as unknown as { events: FrameReaderEvents };
      events.events.onMessage = (data) => (received = data);
      const copy = Buffer.from(stream);
      for (let offset = 0; offset < copy.length; offset += chunkSize) reader.push(copy.subarray(offset, offset + chunkSize));
      expect(log).toEqual([]);
      expect(received!.equals(message)).toBe(true);
    }
    // One byte less allowed: 1009 at the header of the last fragment.
    const { reader, log } = record({ maxMessageSize: size - 1 });
    reader.push(Buffer.concat(frames.slice(0, -1)));
    expect(log).toEqual([]);
    reader.push(frames[frames.length - 1].subarray(0, 2));
    expect(log).toEqual(['error:1009']);
  });

  it('fails with 1009 as soon as a header announces more than maxMessageSize, before the payload', () => {
    for (const length of [1001, 70000, 10 << 20]) {
      const { reader, log } = record({ maxMessageSize: 1000 });
      const header = frame({ opcode: Opcode.Binary, payload: Buffer.alloc(length) }, true).subarray(0, length < 65536 ? 4 : 10);
      expect(reader.push(header)).toBe(header.length);
      expect(log).toEqual(['error:1009']);
      expect(reader.isClosed).toBe(true);
    }
    // A header with 2^53 bytes and no limit: still refused (no Buffer that large), before the payload.
    const { reader, log } = record({ maxMessageSize: Infinity });
    const header = Buffer.from([0x82, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, ...MASK]);
    reader.push(header);
    expect(log).toEqual(['error:1009']);
  });

  it('counts the fragments of a message together, control frames apart', () => {
    const { reader, log } = record({ maxMessageSize: 10 });
    reader.push(
      client(
        { opcode: Opcode.Text, payload: '12345', fin: false },
        { opcode: Opcode.Ping, payload: 'a ping longer than ten' },
        { opcode: Opcode.Continuation, payload: '67890' },
      ),
    );
    expect(log).toEqual([`ping:${Buffer.from('a ping longer than ten').toString('hex')}`, 'text:1234567890']);
    reader.push(client({ opcode: Opcode.Text, payload: '12345', fin: false }, { opcode: Opcode.Continuation, payload: '678901' }));
    expect(log.slice(2)).toEqual(['error:1009']);
  });
});

describe('FrameReader: misuse', () => {
  it('refuses a push from inside one of its own events, in words', () => {
    const { reader, log } = record();
    const events = (reader as unknown as { events: FrameReaderEvents }).events;
    let thrown: unknown = null;
    events.onMessage = () => {
      try {
        reader.push(client({ opcode: Opcode.Text, payload: 'nested' }));
      } catch (error) {
        thrown = error;
      }
    };
    reader.push(client({ opcode: Opcode.Text, payload: 'outer' }, { opcode: Opcode.Ping, payload: 'after' }));
    expect(String(thrown)).toMatch(/push\(\) called from inside one of its own events/);
    expect(log).toEqual([`ping:${Buffer.from('after').toString('hex')}`]); // the outer push went on
  });
});

describe('FrameReader: options', () => {
  it('refuses bad options in words', () => {
    const events = record().reader as unknown as { events: FrameReaderEvents };
    expect(() => new FrameReader(events.events, { expectMasked: true, maxMessageSize: 0, deflate: null })).toThrow(
      /maxMessageSize must be a positive number or Infinity, got 0/,
    );
    expect(() => new FrameReader(events.events, { expectMasked: 'yes' as unknown as boolean, maxMessageSize: 1, deflate: null })).toThrow(
      /expectMasked must be a boolean/,
    );
  });
});
