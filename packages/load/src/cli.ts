#!/usr/bin/env node
/**
 * http-kit-load: the command line over the library. Parses the arguments (node:util parseArgs),
 * prints a progress line once a second on stderr and the summary on stdout, writes --json and
 * --report files. Exit codes: 0 the run finished, 1 it could not run or every connection failed,
 * 2 wrong arguments.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { htmlReport } from './html-report.js';
import type { LoadOptions, LoadMode, WebSocketMode } from './options.js';
import { runLoad, type LoadResult } from './run-load.js';
import { answerNoun, formatProgress, formatSummary } from './text-report.js';
import { runWorkers, serveWorker, WORKER_CHILD_FLAG } from './workers.js';

const USAGE = `usage: http-kit-load URL [options]

  -c, --connections N        connections (default 10)
  -d, --duration S           seconds of measured load once every connection is open (default 10)
      --mode MODE            http (default; ws:// URLs: websocket), pipeline, longpoll, sse, websocket
  -R, --rate R               open model: R requests (websocket: echo messages) per second in all;
                             latency counts from when each was due (coordinated omission corrected)
  -p, --pipeline N           requests in flight per connection (pipeline mode; default 10)
  -m, --method M             request method (default GET)
  -H, --header 'Name: v'     a request header (repeatable)
  -b, --body TEXT            request body
      --requests FILE        a JSON array of {method, path, headers, body} to rotate through
      --requests-per-connection N  each connection sends N requests, then stays open, idle
      --timeout MS           a response due longer than this is an error (default 10000; longpoll, sse: none)
      --stamp-header NAME    longpoll: the response header with the server's event time in epoch ms
                             (default x-event-time); latency is event -> answer
      --ws-mode MODE         websocket: echo (default), idle, listen
      --size BYTES           websocket echo message size (default 64)
      --in-flight N          websocket echo messages outstanding per connection (default 1)
      --open-timeout MS      a connection not open by then (its 101, its SSE head) is an error (default 10000)
      --connect-concurrency N  connections being opened at once (default 200)
      --connect-rate N       connections opened per second at most (default: unpaced)
      --local-addresses A,B  source addresses to rotate over (default auto: 127.0.0.2, ... once
                             the ports of one run out, for loopback targets)
      --close-timeout MS     how long the server has to close its side once a connection is closed
                             (FIN; websocket: close frame), at the end and after each session (default 1500)

  Clients that come and go (soak tests):
      --sessions N[-M]       each connection ends itself after N (to M, at random) answers (responses,
                             polls, echoes, events) and opens again as a new client
      --drop F               of the sessions that end, the fraction dropped: no FIN wait, no close frame
      --reset F              of the sessions that end, the fraction ended with a TCP reset (RST)
      --abort F              longpoll: the fraction of polls given up while parked (connection dropped)
      --abort-delay N[-M]    longpoll: ms from a poll's send to its abort (default 0-100)
      --sse-retry MS         sse: wait before reopening an ended stream until the server sends retry:
                             (default 3000); each failed reopen doubles it, with 50-100 % jitter
      --sse-retry-max MS     sse: the back-off's cap (default 30000)
      --think N[-M]          closed model: ms between an answer and the connection's next request
                             (echo message, poll), at random from N to M (default 0)
      --slow F               the fraction of sockets (each new one at random) that read slowly
      --slow-rate BYTES      a slow socket's read rate, bytes a second (default 4096)
  -w, --workers N            split the connections over N processes, histograms merged
      --json FILE            write the result as JSON ('-': stdout, and the summary to stderr)
      --report FILE.html     write a self-contained HTML report
  -q, --quiet                no progress line
  -h, --help`;

function usageError(message: string): never {
  console.error(`http-kit-load: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** A non-negative number from an option's text, or a usage error naming it. */
function numberOf(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    usageError(`--${name} wants a non-negative number, got ${JSON.stringify(text)}`);
  return value;
}

