/**
 * The WebSocket client suite: the kit as a fuzzing server. For each case it listens on
 * 127.0.0.1, runs the client under test as a command with the URL in `CONFORMANCE_URL` (or prints
 * the URL and waits when no command is given), accepts its connection, and plays Autobahn's case
 * from the server's side, judged as Autobahn's fuzzing server judges a client. The client's
 * convention is Autobahn's: connect, echo every message, close when the server closes.
 * permessage-deflate is accepted as Autobahn's fuzzing server accepts it: in groups 12 and 13
 * only, with what each case asks of the client (deflate-accept.ts); a client that offers none
 * (or not what the case needs) makes them UNIMPLEMENTED. Group 14 holds the kit's deflate
 * bombs for clients (client-bombs.ts).
 *
 * @example
 * await runWebSocketClientSuite({ command: 'node echo-client.mjs', cases: '1.*,2.*' });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { SuiteReport } from '../report/suite-report.js';
import { type CaseHost, type ConformanceCase, type RunOptions, runCases } from '../run.js';
import { caseFilter, compareIds } from '../select.js';
import { countVerdicts } from '../verdict.js';
import { autobahnCases } from './autobahn/cases.js';
import { Conversation } from './autobahn/conversation.js';
import { clientBombCases } from './client-bombs.js';
import { acceptDeflate, type DeflateRequest } from './deflate-accept.js';
import { RawWebSocket, show } from './raw-websocket.js';

export interface WebSocketClientSuiteOptions {
  /** A shell command that connects to $CONFORMANCE_URL and echoes; without it the URL is printed and the kit waits. */
  command?: string;
  /** How long to wait for the client's connection (default 10000 ms). */
  connectTimeoutMs?: number;
  cases?: string | readonly string[];
  /** Autobahn's own message counts in groups 12 and 13 (1000 a case) instead of the kit's (at most 1 MiB a case). */
  full?: boolean;
  /** Where the URL goes without a command (default stderr). */
  print?: (line: string) => void;
}

export class WebSocketClientCaseContext implements CaseHost {
  private server: Server | null = null;
  private child: ChildProcess | null = null;
  private ws: RawWebSocket | null = null;
  private readonly notes: string[] = [];
  private stderr = '';
  /** The case being run (it goes into the client's environment and the printed line). */
  caseId = '';

  constructor(readonly options: WebSocketClientSuiteOptions) {}

  /**
   * A conversation with the client, the kit as the server; `accept` (groups 12, 13) says what it
   * asks of the client's permessage-deflate offers, without it the kit declines them.
   */
  async conversation(_offer?: string, accept?: readonly DeflateRequest[]): Promise<Conversation> {
    return new Conversation(await this.connection(accept), 'server');
  }

  /** Starts the client (or prints the URL) and does the handshake of its connection. */
  async connection(accept?: readonly DeflateRequest[]): Promise<RawWebSocket> {
    const accepted = new Promise<Socket>((resolve) => {
      this.server = createServer((socket) => {
        // The first connection is the case's; others are refused.
        if (this.ws !== null) socket.destroy();
        else resolve(socket);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(this.server!.address() as { port: number }).port}/`;
    if (this.options.command === undefined) (this.options.print ?? ((l) => process.stderr.write(`${l}\n`)))(`case ${this.caseId}: ${url}`);
    else {
      const child = spawn(this.options.command, {
        shell: true,
        env: { ...process.env, CONFORMANCE_URL: url, CONFORMANCE_CASE: this.caseId },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        if (this.stderr.length < 2_000) this.stderr += chunk.toString();
      });
      child.on('close', (code) =>
        this.notes.push(
          `= the client command exited ${code}${this.stderr ? `; stderr ${show(Buffer.from(this.stderr.trim()), 120)}` : ''}`,
        ),
      );
      this.child = child;
    }
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const socket = await Promise.race([
      accepted,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the client did not connect to ${url} within ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
    const { ws } = await RawWebSocket.accept(socket, undefined, (offers) => (accept === undefined ? null : acceptDeflate(offers, accept)));
    this.ws = ws;
    return ws;
  }

  transcript(): string[] {
    return [...(this.ws?.transcript ?? []), ...this.notes];
  }

  dispose(): void {
    this.ws?.destroy();
    this.server?.close();
    if (this.child !== null && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The cases of the client suite: Autobahn's groups 1 to 13, and the kit's deflate bombs (14.1, 14.2). */
export function websocketClientCases(options: WebSocketClientSuiteOptions): ConformanceCase<WebSocketClientCaseContext>[] {
  const take = caseFilter(options.cases);
  return [...autobahnCases({ url: 'ws://127.0.0.1:1/', full: options.full }), ...clientBombCases()]
    .filter((c) => take(c.id))
    .sort((a, b) => compareIds(a.id, b.id));
}

/**
 * Runs the client suite: each case's server side against the client command.
 *
 * @example
 * const report = await runWebSocketClientSuite({ command: 'node echo-client.mjs' });
 */
export async function runWebSocketClientSuite(options: WebSocketClientSuiteOptions & RunOptions): Promise<SuiteReport> {
  const started = new Date();
  const cases = websocketClientCases(options);
  if (cases.length === 0) throw new Error(`no case matches ${JSON.stringify(options.cases)}; ids look like 1.1.1, 6.4.1`);
  const t0 = performance.now();
  const withIds = cases.map((c) => ({
    ...c,
    run: async (ctx: WebSocketClientCaseContext) => {
      ctx.caseId = c.id;
      return c.run(ctx);
    },
  }));
  const results = await runCases(withIds, () => new WebSocketClientCaseContext(options), {
    concurrency: options.command === undefined ? 1 : 4,
    ...options,
  });
  return {
    suite: 'websocket-client',
    target: options.command ?? '(printed URLs)',
    started: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    counts: countVerdicts(results),
    results,
  };
}
