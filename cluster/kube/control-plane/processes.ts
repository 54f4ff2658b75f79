/**
 * The control plane's processes: started detached in process groups of their own, tagged with
 * NBGRADER_E2E_STACK=<run id>, logging to their own files, and recorded in `<run dir>/pids` so that
 * another process (a teardown project, `npm run down`, a Ctrl-C handler) can stop them.
 *
 * `spawnDetached` is the only place that starts a process; the project will route it through the
 * shared cluster/processes.ts, whose StartSpec has the same shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../errors.js';
import { redact } from '../../redact.js';

/** The environment variable that marks a process as part of a run's stack (cluster/processes.ts uses the same). */
export const STACK_TAG = 'NBGRADER_E2E_STACK';

export interface SpawnSpec {
  /** Component name, for errors and the pid file: "etcd", "kube-apiserver". */
  name: string;
  command: string;
  args: string[];
  /** Added to this process's environment, with the stack tag. */
  env: Record<string, string>;
  cwd: string;
  /** stdout and stderr both go here (appended). */
  logFile: string;
  /** The run id the process is tagged with. */
  runId: string;
  /** The run's pid file; one line `<name> <pid>` is appended. */
  pidFile: string;
}

export interface SpawnedProcess {
  name: string;
  pid: number;
  logFile: string;
}

/**
 * Start `spec` detached (its own process group, so that stopping it stops whatever it started),
 * with real file descriptors for its output rather than pipes through this process, so it keeps
 * logging after the Playwright worker that started it has gone. Records it in the pid file
 * before returning.
 */
export function spawnDetached(spec: SpawnSpec): SpawnedProcess {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const out = fs.openSync(spec.logFile, 'a');
  if (path.isAbsolute(spec.command) && !fs.existsSync(spec.command)) {
    fs.closeSync(out);
    throw new HarnessError(spec.name, `cannot start: ${spec.command} does not exist`);
  }
  let pid: number | undefined;
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...baseEnv(), ...spec.env, [STACK_TAG]: spec.runId },
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.on('error', () => undefined); // reported below through the missing pid, or by the readiness wait
    child.unref();
    pid = child.pid;
  } finally {
    fs.closeSync(out);
  }
  if (pid === undefined) {
    throw new HarnessError(spec.name, `could not start ${spec.command}`);
  }
  fs.appendFileSync(spec.pidFile, `${spec.name} ${pid}\n`);
  return { name: spec.name, pid, logFile: spec.logFile };
}

/**
 * What a control-plane process inherits from this one: enough to run (PATH, HOME, locale), not the
 * harness's own settings (KUBECONFIG, E2E_*), which would make a component talk to another cluster.
 */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
}

/** Alive and not a zombie. */
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

/** A file's text, or '' when it cannot be read (a process gone, a pid file not written yet). */
function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The `<name> <pid>` lines of a pid file. */
export function readPidFile(pidFile: string): { name: string; pid: number }[] {
  return readOrEmpty(pidFile)
    .split('\n')
    .map((line) => /^(\S+) (\d+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], pid: Number(m[2]) }));
}

/** True when /proc says the process carries `NBGRADER_E2E_STACK=<runId>`. */
export function isTagged(pid: number, runId: string): boolean {
  try {
    return `${fs.readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(`${STACK_TAG}=${runId}\0`);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Every live process tagged with the run id (also what the recorded processes started: kwok's exec'd commands). */
export function findTaggedProcesses(runId: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid !== process.pid && isTagged(pid, runId) && isAlive(pid)) pids.push(pid);
  }
  return pids;
}

function signalGroupOrPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the group: a process and what it started
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops the run's processes: those in the pid file that still carry the run's tag (a pid may have
 * been reused by an unrelated process since), stage by stage in `order` (names from the pid file;
 * clients before the API server, the API server before etcd, so nothing logs about a dead
 * backend), then any other tagged process found in /proc. Each stage: SIGTERM to each process
 * group, SIGKILL to what is left after `graceMs`. Returns the pids that survived (none, normally).
 */
export async function stopRunProcesses(runId: string, pidFile: string, order: string[][] = [], graceMs = 5_000): Promise<number[]> {
  const recorded = readPidFile(pidFile).filter((p) => isTagged(p.pid, runId));
  const staged = new Set(order.flat());
  const stages = [
    // Unnamed first: whatever the clients started (kwok's exec'd commands) and unknown names.
    [...recorded.filter((p) => !staged.has(p.name)).map((p) => p.pid), ...findTaggedProcesses(runId).filter((pid) => !recorded.some((p) => p.pid === pid))],
    ...order.map((names) => recorded.filter((p) => names.includes(p.name)).map((p) => p.pid)),
  ];
  for (const pids of stages) await stopGroups(pids, graceMs);
  // Anything tagged that appeared meanwhile.
  await stopGroups(findTaggedProcesses(runId), graceMs);
  return [...new Set([...recorded.map((p) => p.pid), ...findTaggedProcesses(runId)])].filter(isAlive);
}

async function stopGroups(pids: number[], graceMs: number): Promise<void> {
  const targets = [...new Set(pids)].filter(isAlive);
  if (targets.length === 0) return;
  for (const pid of targets) signalGroupOrPid(pid, 'SIGTERM');
  const alive = () => targets.filter(isAlive);
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  for (const pid of alive()) signalGroupOrPid(pid, 'SIGKILL');
  const killDeadline = Date.now() + 3_000;
  while (alive().length > 0 && Date.now() < killDeadline) await sleep(50);
}

/** The last lines of a log file, redacted, for error messages. */
export function logTail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return redact(text.trimEnd().split('\n').slice(-lines).join('\n'));
  } catch {
    return '(no log)';
  }
}

/** A failFast probe for waits: throws, with the log tail, when the process has exited. */
export function exitedProbe(proc: SpawnedProcess): () => void {
  return () => {
    if (!isAlive(proc.pid)) {
      throw new HarnessError(proc.name, `exited while starting; log ${proc.logFile}`, logTail(proc.logFile));
    }
  };
}

/** True when the log says the process could not bind its port (another program took it first). */
export function logSaysAddressInUse(file: string): boolean {
  return /address already in use|bind: address already in use/i.test(logTail(file, 60));
}

/** TCP ports in LISTEN state on this machine (IPv4 and IPv6), from /proc/net. */
export function listeningPorts(): number[] {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOrEmpty(file).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return [...ports];
}

export interface ListeningSocket {
  pid: number;
  /** Dotted IPv4, or the IPv6 address as /proc shows it (32 hex digits). */
  address: string;
  port: number;
}

/**
 * The TCP sockets in LISTEN state that the given processes hold (from /proc/<pid>/fd and
 * /proc/net/tcp{,6}): for checking that a control plane listens on 127.0.0.1 only.
 */
export function listeningSockets(pids: number[]): ListeningSocket[] {
  const inodes = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) inodes.set(inode, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOrEmpty(file).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A' || !inodes.has(cols[9])) continue;
      const [hexAddr, hexPort] = cols[1].split(':') as [string, string];
      const address =
        hexAddr.length === 8
          ? hexAddr
              .match(/../g)!
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : hexAddr;
      sockets.push({ pid: inodes.get(cols[9])!, address, port: parseInt(hexPort, 16) });
    }
  }
  return sockets;
}
