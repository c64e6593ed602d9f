// Reading processes and the machine from /proc (Linux), for the benchmarks: a process's resident
// memory (VmRSS) and CPU time, the machine's CPU time, and this process's open-file limit. Every
// reader answers NaN (or the documented fallback) where /proc is missing, instead of throwing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks = 0;
/** Clock ticks per second, the unit of /proc's CPU times (`getconf CLK_TCK`; 100 if unknown). */
export function clockTicks() {
  if (ticks === 0) {
    try {
      ticks =
        Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'latin1', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()) ||
        100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Resident memory of process `pid` in bytes (VmRSS from /proc/<pid>/status), NaN without /proc. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? NaN : Number(match[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** CPU seconds of process `pid` ('self' for this one): its own, and its reaped children's. NaN without /proc. */
export function cpuSeconds(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const at = (n) => Number(fields[n - 3]);
    return { own: (at(14) + at(15)) / clockTicks(), children: (at(16) + at(17)) / clockTicks() };
  } catch {
    return { own: NaN, children: NaN };
  }
}

/** The machine's CPU time so far in clock ticks, every CPU: the fields of /proc/stat's `cpu` line (user, nice, system, idle, iowait, irq, softirq, steal, ...), or null. */
export function machineTicks() {
  try {
    return readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return null;
  }
}

/** CPU seconds of the whole machine so far (every CPU; /proc/stat): busy and idle. NaN without /proc. */
export function machineCpu() {
  const fields = machineTicks();
  if (fields === null) return { busy: NaN, idle: NaN };
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: (user + nice + system + irq + softirq + steal) / clockTicks(), idle: (idle + iowait) / clockTicks() };
}

/**
 * This process's open-file limits (/proc/self/limits, `Max open files`): { soft, hard }, each a
 * number or Infinity for 'unlimited'; both Infinity when unknown. Children inherit them.
 */
export function openFileLimits() {
  try {
    const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'latin1'));
    const limit = (text) => (text === 'unlimited' ? Infinity : Number(text));
    return match === null ? { soft: Infinity, hard: Infinity } : { soft: limit(match[1]), hard: limit(match[2]) };
  } catch {
    return { soft: Infinity, hard: Infinity };
  }
}