/** `N` or `N-M` (an option's range), or a usage error naming it. */
function rangeOf(name: string, text: string | undefined): number | [number, number] | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (match === null) usageError(`--${name} wants N or N-M (non-negative integers), got ${JSON.stringify(text)}`);
  return match[2] === undefined ? Number(match[1]) : [Number(match[1]), Number(match[2])];
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1)
    usageError(positionals.length === 0 ? 'the target URL is missing' : `one URL only, got ${positionals.join(' ')}`);
  const headers: Record<string, string> = {};
  for (const line of values.header ?? []) {
    const colon = line.indexOf(':');
    if (colon <= 0) usageError(`--header wants 'Name: value', got ${JSON.stringify(line)}`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const pipeline = numberOf('pipeline', values.pipeline);
  const options: LoadOptions = {
    url: positionals[0],
    mode: (values.mode ?? (pipeline !== undefined && pipeline > 1 ? 'pipeline' : undefined)) as LoadMode | undefined,
    connections: numberOf('connections', values.connections),
    duration: numberOf('duration', values.duration),
    rate: numberOf('rate', values.rate),
    pipeline,
    method: values.method,
    headers,
    body: values.body,
    requestsFile: values.requests,
    requestsPerConnection: numberOf('requests-per-connection', values['requests-per-connection']),
    timeout: numberOf('timeout', values.timeout),
    stampHeader: values['stamp-header'],
    wsMode: values['ws-mode'] as WebSocketMode | undefined,
    messageSize: numberOf('size', values.size),
    inFlight: numberOf('in-flight', values['in-flight']),
    openTimeout: numberOf('open-timeout', values['open-timeout']),
    connectConcurrency: numberOf('connect-concurrency', values['connect-concurrency']),
    connectRate: numberOf('connect-rate', values['connect-rate']),
    localAddresses:
      values['local-addresses'] === undefined || values['local-addresses'] === 'auto' ? 'auto' : values['local-addresses'].split(','),
    closeTimeout: numberOf('close-timeout', values['close-timeout']),
    sessionRequests: rangeOf('sessions', values.sessions),
    dropFraction: numberOf('drop', values.drop),
    resetFraction: numberOf('reset', values.reset),
    abortFraction: numberOf('abort', values.abort),
    abortDelay: rangeOf('abort-delay', values['abort-delay']),
    sseRetry: numberOf('sse-retry', values['sse-retry']),
    sseRetryMax: numberOf('sse-retry-max', values['sse-retry-max']),
    thinkTime: rangeOf('think', values.think),
    slowFraction: numberOf('slow', values.slow),
    slowReadRate: numberOf('slow-rate', values['slow-rate']),
  };
  const workers = numberOf('workers', values.workers) ?? 1;
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('http-kit-load: interrupted, reporting what was measured');
    controller.abort();
  });
  const noun = answerNoun({ mode: (options.mode ?? (options.url.startsWith('ws:') ? 'websocket' : 'http')) as LoadMode });
  const hooks = {
    signal: controller.signal,
    onProgress: values.quiet ? undefined : (p: Parameters<typeof formatProgress>[0]) => console.error(formatProgress(p, noun)),
  };
  let result: LoadResult;
  try {
    result = workers > 1 ? await runWorkers(options, workers, hooks, fileURLToPath(import.meta.url)) : await runLoad(options, hooks);
  } catch (error) {
    const e = error as Error;
    if (e.name === 'InvalidArgumentError') usageError(e.message);
    console.error(`http-kit-load: ${e.message}`);
    process.exit(1);
  }
  // With --json - stdout is the JSON alone; the summary goes to stderr.
  if (values.json === '-') console.error(formatSummary(result));
  else console.log(formatSummary(result));
  if (values.json !== undefined) {
    const text = JSON.stringify(result);
    if (values.json === '-') console.log(text);
    else writeFileSync(values.json, `${text}\n`);
  }
  if (values.report !== undefined) writeFileSync(values.report, htmlReport(result));
  if (result.open.opened === 0) {
    console.error('http-kit-load: no connection could be opened');
    process.exitCode = 1;
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      connections: { type: 'string', short: 'c' },
      duration: { type: 'string', short: 'd' },
      mode: { type: 'string' },
      rate: { type: 'string', short: 'R' },
      pipeline: { type: 'string', short: 'p' },
      method: { type: 'string', short: 'm' },
      header: { type: 'string', short: 'H', multiple: true },
      body: { type: 'string', short: 'b' },
      requests: { type: 'string' },
      'requests-per-connection': { type: 'string' },
      timeout: { type: 'string' },
      'stamp-header': { type: 'string' },
      'ws-mode': { type: 'string' },
      size: { type: 'string' },
      'in-flight': { type: 'string' },
      'open-timeout': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'connect-rate': { type: 'string' },
      'local-addresses': { type: 'string' },
      'close-timeout': { type: 'string' },
      sessions: { type: 'string' },
      drop: { type: 'string' },
      reset: { type: 'string' },
      abort: { type: 'string' },
      'abort-delay': { type: 'string' },
      'sse-retry': { type: 'string' },
      'sse-retry-max': { type: 'string' },
      think: { type: 'string' },
      slow: { type: 'string' },
      'slow-rate': { type: 'string' },
      workers: { type: 'string', short: 'w' },
      json: { type: 'string' },
      report: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (process.argv.includes(WORKER_CHILD_FLAG)) serveWorker();
else await main();
