/**
 * Request smuggling and framing (RFC 9112 2.2, 3.2, 5.2, 6.1, 6.3): any message whose framing is
 * ambiguous or malformed gets 400 and the connection is closed by the server, and nothing after
 * the bad bytes (the "smuggled" request) ever reaches the handler.
 */
import { describe, expect, it } from 'vitest';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();

/** A request that would be a second, hidden request if the framing were misread. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n';

interface Case {
  name: string;
  bytes: string;
  /** Malformed body framing: only found once the body is read, after the handler got the (valid) head. */
  inBody?: boolean;
}

const CASES: Case[] = [
  // 6.1 / 6.3: Content-Length and Transfer-Encoding together.
  {
    name: 'Content-Length and Transfer-Encoding: chunked together',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  {
    name: 'Transfer-Encoding before Content-Length',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 44\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  // 6.3: duplicate or differing Content-Length.
  {
    name: 'two equal Content-Length headers',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
  },
  {
    name: 'two differing Content-Length headers',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 49\r\n\r\nhello${SMUGGLED}`,
  },
  { name: 'a Content-Length list "5, 5"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5, 5\r\n\r\nhello${SMUGGLED}` },
  // Malformed Content-Length values.
  { name: 'Content-Length "+5"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: +5\r\n\r\nhello${SMUGGLED}` },
  { name: 'Content-Length "-5"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\nhello${SMUGGLED}` },
  { name: 'Content-Length "0x5"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x5\r\n\r\nhello${SMUGGLED}` },
  { name: 'Content-Length "5 5"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5 5\r\n\r\nhello${SMUGGLED}` },
  { name: 'Content-Length "5.0"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5.0\r\n\r\nhello${SMUGGLED}` },
  {
    name: 'Content-Length overflow "99999999999999999999"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999\r\n\r\nhello${SMUGGLED}`,
  },
  { name: 'empty Content-Length', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: \r\n\r\n${SMUGGLED}` },
  // 6.1: a request's Transfer-Encoding must end in chunked.
  {
    name: 'Transfer-Encoding "chunked, gzip"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  { name: 'Transfer-Encoding "gzip"', bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n${SMUGGLED}` },
  {
    name: 'Transfer-Encoding "identity"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  {
    name: 'Transfer-Encoding "chunked" then "gzip" on two lines',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  {
    name: 'chunked applied twice, one header',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  {
    name: 'chunked applied twice, two headers',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  // 7.1: malformed chunk sizes.
  {
    name: 'chunk size "0x5"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk size "-5"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk size "5 5"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk size "g"',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\ng\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk size overflow',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk data longer than its size',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  {
    name: 'chunk size line ended by a bare LF',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    inBody: true,
  },
  // 2.2: bare CR.
  { name: 'bare CR in a header value', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n${SMUGGLED}` },
  { name: 'bare CR ending a header line', bytes: `GET /a HTTP/1.1\r\nHost: localhost\rX-A: b\r\n\r\n${SMUGGLED}` },
  { name: 'bare CR in the request line', bytes: `GET /a\rb HTTP/1.1\r\nHost: localhost\r\n\r\n${SMUGGLED}` },
  // 5.2: obs-fold.
  { name: 'obs-fold (space) continuation line', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n${SMUGGLED}` },
  { name: 'obs-fold (tab) continuation line', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n\tb\r\n\r\n${SMUGGLED}` },
  // 5.1: no whitespace between field name and colon.
  { name: 'space before the colon', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX-A : b\r\n\r\n${SMUGGLED}` },
  {
    name: 'space before the colon of Content-Length',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length : 5\r\n\r\nhello${SMUGGLED}`,
  },
  {
    name: 'space before the colon of Transfer-Encoding',
    bytes: `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  },
  // NUL and other control characters.
  { name: 'NUL in a header value', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n${SMUGGLED}` },
  { name: 'NUL in a header name', bytes: `GET /a HTTP/1.1\r\nHost: localhost\r\nX\x00A: b\r\n\r\n${SMUGGLED}` },
  // 3.2: Host.
  { name: 'HTTP/1.1 request without Host', bytes: `GET /a HTTP/1.1\r\nX-A: b\r\n\r\n${SMUGGLED}` },
  { name: 'HTTP/1.1 request with two Host headers', bytes: `GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n${SMUGGLED}` },
];

describe('ambiguous or malformed framing gets 400 and a close', () => {
  for (const { name, bytes, inBody } of CASES) {
    it(name, async () => {
      const calls: string[] = [];
      // A realistic handler: reads the whole body before answering.
      const { port } = await servers.start(async (req) => {
        calls.push(req.uri);
        if (req.body !== null) await req.body.text();
        return 'ok';
      });
      const result = await exchange(port, bytes, { timeout: 3_000 });
      expect(result.responses.length, result.text).toBe(1);
      expect(result.responses[0].status, result.text).toBe(400);
      expect(result.responses[0].headers['content-type']).toMatch(/^text\/plain/);
      expect(result.responses[0].headers['connection']).toBe('close');
      expect(result.responses[0].text.length).toBeGreaterThan(0);
      expect(result.responses[0].text.length).toBeLessThan(200);
      expect(result.closedByServer).toBe(true);
      expect(result.rest.length).toBe(0);
      expect(calls).not.toContain('/smuggled');
      // Body framing errors show only after the handler got the head of /a.
      if (!inBody) expect(calls).toEqual([]);
    });
  }
});

describe('a bad head is rejected before the handler runs (a handler answering at once still gets no say)', () => {
  for (const { name, bytes } of CASES.filter((c) => !c.inBody)) {
    // Transfer-Encoding not ending in chunked (e.g. "gzip") is checked at the head: llhttp alone
    // flags it only when the body starts, after the handler has run.
    it(name, async () => {
      const calls: string[] = [];
      const { port } = await servers.start((req) => {
        calls.push(req.uri);
        return 'ok';
      });
      const result = await exchange(port, bytes, { timeout: 3_000 });
      expect(
        result.responses.map((r) => r.status),
        result.text,
      ).toEqual([400]);
      expect(result.closedByServer).toBe(true);
      expect(calls).toEqual([]);
    });
  }
});

describe('framing that is valid is not rejected', () => {
  it('a chunked request with a chunk extension and a trailer, then a pipelined request', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(async (req) => {
      const body = req.body === null ? '' : await req.body.text();
      calls.push(`${req.uri}:${body}`);
      return body;
    });
    const result = await exchange(
      port,
      `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    expect(result.responses.map((r) => r.status)).toEqual([200, 200]);
    expect(calls).toEqual(['/a:hello', '/b:']);
  });

  // The framing is valid, but the server does not decode request codings: 501 (RFC 9112 6.1),
  // rather than a handler getting a body still gzipped (issue 9).
  it('"Transfer-Encoding: gzip, chunked" is valid framing but answered 501 Not Implemented before the handler runs', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(async (req) => {
      calls.push(req.uri);
      return `te=${req.headers['transfer-encoding']}`;
    });
    const result = await exchange(
      port,
      `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    );
    expect(result.responses.map((r) => r.status)).toEqual([501]);
    expect(result.responses[0].text).toMatch(/^Not Implemented: Transfer-Encoding "gzip" is not supported/);
    expect(result.closedByServer).toBe(true);
    expect(calls).toEqual([]);
  });

  it('an empty list element before chunked is no coding ("Transfer-Encoding: , chunked" is read as chunked)', async () => {
    const { port } = await servers.start(async (req) => `body=${await req.body!.text()}`);
    const result = await exchange(
      port,
      `POST /a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: , chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
    );
    expect(result.responses.map((r) => [r.status, r.text])).toEqual([[200, 'body=hi']]);
  });

  it('Content-Length with trailing whitespace or a leading zero is valid (1*DIGIT, OWS)', async () => {
    const { port } = await servers.start(async (req) => `${req.contentLength}:${await req.body!.text()}`);
    const a = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 \r\nConnection: close\r\n\r\nabc');
    const b = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 003\r\nConnection: close\r\n\r\nabc');
    expect([a.responses[0].text, b.responses[0].text]).toEqual(['3:abc', '3:abc']);
  });

  it('an HTTP/1.0 request without Host is accepted', async () => {
    const { port } = await servers.start(() => 'ok');
    const result = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(result.responses[0].status).toBe(200);
    expect(result.closedByServer).toBe(true);
  });

  // RFC 9112 6.1: a server that receives an HTTP/1.0 message with Transfer-Encoding MUST treat
  // its framing as faulty and close the connection after processing it.
  it('HTTP/1.0 with Transfer-Encoding: the connection is closed after the answer', async () => {
    const calls: string[] = [];
    const { port } = await servers.start(async (req) => {
      calls.push(req.uri);
      if (req.body !== null) await req.body.text();
      return 'ok';
    });
    const result = await exchange(
      port,
      'POST /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nGET /smuggled HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
      { timeout: 1_500 },
    );
    expect(result.closedByServer).toBe(true);
    expect(result.responses.length).toBeLessThanOrEqual(1);
    expect(calls).not.toContain('/smuggled');
  });
});
