/**
 * JSON both ways over a real loopback server: `as: 'json'` parses the response body (null when
 * empty, HTTPKIT_BAD_JSON when it does not parse), `as: 'auto'` keeps JSON as text, and the
 * `json` request option serialises a value, sets its Content-Type, refuses other body options
 * beside it and is resent by a 307/308.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type BadJsonError, type HttpResponse, type ShorthandOptions } from '@http-kit/client';
import { httpServer, readBody, type TestServer } from '@http-kit/test-support';

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  contentLength?: string;
  body: string;
}

const client = createClient();
let server: TestServer;
const seen: Seen[] = [];

beforeAll(async () => {
  server = await httpServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    seen.push({
      method: req.method!,
      url: req.url!,
      contentType: req.headers['content-type'],
      contentLength: req.headers['content-length'],
      body,
    });
    switch (req.url) {
      // Echoes the request as JSON: what the server got.
      case '/echo':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, contentType: req.headers['content-type'], body }));
        return;
      case '/problem':
        res.writeHead(422, { 'content-type': 'application/problem+json' }).end('{"title":"bad","status":422}');
        return;
      case '/vnd':
        res.setHeader('content-type', 'application/vnd.api+json; charset=utf-8');
        res.end('[1,"two",null]');
        return;
      case '/html':
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway from a proxy in front of the API</body></html>');
        return;
      case '/truncated':
        res.setHeader('content-type', 'application/json');
        res.end('{"a":');
        return;
      case '/empty':
        res.setHeader('content-type', 'application/json');
        res.end();
        return;
      case '/no-content':
        res.writeHead(204).end();
        return;
      case '/whitespace':
        res.setHeader('content-type', 'application/json');
        res.end(' \r\n');
        return;
      case '/bom':
        res.setHeader('content-type', 'application/json');
        res.end('\ufeff{"bom":true}');
        return;
      case '/latin1':
        res.setHeader('content-type', 'application/json; charset=iso-8859-1');
        res.end(Buffer.from('{"s":"caf\xe9"}', 'latin1'));
        return;
      case '/no-type':
        res.end('{"untyped":1}');
        return;
      case '/307':
        res.writeHead(307, { location: '/echo' }).end();
        return;
      case '/308':
        res.writeHead(308, { location: '/echo' }).end();
        return;
      case '/303':
        res.writeHead(303, { location: '/echo' }).end();
        return;
    }
    res.writeHead(404).end();
  });
});
afterAll(async () => {
  client.close();
  await server.close();
});

const ok = (res: unknown): HttpResponse => {
  expect((res as HttpResponse).error).toBeUndefined();
  return res as HttpResponse;
};

describe("as: 'json'", () => {
  it('parses application/json, and the json option sends a value that round-trips', async () => {
    const value = { name: 'héllo', n: [1, 2.5, null], nested: { ok: true } };
    const res = ok(await client.post(server.url + '/echo', { json: value, as: 'json' }));
    expect(res.status).toBe(200);
    const echoed = res.body as unknown as { method: string; contentType: string; body: string };
    expect(echoed).toEqual({ method: 'POST', contentType: 'application/json', body: JSON.stringify(value) });
    expect(JSON.parse(echoed.body)).toEqual(value);
    expect(seen.at(-1)!.contentLength).toBe(String(Buffer.byteLength(JSON.stringify(value))));
  });

  it('parses +json types (application/problem+json on a 422, a vendor type with a charset)', async () => {
    const problem = ok(await client.get(server.url + '/problem', { as: 'json' }));
    expect(problem.status).toBe(422);
    expect(problem.body).toEqual({ title: 'bad', status: 422 });
    expect(ok(await client.get(server.url + '/vnd', { as: 'json' })).body).toEqual([1, 'two', null]);
  });

  it('parses whatever the content type says, or none (the caller asked for JSON)', async () => {
    expect(ok(await client.get(server.url + '/no-type', { as: 'json' })).body).toEqual({ untyped: 1 });
  });

  it('decodes with the charset first, and skips a byte-order mark', async () => {
    expect(ok(await client.get(server.url + '/latin1', { as: 'json' })).body).toEqual({ s: 'café' });
    expect(ok(await client.get(server.url + '/bom', { as: 'json' })).body).toEqual({ bom: true });
  });

  it('gives null for an empty body: an empty 200, a 204, a HEAD', async () => {
    expect(ok(await client.get(server.url + '/empty', { as: 'json' })).body).toBeNull();
    const noContent = ok(await client.get(server.url + '/no-content', { as: 'json' }));
    expect(noContent.status).toBe(204);
    expect(noContent.body).toBeNull();
    expect(ok(await client.head(server.url + '/echo', { as: 'json' })).body).toBeNull();
  });

  it('fails with HTTPKIT_BAD_JSON naming the content type and the first characters, keeping status, headers and text', async () => {
    const res = await client.get(server.url + '/html', { as: 'json' });
    expect(res.status).toBeUndefined();
    const error = res.error as BadJsonError;
    expect(error.code).toBe('HTTPKIT_BAD_JSON');
    expect(error.name).toBe('BadJsonError');
    expect(error.message).toContain('Content-Type text/html');
    expect(error.message).toContain('status 502');
    expect(error.message).toContain('"<html><body>Bad Gateway from a proxy in "...');
    expect(error.message).not.toContain('API</body>');
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.status).toBe(502);
    expect(error.headers['content-type']).toBe('text/html');
    expect(error.text).toBe('<html><body>Bad Gateway from a proxy in front of the API</body></html>');
    const { HttpKitError } = await import('@http-kit/client');
    expect(error).toBeInstanceOf(HttpKitError);
  });

  it('fails with HTTPKIT_BAD_JSON on truncated JSON and on whitespace alone, and the connection is reused after', async () => {
    const truncated = await client.get(server.url + '/truncated', { as: 'json' });
    expect(truncated.error?.code).toBe('HTTPKIT_BAD_JSON');
    expect(truncated.error?.message).toContain('Content-Type application/json');
    expect(truncated.error?.message).toContain('it begins "{\\"a\\":"');
    expect((await client.get(server.url + '/whitespace', { as: 'json' })).error?.code).toBe('HTTPKIT_BAD_JSON');
    const before = client.connections;
    expect(ok(await client.get(server.url + '/problem', { as: 'json' })).status).toBe(422);
    expect(client.connections).toBe(before);
  });

  it('hands the bad-JSON error to a callback as a result, like any failure', async () => {
    const code = await client.get(server.url + '/truncated', { as: 'json' }, (res) => res.error?.code);
    expect(code).toBe('HTTPKIT_BAD_JSON');
  });

  it('can be a client default', async () => {
    const jsonClient = createClient({ as: 'json' });
    try {
      expect(ok(await jsonClient.get(server.url + '/vnd')).body).toEqual([1, 'two', null]);
      expect(ok(await jsonClient.get(server.url + '/vnd', { as: 'text' })).body).toBe('[1,"two",null]');
    } finally {
      jsonClient.close();
    }
  });
});

describe("as: 'auto' with JSON (unchanged: text)", () => {
  it('hands application/json and +json over as text', async () => {
    expect(ok(await client.get(server.url + '/vnd')).body).toBe('[1,"two",null]');
    expect(ok(await client.get(server.url + '/problem')).body).toBe('{"title":"bad","status":422}');
  });
});

describe('the json request option', () => {
  it('keeps a Content-Type the caller set', async () => {
    const res = ok(
      await client.put(server.url + '/echo', { json: [1], headers: { 'Content-Type': 'application/merge-patch+json' }, as: 'json' }),
    );
    expect(res.body).toEqual({ method: 'PUT', contentType: 'application/merge-patch+json', body: '[1]' });
  });

  it('sends null, false and 0 (only undefined means no json)', async () => {
    for (const value of [null, false, 0, '']) {
      const res = ok(await client.post(server.url + '/echo', { json: value, as: 'json' }));
      expect((res.body as unknown as { body: string }).body).toBe(JSON.stringify(value));
    }
    const none = ok(await client.post(server.url + '/echo', { json: undefined, as: 'json' }));
    expect(none.body).toEqual({ method: 'POST', body: '' });
  });

  const others: Array<[string, ShorthandOptions]> = [
    ['body', { body: 'text' }],
    ['formParams', { formParams: { a: 1 } }],
    ['multipart', { multipart: [{ name: 'f', content: 'x' }] }],
  ];
  for (const [name, extra] of others) {
    it(`is refused beside ${name}, naming both, before anything is sent`, async () => {
      seen.length = 0;
      const res = await client.post(server.url + '/echo', { json: { a: 1 }, ...extra });
      expect(res.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
      expect(res.error?.message).toBe(`json and ${name} both give the request body: pass one of them`);
      expect(seen).toEqual([]);
    });
  }

  it('is not refused beside body: null (no body)', async () => {
    expect(ok(await client.post(server.url + '/echo', { json: 1, body: null, as: 'json' })).body).toMatchObject({ body: '1' });
  });

  it('refuses values JSON cannot carry, with the reason', async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cyclic = await client.post(server.url + '/echo', { json: cycle });
    expect(cyclic.error?.code).toBe('HTTPKIT_INVALID_REQUEST');
    expect(cyclic.error?.message).toMatch(/^json cannot be serialised: .*circular/i);
    expect((await client.post(server.url + '/echo', { json: 10n })).error?.message).toMatch(/^json cannot be serialised: .*BigInt/);
    expect((await client.post(server.url + '/echo', { json: () => 1 })).error?.message).toBe(
      'json cannot be serialised: JSON has no text for a function',
    );
  });

  for (const status of [307, 308]) {
    it(`is resent by a ${status}, with its Content-Type`, async () => {
      seen.length = 0;
      const res = ok(await client.post(`${server.url}/${status}`, { json: { again: true }, as: 'json' }));
      expect(res.url).toBe(`${server.url}/echo`);
      expect(res.body).toEqual({ method: 'POST', contentType: 'application/json', body: '{"again":true}' });
      expect(seen.map((s) => [s.url, s.body, s.contentType])).toEqual([
        [`/${status}`, '{"again":true}', 'application/json'],
        ['/echo', '{"again":true}', 'application/json'],
      ]);
    });
  }

  it('is dropped with its Content-Type by a 303 (a GET without a body)', async () => {
    const res = ok(await client.post(`${server.url}/303`, { json: { a: 1 }, as: 'json' }));
    expect(res.body).toEqual({ method: 'GET', body: '' });
  });
});
