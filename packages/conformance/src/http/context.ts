/**
 * An HTTP case's view of the server under test: where it is, what it does with bodies (echoes
 * them, h1spec's convention, or not), and the connections the case opened, destroyed when it
 * ends and each giving its transcript to the report.
 */
import type { CaseHost, ConformanceCase } from '../run.js';
import { type HttpTarget, parseHttpTarget, RawHttp } from './raw-http.js';

export interface HttpServerSuiteOptions {
  /** The server: http://host:port/path (requests go to that path). */
  url: string | URL;
  /**
   * Whether the server answers a request with a body with that body (h1spec's echo-server
   * convention; default true). Without it, cases judge by status and framing only.
   */
  echo?: boolean;
  /** How long the slow-sender cases wait for the server to give up on a stalled request (default 15000 ms). */
  idleWaitMs?: number;
}

export class HttpCaseContext implements CaseHost {
  readonly target: HttpTarget;
  readonly echo: boolean;
  private readonly connections: RawHttp[] = [];

  constructor(readonly options: HttpServerSuiteOptions) {
    this.target = parseHttpTarget(options.url);
    this.echo = options.echo ?? true;
  }

  /** A new connection to the server. */
  async connect(): Promise<RawHttp> {
    const c = await RawHttp.connect(this.target);
    this.connections.push(c);
    return c;
  }

  /**
   * A request's bytes from lines: `{path}` and `{host}` become the target's; lines are joined
   * with CRLF and the head ends with an empty line, then `body`.
   */
  request(lines: readonly string[], body = ''): string {
    return `${lines.map((l) => l.replaceAll('{path}', this.target.path).replaceAll('{host}', this.target.authority)).join('\r\n')}\r\n\r\n${body}`;
  }

  transcript(): string[] {
    if (this.connections.length === 1) return [...this.connections[0].transcript];
    return this.connections.flatMap((c, i) => [`-- connection ${i + 1}`, ...c.transcript]);
  }

  dispose(): void {
    for (const c of this.connections) c.destroy();
  }
}

/** A case of the HTTP server suite. */
export type HttpCase = ConformanceCase<HttpCaseContext>;
