import { describe, it, expect } from 'vitest';
import { frameHeader, encodeFrame, encodeClose, headerLength } from '../src/codec/frame-writer.js';
import { Opcode } from '../src/codec/opcodes.js';
import { CloseCode, isValidCloseCode } from '../src/codec/close-codes.js';
import { applyMask, randomMask } from '../src/codec/mask.js';

const bytes = (b: Buffer | [Buffer, Buffer]) => (Array.isArray(b) ? Buffer.concat(b) : b);

describe('frameHeader', () => {
  it('writes FIN, RSV1, opcode and the shortest length form', () => {
    expect(frameHeader(Opcode.Text, 5, true, false, null)).toEqual(Buffer.from([0x81, 0x05]));
    expect(frameHeader(Opcode.Binary, 125, false, true, null)).toEqual(Buffer.from([0x42, 125]));
    expect(frameHeader(Opcode.Continuation, 126, true, false, null)).toEqual(Buffer.from([0x80, 126, 0x00, 126]));
    expect(frameHeader(Opcode.Binary, 65535, true, false, null)).toEqual(Buffer.from([0x82, 126, 0xff, 0xff]));
    expect(frameHeader(Opcode.Binary, 65536, true, false, null)).toEqual(Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]));
    expect(frameHeader(Opcode.Binary, 2 ** 40 + 3, true, false, null)).toEqual(Buffer.from([0x82, 127, 0, 0, 1, 0, 0, 0, 0, 3]));
  });

  it('sets the MASK bit and appends the key', () => {
    const mask = Buffer.from([1, 2, 3, 4]);
    expect(frameHeader(Opcode.Ping, 0, true, false, mask)).toEqual(Buffer.from([0x89, 0x80, 1, 2, 3, 4]));
    expect(frameHeader(Opcode.Text, 300, true, false, mask)).toEqual(Buffer.from([0x81, 0xfe, 0x01, 0x2c, 1, 2, 3, 4]));
    expect(headerLength(70000, true)).toBe(14);
  });

  it('refuses unknown opcodes, oversized or fragmented control frames, bad masks', () => {
    expect(() => frameHeader(3, 0, true, false, null)).toThrow(/unknown opcode 3/);
    expect(() => frameHeader(Opcode.Ping, 126, true, false, null)).toThrow(/control frame/);
    expect(() => frameHeader(Opcode.Close, 2, false, false, null)).toThrow(/control frame/);
    expect(() => frameHeader(Opcode.Text, 1, true, false, Buffer.alloc(3))).toThrow(/mask must be 4 bytes/);
    expect(() => frameHeader(Opcode.Text, -1, true, false, null)).toThrow(/bad payload length/);
    expect(() => frameHeader(Opcode.Ping, 0, true, true, null)).toThrow(
      /RSV1 \(compressed\) belongs on the first frame of a data message, not on opcode 9/,
    );
    expect(() => frameHeader(Opcode.Continuation, 1, true, true, null)).toThrow(/RSV1/);
  });
});

describe('encodeFrame', () => {
  it('joins header and a small payload into one Buffer', () => {
    const frame = encodeFrame(Opcode.Text, Buffer.from('hi'), true, false, null);
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect(frame).toEqual(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  });

  it('hands back a large unmasked payload without copying it', () => {
    const payload = Buffer.alloc(70000, 7);
    const frame = encodeFrame(Opcode.Binary, payload, true, false, null);
    expect(Array.isArray(frame)).toBe(true);
    const [header, body] = frame as [Buffer, Buffer];
    expect(header).toEqual(frameHeader(Opcode.Binary, 70000, true, false, null));
    expect(body).toBe(payload);
  });

  it("masks a copy of the payload, leaving the caller's buffer alone", () => {
    for (const length of [0, 1, 125, 126, 5000, 70000]) {
      const payload = Buffer.alloc(length);
      for (let i = 0; i < length; i++) payload[i] = i % 251;
      const original = Buffer.from(payload);
      const mask = randomMask();
      const frame = bytes(encodeFrame(Opcode.Binary, payload, true, false, mask));
      expect(payload.equals(original)).toBe(true);
      const headerBytes = headerLength(length, true);
      expect(frame.subarray(headerBytes - 4, headerBytes).equals(mask)).toBe(true);
      const body = Buffer.from(frame.subarray(headerBytes));
      applyMask(body, mask);
      expect(body.equals(original)).toBe(true);
    }
  });
});

describe('encodeClose', () => {
  it('writes the code and the reason', () => {
    expect(encodeClose(1000, '', null)).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    expect(encodeClose(CloseCode.GoingAway, 'bye', null)).toEqual(Buffer.from([0x88, 0x05, 0x03, 0xe9, 0x62, 0x79, 0x65]));
    expect(encodeClose(4000, 'é', null)).toEqual(Buffer.from([0x88, 0x04, 0x0f, 0xa0, 0xc3, 0xa9]));
  });

  it('writes an empty close frame for 1005 with no reason', () => {
    expect(encodeClose(CloseCode.NoStatus, '', null)).toEqual(Buffer.from([0x88, 0x00]));
    expect(encodeClose(CloseCode.NoStatus, '', Buffer.from([9, 9, 9, 9]))).toEqual(Buffer.from([0x88, 0x80, 9, 9, 9, 9]));
  });

  it('accepts a reason of 123 bytes and refuses 124', () => {
    expect(encodeClose(1000, 'x'.repeat(123), null).length).toBe(2 + 125);
    expect(() => encodeClose(1000, 'x'.repeat(124), null)).toThrow(/124 bytes of UTF-8, at most 123/);
    expect(() => encodeClose(1000, 'é'.repeat(62), null)).toThrow(/124 bytes/);
  });

  it('refuses codes that may not be sent', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 1000.5, NaN]) {
      expect(() => encodeClose(code, 'x', null), String(code)).toThrow(/is not a close code that may be sent/);
    }
    expect(() => encodeClose(1000, 42 as unknown as string, null)).toThrow(/reason must be a string/);
  });
});

describe('isValidCloseCode', () => {
  it('allows 1000-1003, 1007-1014 and 3000-4999', () => {
    const valid: number[] = [];
    for (let code = 0; code < 6000; code++) if (isValidCloseCode(code)) valid.push(code);
    const expected = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014];
    for (let code = 3000; code <= 4999; code++) expected.push(code);
    expect(valid).toEqual(expected);
  });
});
