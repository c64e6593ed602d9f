/**
 * A real browser against the demo server: headless Chromium (Debian's, driven by playwright-core)
 * follows every link of the landing page, runs both chat pages (two tabs each), the SSE clock
 * page, the WebSocket echo page, an EventSource on /events, a streamed fetch of /stream and
 * /async, and walks away in the middle of each (closed tab, es.close(), aborted fetch) to check
 * the server notices nothing worse than a gone client. A screenshot of each page is saved under
 * test-output/screenshots/ (ignored by git) for a person to look at.
 *
 * The demo runs as it ships (`node demo/server.mjs`, which imports the built packages), in a child
 * process on 127.0.0.1 with PORT=0; it prints the port it got. Skipped when chromium or
 * playwright-core is missing (.ci/run installs the first, npm ci the second).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { missingPeer, peer, sleep, within } from '@http-kit/test-support';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCREENSHOTS = `${ROOT}test-output/screenshots`;
const CHROMIUM = peer('chromium');
// As root, in a sandbox-less container with no network beyond loopback: without the
// background-networking flags Chromium keeps dialling Google's hosts and logging the refusals.
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

const playwright = await import('playwright-core').catch(() => null);
const skipReason = CHROMIUM === null ? missingPeer('chromium') : playwright === null ? 'playwright-core is not installed (npm ci)' : null;
if (skipReason !== null) console.warn(`browser.test.ts skipped: ${skipReason}`);

/** The demo server in a child process, with everything it wrote to stderr. */
interface Demo {
  child: ChildProcess;
  base: string;
  stderr: () => string;
}

function startDemo(): Promise<Demo> {
  const child = spawn(process.execPath, ['demo/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', IP: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`demo server ${why}; stdout: ${JSON.stringify(stdout)} stderr: ${JSON.stringify(stderr)}`));
    };
    const timer = setTimeout(() => fail('did not say where it listens within 10 s'), 10_000);
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, base: match[1], stderr: () => stderr });
    });
  });
}

