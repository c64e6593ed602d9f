// Child processes for the benchmarks: spawn with an IPC channel (optionally pinned to a CPU),
// wait for a message with a deadline, stop and make sure the child is gone.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TASKSET = '/usr/bin/taskset';

/** Path of a file in bench/lib. */
export function libPath(name) {
  return fileURLToPath(new URL(name, import.meta.url));
}

/** CPU count this process may run on. */
export function cpuCount() {
  return availableParallelism();
}

/** Whether `taskset` can pin processes here (it exists and there are at least two CPUs). */
export function canPin() {
  return existsSync(TASKSET) && cpuCount() >= 2;
}

/**
 * Starts `node [nodeArgs] script [args]` with an IPC channel; with `cpu` set, under `taskset -c cpu`
 * (taskset execs node, so every thread node starts inherits the pinning and the IPC fd).
 */
export function startChild(script, args = [], { nodeArgs = [], cpu = null } = {}) {
  const command = cpu === null ? process.execPath : TASKSET;
  const argv = [...nodeArgs, script, ...args];
  const fullArgs = cpu === null ? argv : ['-c', String(cpu), process.execPath, ...argv];
  const child = spawn(command, fullArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

/** The next message of `type` from `child`; rejects if the child exits first or `ms` passes. */
export function nextMessage(child, type, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${type} message from child ${child.pid} within ${ms} ms`)), ms);
    const onMessage = (message) => {
      if (message?.type === type) finish(null, message);
    };
    const onExit = (code, signal) => finish(new Error(`child ${child.pid} exited (${signal ?? code}) before sending ${type}`));
    function finish(error, message) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks the child to stop; kills it (by its pid) if it has not exited within `ms`. */
export async function stopChild(child, ms = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  if (child.connected) child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

/** Runs a command to completion with a deadline; returns { code, stdout, stderr, timedOut }. `onSpawn(child)` sees the process as it starts. */
export function run(command, args, { timeoutMs, onSpawn }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + error.message, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * Warns when packages/http1/dist is older than its sources: the benchmarks import the built JS,
 * so a stale build would measure old code.
 */
export function warnIfStaleBuild(prefix) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const built = join(root, 'packages/http1/dist/index.js');
  if (!existsSync(built)) return;
  const builtAt = statSync(built).mtimeMs;
  const srcDir = join(root, 'packages/http1/src');
  const newer = readdirSync(srcDir, { recursive: true }).filter((name) => {
    const stat = statSync(join(srcDir, name));
    return stat.isFile() && stat.mtimeMs > builtAt;
  });
  if (newer.length > 0) {
    console.log(`${prefix}: WARNING packages/http1/dist is older than ${newer.join(', ')}; rebuild with node scripts/build.mjs --no-types`);
  }
}
