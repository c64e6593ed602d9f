import { describe, it, expect } from 'vitest';
import { formatExtension, parseExtensions } from '../src/codec/extensions.js';
import { ExtensionHeaderError } from '../src/codec/errors.js';

const plain = (header: string) => parseExtensions(header).map((e) => ({ name: e.name, params: { ...e.params }, repeated: e.repeated }));

describe('parseExtensions', () => {
  it('reads extensions with bare and valued parameters', () => {
    expect(plain('permessage-deflate; client_max_window_bits, x-foo')).toEqual([
      { name: 'permessage-deflate', params: { client_max_window_bits: true }, repeated: [] },
      { name: 'x-foo', params: {}, repeated: [] },
    ]);
    expect(plain('permessage-deflate;server_max_window_bits=10;client_no_context_takeover')).toEqual([
      { name: 'permessage-deflate', params: { server_max_window_bits: '10', client_no_context_takeover: true }, repeated: [] },
    ]);
  });

  it('allows spaces and tabs around every separator, and skips empty list elements', () => {
    expect(plain(' , permessage-deflate \t; a = 1 ;b\t,, x ,')).toEqual([
      { name: 'permessage-deflate', params: { a: '1', b: true }, repeated: [] },
      { name: 'x', params: {}, repeated: [] },
    ]);
    expect(plain('')).toEqual([]);
    expect(plain('  ')).toEqual([]);
  });

  it('unquotes quoted values, which must then be tokens', () => {
    expect(plain('e; a="10"; b="x\\yz"')).toEqual([{ name: 'e', params: { a: '10', b: 'xyz' }, repeated: [] }]);
    expect(() => parseExtensions('e; a="1 0"')).toThrow(ExtensionHeaderError);
    expect(() => parseExtensions('e; a=""')).toThrow(/is not a token/);
    expect(() => parseExtensions('e; a="10')).toThrow(/unterminated/);
  });

  it('keeps the first of a repeated parameter and lists the name as repeated', () => {
    expect(plain('e; a=1; a=2; b; a; b')).toEqual([{ name: 'e', params: { a: '1', b: true }, repeated: ['a', 'b'] }]);
  });

  it('does not let a parameter named __proto__ reach the prototype', () => {
    const [e] = parseExtensions('e; __proto__=x; constructor');
    expect(e.params.__proto__).toBe('x');
    expect(Object.getPrototypeOf(e.params)).toBe(null);
    expect(e.params.constructor).toBe(true);
  });

  for (const bad of ['e;', 'e; =1', 'e; a=', 'e; a=1=2', ';e', 'e f', 'e; a b', 'e; a=@', 'e, =', 'é', 'e; a="x"y']) {
    it(`throws a clear error on ${JSON.stringify(bad)}`, () => {
      expect(() => parseExtensions(bad)).toThrow(ExtensionHeaderError);
      try {
        parseExtensions(bad);
      } catch (error) {
        expect((error as ExtensionHeaderError).code).toBe('HTTPKIT_WS_EXTENSION_HEADER');
        expect((error as Error).message).toMatch(/^invalid Sec-WebSocket-Extensions header at offset \d+: .+ in ".*"$/);
      }
    });
  }
});

describe('formatExtension', () => {
  it('writes bare and valued parameters in order', () => {
    expect(formatExtension('permessage-deflate', {})).toBe('permessage-deflate');
    expect(formatExtension('permessage-deflate', { client_no_context_takeover: true, client_max_window_bits: 12, x: 'tok' })).toBe(
      'permessage-deflate; client_no_context_takeover; client_max_window_bits=12; x=tok',
    );
  });

  it('round-trips through parseExtensions', () => {
    const text = formatExtension('e', { a: 1, b: true, c: 'x-y' });
    expect(plain(text)).toEqual([{ name: 'e', params: { a: '1', b: true, c: 'x-y' }, repeated: [] }]);
  });

  it('refuses names and values that are not tokens', () => {
    expect(() => formatExtension('a b', {})).toThrow(/extension name must be a token/);
    expect(() => formatExtension('e', { 'a b': true })).toThrow(/parameter names must be tokens/);
    expect(() => formatExtension('e', { a: 'x y' })).toThrow(/a must be true, a token or a non-negative integer/);
    expect(() => formatExtension('e', { a: -1 })).toThrow(/non-negative integer/);
    expect(() => formatExtension('e', { a: 1.5 })).toThrow(/non-negative integer/);
  });
});
