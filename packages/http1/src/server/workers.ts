/**
 * Workers: `runServer(handler, { workers: N })` over node:cluster. The usual cluster pattern: the
 * program runs in every process. In the primary, runServer forks N workers (each runs the same
 * program again, with the same options) and only supervises: it never listens nor runs the
 * handler. In a worker, runServer serves as usual on the port the primary shares, and stops when
 * the primary asks. A worker that dies is replaced after a back-off, so a crashing handler cannot
 * make the primary fork in a loop.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ErrorLogger } from '@http-kit/core';
import { InvalidArgumentError, describe } from '@http-kit/core';
import { ListenError } from '../errors.js';
import { DEFAULT_STOP_TIMEOUT, type HttpServer, type ServerStatus, type StopOptions, type WorkerState } from './server-context.js';

/** What the primary and its workers say to each other over IPC (a marker keeps them apart from the program's own messages). */
type WorkerMessage =
  | { httpKitWorker: 'stop'; timeout: number }
  | { httpKitWorker: 'listen-failed'; message: string; code: string | undefined };

const isWorkerMessage = (message: unknown): message is WorkerMessage =>
  typeof message === 'object' && message !== null && typeof (message as { httpKitWorker?: unknown }).httpKitWorker === 'string';

/** A replaced worker waits FIRST_BACKOFF ms, doubling for each quick death up to MAX_BACKOFF. */
const FIRST_BACKOFF = 100;
const MAX_BACKOFF = 10_000;
/** A worker that stayed up this long was healthy: its slot's back-off starts over. */
const HEALTHY_AFTER = 30_000;
/** After stop's timeout, workers get this much longer to exit on their own before SIGKILL. */
const KILL_GRACE = 1_000;

/** Checks the `workers` option: a whole number of processes, 0 for none. */
export function workerCount(workers: unknown): number {
  if (workers === undefined) return 0;
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 0) {
    throw new InvalidArgumentError(`runServer: workers must be a non-negative integer (processes; 0 for none), got ${describe(workers)}`);
  }
  return workers;
}

/** Whether this process is a worker runServer's primary forked (and so answers its stop message). */
export const isManagedWorker = (): boolean => cluster.isWorker;

/**
 * In a worker: a failed listen is told to the primary before runServer rejects, so the primary's
 * runServer rejects with the same reason instead of replacing the worker for ever.
 */
export function reportListenFailure(error: ListenError, then: () => void): void {
  const message: WorkerMessage = { httpKitWorker: 'listen-failed', message: error.message, code: error.systemCode };
  if (process.send === undefined) then();
  else process.send(message, undefined, undefined, () => then());
}

/** In a worker: the primary's stop message stops `server` with the primary's timeout, then the process exits. */
export function obeyPrimary(server: HttpServer, errorLogger: ErrorLogger): void {
  const onMessage = (message: unknown) => {
    if (!isWorkerMessage(message) || message.httpKitWorker !== 'stop') return;
    process.off('message', onMessage);
    server.stop({ timeout: message.timeout }).then(
      () => process.exit(0),
      (error: unknown) => {
        errorLogger('Worker failed to stop', error);
        process.exit(1);
      },
    );
  };
  process.on('message', onMessage);
}

interface Slot {
  worker: Worker;
  pid: number;
  state: WorkerState;
  startedAt: number;
  backoff: number;
  restart: NodeJS.Timeout | null;
}

/**
 * In the primary: forks `count` workers and resolves once every one listens (with the shared
 * port), or rejects with the first worker's ListenError.
 */
