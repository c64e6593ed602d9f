/**
 * The HTTP/1.1 client suite: for each case the kit starts a hostile server (bad framing, endless
 * 1xx, a trickle, a decompression bomb, a redirect loop...) and runs the client under test as a
 * command with the URL in `CONFORMANCE_URL`. The convention: the command fetches that URL (GET,
 * following redirects as it likes), prints the body to stdout, and exits 0 only when it takes the
 * exchange as a success. A case is judged on the exit status, what was printed and whether the
 * command finished in time.
 *
 * @example
 * await runHttpClientSuite({ command: 'curl -sS --max-time 5 "$CONFORMANCE_URL"' });
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { createGzip } from 'node:zlib';
import type { SuiteReport } from '../report/suite-report.js';
import { type CaseHost, type ConformanceCase, type RunOptions, runCases } from '../run.js';
import { caseFilter, compareIds } from '../select.js';
import { countVerdicts, type Outcome, type Requirement, Verdict } from '../verdict.js';
import { showBytes } from './raw-http.js';

export interface HttpClientSuiteOptions {
  /** A shell command fetching $CONFORMANCE_URL and printing the body. */
  command: string;
  /** How long the command may run per case (default 10000 ms); past it, it is killed. */
  timeoutMs?: number;
  cases?: string | readonly string[];
}

/** What the command did. */
export interface ClientRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** Killed at the deadline. */
  timedOut: boolean;
  /** Killed for printing more than the cap (16 MiB). */
  overflowed: boolean;
}

const OUTPUT_CAP = 16 << 20;

/** A case's server and the command's run, for the report. */
export class HttpClientCaseContext implements CaseHost {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly notes: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Request heads the server read. */
  requests = 0;

  constructor(readonly options: HttpClientSuiteOptions) {}

  note(text: string): void {
    if (this.notes.length < 80) this.notes.push(text);
  }

  /** A timer cleared when the case ends (trickles, endless 1xx). */
  every(ms: number, tick: () => void): void {
    const timer = setInterval(tick, ms);
    this.timers.add(timer);
  }