async function stopDemo(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM'); // the demo stops its server (up to 2 s for open streams) and exits
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// What the page-side callbacks use from the DOM (the project compiles without lib.dom).
interface BrowserMessageEvent {
  readonly data: string;
  readonly lastEventId: string;
}
interface BrowserEventSource {
  readonly readyState: number;
  onerror: (() => void) | null;
  addEventListener(type: string, listener: (event: BrowserMessageEvent) => void): void;
  close(): void;
}
type EventSourceConstructor = new (url: string) => BrowserEventSource;

describe.skipIf(skipReason !== null)(`Chromium against the demo server${skipReason === null ? '' : ` (skipped: ${skipReason})`}`, () => {
  let demo: Demo;
  let browser: Browser;
  let stderrSeen = 0; // what the demo logged before this test

  /** A page in its own browser context: its own cookies and its own connection pool. */
  async function openPage(path: string): Promise<Page> {
    const context = await browser.newContext();
    context.setDefaultTimeout(5_000);
    context.setDefaultNavigationTimeout(5_000);
    const page = await context.newPage();
    if (path !== '') await page.goto(demo.base + path);
    return page;
  }

  /** Saves what `page` shows as test-output/screenshots/<name>.png. */
  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  }

  /** The chat lines of a page as "name: text" (without their timestamps). */
  function chatLines(page: Page): Promise<string[]> {
    return page
      .locator('#log p')
      .evaluateAll((ps) => ps.map((p) => `${p.querySelector('b')!.textContent}${p.querySelector('.text')!.textContent}`));
  }

  /** The server still answers a fresh client, is still running and has logged nothing since the test began. */
  async function expectServerHealthy(): Promise<void> {
    const res = await fetch(demo.base + '/hello', { signal: AbortSignal.timeout(3_000) });
    expect(await res.text()).toBe('hello world');
    expect(demo.child.exitCode).toBeNull();
    expect(demo.stderr().slice(stderrSeen)).toBe('');
  }

  beforeAll(async () => {
    // The demo imports the built packages; CI builds them (`npm run build`) before the tests.
    if (!existsSync(`${ROOT}packages/http1/dist/index.js`) || !existsSync(`${ROOT}packages/core/dist/index.js`)) {
      execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 });
    }
    demo = await startDemo();
    // launch() gives the browser a new, empty profile directory and removes it on close.
    browser = await playwright!.chromium.launch({ executablePath: CHROMIUM!, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
  }, 90_000);

  beforeEach(() => {
    stderrSeen = demo.stderr().length;
  });

  afterAll(async () => {
    await within(10_000, 'closing the browser', browser?.close() ?? Promise.resolve()).catch((error) => console.warn(String(error)));
    if (demo !== undefined) await stopDemo(demo.child);
  }, 20_000);

  it('/async answers a fetch 100 ms later', async () => {
    const page = await openPage('/');
    const answer = await page.evaluate(async () => {
      const res = await fetch('/async', { signal: AbortSignal.timeout(3_000) });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    });
    expect(answer).toEqual({ status: 200, type: 'text/plain', text: 'async hello world' });
    await page.context().close();
  });

  it('long-polling chat: a message reaches both pages, a closed tab and a reload leave the room working', async () => {
    const a = await openPage('');
    const b = await openPage('');
    // Each page's first poll (since=0) is on the wire before anyone posts, so delivery below
    // is the parked poll being answered, not the page load fetching history.
    const firstPolls = [a, b].map((page) => page.waitForRequest((req) => req.url().endsWith('/poll?since=0')));
    await Promise.all([a.goto(demo.base + '/chat'), b.goto(demo.base + '/chat')]);
    await within(3_000, 'the first poll of both pages', Promise.all(firstPolls));

    const bParkedAgain = b.waitForRequest((req) => req.url().endsWith('/poll?since=2'));
    await a.fill('#name', 'alice');
    await a.fill('#text', 'hello from A');
    await a.click('button');
    const line = (page: Page, text: string) => page.locator('#log p', { hasText: text });
    await Promise.all([
      line(a, 'alice: hello from A').waitFor({ timeout: 2_000 }),
      line(b, 'alice: hello from A').waitFor({ timeout: 2_000 }),
    ]);
    expect(await a.inputValue('#text')).toBe('');
    // A's own message is set apart on A only, and every line has its time.
    expect(await line(a, 'alice: hello from A').getAttribute('class')).toBe('mine');
    expect(await line(b, 'alice: hello from A').getAttribute('class')).toBeNull();
    expect(await line(b, 'alice: hello from A').locator('time').innerText()).toMatch(/\d/);
    await b.fill('#name', 'bob');
    await b.fill('#text', 'hi alice');
    await b.click('button');
    await Promise.all([line(a, 'bob: hi alice').waitFor({ timeout: 2_000 }), line(b, 'bob: hi alice').waitFor({ timeout: 2_000 })]);
    expect(await line(b, 'bob: hi alice').getAttribute('class')).toBe('mine');
    await a.setViewportSize({ width: 390, height: 740 }); // a phone
    await screenshot(a, 'chat-a-phone');
    await screenshot(b, 'chat-b');

    // B is parked on its next poll; closing the tab drops that connection mid-poll.
    await within(3_000, 'page B polling again', bParkedAgain);
    await b.context().close();
    await expectServerHealthy();

    await a.fill('#text', 'still here');
    await a.press('#text', 'Enter');
    await line(a, 'alice: still here').waitFor({ timeout: 2_000 });

    // A reload abandons A's parked poll too, then fetches the history from since=0.
    await a.reload();
    await line(a, 'alice: still here').waitFor({ timeout: 2_000 });
    expect(await chatLines(a)).toEqual(['alice: hello from A', 'bob: hi alice', 'alice: still here']);

    // And the reloaded page, parked again, still gets new messages through its poll.
    await a.fill('#name', 'alice'); // the reload emptied the form
    await a.fill('#text', 'after reload');
    await a.click('button');
    await line(a, 'alice: after reload').waitFor({ timeout: 2_000 });
    expect(await a.locator('#log p').count()).toBe(4);
    // The reloaded tab is the same tab (sessionStorage): its earlier messages are still its own.
    expect(await a.locator('#log p.mine').count()).toBe(3);
    await a.context().close();
    await expectServerHealthy();
  });

  it('WebSocket: /ws echoes in the page; the /ws-chat room reaches two pages and the long-polling room; a closed tab leaves it working', async () => {
    const page = await openPage('/');
    const echoed = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(`ws://${(globalThis as unknown as { location: { host: string } }).location.host}/ws`);
          ws.onopen = () => ws.send('héllo over WebSocket');
          ws.onmessage = (event) => {
            resolve(String(event.data));
            ws.close(1000);
          };
          ws.onerror = () => reject(new Error('WebSocket error'));
          setTimeout(() => reject(new Error('no echo in 3 s')), 3_000);
        }),
    );
    expect(echoed).toBe('héllo over WebSocket');
    await page.context().close();

    const a = await openPage('/ws-chat');
    const b = await openPage('/ws-chat');
    await Promise.all([a, b].map((p) => p.locator('#status', { hasText: 'connected' }).waitFor({ timeout: 3_000 })));
    const line = (p: Page, text: string) => p.locator('#log p', { hasText: text });
    await a.fill('#name', 'wanda');
    await a.fill('#text', 'hello over the socket');
    await a.click('button');
    await Promise.all([
      line(a, 'wanda: hello over the socket').waitFor({ timeout: 2_000 }),
      line(b, 'wanda: hello over the socket').waitFor({ timeout: 2_000 }),
    ]);
    expect(await line(a, 'wanda: hello over the socket').getAttribute('class')).toBe('mine');
    expect(await line(b, 'wanda: hello over the socket').getAttribute('class')).toBeNull();
    // A message posted to the long-polling room is pushed to the WebSocket pages too.
    const posted = await fetch(demo.base + '/msg', {
      method: 'POST',
      body: new URLSearchParams({ name: 'poller', text: 'from the other room' }),
      signal: AbortSignal.timeout(3_000),
    });
    expect(posted.status).toBe(204);
    await Promise.all([
      line(a, 'poller: from the other room').waitFor({ timeout: 2_000 }),
      line(b, 'poller: from the other room').waitFor({ timeout: 2_000 }),
    ]);
    await screenshot(a, 'ws-chat-a');
    await b.setViewportSize({ width: 390, height: 740 });
    await screenshot(b, 'ws-chat-b-phone');
    await b.context().close();
    await a.fill('#text', 'after B left');
    await a.press('#text', 'Enter');
    await line(a, 'wanda: after B left').waitFor({ timeout: 2_000 });
    await a.context().close();
    await expectServerHealthy();
  });

  it('SSE: EventSource gets hello then ticks with rising ids; es.close() mid-stream leaves the server serving', async () => {
    const page = await openPage('/');
    const readEvents = () =>
      page.evaluate(
        ({ ticks, ms }) =>
          new Promise<Array<{ type: string; id: string; data: string }>>((resolve, reject) => {
            const EventSource = (globalThis as unknown as { EventSource: EventSourceConstructor }).EventSource;
            const es = new EventSource('/events');
            const seen: Array<{ type: string; id: string; data: string }> = [];
            const timer = setTimeout(() => {
              es.close();
              reject(new Error(`only saw ${JSON.stringify(seen)} in ${ms} ms (readyState ${es.readyState})`));
            }, ms);
            const record = (type: string) => (event: BrowserMessageEvent) => {
              seen.push({ type, id: event.lastEventId, data: event.data });
              if (seen.filter((e) => e.type === 'tick').length < ticks) return;
              es.close(); // mid-stream: the server would tick on forever
              clearTimeout(timer);
              if (es.readyState !== 2) reject(new Error(`readyState ${es.readyState} after close()`));
              else resolve(seen);
            };
            es.addEventListener('hello', record('hello'));
            es.addEventListener('tick', record('tick'));
            es.onerror = () => seen.push({ type: 'error', id: '', data: `readyState ${es.readyState}` });
          }),
        { ticks: 2, ms: 6_000 },
      );

    const events = await readEvents();
    expect(events.map((e) => e.type)).toEqual(['hello', 'tick', 'tick']);
    expect(events[0]).toEqual({ type: 'hello', id: '', data: 'connected' });
    const ids = events.slice(1).map((e) => Number(e.id));
    expect(ids).toEqual([1, 2]);
    expect(events.slice(1).map((e) => JSON.parse(e.data).n)).toEqual(ids);

    // Let a tick fall on the abandoned stream, then check the server and a new stream.
    await sleep(1_200);
    await expectServerHealthy();
    const again = await readEvents();
    expect(again.map((e) => e.type)).toEqual(['hello', 'tick', 'tick']);
    expect(again[1].id).toBe('1'); // a new stream of its own, not a resumed one
    await page.context().close();
    await expectServerHealthy();
  });

  it('streaming: fetch reads /stream as 5 chunks spread over time; an abort mid-stream leaves the server serving', async () => {
    const page = await openPage('/');
    const read = () =>
      page.evaluate(async () => {
        const started = performance.now();
        const res = await fetch('/stream', { signal: AbortSignal.timeout(5_000) });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        const lines: Array<{ text: string; at: number }> = [];
        let reads = 0;
        let pending = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          reads++;
          const at = performance.now() - started;
          pending += decoder.decode(value, { stream: true });
          const complete = pending.split('\n');
          pending = complete.pop()!;
          for (const text of complete) lines.push({ text, at });
        }
        return { status: res.status, type: res.headers.get('content-type'), lines, reads, rest: pending };
      });

    const result = await read();
    expect(result.status).toBe(200);
    expect(result.type).toBe('text/plain; charset=utf-8'); // with nosniff: see the Streaming page
    expect(result.lines.map((l) => l.text)).toEqual(['chunk 1', 'chunk 2', 'chunk 3', 'chunk 4', 'chunk 5']);
    expect(result.rest).toBe('');
    // 200 ms apart on the server: a buffered response would arrive in one go.
    expect(result.reads).toBe(5);
    const spread = result.lines[4].at - result.lines[0].at;
    expect(spread, `chunks arrived at ${result.lines.map((l) => Math.round(l.at)).join(', ')} ms`).toBeGreaterThan(500);

    const aborted = await page.evaluate(async () => {
      const controller = new AbortController();
      const res = await fetch('/stream', { signal: controller.signal });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      const after = await reader.read().then(
        () => 'no error',
        (error: Error) => error.name,
      );
      return { first, after };
    });
    expect(aborted).toEqual({ first: 'chunk 1\n', after: 'AbortError' });

    // Past the stream's remaining ticks, which now find the channel closed.
    await sleep(1_000);
    await expectServerHealthy();
    const again = await read();
    expect(again.lines.map((l) => l.text)).toEqual(['chunk 1', 'chunk 2', 'chunk 3', 'chunk 4', 'chunk 5']);
    await page.context().close();
    await expectServerHealthy();
  });
  it('landing page: links every demo with a line on each, and every link opens without an error', async () => {
    const page = await openPage('');
    const failures: string[] = [];
    page.on('response', (res) => {
      if (res.status() >= 400) failures.push(`${res.status()} ${res.url()}`);
    });
    await page.goto(demo.base + '/');
    expect(await page.title()).toBe('http-kit demo');
    const links = await page
      .locator('#demos li')
      .evaluateAll((items) =>
        items.map((li) => ({ href: li.querySelector('a')!.getAttribute('href'), line: li.querySelector('span')!.textContent })),
      );
    expect(links.map((l) => l.href)).toEqual(['/chat', '/ws-chat', '/clock', '/stream', '/async', '/echo']);
    for (const link of links) expect(link.line!.length, link.href!).toBeGreaterThan(20);
    await screenshot(page, 'landing');
    await page.setViewportSize({ width: 390, height: 740 });
    await screenshot(page, 'landing-phone');

    // Follow each link as a person would: click it, the page loads, come back.
    for (const href of links.map((l) => l.href!)) {
      await page.goto(demo.base + '/');
      const [res] = await Promise.all([page.waitForNavigation({ timeout: 5_000 }), page.click(`#demos a[href="${href}"]`)]);
      expect(res?.status(), href).toBe(200);
    }
    // The browser asked for /favicon.ico along the way, and nothing answered 4xx/5xx.
    expect(failures).toEqual([]);
    const favicon = await fetch(demo.base + '/favicon.ico', { signal: AbortSignal.timeout(3_000) });
    expect(favicon.status).toBe(204);
    await page.context().close();
    await expectServerHealthy();
  });

  it('SSE clock page: shows the ticks of /events as a clock, with the event ids', async () => {
    const page = await openPage('/clock');
    await page.locator('#status', { hasText: 'connected to /events' }).waitFor({ timeout: 3_000 });
    await page.waitForFunction(
      () =>
        Number(
          (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('count')
            .textContent,
        ) >= 2,
      undefined,
      { timeout: 4_000 },
    );
    expect(await page.locator('#time').innerText()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(Number(await page.locator('#id').innerText())).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#log .tick').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'clock');
    await page.context().close(); // mid-stream
    await sleep(1_200);
    await expectServerHealthy();
  });

  it('WebSocket echo page: what is typed comes back', async () => {
    const page = await openPage('/echo');
    await page.locator('#status', { hasText: 'connected to /ws' }).waitFor({ timeout: 3_000 });
    await page.fill('#text', 'écho, échо');
    await page.press('#text', 'Enter');
    await page.locator('#log .received', { hasText: '← écho, échо' }).waitFor({ timeout: 2_000 });
    await screenshot(page, 'echo');
    await page.context().close();
    await expectServerHealthy();
  });

  it('streaming and async pages render in the browser (screenshots)', async () => {
    // A browser gets pages here (with a link back to the index); demo-pages.test.ts checks the streaming.
    const page = await openPage('/stream');
    await page.locator('#done').waitFor({ timeout: 3_000 });
    expect((await page.locator('#chunks').innerText()).trim()).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5');
    await screenshot(page, 'stream');
    const res = await page.goto(demo.base + '/async');
    expect(res?.status()).toBe(200);
    expect((await page.locator('pre').innerText()).trim()).toBe('async hello world');
    await screenshot(page, 'async');
    await page.context().close();
    await expectServerHealthy();
  });
});
