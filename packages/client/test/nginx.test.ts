// Against a real server no one here wrote: nginx on a loopback port with a temporary config,
// serving a static file, gzip (chunked on the fly), redirects and keep-alive. Skipped when
// nginx is not installed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HttpResponse } from '@http-kit/client';
import { peer, startNginx, type PrivateNginx } from '@http-kit/test-support';

const nginxBin = peer('nginx', 'nginx.test.ts');

const staticText = 'static file served by nginx\n';
const bigText = Array.from({ length: 2000 }, (_, i) => `line ${i} of a compressible text file\n`).join('');

describe.skipIf(nginxBin === null)('against nginx', () => {
  let nginx: PrivateNginx | null = null;
  let base = '';
  const client = createClient();

  beforeAll(async () => {
    const started = await startNginx(nginxBin!, {
      prepare(dir) {
        mkdirSync(join(dir, 'www'));
        writeFileSync(join(dir, 'www', 'static.txt'), staticText);
        writeFileSync(join(dir, 'www', 'big.txt'), bigText);
      },
      http: (dir, port) => `
  types { text/plain txt; application/json json; }
  keepalive_timeout 30s;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 100;
    add_header X-Connection $connection always;
    location = /moved { return 301 /static.txt; }
    location = /found { return 302 http://127.0.0.1:${port}/big.txt; }
    location = /loop { return 302 /loop; }
  }`,
      ready: async (at) => (await client.get(`${at}/static.txt`, { timeout: 500 })).status === 200,
    });
    nginx = started;
    base = started.base;
  });

  afterAll(() => {
    client.close();
    nginx?.stop();
  });

  it('serves a static file with Content-Length, over one kept-alive connection', async () => {
    const connections = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = (await client.get(`${base}/static.txt`)) as HttpResponse;
      expect(res.status).toBe(200);
      expect(res.body).toBe(staticText);
      expect(res.headers['content-length']).toBe(String(staticText.length));
      connections.add(res.headers['x-connection'] as string);
    }
    expect(connections.size).toBe(1);
  });

  it('decodes a gzip response sent chunked', async () => {
    const res = (await client.get(`${base}/big.txt`)) as HttpResponse;
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.body).toBe(bigText);
  });

  it('reads the identity body when the caller asks for no compression', async () => {
    const res = (await client.get(`${base}/big.txt`, { headers: { 'accept-encoding': 'identity' } })) as HttpResponse;
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe(bigText);
  });

  it('follows nginx redirects (relative and absolute)', async () => {
    const moved = (await client.get(`${base}/moved`)) as HttpResponse;
    expect(moved.status).toBe(200);
    expect(moved.url).toBe(`${base}/static.txt`);
    expect(moved.body).toBe(staticText);
    const found = (await client.get(`${base}/found`)) as HttpResponse;
    expect(found.body).toBe(bigText);
    expect((await client.get(`${base}/loop`, { maxRedirects: 3 })).error?.code).toBe('HTTPKIT_TOO_MANY_REDIRECTS');
  });

  it('HEAD, 404 and conditional 304', async () => {
    const head = (await client.head(`${base}/static.txt`)) as HttpResponse;
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await client.get(`${base}/missing`)).status).toBe(404);
    const notModified = await client.get(`${base}/static.txt`, {
      headers: { 'if-modified-since': head.headers['last-modified'] as string },
    });
    expect(notModified.status).toBe(304);
    // The connection survived all of it.
    expect(((await client.get(`${base}/static.txt`)) as HttpResponse).body).toBe(staticText);
  });

  it('streams a gzip body', async () => {
    const res = (await client.get(`${base}/big.txt`, { as: 'stream' })) as HttpResponse;
    let text = '';
    for await (const chunk of res.body as NodeJS.ReadableStream) text += chunk.toString();
    expect(text).toBe(bigText);
  });

  it('many requests in parallel', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => client.get(`${base}/big.txt`)));
    for (const res of results) expect(res.body).toBe(bigText);
  });
});
