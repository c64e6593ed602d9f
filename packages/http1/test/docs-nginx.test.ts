/**
 * docs/guides/nginx.md's config works: the ```nginx block, taken from the guide as it stands (only
 * its ports changed to free loopback ones, and wrapped in the few top-level lines a private nginx
 * needs), proxies a GET, a long poll answered while parked, a streamed response and a WebSocket
 * echo to an http-kit server. Skipped when nginx is missing (Debian package nginx-light).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asChannel, runServer, type Channel, type HttpServer } from '@http-kit/http1';
import { connect } from '@http-kit/websocket';
import { createClient } from '@http-kit/client';
import { eventually, peer, sleep, startNginx, within, type PrivateNginx } from '@http-kit/test-support';

const NGINX = peer('nginx', 'docs-nginx.test.ts');
const GUIDE = fileURLToPath(new URL('../../../docs/guides/nginx.md', import.meta.url));

/** The guide's ```nginx block, with loopback ports for `listen 80` and the upstream's 8080. */
function guideConfig(listenPort: number, upstreamPort: number): string {
  const match = /^```nginx\n([\s\S]*?)^```$/m.exec(readFileSync(GUIDE, 'utf8'));
  if (match === null) throw new Error('docs/guides/nginx.md has no ```nginx block');
  let config = match[1];
  for (const [from, to] of [
    ['listen 80;', `listen 127.0.0.1:${listenPort};`],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`],
  ]) {
    if (!config.includes(from)) throw new Error(`the nginx block no longer contains "${from}": update docs-nginx.test.ts`);
    config = config.replace(from, to);
  }
  return config;
}

describe.skipIf(NGINX === null)('docs/guides/nginx.md: http-kit behind nginx', () => {
  let nginx: PrivateNginx | null = null;
  let server: HttpServer;
  let base = '';
  let wsBase = '';
  const client = createClient();
  const parked = new Set<Channel>();
  const seen: Array<Record<string, string>> = [];

  beforeAll(async () => {
    server = await runServer(
      (req) => {
        seen.push(req.headers);
        if (req.uri === '/poll')
          return asChannel(req, { onOpen: (ch) => parked.add(ch), onClose: (ch) => parked.delete(ch), timeout: 10_000 });
        if (req.uri === '/stream') {
          return asChannel(req, {
            onOpen(ch) {
              ch.send({ status: 200, headers: { 'content-type': 'text/plain' } }, false);
              let n = 0;
              const timer = setInterval(() => {
                if (!ch.isOpen) return clearInterval(timer);
                ch.send(`part ${++n}\n`, false);
                if (n === 3) {
                  clearInterval(timer);
                  ch.close();
                }
              }, 100);
            },
          });
        }
        if (req.uri === '/ws') {
          if (!req.websocket) return { status: 426, body: 'the upgrade did not get through nginx' };
          return asChannel(req, { onReceive: (ch, message) => ch.send(`echo: ${String(message)}`) });
        }
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: `hello ${req.headers.host}` };
      },
      { ip: '127.0.0.1', port: 0 },
    );

    const started = await startNginx(NGINX!, {
      http: (_dir, port) => guideConfig(port, server.port),
      ready: async (at) => (await client.get(`${at}/`, { timeout: 500 })).status === 200,
    });
    nginx = started;
    base = started.base;
    wsBase = `ws://127.0.0.1:${started.port}`;
  }, 20_000);

  afterAll(async () => {
    client.close();
    nginx?.stop();
    await server?.stop({ timeout: 500 });
  });

  it('passes a GET, with Host and X-Forwarded-For', async () => {
    const res = await client.get(`${base}/`);
    expect([res.status, res.body]).toEqual([200, 'hello 127.0.0.1']);
    expect(seen.at(-1)!['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('holds a long poll open until the server answers it', async () => {
    const poll = client.get(`${base}/poll`, { as: 'text' });
    await eventually(() => parked.size === 1, 3_000, 'the poll to reach the server and park');
    await sleep(200); // parked for a while, still open through nginx
    for (const ch of parked) ch.send({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'news' });
    const res = await within(3_000, 'the answer through nginx', poll);
    expect([res.status, res.body]).toEqual([200, 'news']);
  });

  it('passes a streamed response as it is written (proxy_buffering off)', async () => {
    const res = await client.get(`${base}/stream`, { as: 'stream' });
    expect(res.status).toBe(200);
    const arrivals: number[] = [];
    let text = '';
    const start = Date.now();
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      arrivals.push(Date.now() - start);
      text += chunk.toString();
    }
    expect(text).toBe('part 1\npart 2\npart 3\n');
    expect(arrivals.length, `arrived at ${arrivals.join(', ')} ms`).toBeGreaterThanOrEqual(2);
  });

  it('upgrades a WebSocket and echoes through it', async () => {
    const heard: string[] = [];
    const { channel, error } = await connect(`${wsBase}/ws`, {
      onReceive: (_ch, message) => void heard.push(String(message)),
      timeout: 3_000,
    });
    expect(error).toBeUndefined();
    channel!.send('through nginx');
    await eventually(() => heard.length === 1, 3_000, 'the echo');
    expect(heard).toEqual(['echo: through nginx']);
    channel!.close();
  });
});
