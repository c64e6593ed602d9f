import { describe, it, expect, vi } from 'vitest';
import zlib from 'node:zlib';
import {
  acceptServerResponse,
  clientOffer,
  negotiateServer,
  PerMessageDeflate,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from '../src/codec/permessage-deflate.js';
import { ExtensionHeaderError, InflateError, MessageTooBigError } from '../src/codec/errors.js';
import { FrameReader, type FrameReaderEvents } from '../src/codec/frame-reader.js';
import { encodeFrame } from '../src/codec/frame-writer.js';
import { Opcode } from '../src/codec/opcodes.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const DEFAULTS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

const compress = (p: PerMessageDeflate, data: Buffer) =>
  new Promise<Buffer>((resolve, reject) => p.compress(data, (error, out) => (error ? reject(error) : resolve(out))));

/** Inflates `data` cut into `pieces` fragments; resolves to the message or the error. */
async function decompress(p: PerMessageDeflate, data: Buffer, pieces = 1): Promise<Buffer | (Error & { closeCode?: number })> {
  const size = Math.ceil(data.length / pieces) || 1;
  for (let k = 0; k < pieces; k++) {
    const fin = k === pieces - 1;
    const result = await new Promise<Buffer | Error | null>((resolve) =>
      p.decompress(data.subarray(k * size, fin ? data.length : (k + 1) * size), fin, (error, out) => resolve(error ?? out)),
    );
    if (result instanceof Error) return result;
    if (fin) return result!;
    expect(result).toBe(null);
  }
  throw new Error('unreachable');
}

/** Buffer equality without vitest's element-by-element deep equal (slow on large buffers). */
function expectBytes(actual: unknown, expected: Buffer): void {
  expect(Buffer.isBuffer(actual) ? (actual as Buffer).equals(expected) : actual).toBe(true);
}

const text = (n: number) => Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(n / 45)).slice(0, n));
const noise = (n: number, seed = 7) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16;
  return b;
};

