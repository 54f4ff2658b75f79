/**
 * One phase of a rush: N clients released at once by a barrier, each bounded. The clients run in
 * rush_clients.py (read its header): a Python process of the user environment imports nbgrader
 * once, forks one process per student with that student's own environment (JUPYTERHUB_USER, the
 * student's token, a HOME of its own), waits until every one of them blocks at the barrier, and on
 * "go" lets them all run nbgrader's console-script entry point at once.
 *
 * The driver here starts that process in a process group of its own (so an interruption kills
 * every client with one signal), hands it the job on stdin (the tokens never touch a command line
 * or a file), reads its results and bounds it as a whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../../cluster/errors.js';
import { redact } from '../../cluster/redact.js';

export const clientsScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rush_clients.py');

export interface ClientSpec {
  name: string;
  /** The client's whole environment (nothing else is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** Its stdout and stderr go here. */
  log: string;
}

export interface ClientJob {
  /** The Python that runs rush_clients.py and the clients (the user environment's). */
  python: string;
  /** A console script's target, "module:function". */
  entry: string;
  /** sys.argv[0] of each client, as the console script would have it. */
  argv0: string;
  args: string[];
  /** Imported once before forking. */
  preload: string[];
  /** Modules that must not be preloaded: each client imports them after its environment is set. */
  importedByEachClient: string[];
  /** Each client is killed this long after the barrier and counted as a timeout. */
  boundMs: number;
  /** How long the clients may take to reach the barrier. */
  readyTimeoutMs: number;
  clients: ClientSpec[];
  /** Run the clients on these cores only (taskset -c), when given. */
  cpus?: number[];
  /** The environment of the forking process itself (PATH, the run's tag, …). */
  serverEnv: Record<string, string>;
  /** Called the moment the barrier goes down. */
  onGo?: () => void;
}

export interface ClientResult {
  name: string;
  pid?: number;
  /** When it left the barrier (its own clock), ms since the epoch. */
  startedMs?: number;
  /** When its entry point returned; undefined when it was killed. */
  endedMs?: number;
  exitCode?: number;
  signal?: number;
  timedOut: boolean;
  /** Its own CPU time, user + system. */
  cpuSeconds?: number;
  /** Peak resident memory (shared pages of the forking process included). */
  maxRssKb?: number;
  /** Memory of its own (private pages) and its proportional share, at its end. */
  ussKb?: number;
  pssKb?: number;
  /** Its stdout and stderr (redacted). */
  output: string;
  /** It never reached the barrier (it died first, or the wait for readiness ran out). */
  neverStarted?: boolean;
}

export interface PhaseRun {
  /** When the driver sent "go". */
  goAtMs: number;
  /** When the last client ended or was killed. */
  endedAtMs: number;
  /** How long the clients took to reach the barrier (fork, environment, imports already done). */
  readyMs: number;
  preloadSeconds: number;
  serverRssKb: number;
  results: ClientResult[];
}

interface Ready {
  event: 'ready';
  clients: Record<string, number>;
  preloadSeconds: number;
  serverRssKb: number;
}
interface Result {
  event: 'result';
  name: string;
  pid: number;
  started: number | null;
  ended: number | null;
  exitCode: number | null;
  signal: number | null;
  timedOut: boolean;
  cpuSeconds: number;
  maxRssKb: number;
  ussKb: number | null;
  pssKb: number | null;
}
type ServerEvent = Ready | Result | { event: 'done' };

/** The forking processes alive now, for an interruption to kill (each is a process group). */
const live = new Set<number>();

/** Kills every client of every phase still running (Ctrl-C); returns how many groups it signalled. */
export function killLiveClients(): number {
  const n = live.size;
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  live.clear();
  return n;
}

