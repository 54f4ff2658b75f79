/**
 * Long-running processes a run starts (the local stack's proxy, hub and ngshare; a port-forward;
 * a control plane). Each is started detached in a process group of its own, so it outlives the
 * Playwright worker that started it and can be stopped as a group; each carries the run tag
 * (STACK_TAG=<run id>) in its environment, and so does everything it starts (user servers get it
 * through the hub's spawner environment), so teardown can find every process of a run by reading
 * /proc even after a crash lost the ledger. The tag is not E2E_RUN_ID, which the harness's own
 * processes carry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.js';
import { redact } from './redact.js';
import type { Ledger } from './run/index.js';

/** The environment variable that marks a process as part of a run's stack. */
export const STACK_TAG = 'NBGRADER_E2E_STACK';

export interface StartSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

export interface StartedProcess {
  name: string;
  pid: number;
  logFile: string;
}

/** Whose process it is: the run it is tagged with, and the ledger it is recorded in. */
export interface ProcessOwner {
  runId: string;
  ledger: Ledger;
}

/**
 * Start `spec` detached, in a process group of its own, tagged with `tag` (a run id), its output
 * going straight to its log file. Plain `spawn` rather than execa: a daemon must own real file
 * descriptors, not pipes through this process, so it keeps logging after the process that started
 * it has exited. The one way the harness starts a long-running process; the caller records it
 * (a run's ledger, a control plane's pid file).
 */
export function spawnDetached(spec: StartSpec, tag: string): StartedProcess {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  if (path.isAbsolute(spec.command) && !fs.existsSync(spec.command)) {
    throw new HarnessError(spec.name, `cannot start: ${spec.command} does not exist`);
  }
  const out = fs.openSync(spec.logFile, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...spec.env, [STACK_TAG]: tag },
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.on('error', () => undefined); // reported below through the missing pid, or by the readiness wait
    child.unref();
    pid = child.pid;
  } finally {
    fs.closeSync(out);
  }
  if (pid === undefined) throw new HarnessError(spec.name, `could not start ${spec.command}`);
  return { name: spec.name, pid, logFile: spec.logFile };
}

/** Start `spec` detached (spawnDetached) and record it in the run's ledger. */
export function startProcess(owner: ProcessOwner, spec: StartSpec): StartedProcess {
  const started = spawnDetached(spec, owner.runId);
  owner.ledger.record({ kind: 'process', name: spec.name, pid: started.pid, pgid: started.pid });
  return started;
}

/**
 * What a process of the stack inherits from the harness: enough to run (PATH, HOME, locale), not
 * the harness's own settings (KUBECONFIG, E2E_*), which would make it talk to another cluster.
 */
export function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
}

/** Alive and not a zombie. Works for processes started by another process of the run. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The last lines of a log file, redacted, for error messages. Lines about the harness's own API
 * calls (its polling while it waits) are left out: they would push out the lines that explain.
 */
export function logTail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const useful = text.split('\n').filter((l) => !l.includes('(e2e-harness@'));
    return redact(
      useful
        .slice(-lines - 1)
        .join('\n')
        .trimEnd(),
    );
  } catch {
    return '(no log)';
  }
}

/** What a log file gained after byte `offset` (a restarted service appends to the same file). */
export function logSince(file: string, offset: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function logSize(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

/** A failFast probe for waits: throws, with the log tail, when the process has exited. */
export function exitedProbe(proc: StartedProcess): () => void {
  return () => {
    if (!isAlive(proc.pid)) {
      throw new HarnessError(proc.name, `exited while starting; log ${proc.logFile}`, logTail(proc.logFile));
    }
  };
}

/** The environment of a running process, from /proc/<pid>/environ. */
export function readEnviron(pid: number): Record<string, string> {
  let raw: string;
  try {
    raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch (err) {
    throw new HarnessError('exec', `cannot read the environment of process ${pid}`, String(err));
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** True when the process carries the run's stack tag: the only processes teardown may touch. */
export function belongsToRun(pid: number, runId: string): boolean {
  try {
    return `${fs.readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(`${STACK_TAG}=${runId}\0`);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Every live process of the run. */
export function findRunProcesses(runId: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && pid !== process.ppid && belongsToRun(pid, runId) && isAlive(pid));
}

function signal(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stop processes politely, then firmly: SIGTERM to each group (or process), wait up to
 * `graceMs` for them to exit, then SIGKILL what is left. Returns the pids that needed SIGKILL.
 * SIGCONT follows the SIGTERM: a frozen (stopped) process acts on SIGTERM only once it runs again,
 * and would otherwise wait out the grace and be killed without closing its files.
 */
export async function stopProcesses(pids: number[], options: { group: boolean; graceMs: number }): Promise<number[]> {
  for (const pid of pids) {
    signal(pid, 'SIGTERM', options.group);
    signal(pid, 'SIGCONT', options.group);
  }
  const deadline = Date.now() + options.graceMs;
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(100);
  const stubborn = pids.filter(isAlive);
  for (const pid of stubborn) signal(pid, 'SIGKILL', options.group);
  return stubborn;
}

/**
 * Stop everything the run started: first the recorded process groups (hub, proxy, ngshare), then
 * any process still tagged with the run id (user servers, commands left running).
 */
export async function stopRunProcesses(owner: ProcessOwner, graceMs = 8_000): Promise<void> {
  // A recorded pid that now belongs to someone else (reused after a crash) is left alone.
  const groups = owner.ledger.list().flatMap((r) => (r.kind === 'process' ? [r.pgid] : []));
  await stopProcesses(
    groups.filter((pid) => isAlive(pid) && belongsToRun(pid, owner.runId)),
    { group: true, graceMs },
  );
  const tagged = findRunProcesses(owner.runId);
  if (tagged.length) await stopProcesses(tagged, { group: false, graceMs: 3_000 });
  owner.ledger.forget((r) => r.kind === 'process');
}