describe('negotiateServer', () => {
  it('accepts no offer when there is none', () => {
    expect(negotiateServer(undefined, {})).toBe(null);
    expect(negotiateServer('', {})).toBe(null);
    expect(negotiateServer('x-webkit-deflate-frame', {})).toBe(null);
  });

  it('accepts the offers browsers make', () => {
    expect(negotiateServer('permessage-deflate; client_max_window_bits', {})).toEqual({ response: 'permessage-deflate', params: DEFAULTS });
    expect(negotiateServer('permessage-deflate', {})).toEqual({ response: 'permessage-deflate', params: DEFAULTS });
  });

  it("limits the client's window only when the client said it can be limited", () => {
    expect(negotiateServer('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })).toEqual({
      response: 'permessage-deflate; client_max_window_bits=10',
      params: { ...DEFAULTS, clientMaxWindowBits: 10 },
    });
    expect(negotiateServer('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 10 })!.params.clientMaxWindowBits).toBe(
      9,
    );
    expect(negotiateServer('permessage-deflate; client_max_window_bits=8', {})).toEqual({
      response: 'permessage-deflate; client_max_window_bits=8',
      params: { ...DEFAULTS, clientMaxWindowBits: 8 },
    });
    // The client cannot be limited: declined (its next offer, if any, may do).
    expect(negotiateServer('permessage-deflate', { clientMaxWindowBits: 10 })).toBe(null);
    expect(negotiateServer('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 12 })!.response).toBe(
      'permessage-deflate; client_max_window_bits=12',
    );
  });

  it('uses the smaller of the offered and configured server window', () => {
    expect(negotiateServer('permessage-deflate; server_max_window_bits=10', {})!.response).toBe(
      'permessage-deflate; server_max_window_bits=10',
    );
    expect(negotiateServer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 })!.params.serverMaxWindowBits).toBe(
      10,
    );
    expect(negotiateServer('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 9 })!.response).toBe(
      'permessage-deflate; server_max_window_bits=9',
    );
    expect(negotiateServer('permessage-deflate', { serverMaxWindowBits: 11 })!.response).toBe(
      'permessage-deflate; server_max_window_bits=11',
    );
    expect(negotiateServer('permessage-deflate; server_max_window_bits=8', {})!.params.serverMaxWindowBits).toBe(8);
  });

  it('grants and imposes no context takeover', () => {
    expect(negotiateServer('permessage-deflate; server_no_context_takeover', {})).toEqual({
      response: 'permessage-deflate; server_no_context_takeover',
      params: { ...DEFAULTS, serverNoContextTakeover: true },
    });
    expect(negotiateServer('permessage-deflate; client_no_context_takeover', {})!.params.clientNoContextTakeover).toBe(true);
    expect(negotiateServer('permessage-deflate', { serverNoContextTakeover: true, clientNoContextTakeover: true })!.response).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
  });

  it('declines offers with unknown, repeated or invalid parameters, and takes the next acceptable one', () => {
    for (const offer of [
      'permessage-deflate; foo',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_no_context_takeover="x"',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=08',
      'permessage-deflate; client_max_window_bits=0',
      'permessage-deflate; client_max_window_bits=abc',
    ]) {
      expect(negotiateServer(offer, {}), offer).toBe(null);
      expect(negotiateServer(`${offer}, permessage-deflate; server_max_window_bits="11"`, {})!.response).toBe(
        'permessage-deflate; server_max_window_bits=11',
      );
    }
  });

  it('throws on a header that breaks the extension grammar', () => {
    expect(() => negotiateServer('permessage-deflate; ', {})).toThrow(ExtensionHeaderError);
    expect(() => negotiateServer('permessage-deflate; a=b=c', {})).toThrow(ExtensionHeaderError);
  });

  it('refuses bad options in words', () => {
    expect(() => negotiateServer('permessage-deflate', { serverMaxWindowBits: 16 })).toThrow(
      /serverMaxWindowBits must be an integer from 8 to 15, got 16/,
    );
    expect(() => negotiateServer('permessage-deflate', { clientMaxWindowBits: 7 })).toThrow(/clientMaxWindowBits/);
    expect(() => negotiateServer('permessage-deflate', { level: 10 })).toThrow(/level/);
    expect(() => negotiateServer('permessage-deflate', { concurrency: 0 })).toThrow(/concurrency/);
    expect(() => negotiateServer('permessage-deflate', { serverNoContextTakeover: 'yes' as unknown as boolean })).toThrow(
      /must be a boolean/,
    );
  });
});

describe('clientOffer and acceptServerResponse', () => {
  it('offers client_max_window_bits always, and the rest as configured', () => {
    expect(clientOffer({})).toBe('permessage-deflate; client_max_window_bits');
    expect(
      clientOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
    ).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    );
  });

  it('reads an accepting response', () => {
    expect(acceptServerResponse('permessage-deflate', {})).toEqual(DEFAULTS);
    expect(
      acceptServerResponse(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
        {},
      ),
    ).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 10,
    });
    // What we offered ourselves holds even when the server does not repeat it.
    expect(acceptServerResponse('permessage-deflate', { clientNoContextTakeover: true, clientMaxWindowBits: 11 })).toEqual({
      ...DEFAULTS,
      clientNoContextTakeover: true,
      clientMaxWindowBits: 11,
    });
    expect(acceptServerResponse('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 10 })!).toEqual({
      ...DEFAULTS,
      serverMaxWindowBits: 9,
    });
  });

  it('reads no header as declined', () => {
    expect(acceptServerResponse(undefined, {})).toBe(null);
    expect(acceptServerResponse('', {})).toBe(null);
  });

  it('explains what is wrong with an unacceptable response', () => {
    const cases: Array<[string, PerMessageDeflateOptions, RegExp]> = [
      ['x-foo', {}, /extension "x-foo", which was not offered/],
      ['permessage-deflate, permessage-deflate', {}, /accepted permessage-deflate 2 times/],
      ['permessage-deflate; =', {}, /invalid Sec-WebSocket-Extensions header/],
      ['permessage-deflate; client_max_window_bits', {}, /client_max_window_bits needs a value/],
      ['permessage-deflate; foo=1', {}, /unknown parameter "foo"/],
      ['permessage-deflate; server_max_window_bits=9; server_max_window_bits=9', {}, /given more than once/],
      ['permessage-deflate; server_max_window_bits=16', {}, /must be 8..15/],
      ['permessage-deflate', { serverNoContextTakeover: true }, /server_no_context_takeover was asked for and is missing/],
      ['permessage-deflate', { serverMaxWindowBits: 10 }, /server_max_window_bits=10 was asked for, got none/],
      ['permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 }, /got 11/],
      [
        'permessage-deflate; client_max_window_bits=12',
        { clientMaxWindowBits: 10 },
        /client_max_window_bits=12 is more than the 10 offered/,
      ],
    ];
    for (const [response, options, reason] of cases) {
      const result = acceptServerResponse(response, options);
      expect(typeof result, response).toBe('string');
      expect(result).toMatch(reason);
    }
  });

  it('agrees with negotiateServer for every combination of options', () => {
    for (const options of combinations()) {
      const negotiated = negotiateServer(clientOffer(options), options);
      expect(negotiated).not.toBe(null);
      expect(acceptServerResponse(negotiated!.response, options)).toEqual(negotiated!.params);
    }
  });
});

