/**
 * The middleware against real peers: Chromium submits a form with a file input and makes a CORS
 * fetch from another origin (a second loopback port); nginx in front sets the forwarding headers
 * trustProxy reads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { compose, cors, multipart, requestLogger, trustProxy } from '@http-kit/middleware';
import type { Handler } from '@http-kit/http1';
import { get } from '@http-kit/client';
import { missingPeer, peer, startNginx, useServers } from '@http-kit/test-support';

const CHROMIUM = peer('chromium');
const NGINX = peer('nginx', 'middleware real-peers (nginx)');
const playwright = await import('playwright-core').catch(() => null);
const browserSkip = CHROMIUM === null ? missingPeer('chromium') : playwright === null ? 'playwright-core is not installed (npm ci)' : null;
if (browserSkip !== null) console.warn(`middleware real-peers (Chromium) skipped: ${browserSkip}`);
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const servers = useServers();
const work = mkdtempSync(join(tmpdir(), 'mw-peers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const html = (body: string) => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><meta charset="utf-8">${body}`,
});

describe.skipIf(browserSkip !== null)('Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await playwright!.chromium.launch({ executablePath: CHROMIUM!, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('submits a form with a file input through multipart()', async () => {
    const lines: string[] = [];
    const app: Handler = (req) => {
      if (req.requestMethod === 'get')
        return html(
          '<form method="post" enctype="multipart/form-data" action="/upload"><input name="title"><input type="file" name="doc"><button>Send</button></form>',
        );
      const doc = req.multipartParams!.doc as { filename: string; size: number; contentType: string };
      return html(`<p id="result">${req.multipartParams!.title}|${doc.filename}|${doc.size}|${doc.contentType}</p>`);
    };
    const { port } = await servers.start(compose(requestLogger({ log: (l) => lines.push(l) }), multipart({ tmpdir: work }))(app));
    const file = join(work, 'notes.txt');
    writeFileSync(file, 'n'.repeat(123_456));
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.fill('input[name=title]', 'Grüße');
    await page.setInputFiles('input[name=doc]', file);
    await Promise.all([page.waitForURL(`http://127.0.0.1:${port}/upload`), page.click('button')]);
    expect(await page.textContent('#result')).toBe('Grüße|notes.txt|123456|text/plain');
    await page.close();
    expect(lines.some((l) => l.includes('"POST /upload HTTP/1.1" 200'))).toBe(true);
  }, 30_000);

  it('makes a CORS fetch (with a preflight) from another origin; an origin not listed is refused', async () => {
    const pageApp: Handler = () => html('<p>page</p>');
    const pages = await servers.start(pageApp);
    const other = await servers.start(pageApp);
    const allowed = `http://127.0.0.1:${pages.port}`;
    const api = await servers.start(
      compose(cors({ origins: [allowed], exposeHeaders: ['x-total'] }))((req) => ({
        status: 200,
        headers: { 'content-type': 'application/json', 'x-total': '3' },
        body: JSON.stringify({ method: req.requestMethod, token: req.headers['x-token'] ?? null }),
      })),
    );
    const script = `async (url) => {
      try {
        const res = await fetch(url, { method: 'PUT', headers: { 'x-token': 't1', 'content-type': 'application/json' }, body: '{}' });
        return { ok: true, body: await res.json(), total: res.headers.get('x-total') };
      } catch (error) { return { ok: false, error: String(error) }; }
    }`;
    const page = await browser.newPage();
    await page.goto(`${allowed}/`);
    const result = await page.evaluate(`(${script})('http://127.0.0.1:${api.port}/items')`);
    expect(result).toEqual({ ok: true, body: { method: 'put', token: 't1' }, total: '3' });
    await page.goto(`http://127.0.0.1:${other.port}/`);
    const refused = (await page.evaluate(`(${script})('http://127.0.0.1:${api.port}/items')`)) as { ok: boolean; error: string };
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/TypeError: Failed to fetch/);
    await page.close();
  }, 30_000);
});

describe.skipIf(NGINX === null)('behind nginx', () => {
  it('trustProxy takes the client, scheme and host nginx forwards, by X-Forwarded-* and by Forwarded', async () => {
    const show: Handler = (req) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ remoteAddr: req.remoteAddr, scheme: req.scheme, serverName: req.serverName, serverPort: req.serverPort }),
    });
    const { port } = await servers.start(compose(trustProxy({ trusted: ['127.0.0.1'] }))(show));
    const nginx = await startNginx(NGINX!, {
      http: (_dir, listen) => `
        server {
          listen 127.0.0.1:${listen};
          location /xff {
            proxy_pass http://127.0.0.1:${port};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host shop.example:8443;
          }
          location /fwd {
            proxy_pass http://127.0.0.1:${port};
            proxy_set_header Forwarded "for=\\"[2001:db8::7]:1234\\";proto=https;host=api.example";
          }
        }`,
      ready: async (base) => (await get(`${base}/xff`, { timeout: 500 })).status === 200,
    });
    try {
      // The client (at 127.0.0.1, itself trusted here) says it forwards for 203.0.113.5.
      const xff = await get(`${nginx.base}/xff`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
      expect(JSON.parse(xff.body as string)).toEqual({
        remoteAddr: '203.0.113.5',
        scheme: 'https',
        serverName: 'shop.example',
        serverPort: 8443,
      });
      const fwd = await get(`${nginx.base}/fwd`);
      expect(JSON.parse(fwd.body as string)).toMatchObject({ remoteAddr: '2001:db8::7', scheme: 'https', serverName: 'api.example' });
    } finally {
      nginx.stop();
    }
  }, 30_000);
});
