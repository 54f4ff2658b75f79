/**
 * Where one Playwright invocation of a run writes its results, so that every report covers exactly
 * one invocation:
 *
 *   e2e-output/<run-id>/              the run's own: the invocation that finds no stack up and no
 *                                     results there yet (normally the one that brings the stack up)
 *   e2e-output/<run-id>/reruns/<n>/   every later one: a rerun against the kept stack (`--no-deps`),
 *                                     numbered 1, 2, … in the order they start
 *
 * Each directory gets an invocation.json (when, which command); it is also what claims it. The
 * choice is made once per invocation, by the first process that asks (scripts/playwright-run.ts,
 * else playwright.config.ts in Playwright's runner), and handed to every process after it in
 * E2E_RUN_OUTPUT: Playwright evaluates its config again in every worker, and a worker must not
 * make a rerun of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HarnessConfig } from '../config.js';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { makeWritableDir, pointLatest } from './run-dirs.js';
import { StackStore } from './stack-store.js';

export const rerunsDirName = 'reruns';
const marker = 'invocation.json';
/** Files a run's output held before invocation.json existed: results there mean it is taken. */
const earlierResults = ['summary.json', 'playwright-results.json', 'junit.xml'];

/** `value` if it names an output of run `runId` (`<run-id>` or `<run-id>/reruns/<n>`), else undefined. */
export function ownOutput(value: string | undefined, runId: string): string | undefined {
  if (!value) return undefined;
  const parts = value.split('/');
  if (parts[0] !== runId) return undefined;
  if (parts.length === 1) return value;
  return parts.length === 3 && parts[1] === rerunsDirName && /^[1-9]\d*$/.test(parts[2]) ? value : undefined;
}

/** The rerun number of an output (`<run-id>/reruns/3` → 3); undefined for the run's own. */
export function rerunOf(output: string): number | undefined {
  const m = new RegExp(`/${rerunsDirName}/(\\d+)$`).exec(output);
  return m ? Number(m[1]) : undefined;
}

export interface InvocationRecord {
  runId: string;
  /** undefined for the run's own output. */
  rerun?: number;
  startedAt: string;
  /** The command that started the invocation, as far as this process knows it. */
  command: string;
}

function record(runId: string, rerun: number | undefined, argv: string[]): string {
  const command = argv.map((a, i) => (i < 2 ? path.basename(a) : a)).join(' ');
  const body: InvocationRecord = { runId, ...(rerun ? { rerun } : {}), startedAt: new Date().toISOString(), command: redact(command) };
  return `${JSON.stringify(body, null, 2)}\n`;
}

function claimFile(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new HarnessError('run', `cannot write ${file}: ${(err as Error).message}`);
  }
}

/** The numbers of the reruns there are, ascending. */
export function listReruns(runOutputDir: string): number[] {
  const dir = path.join(runOutputDir, rerunsDirName);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^[1-9]\d*$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * This invocation's output for run `runId`, relative to the output root: the one handed down
 * (E2E_RUN_OUTPUT) when it is this run's, else a new one, claimed here (its directory made).
 */
export function claimRunOutput(config: HarnessConfig, runId: string, argv: string[] = process.argv): string {
  const given = ownOutput(config.runOutput, runId);
  if (given) return given;
  const root = path.join(config.outputDir, runId);
  makeWritableDir(root, 'run');
  const stackUp = new StackStore(path.join(config.stateDir, 'runs', runId), runId).exists();
  const taken = earlierResults.some((f) => fs.existsSync(path.join(root, f)));
  if (!stackUp && !taken && claimFile(path.join(root, marker), record(runId, undefined, argv))) {
    pointLatest(config.outputDir, runId);
    return runId;
  }
  const reruns = path.join(root, rerunsDirName);
  makeWritableDir(reruns, 'run');
  // mkdir is the claim: two reruns starting at once get different numbers.
  for (let n = (listReruns(root).at(-1) ?? 0) + 1; ; n++) {
    try {
      fs.mkdirSync(path.join(reruns, String(n)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new HarnessError('run', `cannot make ${path.join(reruns, String(n))}: ${(err as Error).message}`);
    }
    claimFile(path.join(reruns, String(n), marker), record(runId, n, argv));
    const output = `${runId}/${rerunsDirName}/${n}`;
    pointLatest(config.outputDir, output);
    return output;
  }
}
