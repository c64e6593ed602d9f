// Counting another process's write syscalls, two ways (Linux):
//
//   procWrites(pid)      the kernel's running count of write-type syscalls (write, writev, pwrite,
//                        sendfile; any fd) from /proc/<pid>/io `syscw`. Free: read it before and after
//                        a run. null where /proc/<pid>/io is missing or unreadable.
//   traceSyscalls(...)   `strace -c -f -e trace=... -p <pid>` attached for a while; on SIGINT strace
//                        detaches and prints a table whose `calls` column gives the count per syscall.
//                        Every syscall of every thread then stops for ptrace, so the traced process
//                        runs several times slower: a traced run gives counts, not speed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { run } from './children.mjs';

/** Write-type syscalls made so far by process `pid`, or null. */
export function procWrites(pid) {
  try {
    const match = /^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** Path of strace, or '' when it is not installed. */
export async function findStrace() {
  return (await run('sh', ['-c', 'command -v strace'], { timeoutMs: 2000 })).stdout.trim();
}

/**
 * Attaches strace to every thread of `pid`, counting the syscalls in `names`. Resolves once strace
 * says it is attached to `{ stop }`, where `stop()` detaches and resolves to `{ counts }` (calls per
 * syscall name, errors included); either resolves to `{ error }` instead when strace cannot attach
 * (ptrace not permitted, no such process) or gives no table.
 */
export function traceSyscalls(stracePath, pid, names, { attachMs = 5000, detachMs = 10_000 } = {}) {
  const tracer = spawn(stracePath, ['-c', '-f', '-e', `trace=${names.join(',')}`, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise((resolve) => {
    tracer.once('error', (error) => resolve({ code: -1, error }));
    tracer.once('close', (code, signal) => resolve({ code, signal }));
  });
  tracer.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  const lastLine = () => stderr.trim().split('\n').pop() ?? '';

  async function stop() {
    if (tracer.exitCode === null && tracer.signalCode === null) tracer.kill('SIGINT');
    const timer = setTimeout(() => tracer.kill('SIGKILL'), detachMs);
    await exited;
    clearTimeout(timer);
    const counts = parseSummary(stderr);
    if (counts !== null) return { counts };
    // strace prints no table at all when none of the traced syscalls happened.
    return /Process \d+ detached/.test(stderr) ? { counts: {} } : { error: `strace printed no summary (${lastLine() || 'no output'})` };
  }

  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (/Process \d+ attached/.test(stderr)) finish({ stop });
    }, 20);
    const deadline = setTimeout(() => {
      tracer.kill('SIGKILL');
      finish({ error: `strace did not attach within ${attachMs} ms (${lastLine() || 'no output'})` });
    }, attachMs);
    exited.then(({ code, signal, error }) =>
      finish({ error: error?.message ?? `strace exited (${signal ?? code}): ${lastLine() || 'no output'}` }),
    );
    let done = false;
    function finish(value) {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(value);
    }
  });
}

/**
 * Calls per syscall from strace -c's table, e.g.
 *   % time     seconds  usecs/call     calls    errors syscall
 *    99.98    0.413702           7     56390        11 writev
 * null when there is no table.
 */
export function parseSummary(text) {
  if (!/^% time\s+seconds\s+usecs\/call\s+calls/m.test(text)) return null;
  const counts = {};
  for (const match of text.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/gm)) {
    if (match[2] !== 'total') counts[match[2]] = Number(match[1]);
  }
  return counts;
}
