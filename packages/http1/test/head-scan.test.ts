/**
 * The response-head scan is shared by every connection: a scan started while another is under
 * way (from a header value's own toString, the one code that runs inside a scan) must get an
 * object of its own and leave the outer scan whole. (An array's items go through String().)
 */
import { describe, expect, it } from 'vitest';
import { CONNECTION_NONE, encodeHead, isFieldValue, scanHeaders, statusLine } from '@http-kit/http1/codec';

describe('scanHeaders', () => {
  it('a scan made from inside another (a header value whose toString answers something) leaves the outer one whole', () => {
    let inner: ReturnType<typeof scanHeaders> | null = null;
    const sneaky = {
      toString() {
        inner = scanHeaders({ 'x-inner': 'a', 'x-inner-2': 'b', 'content-length': 9 });
        return 'outer-value';
      },
    };
    const outer = scanHeaders({ 'x-first': '1', 'x-sneaky': [sneaky as unknown as string], 'x-last': '3' });
    expect(outer.names.slice(0, outer.count)).toEqual(['x-first', 'x-sneaky', 'x-last']);
    expect(outer.values.slice(0, outer.count)).toEqual(['1', 'outer-value', '3']);
    expect(outer.contentLength).toBe(-1);
    expect(inner).not.toBe(outer);
    expect(inner!.names.slice(0, inner!.count)).toEqual(['x-inner', 'x-inner-2']);
    expect(inner!.contentLength).toBe(9);
  });

  it('scans one after another reuse one object (no allocation per response)', () => {
    const first = scanHeaders({ a: '1' });
    const second = scanHeaders({ b: '2' });
    expect(second).toBe(first);
    expect(second.names.slice(0, second.count)).toEqual(['b']);
  });

  it('checks every value the same before, while and after its cache of checked values turns over', () => {
    const check = (value: string) => () => scanHeaders({ 'x-id': value, 'content-type': 'text/plain' });
    for (let round = 0; round < 3; round++) {
      // Unique values (request ids) fill the cache and empty it again, more than once.
      for (let i = 0; i < 1500; i++) expect(check(`id-${round}-${i}`)).not.toThrow();
      expect(check('bad\r\nx-injected: 1')).toThrow(/Invalid character in response header x-id/);
      expect(check('bad\u0000nul')).toThrow(/Invalid character/);
      expect(() => scanHeaders({ 'bad name': 'x' })).toThrow(/Invalid response header name/);
    }
  });
});

describe('encodeHead with lines kept from earlier answers', () => {
  const none = new Uint8Array(0);
  const encode = (headers: Record<string, string | number | string[]>) =>
    encodeHead(statusLine(200, false), scanHeaders(headers), 2, false, CONNECTION_NONE, none, none, 'ok', 2).toString('latin1');
  /** What the head must be, written out by hand. */
  const expected = (lines: Array<[string, string]>) =>
    `HTTP/1.1 200 OK\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')}Content-Length: 2\r\n\r\nok`;

  it('writes the same bytes the first time, the second (a kept line) and after the value changes', () => {
    const sequence: Array<Record<string, string>> = [
      { 'x-kept': 'one', 'X-Case': 'A' },
      { 'x-kept': 'one', 'X-Case': 'A' },
      { 'x-kept': 'one', 'X-Case': 'A' },
      { 'x-kept': 'two', 'X-Case': 'A' },
      { 'x-kept': 'one', 'x-case': 'A' },
      { 'x-kept': 'one', 'x-case': 'b' },
      { 'x-kept': 'one', 'x-case': 'b' },
    ];
    for (const headers of sequence) expect(encode(headers)).toBe(expected(Object.entries(headers)));
  });

  it('writes each of repeated lines (an array) and numbers as text, kept or not', () => {
    for (let i = 0; i < 3; i++) {
      expect(encode({ 'set-cookie': ['a=1', 'b=2'], 'x-n': 7 })).toBe(
        expected([
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['x-n', '7'],
        ]),
      );
    }
  });

  it('checks a value again once another came under its name, whatever was kept', () => {
    expect(encode({ 'x-v': 'fine' })).toBe(expected([['x-v', 'fine']]));
    expect(encode({ 'x-v': 'fine' })).toBe(expected([['x-v', 'fine']]));
    expect(() => encode({ 'x-v': 'fine\r\nx-injected: 1' })).toThrow(/Invalid character in response header x-v/);
    expect(encode({ 'x-v': 'fine' })).toBe(expected([['x-v', 'fine']]));
  });
});

describe('isFieldValue', () => {
  it('takes HTAB, visible ASCII and obs-text and refuses controls, DEL and wider characters, short or long', () => {
    for (const pad of ['', 'x'.repeat(70)]) {
      expect(isFieldValue(`${pad}a\tb ~\u0080\u00ff`)).toBe(true);
      for (const bad of ['\r', '\n', '\u0000', '\u001f', '\u007f', '\u0100', '\u2028']) expect(isFieldValue(`${pad}a${bad}b`)).toBe(false);
    }
  });
});