export function superviseWorkers(count: number, path: string | undefined, errorLogger: ErrorLogger): Promise<HttpServer> {
  const slots: Slot[] = [];
  let port = 0;
  let status: ServerStatus = 'running';
  let stopped: Promise<void> | null = null;
  let startup: { resolve(): void; reject(error: Error): void } | null = null;
  const exitWaiters = new Set<() => void>();

  const slotOf = (worker: Worker) => slots.find((slot) => slot.worker === worker);

  const fork = (slot: Slot | null): Slot => {
    const worker = cluster.fork();
    const fresh: Slot = {
      worker,
      pid: worker.process.pid ?? 0,
      state: 'starting',
      startedAt: Date.now(),
      backoff: slot?.backoff ?? FIRST_BACKOFF,
      restart: null,
    };
    if (slot === null) slots.push(fresh);
    else slots[slots.indexOf(slot)] = fresh;
    return fresh;
  };

  const onListening = (worker: Worker, address: { port: number }) => {
    const slot = slotOf(worker);
    if (slot === undefined || slot.state !== 'starting') return;
    slot.state = 'listening';
    if (path === undefined && port === 0) port = address.port;
    if (startup !== null && slots.every((s) => s.state === 'listening')) {
      startup.resolve();
      startup = null;
    }
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isWorkerMessage(message) || message.httpKitWorker !== 'listen-failed') return;
    if (startup !== null) {
      const failed = startup;
      startup = null;
      // Nothing to supervise: the workers that did start are stopped before the caller hears why.
      void stopAll(0).then(() => failed.reject(new ListenError(message.message, message.code)));
    } else if (status === 'running') {
      errorLogger(`Worker ${worker.process.pid} could not listen: ${message.message}`);
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const slot = slotOf(worker);
    if (slot === undefined) return;
    const wasStopping = slot.state === 'stopping' || status !== 'running';
    slot.state = 'exited';
    for (const wake of exitWaiters) wake();
    if (wasStopping) return;
    if (startup !== null) {
      // A worker dying before the first listen is a program that cannot start: say so, fork no more.
      const failed = startup;
      startup = null;
      void stopAll(0).then(() =>
        failed.reject(new Error(`runServer: worker ${slot.pid} exited (${signal ?? `code ${code}`}) before listening`)),
      );
      return;
    }
    if (Date.now() - slot.startedAt >= HEALTHY_AFTER) slot.backoff = FIRST_BACKOFF;
    const delay = slot.backoff;
    errorLogger(`Worker ${slot.pid} exited (${signal ?? `code ${code}`}); replacing it in ${delay} ms`);
    slot.restart = setTimeout(() => {
      slot.restart = null;
      if (status !== 'running') return;
      fork(slot).backoff = Math.min(delay * 2, MAX_BACKOFF);
    }, delay);
  };

  /** Asks every live worker to stop, SIGKILLs the ones still there after timeout + grace, resolves once all have exited. */
  const stopAll = (timeout: number): Promise<void> => {
    status = 'stopping';
    for (const slot of slots) {
      if (slot.restart !== null) {
        clearTimeout(slot.restart);
        slot.restart = null;
      }
      if (slot.state === 'exited') continue;
      slot.state = 'stopping';
      const message: WorkerMessage = { httpKitWorker: 'stop', timeout };
      if (slot.worker.isConnected()) slot.worker.send(message);
      else slot.worker.process.kill('SIGTERM');
    }
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        for (const slot of slots) if (slot.state !== 'exited') slot.worker.process.kill('SIGKILL');
      }, timeout + KILL_GRACE);
      const check = () => {
        if (!slots.every((slot) => slot.state === 'exited')) return;
        exitWaiters.delete(check);
        clearTimeout(kill);
        cluster.off('listening', onListening);
        cluster.off('message', onMessage);
        cluster.off('exit', onExit);
        status = 'stopped';
        resolve();
      };
      exitWaiters.add(check);
      check();
    });
  };

  cluster.on('listening', onListening);
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);

  const server: HttpServer = {
    get port() {
      return port;
    },
    get path() {
      return path;
    },
    get status() {
      return status;
    },
    // The primary holds no connections: they are the workers'.
    get connectionCount() {
      return 0;
    },
    get pendingCount() {
      return 0;
    },
    get workers() {
      return slots.map((slot) => ({ pid: slot.pid, state: slot.state }));
    },
    stop(stopOptions: StopOptions = {}) {
      if (stopped === null) stopped = stopAll(stopOptions.timeout ?? DEFAULT_STOP_TIMEOUT);
      return stopped;
    },
  };

  return new Promise<HttpServer>((resolve, reject) => {
    startup = { resolve: () => resolve(server), reject };
    for (let i = 0; i < count; i++) fork(null);
  });
}