function combinations(): PerMessageDeflateOptions[] {
  const all: PerMessageDeflateOptions[] = [];
  for (const serverNoContextTakeover of [false, true])
    for (const clientNoContextTakeover of [false, true])
      for (const serverMaxWindowBits of [undefined, 8, 9, 12, 15])
        for (const clientMaxWindowBits of [undefined, 8, 10, 15])
          all.push({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits });
  return all;
}

describe('PerMessageDeflate: round trips', () => {
  const messages = [
    text(2000),
    Buffer.alloc(0),
    noise(5000),
    text(2000),
    Buffer.from('é€𝄞'.repeat(300)),
    text(100_000),
    noise(70_000, 3),
    text(2000),
  ];

  it('round-trips messages both ways under every negotiated parameter combination, and zlib reads what we write', async () => {
    for (const options of combinations()) {
      const params = negotiateServer(clientOffer(options), options)!.params;
      const server = new PerMessageDeflate(params, true, options, Infinity);
      const client = new PerMessageDeflate(params, false, options, Infinity);
      const toServer: Buffer[] = [];
      const toClient: Buffer[] = [];
      for (const [k, message] of messages.entries()) {
        const up = await compress(client, message);
        toServer.push(up);
        expectBytes(await decompress(server, up, 1 + (k % 3)), message);
        const down = await compress(server, message);
        toClient.push(down);
        expectBytes(await decompress(client, down, 1 + (k % 2)), message);
      }
      // zlib, inflating with exactly the agreed window (8 included), reads each direction's stream...
      const all = Buffer.concat(messages);
      const stream = (list: Buffer[]) => Buffer.concat(list.flatMap((m) => [m, TRAILER]));
      const inflate = (data: Buffer, bits: number) =>
        zlib.inflateRawSync(data, { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      expect(inflate(stream(toServer), params.clientMaxWindowBits).equals(all)).toBe(true);
      expect(inflate(stream(toClient), params.serverMaxWindowBits).equals(all)).toBe(true);
      // ...and without context takeover, each message on its own.
      if (params.clientNoContextTakeover)
        toServer.forEach((m, k) => expect(inflate(Buffer.concat([m, TRAILER]), 15).equals(messages[k])).toBe(true));
      if (params.serverNoContextTakeover)
        toClient.forEach((m, k) => expect(inflate(Buffer.concat([m, TRAILER]), 15).equals(messages[k])).toBe(true));
      server.close();
      client.close();
    }
  });

  it('keeps context between messages unless told not to', async () => {
    const message = noise(2000, 11); // incompressible alone, but the same again is a back-reference
    const takeover = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    const first = await compress(takeover, message);
    const second = await compress(takeover, message);
    expect(first.length).toBeGreaterThan(2000);
    expect(second.length).toBeLessThan(50);

    const fresh = new PerMessageDeflate({ ...DEFAULTS, serverNoContextTakeover: true }, true, {}, Infinity);
    const a = await compress(fresh, message);
    const b = await compress(fresh, message);
    expect(b).toEqual(a);
    expect(b.length).toBeGreaterThan(2000);
    takeover.close();
    fresh.close();
  });

  it('removes the 00 00 ff ff trailer (an empty message is one 00 byte)', async () => {
    const p = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    expect(await compress(p, Buffer.alloc(0))).toEqual(Buffer.from([0x00]));
    const out = await compress(p, text(300));
    expect(out.subarray(-4)).not.toEqual(TRAILER);
    p.close();
  });

  it('inflates what zlib deflates: sync-flushed, with and without context, and with a final block (BFINAL)', async () => {
    const p = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    const message = text(5000);
    // A stream of two messages with context takeover.
    const deflate = zlib.createDeflateRaw();
    const flushOne = (data: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        const onData = (c: Buffer) => chunks.push(c);
        deflate.on('data', onData);
        deflate.write(data);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          deflate.off('data', onData);
          const all = Buffer.concat(chunks);
          resolve(all.subarray(0, all.length - 4));
        });
      });
    expectBytes(await decompress(p, await flushOne(message)), message);
    expectBytes(await decompress(p, await flushOne(message), 3), message);
    // RFC 7692 7.2.3.4: a message ending in a final block; the next message is a new stream.
    expect(await decompress(p, zlib.deflateRawSync(Buffer.from('Hello')))).toEqual(Buffer.from('Hello'));
    expect(await decompress(p, Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]))).toEqual(Buffer.from('Hello')); // RFC 7692 7.2.3.1
    expectBytes(await decompress(p, zlib.deflateRawSync(message), 2), message);
    // Data after the final block is an error.
    const after = await decompress(p, Buffer.concat([zlib.deflateRawSync(message), Buffer.from([1, 2, 3])]));
    expect(after).toBeInstanceOf(InflateError);
    expect((after as InflateError).closeCode).toBe(1007);
    p.close();
  });

  it('reports bad DEFLATE data with 1007, and inflates the next message afresh', async () => {
    const p = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    const error = await decompress(p, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]));
    expect(error).toBeInstanceOf(InflateError);
    expect((error as InflateError).closeCode).toBe(1007);
    expect((error as InflateError).code).toBe('HTTPKIT_WS_INFLATE');
    expect(await decompress(p, zlib.deflateRawSync(Buffer.from('ok'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }))).toEqual(
      Buffer.from('ok'),
    );
    p.close();
  });
});

