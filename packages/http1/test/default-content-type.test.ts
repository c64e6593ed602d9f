/**
 * A body the program gives no Content-Type: a string is `text/plain; charset=utf-8`, bytes are
 * `application/octet-stream` (so a client, ours included, reads a string back as text), and a
 * type the program sets, in any case, is kept. The same for a channel's first send, which makes
 * the head of a long poll or a stream.
 */
import { describe, expect, it } from 'vitest';
import { get } from '@http-kit/client';
import { asChannel, type Handler } from '@http-kit/http1';
import { exchange, useServers } from '@http-kit/test-support';

const servers = useServers();
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

async function typeOf(handler: Handler, path = '/'): Promise<string | undefined> {
  const { port } = await servers.start(handler);
  const response = (await exchange(port, GET(path))).responses[0];
  return response.headers['content-type'];
}

describe('default Content-Type', () => {
  it('a bare string is text/plain; charset=utf-8, and our client reads it back as a string', async () => {
    const { port } = await servers.start(() => 'hello');
    const res = await get(`http://127.0.0.1:${port}/`);
    expect(res.headers?.['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('hello');
  });

  it('a string body in a response object, and bytes (application/octet-stream)', async () => {
    expect(await typeOf(() => ({ status: 201, body: 'made' }))).toBe('text/plain; charset=utf-8');
    expect(await typeOf(() => Buffer.from([1, 2, 3]))).toBe('application/octet-stream');
    expect(await typeOf(() => ({ body: new Uint8Array([1]) }))).toBe('application/octet-stream');
  });

  it("the program's own type wins, in any case; no body, no type", async () => {
    expect(await typeOf(() => ({ headers: { 'Content-Type': 'text/html' }, body: '<p>hi</p>' }))).toBe('text/html');
    expect(await typeOf(() => ({ headers: { 'CONTENT-TYPE': 'application/json' }, body: '{}' }))).toBe('application/json');
    expect(await typeOf(() => ({ status: 204 }))).toBeUndefined();
    expect(await typeOf(() => ({ status: 200 }))).toBeUndefined();
  });

  it("a long poll's first send of a string: text/plain, read back as a string", async () => {
    const { port } = await servers.start((req) => asChannel(req, { onOpen: (ch) => setTimeout(() => ch.send('first'), 10) }));
    const res = await get(`http://127.0.0.1:${port}/`);
    expect(res.headers?.['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('first');
  });

  it("a stream's first send of a string (close false) types the stream; a set type is kept", async () => {
    const handler: Handler = (req) =>
      asChannel(req, {
        onOpen: (ch) => {
          if (req.uri === '/typed') ch.send({ headers: { 'content-type': 'text/event-stream' }, body: 'a' }, false);
          else ch.send('a', false);
          ch.send('b', true);
        },
      });
    const { port } = await servers.start(handler);
    const plain = await get(`http://127.0.0.1:${port}/`);
    expect(plain.headers?.['content-type']).toBe('text/plain; charset=utf-8');
    expect(plain.body).toBe('ab');
    const typed = (await exchange(port, GET('/typed'))).responses[0];
    expect(typed.headers['content-type']).toBe('text/event-stream');
  });
});
