/**
 * Every ```js example in README.md and in the four package READMEs (core, http1, client,
 * websocket) runs, so none of them can rot (issue 9: the server example answered 500 to
 * `GET /upload`, whose body is null). Each block is taken as it stands, adapted only where it must
 * be (port 8080 and the example hosts become test servers on free loopback ports, a proxy becomes
 * a local CONNECT proxy, a hook is called where the example would go on serving, its top-level
 * names are exported), imported, and what it promises is checked over real sockets. Files an
 * example reads (`ca.pem`, `index.html`) are written to a temporary folder that is the working
 * directory while it runs.
 *
 * One table of checks for all five READMEs: each check names the READMEs whose block it checks
 * (the server and channel examples stand in README.md and in http1's, in slightly different words,
 * and one check runs on each). A new block without a check here fails that README's first test:
 * add its check to CHECKS.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import '@http-kit/websocket'; // the websocket and client examples need upgrades on the test servers
import { asChannel, runServer, type Handler, type HttpServer, type Request, type ServerOptions } from '@http-kit/http1';
import { connectProxy, eventually, exchange, freePort, RawClient, selfSigned, within, type TestServer } from '@http-kit/test-support';
import { adapt, dir, hooks, jsBlocks, load } from './readme-runner.js';

const certificate = selfSigned(); // for localhost and 127.0.0.1: its own CA, the examples' ca.pem

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

/** A server on a free loopback port, stopped after the test. */
async function serve(handler: Handler, options: ServerOptions = {}): Promise<HttpServer> {
  const server = await runServer(handler, { port: 0, ip: '127.0.0.1', ...options });
  running.push({ stop: () => server.stop({ timeout: 200 }) });
  return server;
}

/** An http proxy that opens CONNECT tunnels, closed after the test; `tunnels` lists their targets. */
async function closingProxy(): Promise<TestServer & { tunnels: string[] }> {
  const proxy = await connectProxy();
  running.push({ stop: () => proxy.close() });
  return proxy;
}

/** What the example writes to console.log and console.error while `run` runs, one array per call. */
async function consoleOf(run: () => Promise<void>): Promise<{ log: unknown[][]; error: unknown[][] }> {
  const seen = { log: [] as unknown[][], error: [] as unknown[][] };
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void seen.log.push(args));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void seen.error.push(args));
  try {
    await run();
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return seen;
}

