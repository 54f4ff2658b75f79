/**
 * One `npm run e2e` as a child process, for soak and bench: its own run id (so its output directory
 * is known), its output in a log file, its wall time measured from spawn to exit.
 *
 * The child gets a process group of its own, so a Ctrl-C reaches it once, forwarded from here,
 * exactly as a Ctrl-C in a terminal would: the e2e wrapper then stops the run and removes its stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { newRunId } from '../cluster/run/index.js';

export interface E2eChild {
  runId: string;
  exitCode: number;
  wallMs: number;
  log: string;
}

export interface E2eChildOptions {
  /** The log file of the child's stdout and stderr. */
  log: string;
  /** Extra environment (E2E_CACHE_DIR for a cold run). */
  env?: Record<string, string>;
  /** Extra flags for `npm run e2e`. */
  args?: string[];
  cwd?: string;
}

/** Signals received while a child runs; the caller decides whether to start another. */
export const interrupts = { count: 0 };

export async function runE2eChild(options: E2eChildOptions): Promise<E2eChild> {
  // newRunId is per second plus 16 random bits: two children in one second still differ.
  const runId = newRunId();
  fs.mkdirSync(path.dirname(options.log), { recursive: true });
  const out = fs.openSync(options.log, 'w');
  const started = performance.now();
  const child = spawn('npm', ['run', '--silent', 'e2e', '--', '--run-id', runId, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  const forward = (signal: NodeJS.Signals) => {
    interrupts.count += 1;
    try {
      process.kill(-child.pid!, interrupts.count > 1 ? 'SIGKILL' : signal);
    } catch {
      // already gone
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return { runId, exitCode, wallMs: Math.round(performance.now() - started), log: options.log };
}
