/**
 * The response-head scan is shared by every connection: a scan started while another is under
 * way (from a header value's own toString, the one code that runs inside a scan) must get an
 * object of its own and leave the outer scan whole. (An array's items go through String().)
 */
import { describe, expect, it } from 'vitest';
import { scanHeaders } from '@http-kit/http1/codec';

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