function readLog(file: string): string {
  try {
    return redact(fs.readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}

/** Runs one phase: every client at the barrier, then all at once, each bounded. */
export async function runClients(job: ClientJob): Promise<PhaseRun> {
  for (const c of job.clients) fs.mkdirSync(path.dirname(c.log), { recursive: true });
  const argv = [job.python, clientsScript];
  const [command, ...args] = job.cpus?.length ? ['taskset', '-c', job.cpus.join(','), ...argv] : argv;
  const child: ChildProcessWithoutNullStreams = spawn(command, args, {
    env: job.serverEnv,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new HarnessError('rush', `could not start ${command}`);
  live.add(child.pid);
  const pgid = child.pid;
  const events: ServerEvent[] = [];
  let stderr = '';
  let pendingLine = '';
  let onEvent: (() => void) | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    pendingLine += chunk.toString();
    let nl: number;
    while ((nl = pendingLine.indexOf('\n')) !== -1) {
      const line = pendingLine.slice(0, nl);
      pendingLine = pendingLine.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as ServerEvent);
    }
    onEvent?.();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code) => {
      exited = true;
      onEvent?.();
      resolve(code);
    });
  });
  child.stdin.on('error', () => undefined); // a server that died is reported below, with its stderr

  /** Resolves with the first event that matches, or fails when the server exits or the bound passes. */
  const next = <E extends ServerEvent>(match: (e: ServerEvent) => e is E, boundMs: number, what: string): Promise<E> =>
    new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => finish(new HarnessError('rush', `${what}: no answer after ${Math.round(boundMs / 1000)} s`, stderr.trim())), boundMs);
      const finish = (err?: Error, value?: E) => {
        clearTimeout(timer);
        onEvent = undefined;
        if (err) reject(err);
        else resolve(value!);
      };
      onEvent = () => {
        const found = events.find(match);
        if (found) finish(undefined, found);
        else if (exited) finish(new HarnessError('rush', `${what}: the clients' process exited`, stderr.trim()));
      };
      onEvent();
    });

  try {
    const spawnedAt = Date.now();
    child.stdin.write(
      `${JSON.stringify({
        entry: job.entry,
        argv0: job.argv0,
        args: job.args,
        preload: job.preload,
        importedByEachClient: job.importedByEachClient,
        boundSeconds: job.boundMs / 1000,
        readySeconds: job.readyTimeoutMs / 1000,
        clients: job.clients,
      })}\n`,
    );
    const ready = await next((e): e is Ready => e.event === 'ready', job.readyTimeoutMs + 30_000, `${job.clients.length} clients reaching the barrier`);
    const readyMs = Date.now() - spawnedAt;
    const goAtMs = Date.now();
    child.stdin.write('go\n');
    job.onGo?.();
    await next((e): e is { event: 'done' } => e.event === 'done', job.boundMs + 60_000, `${job.clients.length} clients after the barrier`);
    const endedAtMs = Date.now();
    const byName = new Map(events.filter((e): e is Result => e.event === 'result').map((r) => [r.name, r]));
    const results = job.clients.map((c): ClientResult => {
      const r = byName.get(c.name);
      const output = readLog(c.log);
      if (!r) return { name: c.name, timedOut: false, output, neverStarted: true };
      return {
        name: c.name,
        pid: r.pid,
        startedMs: r.started === null ? undefined : r.started * 1000,
        endedMs: r.ended === null ? undefined : r.ended * 1000,
        exitCode: r.exitCode ?? undefined,
        signal: r.signal ?? undefined,
        timedOut: r.timedOut,
        cpuSeconds: r.cpuSeconds,
        maxRssKb: r.maxRssKb,
        ussKb: r.ussKb ?? undefined,
        pssKb: r.pssKb ?? undefined,
        output,
        neverStarted: r.started === null && !r.timedOut,
      };
    });
    await exit;
    return { goAtMs, endedAtMs, readyMs, preloadSeconds: ready.preloadSeconds, serverRssKb: ready.serverRssKb, results };
  } finally {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // ended by itself
    }
    live.delete(pgid);
  }
}
