/**
 * What processes and the machine use, read from /proc (Linux): a process's CPU time and resident
 * memory, each core's busy time, the memory still available. Readers only; nothing here starts,
 * stops or changes a process. Used by the local stack's ResourceReport and by the deadline rush's
 * sampler, which turns two readings into a CPU percentage.
 */
import fs from 'node:fs';

/**
 * Clock ticks per second of /proc's CPU times (USER_HZ). The kernel reports these in 1/100 s on
 * every architecture Linux runs Node on, whatever its internal HZ.
 */
export const clockTicksPerSecond = 100;

export interface ProcessUsage {
  pid: number;
  /** CPU time (user + system) used since it started, in seconds. */
  cpuSeconds: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
  /**
   * Time it was ready to run but waited for a core (its run-queue delay, /proc/<pid>/schedstat), in
   * seconds since it started; undefined where the kernel does not keep it. More waiting than running
   * means the process was starved by others, not busy itself.
   */
  waitSeconds?: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
export function parseStat(stat: string): { utimeTicks: number; stimeTicks: number; state: string } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the file, utime 14 and stime 15 (1-based).
  return { state: fields[0], utimeTicks: Number(fields[11]), stimeTicks: Number(fields[12]) };
}

/** A process's CPU time and resident memory; undefined when it is gone (or a zombie). */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    const stat = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (stat.state === 'Z') return undefined;
    const rssKb = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return {
      pid,
      cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / clockTicksPerSecond,
      rssBytes: Number(rssKb ?? 0) * 1024,
      waitSeconds: runQueueWaitSeconds(pid),
    };
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/schedstat: "<ns on a cpu> <ns waiting on a run queue> <timeslices>"; undefined without schedstats. */
export function parseSchedstat(text: string): number | undefined {
  const waited = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(waited) ? waited / 1e9 : undefined;
}

function runQueueWaitSeconds(pid: number): number | undefined {
  try {
    return parseSchedstat(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Busy and total time of one core, in ticks since boot. */
export interface CoreTicks {
  core: number;
  busy: number;
  total: number;
}

/** Each core's ticks from /proc/stat ("cpu0 user nice system idle iowait irq softirq steal …"). */
export function parseCoreTicks(procStat: string): CoreTicks[] {
  return procStat
    .split('\n')
    .flatMap((line) => {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) return [];
      const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = m[2].trim().split(/\s+/).map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      return [{ core: Number(m[1]), busy, total: busy + idle + iowait }];
    })
    .sort((a, b) => a.core - b.core);
}

export function coreTicks(): CoreTicks[] {
  return parseCoreTicks(fs.readFileSync('/proc/stat', 'utf8'));
}

/** The share of each core that was busy between two readings, 0 to 1. */
export function coreBusy(before: CoreTicks[], after: CoreTicks[]): number[] {
  return after.map((a) => {
    const b = before.find((x) => x.core === a.core);
    const total = b ? a.total - b.total : 0;
    return b && total > 0 ? Math.min(1, Math.max(0, (a.busy - b.busy) / total)) : 0;
  });
}

/** MemAvailable of /proc/meminfo: what can be used without swapping, in bytes. */
export function memAvailableBytes(): number {
  const kb = /^MemAvailable:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}
