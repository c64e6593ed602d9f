#!/usr/bin/env node
/**
 * http-kit-conformance: runs a suite against a peer and reports.
 *
 *   http-kit-conformance websocket-server ws://127.0.0.1:9001/ [--cases 6.*,7.1.*] [--json out.json] [--report out.html]
 *   http-kit-conformance http-server http://127.0.0.1:8080/ [--cases 4.*] [--no-echo]
 *   http-kit-conformance http-client --command 'curl -sS --max-time 5 "$CONFORMANCE_URL"'
 *
 * Exit status: 0 when no case FAILED, 1 when one did, 2 when the command line is wrong.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderHtml } from './report/html.js';
import type { SuiteReport } from './report/suite-report.js';
import type { CaseResult } from './verdict.js';
import { runHttpClientSuite } from './http/client-suite.js';
import { runHttpServerSuite } from './http/suite.js';
import { runWebSocketClientSuite } from './websocket/client-suite.js';
import { runWebSocketServerSuite } from './websocket/server-suite.js';

const USAGE = `usage: http-kit-conformance <suite> <url> [options]

suites:
  websocket-server ws://host:port/path   an echo server (every message sent back as it came)
  http-server http://host:port/path      a server answering 2xx, echoing request bodies (h1spec's convention)
  websocket-client [--command '<cmd>']   a client that connects to $CONFORMANCE_URL and echoes every message
                                         (without --command the URL of each case is printed and the kit waits)
  http-client --command '<cmd>'          a client, run once per case with the URL in $CONFORMANCE_URL: it
                                         prints the body and exits 0 only when it takes the answer as good

options:
  --cases <patterns>        case ids to run, e.g. "6.*,7.1.*" or "!12.*,!13.*" (default: all)
  --json <file>             write every result as JSON
  --report <file>           write a self-contained HTML report
  --concurrency <n>         cases at once (default 6)
  --max-message-size <n>    the server's message size limit in bytes: adds the cases that expect 1009 at it
  --full                    groups 12/13 with Autobahn's 1000 messages a case (default: about 1 MiB a case)
  --held-connections <n>    websocket-server: connections held at once by case 14.x.1, each with its
                            own deflate context (default 200)
  --no-echo                 http-server: the server does not echo bodies (judge by status and framing only)
  --idle-wait <ms>          http-server: how long slow-sender cases wait for the server to give up (default 15000)
  --command <cmd>           http-client: the client command (a shell command line)
  --client-timeout <ms>     http-client: how long the command may run per case (default 10000)
  --quiet                   no progress line
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`http-kit-conformance: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a whole number of 1 or more, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [suite, url = ''] = positionals;
  if (suite === undefined) fail('name a suite');
  if (url === '' && suite !== 'http-client' && suite !== 'websocket-client') fail(`give the URL of the peer after "${suite}"`);
  const progress = progressLine(values.quiet === true || !process.stderr.isTTY ? 'quiet-tty' : 'tty', values.quiet === true);
  let report: SuiteReport;
  switch (suite) {
    case 'websocket-server':
      if (!/^wss?:\/\//.test(url)) fail(`websocket-server takes a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
      report = await runWebSocketServerSuite({
        url,
        cases: values.cases,
        concurrency: positiveInteger('--concurrency', values.concurrency),
        maxMessageSize: positiveInteger('--max-message-size', values['max-message-size']),
        full: values.full === true,
        heldConnections: positiveInteger('--held-connections', values['held-connections']),
        onResult: progress,
      });
      break;
    case 'http-server':
      if (!/^https?:\/\//.test(url)) fail(`http-server takes an http:// or https:// URL, got ${JSON.stringify(url)}`);
      report = await runHttpServerSuite({
        url,
        cases: values.cases,
        concurrency: positiveInteger('--concurrency', values.concurrency),
        echo: values['no-echo'] !== true,
        idleWaitMs: positiveInteger('--idle-wait', values['idle-wait']),
        onResult: progress,
      });
      break;
    case 'websocket-client':
      report = await runWebSocketClientSuite({
        command: values.command,
        cases: values.cases,
        connectTimeoutMs: positiveInteger('--client-timeout', values['client-timeout']),
        concurrency: positiveInteger('--concurrency', values.concurrency),
        full: values.full === true,
        onResult: progress,
      });
      break;
    case 'http-client':
      if (values.command === undefined) fail('http-client needs --command \'<the client, fetching "$CONFORMANCE_URL">\'');
      report = await runHttpClientSuite({
        command: values.command,
        cases: values.cases,
        timeoutMs: positiveInteger('--client-timeout', values['client-timeout']),
        concurrency: positiveInteger('--concurrency', values.concurrency),
        onResult: progress,
      });
      break;
    default:
      fail(`unknown suite ${JSON.stringify(suite)}`);
  }
  if (!values.quiet && process.stderr.isTTY) process.stderr.write('\n');
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (values.report) writeFileSync(values.report, renderHtml(report));
  printSummary(report);
  process.exitCode = report.counts.FAILED > 0 ? 1 : 0;
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      cases: { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      concurrency: { type: 'string' },
      'max-message-size': { type: 'string' },
      full: { type: 'boolean' },
      'held-connections': { type: 'string' },
      'no-echo': { type: 'boolean' },
      'idle-wait': { type: 'string' },
      command: { type: 'string' },
      'client-timeout': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** One line rewritten in place on a terminal; elsewhere a line every 10% (logs stay short). */
function progressLine(mode: 'tty' | 'quiet-tty', quiet: boolean) {
  let failed = 0;
  let lastTenth = -1;
  return (result: CaseResult, done: number, total: number) => {
    if (result.verdict === 'FAILED') failed++;
    if (quiet) return;
    const line = `[${done}/${total}] ${result.id} ${result.verdict}${failed ? `  (${failed} FAILED so far)` : ''}`;
    if (mode === 'tty') process.stderr.write(`\r${line.padEnd(70)}`);
    else {
      const tenth = Math.floor((done * 10) / total);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${line}\n`);
      }
    }
  };
}

function printSummary(report: SuiteReport): void {
  const lines = [`${report.suite} ${report.target}: ${report.results.length} cases in ${(report.durationMs / 1000).toFixed(1)} s`];
  lines.push(
    `  ${Object.entries(report.counts)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}`,
  );
  for (const r of report.results.filter((x) => x.verdict === 'FAILED').slice(0, 40))
    lines.push(`  FAILED ${r.id} ${r.title}: ${r.reason.slice(0, 300)}`);
  const more = report.counts.FAILED - 40;
  if (more > 0) lines.push(`  ... and ${more} more FAILED (see --json or --report)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`http-kit-conformance: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
