/**
 * stopOnSignals: the way a server ends under a process manager (systemd, Docker, Kubernetes):
 * on SIGTERM or SIGINT it stops taking connections, lets requests in flight finish (parked
 * channels hear 'server-stopping' and may still answer; else 503), closes WebSockets with 1001,
 * then exits. A second signal while stopping exits at once.
 */
import { describe, InvalidArgumentError } from '@http-kit/core';
import type { HttpServer } from '@http-kit/http1';
import { checkOptions, functionOption } from './options.js';

export interface StopOnSignalsOptions {
  /** Signals to stop on (default `['SIGTERM', 'SIGINT']`). */
  signals?: readonly NodeJS.Signals[];
  /** ms requests in flight get to finish, as `server.stop({ timeout })` (default 10000). */
  timeout?: number;
  /** Exit the process once stopped (default true: code 0, or 1 if stop failed). */
  exit?: boolean;
  /** Told as the stop begins (default: one line on stderr naming the signal). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Told once the server has stopped (before the exit). */
  onStopped?: () => void;
}

/**
 * Stops `server` gracefully on SIGTERM / SIGINT. Returns a function that removes the handlers.
 *
 * @example
 * const server = await runServer(app, { port: 8080 });
 * stopOnSignals(server, { timeout: 10_000 }); // `kill <pid>`, Ctrl-C: finish, then exit 0
 */
export function stopOnSignals(server: HttpServer, options?: StopOnSignalsOptions): () => void {
  if (server === null || typeof server !== 'object' || typeof (server as HttpServer).stop !== 'function')
    throw new InvalidArgumentError(`stopOnSignals: server must be what runServer resolved to, got ${describe(server)}`);
  const opts = checkOptions('stopOnSignals', options, ['signals', 'timeout', 'exit', 'onSignal', 'onStopped']);
  const signals = opts.signals ?? (['SIGTERM', 'SIGINT'] as const);
  if (!Array.isArray(signals) || signals.length === 0 || signals.some((s) => typeof s !== 'string' || !s.startsWith('SIG')))
    throw new InvalidArgumentError(
      `stopOnSignals: signals must be a non-empty array of signal names such as 'SIGTERM', got ${describe(signals)}`,
    );
  const timeout = opts.timeout ?? 10_000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)
    throw new InvalidArgumentError(`stopOnSignals: timeout must be ms (0 or more), got ${describe(timeout)}`);
  const exit = opts.exit ?? true;
  const onSignal =
    functionOption('stopOnSignals', 'onSignal', opts.onSignal) ??
    ((signal: NodeJS.Signals) => process.stderr.write(`${signal}: stopping the server (up to ${timeout} ms for requests in flight)\n`));
  const onStopped = functionOption('stopOnSignals', 'onStopped', opts.onStopped);
  let stopping = false;

  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Asked twice: the operator wants it gone now.
      if (exit) process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    stopping = true;
    onSignal(signal);
    server.stop({ timeout }).then(
      () => {
        remove();
        onStopped?.();
        if (exit) process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stopOnSignals: the server did not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        remove();
        if (exit) process.exit(1);
      },
    );
  };
  const remove = (): void => {
    for (const signal of signals) process.off(signal, handle);
  };
  for (const signal of signals) process.on(signal, handle);
  return remove;
}
