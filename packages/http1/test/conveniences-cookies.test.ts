/**
 * cookies(req) reads the Cookie header once per request; setCookie(...) writes Set-Cookie values
 * (RFC 6265), refusing bad names and attributes with InvalidArgumentError naming them.
 */
import { describe, expect, it } from 'vitest';
import { cookies, InvalidArgumentError, setCookie, type Request } from '@http-kit/http1';
import { requestOnce, useServers } from '@http-kit/test-support';

const servers = useServers();

describe('cookies(req)', () => {
  it('parses the Cookie header (repeated headers too): trimmed, unquoted, decoded, first name wins', async () => {
    const { port } = await servers.start((req: Request) => {
      const first = cookies(req);
      return { status: 200, body: JSON.stringify({ same: cookies(req) === first, cookies: first }) };
    });
    const response = await requestOnce(
      port,
      'GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1;  b = "two words" ; c=%C3%A9%20x; a=shadowed; junk; d=100%\r\nCookie: e=\r\nConnection: close\r\n\r\n',
    );
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      same: true,
      cookies: { a: '1', b: 'two words', c: 'é x', d: '100%', e: '' },
    });
  });

  it('is empty without a Cookie header', async () => {
    const { port } = await servers.start((req: Request) => ({ status: 200, body: JSON.stringify(cookies(req)) }));
    expect((await requestOnce(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text).toBe('{}');
  });
});

describe('setCookie', () => {
  it('writes every attribute in order', () => {
    const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(
      setCookie('session', 'abc123', {
        maxAge: 3600,
        expires,
        path: '/',
        domain: 'example.com',
        secure: true,
        httpOnly: true,
        sameSite: 'lax',
        partitioned: true,
      }),
    ).toBe(
      'session=abc123; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/; Domain=example.com; Secure; HttpOnly; SameSite=Lax; Partitioned',
    );
    expect(setCookie('gone', '', { maxAge: 0 })).toBe('gone=; Max-Age=0');
  });

  it('percent-encodes only what RFC 6265 forbids in a value (and %), which cookies() decodes back', async () => {
    const value = 'a b"c,d;e\\f%g/h:i=j{k}é\u0001';
    const header = setCookie('v', value);
    expect(header).toBe('v=a%20b%22c%2Cd%3Be%5Cf%25g/h:i=j{k}%C3%A9%01');
    const { port } = await servers.start((req: Request) => ({
      status: 200,
      headers: { 'set-cookie': [header, setCookie('w', '1')] },
      body: cookies(req).v,
    }));
    const response = await requestOnce(port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${header}\r\nConnection: close\r\n\r\n`);
    expect(response.body.toString('utf8')).toBe(value);
    expect(response.rawHeaders.filter(([name]) => name.toLowerCase() === 'set-cookie').map(([, v]) => v)).toEqual([header, 'w=1']);
  });

  it.each([
    ['a name that is not a token', () => setCookie('a b', '1'), /cookie name "a b" is not a token/],
    ['an empty name', () => setCookie('', '1'), /cookie name "" is not a token/],
    ['a name with =', () => setCookie('a=b', '1'), /cookie name "a=b"/],
    ['a value that is no string', () => setCookie('a', 1 as never), /value of cookie a must be a string, not 1/],
    ['an unknown option', () => setCookie('a', '1', { maxage: 1 } as never), /unknown option "maxage" \(known: maxAge, /],
    ['a fractional maxAge', () => setCookie('a', '1', { maxAge: 1.5 }), /maxAge of cookie a must be an integer/],
    ['an invalid Date', () => setCookie('a', '1', { expires: new Date('nope') }), /expires of cookie a must be a valid Date/],
    ['a path with ;', () => setCookie('a', '1', { path: '/; Domain=evil' }), /path of cookie a must be printable ASCII without ';'/],
    ['a path with a line break', () => setCookie('a', '1', { path: '/\r\nx: y' }), /path of cookie a/],
    ['a bad domain', () => setCookie('a', '1', { domain: 'evil.com; Secure' }), /domain of cookie a is not a domain name/],
    [
      'a bad sameSite',
      () => setCookie('a', '1', { sameSite: 'Loose' as never }),
      /sameSite of cookie a must be 'Strict', 'Lax' or 'None', not "Loose"/,
    ],
    ['SameSite=None without Secure', () => setCookie('a', '1', { sameSite: 'None' }), /sameSite 'None' without secure/],
    ['Partitioned without Secure', () => setCookie('a', '1', { partitioned: true }), /partitioned without secure/],
    ['a flag that is no boolean', () => setCookie('a', '1', { httpOnly: 'yes' as never }), /httpOnly of cookie a must be a boolean/],
    ['__Secure- without Secure', () => setCookie('__Secure-a', '1'), /__Secure- prefix/],
    ['__Host- with a domain', () => setCookie('__Host-a', '1', { secure: true, path: '/', domain: 'example.com' }), /__Host- prefix/],
  ])('refuses %s', (_what, call, message) => {
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
  });

  it('accepts the prefixes with what they require', () => {
    expect(setCookie('__Host-id', '1', { secure: true, path: '/' })).toBe('__Host-id=1; Path=/; Secure');
    expect(setCookie('__Secure-id', '1', { secure: true, sameSite: 'None' })).toBe('__Secure-id=1; Secure; SameSite=None');
  });
});
