/**
 * A request body can be read once: a second read (bytes(), text(), json(), readJson(req), or
 * iterating it) throws RequestBodyUsedError naming the first read, instead of giving "" or
 * calling the client's JSON invalid. Over a real socket, with the handler's error answered 500.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { type Request, readJson, RequestBodyUsedError } from '@http-kit/http1';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();
const POST = (body: string) =>
  `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** Runs `twice` as a handler; answers what the second read threw, or what it returned. */
async function secondRead(twice: (req: Request) => Promise<unknown>): Promise<{ status: number; body: string }> {
  const { port } = await servers.start(async (req) => {
    try {
      return { status: 200, body: `read again: ${JSON.stringify(await twice(req))}` };
    } catch (error) {
      if (error instanceof RequestBodyUsedError) return { status: 409, body: `${error.code}: ${error.message}` };
      throw error;
    }
  });
  const response = (await exchange(port, POST('{"a":1}'))).responses[0];
  return { status: response.status, body: response.body.toString() };
}

describe('a request body is read once', () => {
  it('text() then text(): the second read throws, naming the first', async () => {
    const { status, body } = await secondRead(async (req) => {
      expect(await req.body!.text()).toBe('{"a":1}');
      return req.body!.text();
    });
    expect(status).toBe(409);
    expect(body).toContain('HTTPKIT_BODY_USED');
    expect(body).toContain('already read (by text())');
    expect(body).toContain('text() cannot read it again');
  });

  it('text() then readJson(req): a read error, not "the client sent invalid JSON"', async () => {
    const { status, body } = await secondRead(async (req) => {
      await req.body!.text();
      return readJson(req);
    });
    expect(status).toBe(409);
    expect(body).toContain('already read (by text()); readJson(req) cannot read it again');
  });

  it('readJson(req) then bytes(), json() then json()', async () => {
    const a = await secondRead(async (req) => {
      expect(await readJson(req)).toEqual({ a: 1 });
      return req.body!.bytes();
    });
    expect(a.body).toContain('(by readJson(req)); bytes() cannot');
    const b = await secondRead(async (req) => {
      await req.body!.json();
      return req.body!.json();
    });
    expect(b.body).toContain('(by json()); json() cannot');
  });

  it('read as a stream, then text(); text(), then iterated', async () => {
    const a = await secondRead(async (req) => {
      let size = 0;
      for await (const chunk of req.body!) size += (chunk as Buffer).length;
      expect(size).toBe(7);
      return req.body!.text();
    });
    expect(a.body).toContain('(by reading it as a stream); text() cannot');
    const b = await secondRead(async (req) => {
      await req.body!.text();
      for await (const _ of req.body!) return 'a chunk';
      return 'no chunk';
    });
    expect(b.body).toContain('(by text()); iterating it cannot');
  });

  it('text(), then pipeline() into a writable: refused too (an ended stream would never end it)', async () => {
    const { body } = await secondRead(async (req) => {
      await req.body!.text();
      await pipeline(req.body!, new Writable({ write: (_chunk, _encoding, done) => done() }));
      return 'piped';
    });
    expect(body).toMatch(/\(by text\(\)\); (pipe\(\)|iterating it) cannot read it again/);
  });

  it('one read of each kind still works, and bodyUsed says whether it was read', async () => {
    const { status, body } = await secondRead(async (req) => {
      const before = req.body!.bodyUsed;
      const value = await req.body!.json();
      return { before, value, after: req.body!.bodyUsed };
    });
    expect(status).toBe(200);
    expect(body).toBe('read again: {"before":false,"value":{"a":1},"after":true}');
  });
});