  /** Starts the hostile server: `serve` gets each connection and the head of each request. */
  async listen(serve: (socket: Socket, head: string, ctx: HttpClientCaseContext) => void): Promise<string> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      // Every request head on the connection is served (a client may reuse it for a redirect);
      // the clients here send no bodies.
      let pending = '';
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          this.requests++;
          this.note(`< ${showBytes(head, 200)}`);
          serve(socket, head, this);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/`;
  }

  /** Writes to a client socket, noted in the transcript. */
  write(socket: Socket, data: string | Buffer): void {
    this.note(`> ${showBytes(data, 200)}`);
    if (!socket.destroyed) socket.write(data);
  }

  /** Runs the command with the URL in its environment. */
  run(url: string): Promise<ClientRun> {
    const timeout = this.options.timeoutMs ?? 10_000;
    return new Promise((resolve) => {
      const child = spawn(this.options.command, {
        shell: true,
        env: { ...process.env, CONFORMANCE_URL: url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let timedOut = false;
      let overflowed = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeout);
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > OUTPUT_CAP) {
          overflowed = true;
          child.kill('SIGKILL');
        } else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 2_000) stderr += chunk.toString();
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const run = { code, stdout: Buffer.concat(out), stderr, timedOut, overflowed };
        this.note(
          `= the command ${timedOut ? 'was killed at the deadline' : overflowed ? 'was killed for printing over 16 MiB' : `exited ${code}`}; stdout ${showBytes(run.stdout, 80)}; stderr ${showBytes(stderr.trim(), 200)}`,
        );
        resolve(run);
      });
    });
  }

  transcript(): string[] {
    return [...this.notes];
  }

  dispose(): void {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}

export type HttpClientCase = ConformanceCase<HttpClientCaseContext>;

const GROUP = 'HTTP/1.1 client: hostile servers';
const ok = (reason: string): Outcome => ({ verdict: Verdict.Ok, reason });
const failed = (reason: string): Outcome => ({ verdict: Verdict.Failed, reason });
const info = (reason: string): Outcome => ({ verdict: Verdict.Informational, reason });
const exited = (r: ClientRun) => (r.timedOut ? 'was still running at the deadline' : `exited ${r.code}`);

function define(
  id: string,
  title: string,
  requirement: Requirement,
  reference: string,
  expectation: string,
  serve: (socket: Socket, head: string, ctx: HttpClientCaseContext) => void,
  judge: (run: ClientRun, ctx: HttpClientCaseContext) => Outcome,
): HttpClientCase {
  return {
    id,
    group: GROUP,
    title,
    requirement,
    reference,
    expectation,
    timeoutMs: 60_000,
    run: async (ctx) => {
      const url = await ctx.listen(serve);
      return judge(await ctx.run(url), ctx);
    },
  };
}

/** The client must refuse: exit non-zero, in time. */
function mustFail(
  id: string,
  title: string,
  requirement: Requirement,
  reference: string,
  serve: (socket: Socket, head: string, ctx: HttpClientCaseContext) => void,
): HttpClientCase {
  return define(id, title, requirement, reference, 'The command reports an error (exits non-zero) in time.', serve, (r) =>
    r.timedOut
      ? failed('the command was still waiting at the deadline')
      : r.code !== 0
        ? ok(`exited ${r.code}`)
        : failed(`exited 0 (success) and printed ${showBytes(r.stdout, 60)}`),
  );
}

const response = (status: string, headers: string[], body = '') =>
  `HTTP/1.1 ${status}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n${body}`;

function gzipOfZeros(bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const gzip = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gzip.on('data', (c: Buffer) => chunks.push(c));
    gzip.on('end', () => resolve(Buffer.concat(chunks)));
    const zeros = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes; i += zeros.length) gzip.write(zeros);
    gzip.end();
  });
}

let bomb: Promise<Buffer> | null = null;

/** Every case of the client suite, sorted by id. */
export function httpClientCases(options: HttpClientSuiteOptions): HttpClientCase[] {
  const take = caseFilter(options.cases);
  const cases: HttpClientCase[] = [
    define(
      'c.1',
      'A plain 200 with Content-Length',
      'MUST',
      'RFC 9112 6.2',
      'Exit 0, the body printed.',
      (s, _, ctx) => ctx.write(s, response('200 OK', ['Content-Length: 5'], 'hello')),
      (r) =>
        r.code === 0 && r.stdout.toString() === 'hello'
          ? ok('printed the body')
          : failed(`${exited(r)}, printed ${showBytes(r.stdout, 60)}`),
    ),
    define(
      'c.2',
      'A chunked body with an extension and a trailer',
      'MUST',
      'RFC 9112 7.1',
      'Exit 0, the body printed.',
      (s, _, ctx) => ctx.write(s, response('200 OK', ['Transfer-Encoding: chunked'], '2;x=1\r\nhe\r\n3\r\nllo\r\n0\r\nX-T: v\r\n\r\n')),
      (r) =>
        r.code === 0 && r.stdout.toString() === 'hello'
          ? ok('printed the body')
          : failed(`${exited(r)}, printed ${showBytes(r.stdout, 60)}`),
    ),
    define(
      'c.3',
      'Transfer-Encoding: chunked and Content-Length together',
      'MUST',
      'RFC 9112 6.3',
      'Read by Transfer-Encoding ("hello"), or refused; never by Content-Length.',
      (s, _, ctx) => ctx.write(s, response('200 OK', ['Content-Length: 3', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n')),
      (r) =>
        r.timedOut
          ? failed('still waiting at the deadline')
          : r.code !== 0
            ? ok(`refused it (exit ${r.code})`)
            : r.stdout.toString() === 'hello'
              ? ok('read it by Transfer-Encoding')
              : failed(`read it another way: printed ${showBytes(r.stdout, 60)}`),
    ),
    mustFail('c.4', 'Two differing Content-Length headers', 'MUST', 'RFC 9112 6.3', (s, _, ctx) =>
      ctx.write(s, response('200 OK', ['Content-Length: 5', 'Content-Length: 3'], 'hello')),
    ),
    mustFail('c.5', 'The connection closes before the Content-Length is in', 'MUST', 'RFC 9112 8', (s, _, ctx) => {
      ctx.write(s, response('200 OK', ['Content-Length: 10'], 'hel'));
      s.end();
    }),
    mustFail('c.6', 'A status code of four digits', 'MUST', 'RFC 9112 4', (s, _, ctx) =>
      ctx.write(s, response('2000 OK', ['Content-Length: 5'], 'hello')),
    ),
    mustFail('c.7', 'A chunk size that overflows 64 bits', 'MUST', 'RFC 9112 7.1', (s, _, ctx) =>
      ctx.write(s, response('200 OK', ['Transfer-Encoding: chunked'], 'ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n')),
    ),
    mustFail('c.8', 'The server closes without answering', 'MUST', 'RFC 9112 9.6', (s) => s.end()),
    mustFail('c.9', 'Endless 102 Processing responses, every 50 ms', 'SHOULD', 'RFC 9110 15.2', (s, _, ctx) =>
      ctx.every(50, () => ctx.write(s, 'HTTP/1.1 102 Processing\r\n\r\n')),
    ),
    mustFail('c.10', 'A trickle: 1 byte of a 1 MB body every 500 ms', 'SHOULD', 'RFC 9112 9.5', (s, _, ctx) => {
      ctx.write(s, response('200 OK', ['Content-Length: 1000000']));
      ctx.every(500, () => ctx.write(s, 'x'));
    }),
    define(
      'c.11',
      'A redirect to itself, forever',
      'SHOULD',
      'RFC 9110 15.4',
      'A client that follows redirects stops the loop and reports it (exits non-zero); one that does not follow them is INFORMATIONAL.',
      (s, _, ctx) => ctx.write(s, response('302 Found', ['Location: /again', 'Content-Length: 0'])),
      (r, ctx) =>
        r.timedOut
          ? failed(`still following after ${ctx.requests} requests at the deadline`)
          : ctx.requests <= 1
            ? info(`did not follow the redirect (${exited(r)})`)
            : r.code !== 0
              ? ok(`stopped after ${ctx.requests} requests (exit ${r.code})`)
              : failed(`exited 0 after ${ctx.requests} requests of a redirect loop`),
    ),
    define(
      'c.12',
      'A gzip bomb: 1 GiB of zeros in 1 MiB, Content-Encoding: gzip',
      'SHOULD',
      'RFC 9110 8.4',
      'Not decoded, or decoding stopped at a limit (exit non-zero); never 1 GiB printed.',
      (s, _, ctx) => {
        bomb ??= gzipOfZeros(1 << 30);
        void bomb.then((body) =>
          ctx.write(
            s,
            Buffer.concat([Buffer.from(response('200 OK', ['Content-Encoding: gzip', `Content-Length: ${body.length}`])), body]),
          ),
        );
      },
      (r) =>
        r.overflowed
          ? failed('decoded it without a limit: printed more than 16 MiB')
          : r.timedOut
            ? failed('still running at the deadline')
            : r.code !== 0
              ? ok(`stopped (exit ${r.code})`)
              : r.stdout.length < 2 << 20
                ? info(`did not decode it (printed ${r.stdout.length} bytes)`)
                : failed(`printed ${r.stdout.length} bytes`),
    ),
    define(
      'c.13',
      'A header section of 1 MiB',
      'SHOULD',
      'RFC 9112 5',
      'Refused at a limit (exit non-zero); accepting it is INFORMATIONAL.',
      (s, _, ctx) => ctx.write(s, response('200 OK', ['Content-Length: 5', `X-Big: ${'a'.repeat(1 << 20)}`], 'hello')),
      (r) =>
        r.timedOut
          ? failed('still running at the deadline')
          : r.code !== 0
            ? ok(`refused it (exit ${r.code})`)
            : info('accepted a 1 MiB header section'),
    ),
  ];
  return cases.filter((c) => take(c.id)).sort((a, b) => compareIds(a.id, b.id));
}

/**
 * Runs the client suite: each case's hostile server against the command.
 *
 * @example
 * const report = await runHttpClientSuite({ command: 'curl -sS --max-time 5 "$CONFORMANCE_URL"' });
 */
export async function runHttpClientSuite(options: HttpClientSuiteOptions & RunOptions): Promise<SuiteReport> {
  if (typeof options.command !== 'string' || options.command.trim() === '')
    throw new Error('http-client needs the client as a command, e.g. --command \'curl -sS "$CONFORMANCE_URL"\'');
  const started = new Date();
  const cases = httpClientCases(options);
  if (cases.length === 0) throw new Error(`no case matches ${JSON.stringify(options.cases)}; ids look like c.1, c.12`);
  const t0 = performance.now();
  const results = await runCases(cases, () => new HttpClientCaseContext(options), { concurrency: 4, ...options });
  return {
    suite: 'http-client',
    target: options.command,
    started: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    counts: countVerdicts(results),
    results,
  };
}
