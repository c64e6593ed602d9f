/**
 * Every ```js example in README.md runs, so none of them can rot (issue 9: the server example
 * answered 500 to `GET /upload`, whose body is null). Each block is taken from the README as it
 * stands, adapted only where it must be (port 8080 becomes one that is free, a hook is called
 * where the example would go on serving, its top-level names are exported), written to a
 * temporary module and imported; then what the example promises is checked over real sockets.
 *
 * A new block without a check here fails the first test: add its check to CHECKS.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runServer, type Handler, type HttpServer } from '@http-kit/http1';
import { eventually, exchange, freePort, RawClient } from '@http-kit/test-support';
import { adapt, dir, hooks, jsBlocks, load } from './readme-runner.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

const running: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop({ timeout: 200 })));
});

const GET = (uri: string) => `GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

interface Check {
  /** A line that identifies the block. */
  marker: string;
  run(code: string): Promise<void>;
}

const CHECKS: Check[] = [
  {
    marker: "import { runServer, file } from '@http-kit/http1';",
    async run(code) {
      let checked = false;
      hooks.server = async (server: HttpServer) => {
        const previous = process.cwd();
        const site = mkdtempSync(join(dir, 'site-'));
        writeFileSync(join(site, 'index.html'), '<h1>hi</h1>');
        process.chdir(site); // file('./index.html') is read from the working directory
        try {
          const port = server.port;
          const upload = await exchange(port, GET('/upload'));
          expect([upload.responses[0].status, upload.responses[0].text]).toEqual([200, 'got 0 bytes']);
          const posted = await exchange(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
          expect(posted.responses[0].text).toBe('got 5 bytes');
          const page = await exchange(port, GET('/index.html'));
          expect([page.responses[0].status, page.responses[0].headers['content-type'], page.responses[0].text]).toEqual([
            200,
            'text/html',
            '<h1>hi</h1>',
          ]);
          const hello = await exchange(port, GET('/'));
          expect([hello.responses[0].status, hello.responses[0].text]).toEqual([200, 'hello world']);
          checked = true;
        } finally {
          process.chdir(previous);
        }
      };
      let source = adapt(code, '{ port: 8080 }', "{ port: 0, ip: '127.0.0.1' }");
      source = adapt(source, 'await server.stop(', 'await globalThis.readmeHooks.server(server);\nawait server.stop(');
      await load(source);
      expect(checked).toBe(true);
    },
  },
  {
    marker: "import { asChannel, asyncResponse, asEventStream } from '@http-kit/http1';",
    async run(code) {
      const example = await load(`${code}\nexport { waiting, poll, publish, stream, later, events };`);
      const routes: Record<string, Handler> = {
        '/poll': example.poll as Handler,
        '/stream': example.stream as Handler,
        '/later': example.later as Handler,
        '/events': example.events as Handler,
      };
      const server = await runServer((req) => routes[req.uri]?.(req), { port: 0, ip: '127.0.0.1' });
      running.push(server);
      // Long polling: parked until publish() answers it.
      const polling = await RawClient.connect(server.port);
      await polling.write(GET('/poll'));
      await eventually(() => (example.waiting as Set<unknown>).size === 1, 1_000, 'the poll to park');
      (example.publish as (text: string) => void)('news');
      const [answer] = await polling.waitForResponses(1);
      expect([answer.status, answer.text]).toEqual([200, 'news']);
      expect((example.waiting as Set<unknown>).size).toBe(0);
      polling.destroy();
      // Streaming: a head, two chunks, the end.
      const streamed = await exchange(server.port, GET('/stream'));
      expect([streamed.responses[0].chunked, streamed.responses[0].text]).toEqual([true, 'first\nsecond\n']);
      // asyncResponse, 100 ms later.
      const later = await exchange(server.port, GET('/later'));
      expect(later.responses[0].text).toBe('async hello world');
      // Server-Sent Events.
      const events = await RawClient.connect(server.port);
      await events.write(GET('/events'));
      await events.waitFor((c) => c.text.includes('\n\n', c.text.indexOf('\r\n\r\n') + 4), 1_000, 'the first event');
      expect(events.text).toContain('content-type: text/event-stream');
      expect(events.text).toContain('event: tick\ndata: {"n":1}\n\n');
      events.destroy();
    },
  },
  {
    marker: "import { broadcast, connect } from '@http-kit/websocket';",
    async run(code) {
      const port = await freePort();
      const logged: unknown[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(...args));
      try {
        const example = await load(`${code.replaceAll('8080', String(port))}\nexport { server, channel, error, room };`);
        running.push(example.server as HttpServer);
        expect(example.error).toBeUndefined();
        // The client's 'hello' reaches the room, whose broadcast comes back to the client.
        await eventually(() => logged.includes('hello'), 2_000, 'the broadcast echo');
        expect((example.room as Set<unknown>).size).toBe(1);
        (example.channel as { close(): void }).close();
        await eventually(() => (example.room as Set<unknown>).size === 0, 2_000, 'the room to empty');
      } finally {
        log.mockRestore();
      }
    },
  },
  {
    marker: "import { get, post, createClient } from '@http-kit/client';",
    async run(code) {
      const seen: string[] = [];
      const server = await runServer(
        async (req) => {
          seen.push(`${req.requestMethod} ${req.uri} ${req.body === null ? '' : await req.body.text()}`);
          return req.uri === '/msg' ? { status: 204 } : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' };
        },
        { port: 0, ip: '127.0.0.1' },
      );
      running.push(server);
      const source = adapt(code, /http:\/\/127\.0\.0\.1:8080/g, `http://127.0.0.1:${server.port}`);
      const example = await load(`${source}\nexport { status, headers, body, error };`);
      expect(example.error).toBeFalsy();
      expect(example.status).toBe(200);
      expect(String(example.body)).toBe('hello world');
      expect(seen).toEqual(['get / ', 'post /msg text=hi']);
    },
  },
];

describe('README.md examples', () => {
  const blocks = jsBlocks(readFileSync(README, 'utf8'));

  it('every ```js block has a check here, and every check a block', () => {
    const unchecked = blocks.filter((block) => CHECKS.filter((check) => block.code.includes(check.marker)).length !== 1);
    expect(unchecked.map((block) => `${block.heading}: ${block.code.split('\n')[0]}`)).toEqual([]);
    const orphans = CHECKS.filter((check) => blocks.filter((block) => block.code.includes(check.marker)).length !== 1);
    expect(orphans.map((check) => check.marker)).toEqual([]);
  });

  for (const check of CHECKS) {
    const block = blocks.find((b) => b.code.includes(check.marker));
    it(`runs: ${block?.heading ?? '(missing)'}: ${check.marker}`, async () => {
      expect(block, `README.md has no block with ${check.marker}`).toBeDefined();
      await check.run(block!.code);
    });
  }
});
