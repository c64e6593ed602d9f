/**
 * query(req): the query string parsed on demand (+ as space, %-decoding, repeated keys as
 * arrays), once per request.
 */
import { describe, expect, it } from 'vitest';
import { query, type Request } from '@http-kit/http1';
import { requestOnce, useServers } from '@http-kit/test-support';

const servers = useServers();

const GET = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

async function queryOf(target: string) {
  const { port } = await servers.start((req: Request) => {
    const first = query(req);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ same: query(req) === first, query: first }),
    };
  });
  const response = await requestOnce(port, GET(target));
  return JSON.parse(response.body.toString('utf8')) as { same: boolean; query: Record<string, unknown> };
}

describe('query(req)', () => {
  it('decodes + as a space and %XX as utf-8, keeps repeated keys as arrays in order', async () => {
    const { same, query } = await queryOf('/s?q=http+kit&tag=a&tag=b%20c&tag=%C3%A9&e=%26%3D');
    expect(same).toBe(true);
    expect(query).toEqual({ q: 'http kit', tag: ['a', 'b c', 'é'], e: '&=' });
  });

  it('gives an empty string for a key without =, and keeps a malformed escape as written', async () => {
    expect((await queryOf('/?flag&x=%zz&y=100%')).query).toEqual({ flag: '', x: '%zz', y: '100%' });
  });

  it('is empty without a query string, and prototype names are plain keys', async () => {
    expect((await queryOf('/')).query).toEqual({});
    expect((await queryOf('/?')).query).toEqual({});
    const { query: q } = await queryOf('/?__proto__=1&constructor=2');
    expect(q).toEqual({ ['__proto__']: '1', constructor: '2' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
