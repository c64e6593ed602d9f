/**
 * Request bodies read as JSON: a bad body throws InvalidJsonBodyError (HTTPKIT_BAD_JSON_BODY)
 * naming the content type and the parser's reason, which a handler maps to 400; readJson(req)
 * gives undefined for a request without a body.
 */
import { describe, expect, it } from 'vitest';
import { HttpKitError, InvalidJsonBodyError, readJson, type Request } from '@http-kit/http1';
import { useServers } from '@http-kit/test-support';

const servers = useServers();

/** The recipe of the reference: bad JSON is the client's fault (400), anything else is ours. */
async function handler(req: Request) {
  try {
    const input = req.uri === '/body-json' ? await req.body?.json() : await readJson(req);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: input ?? 'none' }) };
  } catch (error) {
    if (error instanceof InvalidJsonBodyError) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: error.code, message: error.message, contentType: error.contentType }),
      };
    }
    throw error;
  }
}

async function post(port: number, path: string, body: string, contentType = 'application/json') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('request bodies as JSON', () => {
  it('parses a valid body, with readJson and with body.json()', async () => {
    const { port } = await servers.start(handler);
    expect(await post(port, '/', '{"a":[1,2]}')).toEqual({ status: 200, json: { input: { a: [1, 2] } } });
    expect(await post(port, '/body-json', '"x"')).toEqual({ status: 200, json: { input: 'x' } });
  });

  it('answers bad JSON 400 with a code, the content type and the parser reason', async () => {
    const { port, errors } = await servers.start(handler);
    const { status, json } = await post(port, '/', '{"a":', 'application/json; charset=utf-8');
    expect(status).toBe(400);
    expect(json.code).toBe('HTTPKIT_BAD_JSON_BODY');
    expect(json.contentType).toBe('application/json; charset=utf-8');
    expect(json.message).toMatch(
      /^Request body \(Content-Type: application\/json; charset=utf-8\) is not valid JSON: .*(Unexpected end|JSON)/,
    );
    expect(errors).toEqual([]);
  });

  it('body.json() throws the same error class (without the content type, which the body does not know)', async () => {
    const { port } = await servers.start(handler);
    const { status, json } = await post(port, '/body-json', 'not json');
    expect(status).toBe(400);
    expect(json.code).toBe('HTTPKIT_BAD_JSON_BODY');
    expect(json.contentType).toBeNull();
    expect(json.message).toMatch(/is not valid JSON: /);
  });

  it('a body of whitespace is bad JSON; a request without a body (GET, Content-Length: 0) is undefined for readJson', async () => {
    const { port } = await servers.start(handler);
    const blank = await post(port, '/', '  ');
    expect([blank.status, blank.json.code]).toEqual([400, 'HTTPKIT_BAD_JSON_BODY']);
    expect((await post(port, '/', '')).json).toEqual({ input: 'none' });
    const get = await fetch(`http://127.0.0.1:${port}/`);
    expect(await get.json()).toEqual({ input: 'none' });
  });

  it('is an HttpKitError with a cause', () => {
    const error = new InvalidJsonBodyError('x', null, { cause: new SyntaxError('y') });
    expect(error).toBeInstanceOf(HttpKitError);
    expect([error.code, error.name, (error.cause as Error).message]).toEqual(['HTTPKIT_BAD_JSON_BODY', 'InvalidJsonBodyError', 'y']);
  });
});
