/**
 * The demo as a newcomer meets it: in headless Chromium the Streaming page shows its chunks as
 * they come (nosniff: no waiting for the whole body), /hello, /async and /stream lead back to
 * the index, the chat pages' back link is styled and they say to open a second tab; and
 * `npm start` on a port in use prints one line suggesting PORT= instead of a stack.
 * The demo runs as it ships (`node demo/server.mjs`, the built packages), on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { listen, missingPeer, peer, within } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = peer('chromium');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];
const playwright = await import('playwright-core').catch(() => null);
const skipReason = CHROMIUM === null ? missingPeer('chromium') : playwright === null ? 'playwright-core is not installed (npm ci)' : null;

const children: ChildProcess[] = [];

/** The demo on `port` (0: any); resolves with its base URL once it prints where it listens, or its exit. */
function startDemo(port: number): Promise<{ base: string } | { code: number | null; stderr: string; stdout: string }> {
  if (!existsSync(`${ROOT}packages/http1/dist/index.js`)) {
    execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 });
  }
  const child = spawn(process.execPath, ['demo/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), IP: '127.0.0.1', WORKERS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return within(
    10_000,
    'the demo to listen or exit',
    new Promise((resolve) => {
      child.once('exit', (code) => resolve({ code, stderr, stdout }));
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
        if (match !== null) resolve({ base: match[1] });
      });
    }),
  );
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start on a port in use', () => {
  const held: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of held.splice(0)) await close();
  });

  it('prints one line suggesting PORT= and exits 1', async () => {
    const blocker = createServer();
    const { port } = await listen(blocker);
    held.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const outcome = await startDemo(port);
    expect(outcome).toMatchObject({ code: 1 });
    const { stderr } = outcome as { stderr: string };
    expect(stderr.trim().split('\n')).toEqual([
      `port ${port} is already in use (another server on it?): start on another one, e.g. PORT=${port + 1} npm start`,
    ]);
  });
});

describe.skipIf(skipReason !== null)(`the demo in Chromium${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let base = '';
  let browser: Browser;

  async function open(path: string): Promise<Page> {
    const context = await browser.newContext();
    context.setDefaultTimeout(5_000);
    const page = await context.newPage();
    if (path !== '') await page.goto(base + path);
    return page;
  }

  beforeAll(async () => {
    const started = await startDemo(0);
    if (!('base' in started)) throw new Error(`the demo did not start: ${started.stderr}`);
    base = started.base;
    browser = await playwright!.chromium.launch({ executablePath: CHROMIUM!, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await within(10_000, 'closing the browser', browser?.close() ?? Promise.resolve()).catch(() => {});
  });

  it('the Streaming page shows the first chunks before the response ends', async () => {
    const page = await open('');
    await page.goto(base + '/stream', { waitUntil: 'commit' });
    // The chunks come every 200 ms and the end after the fifth: a page that shows chunk 1 while
    // the end has not come yet is streaming (a browser that held the body back shows all at once).
    const sawPartial = await page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const look = () => {
            if (document.getElementById('done') !== null) resolve(false);
            else if ((document.getElementById('chunks')?.textContent ?? '').includes('chunk 1')) resolve(true);
            else setTimeout(look, 5);
          };
          look();
        }),
    );
    expect(sawPartial).toBe(true);
    await page.locator('#done').waitFor({ timeout: 3_000 });
    expect(await page.locator('#chunks').textContent()).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    await page.context().close();
  });

  it('/hello, /async and /stream lead back to the index', async () => {
    for (const [path, text] of [
      ['/hello', 'hello world'],
      ['/async', 'async hello world'],
      ['/stream', 'chunk 1'],
    ]) {
      const page = await open(path);
      await page.getByText(text).first().waitFor();
      await page.getByRole('link', { name: '← all demos' }).click();
      await page.waitForURL(base + '/');
      expect(await page.locator('#demos li').count()).toBeGreaterThan(3);
      await page.context().close();
    }
  });

  it('curl still gets plain text at /hello and /async', async () => {
    expect(await (await fetch(base + '/hello')).text()).toBe('hello world');
    const res = await fetch(base + '/stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
  });

  it('the chat pages style their back link like the other pages and say to open a second tab', async () => {
    const clock = await open('/clock');
    const styled = await clock.locator('.back a').evaluate((a) => getComputedStyle(a).color);
    await clock.context().close();
    for (const path of ['/chat', '/ws-chat']) {
      const page = await open(path);
      expect(await page.locator('.back a').evaluate((a) => getComputedStyle(a).color)).toBe(styled);
      expect(await page.locator('.hint').textContent()).toContain('second tab');
      await page.context().close();
    }
  });
});

// What the page-side callbacks use from the DOM (the project compiles without lib.dom).
declare function getComputedStyle(element: unknown): { color: string };
declare const document: { getElementById(id: string): { textContent: string | null } | null };
