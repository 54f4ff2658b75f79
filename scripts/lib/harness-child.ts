/**
 * One harness script (`npm run e2e`, `npm run up`, …) as a child process: for the harness's own
 * tests (faults, redaction) and for bench and soak. The child gets a run id chosen here, so its
 * directories are known before it starts; its output is kept (and written to a log file if asked);
 * its wall time is measured from spawn to exit. With `ownGroup` it runs in a process group of its
 * own, and a Ctrl-C or SIGTERM of this process reaches it once, forwarded, as a terminal's would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { newRunId } from '../../cluster/run/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HarnessChildOptions {
  /** The script under scripts/ (default e2e). */
  script?: string;
  args?: string[];
  /** Added to this process's environment; E2E_RUN_ID is set to the child's run id. */
  env?: Record<string, string>;
  /** Also write the output to this file. */
  logFile?: string;
  /** Killed (its whole group) past this; default 10 min. */
  timeoutMs?: number;
  /** A process group of its own, with this process's SIGINT/SIGTERM forwarded to it. */
  ownGroup?: boolean;
  /** The Node that runs it (default: this one; bench/first-signal.ts tries an older one). */
  node?: string;
  /** Called with each chunk of output as it arrives (to act when the child reaches a point). */
  onOutput?: (chunk: string, child: { pid: number }) => void;
}

export interface HarnessChild {
  runId: string;
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
  wallMs: number;
  timedOut: boolean;
}

/** Signals this process received while a child with `ownGroup` ran (bench and soak stop starting new ones). */
export const interrupts = { count: 0 };

/**
 * Scripts that take a run id only as a flag: `e2e` does not take one from an inherited E2E_RUN_ID
 * (a test's own must not leak into a run it starts), so it is given `--run-id`.
 */
const runIdByFlag = new Set(['e2e']);

export async function runHarnessChild(options: HarnessChildOptions = {}): Promise<HarnessChild> {
  const runId = newRunId();
  const name = options.script ?? 'e2e';
  const script = path.join(root, 'scripts', `${name}.ts`);
  const args = [...(runIdByFlag.has(name) ? ['--run-id', runId] : []), ...(options.args ?? [])];
  const log = options.logFile ? fs.createWriteStream(options.logFile) : undefined;
  if (options.logFile) fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const started = performance.now();
  // node --import tsx, not npx: one process less, and a signal reaches the script itself.
  const child = spawn(options.node ?? process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, ...options.env, E2E_RUN_ID: runId },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownGroup ?? false,
  });
  let output = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    log?.write(text);
    options.onOutput?.(text, { pid: child.pid! });
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(options.ownGroup ? -child.pid! : child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const forward = (signal: NodeJS.Signals) => {
    interrupts.count += 1;
    signalGroup(interrupts.count > 1 ? 'SIGKILL' : signal);
  };
  if (options.ownGroup) process.on('SIGINT', forward).on('SIGTERM', forward);
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      signalGroup('SIGKILL');
    },
    options.timeoutMs ?? 10 * 60_000,
  );
  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  clearTimeout(timer);
  if (options.ownGroup) process.off('SIGINT', forward).off('SIGTERM', forward);
  await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  return { runId, exitCode, output, wallMs: Math.round(performance.now() - started), timedOut };
}