/** Runs `run` with a fresh temporary working directory holding `files`. */
async function inFolder(files: Record<string, string | Buffer>, run: () => Promise<void>): Promise<void> {
  const previous = process.cwd();
  const folder = mkdtempSync(join(dir, 'cwd-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, name)), { recursive: true });
    writeFileSync(join(folder, name), content);
  }
  process.chdir(folder);
  try {
    await run();
  } finally {
    process.chdir(previous);
  }
}

/** `METHOD uri?query body` of each request a test server saw. */
async function describeRequest(req: Request): Promise<string> {
  const body = req.body === null ? '' : await req.body.text();
  return `${req.requestMethod} ${req.uri}${req.queryString ? `?${req.queryString}` : ''} ${body}`.trimEnd();
}

const GET = (uri: string) => `GET ${uri} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

/** The READMEs whose examples run, by the name their checks use. */
const READMES = {
  root: '../../../README.md',
  core: '../../core/README.md',
  http1: '../../http1/README.md',
  client: '../../client/README.md',
  websocket: '../../websocket/README.md',
} as const;
type Readme = keyof typeof READMES;

interface Check {
  /** A line (or part of one) that identifies the block in each of `readmes`. */
  marker: string;
  /** The READMEs holding a block with `marker` that this check runs. */
  readmes: Readme[];
  /** Why the check may not run here (openssl missing); it is skipped then. */
  skip?: string | false;
  run(code: string, readme: Readme): Promise<void>;
}

const NO_OPENSSL = certificate === null && 'openssl could not make a certificate';

const CHECKS: Check[] = [
  // --- packages/core/README.md ---
  {
    marker: 'if (error instanceof HttpKitError) console.log(error.code);',
    readmes: ['core'],
    async run(code) {
      // Port 1 on loopback, as written: nothing listens there.
      const { log } = await consoleOf(async () => void (await load(code)));
      expect(log).toEqual([['HTTPKIT_CONNECT_FAILED']]);
    },
  },

  // --- README.md and packages/http1/README.md ---
  {
    marker: "import { runServer, file } from '@http-kit/http1';",
    readmes: ['root', 'http1'],
    async run(code) {
      let checked = false;
      hooks.server = async (server: HttpServer) => {
        await inFolder({ 'index.html': '<h1>hi</h1>' }, async () => {
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
          expect([hello.responses[0].status, hello.responses[0].headers['content-type'], hello.responses[0].text]).toEqual([
            200,
            'text/plain',
            'hello world',
          ]);
          checked = true;
        });
      };
      let source = adapt(code, '{ port: 8080 }', "{ port: 0, ip: '127.0.0.1' }");
      source = adapt(source, 'await server.stop(', 'await globalThis.readmeHooks.server(server);\nawait server.stop(');
      await load(source);
      expect(checked).toBe(true);
    },
  },
  {
    marker: "import { runServer, readJson, query, cookies, setCookie, serveStatic, InvalidJsonBodyError } from '@http-kit/http1';",
    readmes: ['http1'],
    async run(code) {
      await inFolder({ 'public/app.css': 'body { color: red }' }, async () => {
        const source = adapt(code, '{ port: 8080 }', "{ port: 0, ip: '127.0.0.1' }") + '\nexport { server };';
        const server = (await load(source)).server as HttpServer;
        running.push({ stop: () => server.stop({ timeout: 200 }) });
        const port = server.port;
        const css = (await exchange(port, GET('/static/app.css'))).responses[0];
        expect([css.status, css.headers['content-type'], css.text]).toEqual([200, 'text/css; charset=utf-8', 'body { color: red }']);
        expect((await exchange(port, GET('/search?q=http+kit&tag=a&tag=b'))).responses[0].text).toBe('q=http kit tags=a,b');
        const post = (body: string) =>
          `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
        const login = (await exchange(port, post('{"name":"ada"}'))).responses[0];
        expect([login.status, login.headers['set-cookie']]).toEqual([204, 'user=ada; Path=/; HttpOnly']);
        const bad = (await exchange(port, post('{name'))).responses[0];
        expect([bad.status, bad.text]).toEqual([400, expect.stringContaining('is not valid JSON')]);
        expect((await exchange(port, post('{"nom":1}'))).responses[0].status).toBe(400);
        const known = `GET / HTTP/1.1\r\nHost: x\r\nCookie: user=ada\r\nConnection: close\r\n\r\n`;
        expect((await exchange(port, known)).responses[0].text).toBe('hello ada');
        expect((await exchange(port, GET('/'))).responses[0].text).toBe('who are you? POST /login');
      });
    },
  },
  {
    marker: "import { asChannel, asyncResponse, asEventStream } from '@http-kit/http1';",
    readmes: ['root', 'http1'],
    async run(code, readme) {
      // The root README's example also streams a second chunk and answers later with asyncResponse.
      const root = readme === 'root';
      const example = await load(`${code}\nexport { waiting, poll, publish, stream, events${root ? ', later' : ''} };`);
      const routes: Record<string, Handler> = {
        '/poll': example.poll as Handler,
        '/stream': example.stream as Handler,
        '/events': example.events as Handler,
      };
      if (root) routes['/later'] = example.later as Handler;
      const server = await serve((req) => routes[req.uri]?.(req));
      const waiting = example.waiting as Set<unknown>;
      // Long polling: parked until publish() answers it; answered, it leaves `waiting`.
      const polling = await RawClient.connect(server.port);
      await polling.write(GET('/poll'));
      await eventually(() => waiting.size === 1, 1_000, 'the poll to park');
      (example.publish as (text: string) => void)('news');
      const [answer] = await polling.waitForResponses(1);
      expect([answer.status, answer.text]).toEqual([200, 'news']);
      await eventually(() => waiting.size === 0, 1_000, 'onClose to forget the answered poll');
      polling.destroy();
      // Streaming: a chunked head, its chunks, the end.
      const streamed = await exchange(server.port, GET('/stream'));
      expect([streamed.responses[0].status, streamed.responses[0].chunked, streamed.responses[0].text]).toEqual([
        200,
        true,
        root ? 'first\nsecond\n' : 'first\n',
      ]);
      // asyncResponse, 100 ms later.
      if (root) expect((await exchange(server.port, GET('/later'))).responses[0].text).toBe('async hello world');
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
    marker: "import { HttpParser, TYPE_REQUEST, isToken } from '@http-kit/http1/codec';",
    readmes: ['http1'],
    async run(code) {
      const example = await load(`${code}\nexport { HttpParser, TYPE_REQUEST, isToken };`);
      expect(typeof example.HttpParser).toBe('function');
      expect(typeof example.TYPE_REQUEST).toBe('number');
      const isToken = example.isToken as (text: string) => boolean;
      expect([isToken('GET'), isToken('x-id'), isToken('a b'), isToken('')]).toEqual([true, true, false, false]);
    },
  },

  // --- README.md only ---
  {
    marker: "import { broadcast, connect } from '@http-kit/websocket';",
    readmes: ['root'],
    async run(code) {
      const port = await freePort();
      const logged: unknown[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(...args));
      try {
        const example = await load(`${code.replaceAll('8080', String(port))}\nexport { server, channel, error, room };`);
        const server = example.server as HttpServer;
        running.push({ stop: () => server.stop({ timeout: 200 }) });
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
    readmes: ['root'],
    async run(code) {
      const seen: string[] = [];
      const server = await serve(async (req) => {
        seen.push(await describeRequest(req));
        return req.uri === '/msg' ? { status: 204 } : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello world' };
      });
      const source = adapt(code, /http:\/\/127\.0\.0\.1:8080/g, `http://127.0.0.1:${server.port}`);
      const example = await load(`${source}\nexport { status, headers, body, error };`);
      expect(example.error).toBeFalsy();
      expect(example.status).toBe(200);
      expect(String(example.body)).toBe('hello world');
      expect(seen).toEqual(['get /', 'post /msg text=hi']);
    },
  },

  // --- packages/client/README.md ---
  {
    marker: "import { get, post, createClient } from '@http-kit/client';",
    readmes: ['client'],
    async run(code) {
      const seen: string[] = [];
      const server = await serve(async (req) => {
        seen.push(await describeRequest(req));
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: `items of ${req.requestMethod}` };
      });
      const source = adapt(code, "'http://127.0.0.1:8080/items'", `'http://127.0.0.1:${server.port}/items'`);
      let example: Record<string, unknown> = {};
      const { log, error } = await consoleOf(async () => void (example = await load(`${source}\nexport { res, status, client };`)));
      expect(error).toEqual([]);
      expect(log).toEqual([[200, 'text/plain', 'items of get']]);
      expect(example.status).toBe(200); // what the callback returned
      expect(seen).toEqual(['get /items?page=2', 'post /items name=x', 'get /items']);
    },
  },
  {
    marker: "{ json: { name: 'x' }, as: 'json' }",
    readmes: ['client'],
    async run(code) {
      const seen: string[] = [];
      let answer = { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":7}' };
      const server = await serve(async (req) => {
        seen.push(`${req.headers['content-type']} ${await describeRequest(req)}`);
        return answer;
      });
      const source = adapt(code, "'http://127.0.0.1:8080/items'", `'http://127.0.0.1:${server.port}/items'`);
      // JSON sent, JSON parsed.
      const parsed = await consoleOf(async () => void (await load(source)));
      expect(parsed).toEqual({ log: [[201, 7]], error: [] });
      expect(seen).toEqual(['application/json post /items {"name":"x"}']);
      // Not JSON (a proxy's HTML page): HTTPKIT_BAD_JSON, with the status.
      answer = { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>bad gateway</html>' };
      const refused = await consoleOf(async () => void (await load(source)));
      expect(refused.log).toEqual([]);
      expect(refused.error).toHaveLength(1);
      expect(refused.error[0][0]).toBe(502);
      expect(String(refused.error[0][1])).toContain('<html>bad gateway</html>');
    },
  },
  {
    marker: 'const controller = new AbortController();',
    readmes: ['client'],
    async run(code) {
      let release = () => {};
      const parked: string[] = [];
      const server = await serve(async (req) => {
        parked.push(req.uri);
        await new Promise<void>((resolve) => (release = resolve)); // never answers while the example waits
        return 'too late';
      });
      const source = adapt(code, "'http://127.0.0.1:8080/slow'", `'http://127.0.0.1:${server.port}/slow'`);
      const started = Date.now();
      try {
        const { log, error } = await consoleOf(async () => void (await within(5_000, 'the example to cancel its request', load(source))));
        expect(error).toEqual([]);
        expect(log).toHaveLength(1);
        expect(log[0][0]).toBe('cancelled:');
        expect((log[0][1] as Error).name).toBe('AbortError'); // the signal's reason
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(parked).toEqual(['/slow']);
      } finally {
        release();
      }
    },
  },
  {
    marker: "const client = createClient({ tls: { ca: fs.readFileSync('ca.pem') } });",
    readmes: ['client'],
    skip: NO_OPENSSL,
    async run(code) {
      const seen: string[] = [];
      const server = await serve(
        async (req) => {
          seen.push(await describeRequest(req));
          return 'over TLS';
        },
        { tls: certificate! },
      );
      // The certificate names 127.0.0.1 (and localhost), not internal.example.
      const source = adapt(code, "'https://internal.example:8443/'", `'https://127.0.0.1:${server.port}/'`);
      let example: Record<string, unknown> = {};
      await inFolder({ 'ca.pem': certificate!.cert }, async () => {
        example = await load(`${source}\nexport { client };`);
      });
      (example.client as { close(): void }).close();
      // Verified with ca.pem, or the request would not have reached the server.
      expect(seen).toEqual(['get /']);
    },
  },
  {
    marker: "Upgrade: 'websocket', 'Sec-WebSocket-Key': key",
    readmes: ['client'],
    async run(code) {
      const server = await serve((req) => asChannel(req, { onOpen: (ch) => ch.send('welcome') }));
      const source = adapt(code, "'http://127.0.0.1:8080/chat'", `'http://127.0.0.1:${server.port}/chat'`);
      const bytes: Buffer[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((chunk: unknown) => void bytes.push(chunk as Buffer));
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const example = await load(`${source}\nexport { res };`);
        const res = example.res as { status: number; upgrade?: { socket: net.Socket } };
        expect(res.status).toBe(101);
        // The server's first frame: text, unmasked, 'welcome'.
        const frame = Buffer.concat([Buffer.from([0x81, 7]), Buffer.from('welcome')]);
        await eventually(() => Buffer.concat(bytes).length >= frame.length, 2_000, 'the welcome frame');
        expect(Buffer.concat(bytes)).toEqual(frame);
        expect(error).not.toHaveBeenCalled();
        res.upgrade!.socket.destroy();
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
    },
  },

  // --- packages/websocket/README.md ---
  {
    marker: "import '@http-kit/websocket';",
    readmes: ['websocket'],
    async run(code) {
      let source = adapt(code, 'await runServer(', 'const server = await runServer(');
      source = adapt(source, '{ port: 8080 }', "{ port: 0, ip: '127.0.0.1' }");
      const example = await load(`${source}\nexport { server };`);
      const server = example.server as HttpServer;
      running.push({ stop: () => server.stop({ timeout: 200 }) });
      // Another implementation (ws) as the client: welcome, then every message echoed.
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      const received: Array<string | Buffer> = [];
      socket.on('message', (data, isBinary) => received.push(isBinary ? Buffer.from(data as Buffer) : String(data)));
      await within(2_000, 'the WebSocket to open', new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)));
      socket.send('hi');
      socket.send(Buffer.from([1, 2, 3]));
      await eventually(() => received.length === 3, 2_000, 'the welcome and two echoes');
      expect(received).toEqual(['welcome', 'hi', Buffer.from([1, 2, 3])]);
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.close(1000);
      expect(await within(2_000, 'the close handshake', closed)).toBe(1000);
    },
  },
  {
    marker: "const { channel, error } = await connect('wss://example.test/chat', {",
    readmes: ['websocket'],
    skip: NO_OPENSSL,
    async run(code) {
      const offered: string[] = [];
      const server = await serve(
        (req) => {
          offered.push(String(req.headers['sec-websocket-extensions']));
          return asChannel(req, { onOpen: (ch) => ch.send('welcome'), protocols: ['chat.v2'], perMessageDeflate: true });
        },
        { tls: certificate! },
      );
      const proxy = await closingProxy();
      // The certificate names 127.0.0.1, not example.test; the proxy is ours.
      let source = adapt(code, "'wss://example.test/chat'", `'wss://127.0.0.1:${server.port}/chat'`);
      source = adapt(source, "proxy: 'http://127.0.0.1:3128'", `proxy: '${proxy.url}'`);
      const logged: unknown[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(...args));
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        let example: Record<string, unknown> = {};
        await inFolder({ 'ca.pem': certificate!.cert }, async () => {
          example = await load(`${source}\nexport { channel, error };`);
        });
        expect(example.error).toBeUndefined();
        expect(error).not.toHaveBeenCalled();
        await eventually(() => logged.includes('welcome'), 2_000, 'the welcome message');
        const channel = example.channel as { protocol: string; close(): void };
        expect(channel.protocol).toBe('chat.v2');
        expect(offered).toHaveLength(1);
        expect(offered[0]).toContain('permessage-deflate');
        expect(proxy.tunnels).toEqual([`127.0.0.1:${server.port}`]);
        channel.close();
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
    },
  },
];

for (const [readme, path] of Object.entries(READMES) as Array<[Readme, string]>) {
  const name = readme === 'root' ? 'README.md' : `packages/${readme}/README.md`;
  describe(`${name} examples`, () => {
    const blocks = jsBlocks(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8'));
    const checks = CHECKS.filter((check) => check.readmes.includes(readme));

    it('every ```js block has a check here, and every check a block', () => {
      const unchecked = blocks.filter((block) => checks.filter((check) => block.code.includes(check.marker)).length !== 1);
      expect(unchecked.map((block) => `${block.heading}: ${block.code.split('\n')[0]}`)).toEqual([]);
      const orphans = checks.filter((check) => blocks.filter((block) => block.code.includes(check.marker)).length !== 1);
      expect(orphans.map((check) => check.marker)).toEqual([]);
    });

    for (const check of checks) {
      const block = blocks.find((b) => b.code.includes(check.marker));
      it.skipIf(Boolean(check.skip))(`runs: ${block?.heading ?? '(missing)'}: ${check.marker}`, async () => {
        expect(block, `${name} has no block with ${check.marker}`).toBeDefined();
        await check.run(block!.code, readme);
      });
    }
  });
}
