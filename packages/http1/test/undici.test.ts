/**
 * undici 7 as a peer: keep-alive reuse, pipelining (Agent with pipelining: 10), and a POST whose
 * body is a stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { sleep, useServers } from '@http-kit/test-support';

const servers = useServers();
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.destroy()));
});
function agent(options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const a = new Agent({ connectTimeout: 2_000, headersTimeout: 5_000, bodyTimeout: 5_000, ...options });
  agents.push(a);
  return a;
}

describe('undici', () => {
  it('keep-alive: the server sees one connection for sequential requests', async () => {
    const { port, server } = await servers.start(() => 'ok');
    const dispatcher = agent({ connections: 1 });
    let maxConnections = 0;
    for (let i = 0; i < 5; i++) {
      const response = await request(`http://127.0.0.1:${port}/r${i}`, { dispatcher });
      expect(await response.body.text()).toBe('ok');
      expect(response.headers['connection']).toBeUndefined();
      maxConnections = Math.max(maxConnections, server.connectionCount);
    }
    expect(maxConnections).toBe(1);
  });

  it('pipelining: 10 concurrent requests on one connection come back right, in any handler order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { port, server } = await servers.start(async (req) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const n = Number(req.queryString);
      await sleep((10 - n) * 3);
      inFlight--;
      return `n=${n}`;
    });
    const dispatcher = agent({ connections: 1, pipelining: 10 });
    let maxConnections = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => {
        const response = await request(`http://127.0.0.1:${port}/?${n}`, { dispatcher });
        maxConnections = Math.max(maxConnections, server.connectionCount);
        return response.body.text();
      }),
    );
    expect(results).toEqual(Array.from({ length: 10 }, (_, n) => `n=${n}`));
    expect(maxConnections).toBe(1);
    // One request at a time per connection on the server side.
    expect(maxInFlight).toBe(1);
  });

  it('a POST with a stream body (chunked)', async () => {
    const { port } = await servers.start(async (req) => {
      let count = 0;
      for await (const chunk of req.body!) count += (chunk as Buffer).length;
      return { status: 200, body: JSON.stringify({ count, te: req.headers['transfer-encoding'] ?? null }) };
    });
    const dispatcher = agent();
    const pieces = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_000, i));
    const response = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: Readable.from(pieces), dispatcher });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ count: 1_000_000, te: 'chunked' });
  });

  it('a POST with a string body and then a GET on the same connection', async () => {
    const { port } = await servers.start(async (req) => (req.body === null ? 'no body' : `echo ${await req.body.text()}`));
    const dispatcher = agent({ connections: 1 });
    const post = await request(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'payload', dispatcher });
    expect(await post.body.text()).toBe('echo payload');
    const get = await request(`http://127.0.0.1:${port}/`, { dispatcher });
    expect(await get.body.text()).toBe('no body');
  });

  it('a streamed (chunked) response is read whole', async () => {
    const { port } = await servers.start(() => ({
      status: 200,
      body: (async function* () {
        for (let i = 0; i < 50; i++) yield `line ${i}\n`;
      })(),
    }));
    const response = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent() });
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const text = await response.body.text();
    expect(text.split('\n').length).toBe(51);
  });
});