describe('PerMessageDeflate: a deflate bomb', () => {
  const bomb = zlib.deflateRawSync(Buffer.alloc(64 << 20), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);

  it('is a few KB that inflates to 64 MB', () => {
    expect(bomb.length).toBeLessThan(70_000);
  });

  it('is stopped at maxMessageSize with 1009, without inflating the rest', async () => {
    let inflated = 0;
    const create = zlib.createInflateRaw;
    const spy = vi.spyOn(zlib, 'createInflateRaw').mockImplementation((options) => {
      const stream = create(options);
      stream.on('data', (chunk: Buffer) => (inflated += chunk.length));
      return stream;
    });
    try {
      const p = new PerMessageDeflate(DEFAULTS, true, {}, 1 << 20);
      const error = await decompress(p, bomb);
      expect(error).toBeInstanceOf(MessageTooBigError);
      expect((error as MessageTooBigError).closeCode).toBe(1009);
      await new Promise((resolve) => setTimeout(resolve, 50)); // anything zlib still had in hand
      expect(inflated).toBeGreaterThan(1 << 20);
      expect(inflated).toBeLessThan((1 << 20) + (256 << 10));
      p.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('fails the reader with 1009', async () => {
    const deflate = new PerMessageDeflate(DEFAULTS, true, {}, 1 << 20);
    const { reader, log, settled } = deflateReader(deflate, 1 << 20);
    const frame = encodeFrame(Opcode.Binary, bomb, true, true, Buffer.from([1, 2, 3, 4])) as Buffer;
    reader.push(frame);
    await settled(1);
    expect(log).toEqual(['error:1009']);
    deflate.close();
  });
});

describe('PerMessageDeflate: the process-wide limit on zlib operations', () => {
  it('runs at most `concurrency` operations at once, and answers each in order', async () => {
    const concurrency = 3; // a limiter of its own: other tests use the default
    let running = 0;
    let most = 0;
    const create = zlib.createDeflateRaw;
    const spy = vi.spyOn(zlib, 'createDeflateRaw').mockImplementation((options) => {
      const stream = create(options);
      const write = stream.write.bind(stream);
      stream.write = ((chunk: Buffer, ...rest: unknown[]) => {
        if (chunk.length > 0) most = Math.max(most, ++running);
        return write(chunk, ...(rest as []));
      }) as typeof stream.write;
      const flush = stream.flush.bind(stream);
      stream.flush = ((kind: number, callback: () => void) => flush(kind, () => (running--, callback()))) as typeof stream.flush;
      return stream;
    });
    try {
      const instances = Array.from({ length: 8 }, () => new PerMessageDeflate(DEFAULTS, true, { concurrency }, Infinity));
      const order: string[] = [];
      const jobs: Promise<void>[] = [];
      for (const [i, p] of instances.entries()) {
        for (let k = 0; k < 4; k++) {
          const message = text(20_000 + k);
          jobs.push(
            compress(p, message).then((out) => {
              order.push(`${i}:${k}`);
              expect(out.length).toBeGreaterThan(0);
            }),
          );
        }
      }
      await Promise.all(jobs);
      expect(most).toBeLessThanOrEqual(concurrency);
      expect(most).toBeGreaterThan(1);
      for (let i = 0; i < instances.length; i++) {
        expect(order.filter((o) => o.startsWith(`${i}:`))).toEqual([`${i}:0`, `${i}:1`, `${i}:2`, `${i}:3`]);
      }
      instances.forEach((p) => p.close());
    } finally {
      spy.mockRestore();
    }
  });

  it('gives back the slots of an instance closed mid-operation', async () => {
    const options = { concurrency: 1 };
    const a = new PerMessageDeflate(DEFAULTS, true, options, Infinity);
    const b = new PerMessageDeflate(DEFAULTS, true, options, Infinity);
    let aAnswered = false;
    a.compress(text(50_000), () => (aAnswered = true)); // holds the only slot
    const waiting = compress(b, text(1000)); // queued behind it
    a.close();
    expect((await waiting).length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(aAnswered).toBe(false);
    // and after close, calls report an error instead of hanging
    await expect(compress(a, text(10))).rejects.toThrow(/after close/);
    b.close();
  });
});

describe('FrameReader with permessage-deflate', () => {
  it('reads compressed messages, fragmented, with control frames between, cut at every byte boundary', async () => {
    const mask = Buffer.from([9, 8, 7, 6]);
    const client = new PerMessageDeflate(DEFAULTS, false, {}, Infinity);
    const hello = await compress(client, Buffer.from('hello hello hello ✓'));
    const big = await compress(client, text(3000));
    const bin = await compress(client, noise(300));
    const frame = (opcode: number, payload: Buffer, fin = true, rsv1 = false) => encodeFrame(opcode, payload, fin, rsv1, mask) as Buffer;
    const stream = Buffer.concat([
      frame(Opcode.Text, hello, true, true),
      frame(Opcode.Text, big.subarray(0, 10), false, true),
      frame(Opcode.Ping, Buffer.from('p')),
      frame(Opcode.Continuation, big.subarray(10, 20), false),
      frame(Opcode.Continuation, big.subarray(20), true),
      frame(Opcode.Text, Buffer.from('plain'), true, false), // an uncompressed message between compressed ones
      frame(Opcode.Binary, bin, true, true),
    ]);
    client.close();
    const want = [
      'text:hello hello hello ✓',
      'ping:70',
      `text:${text(3000).length}`,
      'text:plain',
      `binary:${noise(300).toString('hex').slice(0, 16)}`,
    ];
    for (let cut = 0; cut <= stream.length; cut += cut < 60 || cut > stream.length - 60 ? 1 : 7) {
      const server = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
      const { log, feed, settled } = deflateReader(server, Infinity);
      const copy = Buffer.from(stream);
      await feed([copy.subarray(0, cut), copy.subarray(cut)]);
      await settled(want.length);
      expect(log, `cut at ${cut}`).toEqual(want);
      server.close();
    }
  });

  it('reads byte by byte', async () => {
    const client = new PerMessageDeflate(DEFAULTS, false, {}, Infinity);
    const payload = await compress(client, text(500));
    const stream = Buffer.concat([
      encodeFrame(Opcode.Text, payload, true, true, Buffer.from([1, 2, 3, 4])) as Buffer,
      encodeFrame(Opcode.Ping, Buffer.alloc(0), true, false, Buffer.from([1, 2, 3, 4])) as Buffer,
    ]);
    const server = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    const { log, feed, settled } = deflateReader(server, Infinity);
    await feed(Array.from(stream, (b) => Buffer.from([b])));
    await settled(2);
    expect(log).toEqual(['text:500', 'ping:']);
    client.close();
    server.close();
  });

  it('returns the bytes it did not take while inflating, and asks for them with onResume', async () => {
    const client = new PerMessageDeflate(DEFAULTS, false, {}, Infinity);
    const payload = await compress(client, text(200));
    const mask = Buffer.from([1, 2, 3, 4]);
    const first = encodeFrame(Opcode.Text, payload, true, true, mask) as Buffer;
    const second = encodeFrame(Opcode.Text, Buffer.from('next'), true, false, mask) as Buffer;
    const server = new PerMessageDeflate(DEFAULTS, true, {}, Infinity);
    const { reader, log, settled } = deflateReader(server, Infinity);
    const both = Buffer.concat([first, second]);
    expect(reader.push(both)).toBe(first.length);
    expect(reader.push(both.subarray(first.length))).toBe(0); // still inflating
    await settled(1);
    expect(log).toEqual(['text:200', 'resume']);
    expect(reader.push(both.subarray(first.length))).toBe(second.length);
    expect(log).toEqual(['text:200', 'resume', 'text:next']);
    client.close();
    server.close();
  });

  const failures: Array<[string, (mask: Buffer, c: Buffer) => Buffer[], number]> = [
    [
      'RSV1 on a continuation frame',
      (m, c) => [
        encodeFrame(Opcode.Text, c, false, true, m) as Buffer,
        withRsv1(encodeFrame(Opcode.Continuation, c, true, false, m) as Buffer),
      ],
      1002,
    ],
    ['RSV1 on a control frame', (m) => [withRsv1(encodeFrame(Opcode.Ping, Buffer.alloc(0), true, false, m) as Buffer)], 1002],
    [
      'compressed text that is not UTF-8',
      (m) => [
        encodeFrame(
          Opcode.Text,
          zlib.deflateRawSync(Buffer.from([0x61, 0xff]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
          true,
          true,
          m,
        ) as Buffer,
      ],
      1007,
    ],
    ['bad DEFLATE data', (m) => [encodeFrame(Opcode.Binary, Buffer.from([0xff, 0xfe, 0xfd]), true, true, m) as Buffer], 1007],
    [
      'a message that inflates past maxMessageSize',
      (m) => [encodeFrame(Opcode.Binary, zlib.deflateRawSync(Buffer.alloc(5000)), true, true, m) as Buffer],
      1009,
    ],
  ];
  for (const [name, frames, code] of failures) {
    it(`fails ${name} with ${code}`, async () => {
      const server = new PerMessageDeflate(DEFAULTS, true, {}, 4000);
      const { log, feed, settled } = deflateReader(server, 4000);
      const compressed = zlib.deflateRawSync(Buffer.from('abc'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
      await feed([Buffer.concat(frames(Buffer.from([5, 6, 7, 8]), compressed))]);
      await settled(1);
      expect(log).toEqual([`error:${code}`]);
      server.close();
    });
  }
});

/** The frame with RSV1 set, which encodeFrame refuses to write where it does not belong. */
function withRsv1(frame: Buffer): Buffer {
  frame[0] |= 0x40;
  return frame;
}

/** A server-side FrameReader with `deflate`, a log of its events, and a feeder that honours push()'s return. */
function deflateReader(deflate: PerMessageDeflate, maxMessageSize: number) {
  const log: string[] = [];
  let resumed: (() => void) | null = null;
  const events: FrameReaderEvents = {
    onMessage: (data, isText) =>
      log.push(isText ? `text:${data.length > 64 ? data.length : data.toString()}` : `binary:${data.toString('hex').slice(0, 16)}`),
    onPing: (p) => log.push(`ping:${p.toString('hex')}`),
    onPong: (p) => log.push(`pong:${p.toString('hex')}`),
    onCloseFrame: (code, reason) => log.push(`close:${code}:${reason}`),
    onProtocolError: (code) => log.push(`error:${code}`),
    onResume: () => {
      if (resumed) {
        const r = resumed;
        resumed = null;
        r();
      } else {
        log.push('resume');
      }
    },
  };
  const reader = new FrameReader(events, { expectMasked: true, maxMessageSize, deflate });
  const feed = async (chunks: Buffer[]) => {
    for (const chunk of chunks) {
      let rest = chunk;
      while (rest.length > 0) {
        const taken = reader.push(rest);
        rest = rest.subarray(taken);
        if (rest.length > 0) await new Promise<void>((resolve) => (resumed = resolve));
      }
    }
  };
  const settled = (count: number) =>
    vi.waitFor(() => expect(log.filter((l) => l !== 'resume').length).toBeGreaterThanOrEqual(count), { timeout: 5000, interval: 2 });
  return { reader, log, feed, settled };
}
