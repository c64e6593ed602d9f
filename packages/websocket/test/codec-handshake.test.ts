import { describe, it, expect } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { acceptKey, isValidKey, parseTokenList, WS_GUID } from '../src/codec/handshake.js';
import { isToken } from '../src/codec/tokens.js';

describe('acceptKey', () => {
  it('gives the RFC 6455 1.3 example answer', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('is base64(sha1(key + GUID)) for random keys', () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(16).toString('base64');
      expect(acceptKey(key)).toBe(
        createHash('sha1')
          .update(key + WS_GUID)
          .digest('base64'),
      );
    }
  });
});

describe('isValidKey', () => {
  it('accepts base64 of exactly 16 bytes', () => {
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    for (let i = 0; i < 50; i++) expect(isValidKey(randomBytes(16).toString('base64'))).toBe(true);
  });

  it('refuses anything else', () => {
    for (const key of [
      undefined,
      '',
      'dGhlIHNhbXBsZQ==',
      randomBytes(17).toString('base64'),
      randomBytes(15).toString('base64'),
      'dGhlIHNhbXBsZSBub25jZQ',
      ' dGhlIHNhbXBsZSBub25jZQ==',
      'dGhlIHNhbXBsZSBub25jZQ== ',
      'dGhlIHNhbXBsZSBub25j*Q==',
      'dGhlIHNhbXBsZSBub25jZQ=',
    ]) {
      expect(isValidKey(key), String(key)).toBe(false);
    }
  });
});

describe('parseTokenList', () => {
  it('splits on commas and trims spaces and tabs', () => {
    expect(parseTokenList('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(parseTokenList('keep-alive, Upgrade')).toEqual(['keep-alive', 'Upgrade']);
    expect(parseTokenList('\tchat ,\tsuperchat\t')).toEqual(['chat', 'superchat']);
  });

  it('drops empty elements', () => {
    expect(parseTokenList('')).toEqual([]);
    expect(parseTokenList(undefined)).toEqual([]);
    expect(parseTokenList(' , x ,,')).toEqual(['x']);
  });

  it('keeps elements as written, for the caller to check with isToken', () => {
    expect(parseTokenList('Upgrade, a b')).toEqual(['Upgrade', 'a b']);
    expect(isToken('a b')).toBe(false);
    expect(isToken('v2.chat')).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('é')).toBe(false);
  });
});
