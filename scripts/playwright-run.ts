/**
 * Runs Playwright for one harness run and makes sure nothing of it survives by accident: Ctrl-C,
 * SIGTERM or a crashed runner end with the run's stack removed (unless --keep), and the last line
 * printed is the plain `N passed, N failed, N skipped` that CI reads: the totals the console
 * reporter counted (reporters/tally.ts: tests, not the platform's setup and teardown), which it
 * prints before, with the table of steps.
 *
 * The invocation's output directory is chosen here, before Playwright starts (the run's own, or
 * reruns/<n> against a kept stack), and handed to Playwright in E2E_RUN_OUTPUT.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';
import { readConfig } from '../cluster/config.js';
import { HarnessError } from '../cluster/errors.js';
import { claimRunOutput, openRun, findRun, newRunId, rerunOf } from '../cluster/run/index.js';
import { tearDown } from '../cluster/lifecycle.js';
import { findRunProcesses } from '../cluster/processes.js';
import { describeKeptRun } from './lib/harness-options.js';
import { formatTotals, readTotals } from '../reporters/tally.js';

const playwrightCli = createRequire(import.meta.url).resolve('@playwright/test/cli');

export interface PlaywrightRun {
  projects: string[];
  env: Record<string, string>;
  passthrough?: string[];
  /** Printed first, once the run's directories exist (the versions the run uses). */
  banner?: () => Promise<string>;
  /**
   * Work that runs beside Playwright (npm test's static checks). When it settles with failures, the
   * run is stopped as Ctrl-C stops it; either way its failures are printed and counted before the last line.
   */
  beside?: Promise<BesideResult>;
}

export interface BesideResult {
  failed: number;
  /** Printed before the totals when something failed. */
  report: string;
}

export async function runPlaywright({ projects, env, passthrough = [], banner, beside }: PlaywrightRun): Promise<number> {
  const runId = env.E2E_RUN_ID || newRunId();
  Object.assign(process.env, env, { E2E_RUN_ID: runId });
  let config = readConfig();
  // The run's directories first: an unwritable place fails here, in a second, before Playwright
  // starts, with its reason and the totals, and nothing else (no run to point at: it has no output).
  try {
    process.env.E2E_RUN_OUTPUT = claimRunOutput(config, runId);
    config = readConfig();
    openRun(config, runId);
  } catch (err) {
    if (!(err instanceof HarnessError)) throw err;
    console.error(err.message);
    console.log(formatTotals({ passed: 0, failed: 1, skipped: 0 }));
    return 1;
  }
  // The run's header first, the moment there is a run (the versions banner may take a while to resolve).
  const rerun = rerunOf(config.runOutput!);
  const outputDir = path.join(config.outputDir, config.runOutput!);
  process.stderr.write(`run ${runId}${rerun ? ` (rerun ${rerun})` : ''} on ${config.platform}; output in ${outputDir}\n`);
  if (banner) console.log(await banner());

  // Playwright's own CLI under this Node, not through npx: a second sooner, and a signal reaches it directly.
  const args = [playwrightCli, 'test', ...projects.map((p) => `--project=${p}`), ...passthrough];
  process.stderr.write(`starting Playwright: ${projects.join(', ')}\n`);
  const child = execa(process.execPath, args, { stdio: 'inherit', reject: false, env: process.env });
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted === 1) {
      process.stderr.write(`\n${signal}: stopping the run, then removing its stack (again to force)\n`);
      child.kill(signal);
    } else {
      child.kill('SIGKILL');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stoppedBeside = false;
  void beside?.then(({ failed }) => {
    if (!failed || child.exitCode !== null || interrupted) return;
    stoppedBeside = true;
    process.stderr.write(`\n${failed} static check(s) failed: stopping the run, then removing its stack\n`);
    child.kill('SIGINT');
  });
  const result = await child;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const run = findRun(config, runId);
  if (run) {
    // The teardown project normally did this; after Ctrl-C or a crash it may not have.
    const leftovers = run.ledger.list().length > 0 || findRunProcesses(runId).length > 0;
    if (config.keep && run.stack.exists()) {
      run.stack.markKept(true);
      console.log(describeKeptRun(run, run.stack.load()));
    } else if (leftovers) {
      process.stderr.write(`run ${runId}: removing what the run left behind\n`);
      await tearDown(run);
    }
  }
  const besideResult = beside ? await beside : undefined;
  if (besideResult?.failed) {
    console.error(besideResult.report);
    const counted = readTotals(outputDir) ?? { passed: 0, failed: 0, skipped: 0 };
    console.log(formatTotals({ ...counted, failed: counted.failed + besideResult.failed }));
    return interrupted && !stoppedBeside ? 130 : 1;
  }
  const totals = readTotals(outputDir);
  if (!totals) {
    process.stderr.write(`run ${runId}: Playwright ended (exit ${result.exitCode ?? result.signal}) before its reporter counted anything\n`);
    console.log(formatTotals({ passed: 0, failed: 1, skipped: 0 }));
  } else if (result.exitCode !== 0 && totals.failed === 0 && !interrupted) {
    // Never a clean count for a run that failed: say what the count missed.
    process.stderr.write(`run ${runId}: Playwright exited ${result.exitCode} although no test failed; counted as one failure\n`);
    console.log(formatTotals({ ...totals, failed: 1 }));
  } else {
    console.log(formatTotals(totals));
  }
  if (interrupted) return 130;
  return result.exitCode ?? 1;
}
