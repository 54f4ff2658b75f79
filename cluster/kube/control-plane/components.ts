/**
 * The control plane's processes, one per component. They are started the harness's one way
 * (cluster/processes.ts: detached, in a process group of their own, tagged NBGRADER_E2E_STACK=<run
 * id>, logging to their own files) and recorded in `<control-plane dir>/pids`, so that another
 * process (a teardown, `npm run down`, a Ctrl-C handler) can stop them: clients before the API
 * server, the API server before etcd, then anything else tagged with the run (kwok's exec'd
 * commands). What listens on which port is read from /proc, to check that nothing is left.
 */
import fs from 'node:fs';
import { baseEnv, belongsToRun, findRunProcesses, isAlive, logTail, spawnDetached, stopProcesses, type StartedProcess } from '../../processes.js';

export interface ComponentSpec {
  /** Component name, for errors and the pid file: "etcd", "kube-apiserver". */
  name: string;
  command: string;
  args: string[];
  /** Added to the harness's base environment (PATH, HOME, locale; never KUBECONFIG or E2E_*). */
  env: Record<string, string>;
  cwd: string;
  /** stdout and stderr both go here (appended). */
  logFile: string;
  /** The run id the process is tagged with. */
  runId: string;
  /** The control plane's pid file; one line `<name> <pid>` is appended. */
  pidFile: string;
}

/** Starts a component and records it in the pid file before returning. */
export function startComponent(spec: ComponentSpec): StartedProcess {
  const started = spawnDetached({ ...spec, env: { ...baseEnv(), ...spec.env } }, spec.runId);
  fs.appendFileSync(spec.pidFile, `${spec.name} ${started.pid}\n`);
  return started;
}

/** The `<name> <pid>` lines of a pid file. */
export function readPidFile(pidFile: string): { name: string; pid: number }[] {
  return readOrEmpty(pidFile)
    .split('\n')
    .map((line) => /^(\S+) (\d+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], pid: Number(m[2]) }));
}

/**
 * Stops the run's processes: those in the pid file that still carry the run's tag (a pid may have
 * been reused by an unrelated process since), stage by stage in `order` (names from the pid file),
 * after whatever else is tagged with the run (kwok's exec'd commands). Each stage: SIGTERM to each
 * process group, SIGKILL to what is left after `graceMs`. Returns the pids that survived (none,
 * normally).
 */
export async function stopComponents(runId: string, pidFile: string, order: string[][] = [], graceMs = 5_000): Promise<number[]> {
  const recorded = readPidFile(pidFile).filter((p) => belongsToRun(p.pid, runId));
  const staged = new Set(order.flat());
  const stages = [
    [...recorded.filter((p) => !staged.has(p.name)).map((p) => p.pid), ...findRunProcesses(runId).filter((pid) => !recorded.some((p) => p.pid === pid))],
    ...order.map((names) => recorded.filter((p) => names.includes(p.name)).map((p) => p.pid)),
  ];
  for (const pids of stages) await stopProcesses([...new Set(pids)].filter(isAlive), { group: true, graceMs });
  // Anything tagged that appeared meanwhile, and what a group signal did not reach.
  await stopProcesses(findRunProcesses(runId), { group: false, graceMs });
  return [...new Set([...recorded.map((p) => p.pid), ...findRunProcesses(runId)])].filter(isAlive);
}

/** True when the log says the process could not bind its port (another program took it first). */
export function logSaysAddressInUse(file: string): boolean {
  return /address already in use/i.test(logTail(file, 60));
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
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
