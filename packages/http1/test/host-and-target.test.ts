/**
 * Host and request-target checks (RFC 9112 3.2, RFC 3986 3.2.2; issue 9): Host is uri-host
 * [":" port] or empty, an absolute-form target has no userinfo and agrees with Host, the asterisk
 * form is for OPTIONS only, a fragment is never sent, CONNECT takes host:port; and the smaller
 * gaps: `Transfer-Encoding: gzip, chunked` is 501 and a handler cannot answer with a 1xx status.
 * Each refusal comes before the handler runs and closes the connection.
 */
import { describe, expect, it } from 'vitest';
import { asChannel, type Request } from '@http-kit/http1';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();

/** A server recording what its handler saw: the request's serverName per call. */
async function recording() {
  const seen: Request[] = [];
  const started = await servers.start((req) => {
    seen.push(req);
    return `${req.requestMethod} ${req.uri} ${req.serverName}`;
  });
  return { ...started, seen };
}

const withHost = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

describe('Host', () => {
  const INVALID: Array<[string, string]> = [
    ['a, b', 'two hosts joined'],
    ['a b', 'a space'],
    ['a/b', 'a slash'],
    ['u@evil', 'userinfo'],
    ['a:b', 'a port that is not a number'],
    ['a:', 'an empty port'],
    [':80', 'an empty host name'],
    ['a:99999', 'a port over 65535'],
    ['a:123456', 'a port of six digits'],
    ['[::1', 'an unclosed IP literal'],
    ['[zz::1]', 'an IP literal that is no IPv6 address'],
    ['[::1]x', 'text after an IP literal'],
    ['a%zz', 'a % without two hex digits'],
    ['caf\xe9', 'a byte outside ASCII'],
    ['a?b', 'a question mark'],
    ['a#b', 'a hash'],
  ];
  for (const [host, what] of INVALID) {
    it(`400 for ${JSON.stringify(host)} (${what})`, async () => {
      const { port, seen } = await recording();
      const result = await exchange(port, Buffer.from(withHost(host), 'latin1'));
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([400]);
      expect(result.responses[0].text).toMatch(/^Bad Request: Invalid Host /);
      expect(result.closedByServer).toBe(true);
      expect(seen).toEqual([]);
    });
  }

  const VALID: Array<[string, string]> = [
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'Example.COM'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:9000', '[::1]'],
    ['[2001:db8::7]', '[2001:db8::7]'],
    ['[v1.fe80::a+en1]', '[v1.fe80::a+en1]'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['under_score.local', 'under_score.local'],
    ['a%41b', 'a%41b'],
    ['localhost:0', 'localhost'],
  ];
  for (const [host, serverName] of VALID) {
    it(`accepts ${JSON.stringify(host)}: serverName ${serverName}`, async () => {
      const { port, seen } = await recording();
      const result = await exchange(port, withHost(host));
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([200]);
      expect(seen[0].serverName).toBe(serverName);
    });
  }

  it('an empty Host is allowed (a target without authority, RFC 9112 3.2): serverName falls back to the listening ip', async () => {
    const { port, seen } = await recording();
    const result = await exchange(port, 'GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n');
    expect(result.responses.map((r) => r.status)).toEqual([200]);
    expect(seen[0].serverName).toBe('127.0.0.1');
  });
});

describe('request target', () => {
  const INVALID: Array<[string, string, RegExp]> = [
    ['GET * HTTP/1.1', 'the asterisk form on GET', /the asterisk form is for OPTIONS only/],
    ['POST * HTTP/1.1', 'the asterisk form on POST', /the asterisk form is for OPTIONS only/],
    ['GET /page#section HTTP/1.1', 'a fragment in an origin-form target', /a fragment/],
    ['GET /a?b=c#d HTTP/1.1', 'a fragment after the query', /a fragment/],
    ['GET http://user:pw@example.com/ HTTP/1.1', 'userinfo in an absolute-form target', /userinfo/],
    ['GET http://u@example.com/ HTTP/1.1', 'a user name in an absolute-form target', /userinfo/],
    ['GET ftp://example.com/ HTTP/1.1', 'a scheme other than http(s)', /is not http or https/],
    ['GET http://exa mple.com/ HTTP/1.1', 'a space in the authority', /.*/],
    ['GET http:///x HTTP/1.1', 'an empty authority', /the authority is empty/],
    ['GET http://example.com:x/ HTTP/1.1', 'a port that is no number', /is not a number/],
    ['GET http://example.com/#x HTTP/1.1', 'a fragment in an absolute-form target', /a fragment/],
    ['GET http://example.com#x HTTP/1.1', 'a fragment right after the authority', /a fragment|Unexpected char in url/],
    ['CONNECT /path HTTP/1.1', 'CONNECT with a path', /CONNECT takes host:port/],
  ];
  for (const [line, what, reason] of INVALID) {
    it(`400 for ${what}: ${line}`, async () => {
      const { port, seen } = await recording();
      const result = await exchange(port, `${line}\r\nHost: example.com\r\n\r\n`);
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([400]);
      expect(result.responses[0].text).toMatch(reason);
      expect(result.closedByServer).toBe(true);
      expect(seen).toEqual([]);
    });
  }

  it('OPTIONS * is served (uri "*")', async () => {
    const { port, seen } = await recording();
    const result = await exchange(port, 'OPTIONS * HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(result.responses.map((r) => r.status)).toEqual([200]);
    expect(seen[0].uri).toBe('*');
  });

  it('an absolute-form target that agrees with Host (the default port implied) is served', async () => {
    const { port, seen } = await recording();
    const a = await exchange(port, 'GET http://example.com/p?q HTTP/1.1\r\nHost: example.com:80\r\nConnection: close\r\n\r\n');
    const b = await exchange(port, 'GET https://example.com:443/p HTTP/1.1\r\nHost: EXAMPLE.com\r\nConnection: close\r\n\r\n');
    const c = await exchange(port, 'GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n');
    expect([a, b, c].map((r) => r.responses[0]?.status)).toEqual([200, 200, 200]);
    expect(seen.map((r) => [r.uri, r.queryString, r.serverName])).toEqual([
      ['/p', 'q', 'example.com'],
      ['/p', null, 'example.com'],
      ['/', null, '[::1]'],
    ]);
  });

  it('an absolute-form target with a different host or port than Host: 400', async () => {
    const { port, seen } = await recording();
    const host = await exchange(port, 'GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n');
    const portDiffers = await exchange(port, 'GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example\r\n\r\n');
    const emptyHost = await exchange(port, 'GET http://a.example/ HTTP/1.1\r\nHost:\r\n\r\n');
    expect([host, portDiffers, emptyHost].map((r) => r.responses[0]?.status)).toEqual([400, 400, 400]);
    expect(portDiffers.responses[0].text).toMatch(/is not the target's authority "a\.example:8080"/);
    expect(seen).toEqual([]);
  });
});

describe('transfer codings', () => {
  it('Transfer-Encoding: gzip, chunked is 501 Not Implemented (the server does not decode request codings)', async () => {
    const { port, seen } = await recording();
    const result = await exchange(port, 'POST /z HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect(result.responses.map((r) => r.status)).toEqual([501]);
    expect(result.responses[0].headers['connection']).toBe('close');
    expect(seen).toEqual([]);
  });

  it('Transfer-Encoding: deflate, chunked and "x-custom;q=1, chunked" too', async () => {
    const { port } = await recording();
    const a = await exchange(port, 'POST /z HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: deflate, chunked\r\n\r\n0\r\n\r\n');
    const b = await exchange(port, 'POST /z HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-custom;q=1, chunked\r\n\r\n0\r\n\r\n');
    expect([a.responses[0]?.status, b.responses[0]?.status]).toEqual([501, 501]);
  });
});

describe('1xx statuses are not answers', () => {
  for (const status of [100, 101, 103, 199]) {
    it(`a handler returning status ${status}: 500 and a clear error (a switch goes through switchProtocol)`, async () => {
      const { port, errors } = await servers.start(() => ({ status, headers: { upgrade: 'x' } }));
      const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([500]);
      expect(result.text).not.toMatch(/^HTTP\/1\.1 1/);
      expect(errors).toHaveLength(1);
      expect(String(errors[0].error)).toMatch(new RegExp(`A response cannot have status ${status}: 1xx responses are interim`));
      if (status === 101) expect(String(errors[0].error)).toMatch(/switchProtocol/);
    });
  }

  it('a channel answering 101 gets 500 the same way', async () => {
    const { port, errors } = await servers.start((req) => asChannel(req, { onOpen: (ch) => ch.send({ status: 101 }) }));
    const result = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(result.responses.map((r) => r.status)).toEqual([500]);
    expect(String(errors[0]?.error)).toMatch(/A response cannot have status 101/);
  });
});
