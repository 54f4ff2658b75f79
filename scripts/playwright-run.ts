/**
 * Runs Playwright for one harness run and makes sure nothing of it survives by accident: Ctrl-C,
 * SIGTERM or a crashed runner end with the run's stack removed (unless --keep), and the last line
 * printed is the plain `N passed, N failed, N skipped` that CI reads. The table of steps comes
 * before it, from the console reporter (reporters/console-reporter.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { readConfig } from '../cluster/config.js';
import { HarnessError } from '../cluster/errors.js';
import { openRun, findRun, newRunId } from '../cluster/run/index.js';
import { tearDown } from '../cluster/lifecycle.js';
import { findRunProcesses } from '../cluster/processes.js';
import { describeKeptRun } from './lib/harness-options.js';

export interface PlaywrightRun {
  projects: string[];
  env: Record<string, string>;
  passthrough?: string[];
}

interface JsonStats {
  expected: number;
  unexpected: number;
  flaky: number;
  skipped: number;
}

export async function runPlaywright({ projects, env, passthrough = [] }: PlaywrightRun): Promise<number> {
  const runId = env.E2E_RUN_ID || newRunId();
  Object.assign(process.env, env, { E2E_RUN_ID: runId });
  const config = readConfig();
  process.stderr.write(`run ${runId} on ${config.platform}; output in ${path.join(config.outputDir, runId)}\n`);
  // The run's directories first: an unwritable place fails here, in a second, before Playwright starts.
  try {
    openRun(config, runId);
  } catch (err) {
    if (!(err instanceof HarnessError)) throw err;
    console.error(err.message);
    console.log('0 passed, 1 failed');
    return 1;
  }

  const args = ['playwright', 'test', ...projects.map((p) => `--project=${p}`), ...passthrough];
  const child = execa('npx', args, { stdio: 'inherit', reject: false, env: process.env });
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
  const stats = readStats(config.outputDir, runId);
  if (stats) {
    const failed = stats.unexpected + (result.exitCode !== 0 && stats.unexpected === 0 ? 1 : 0);
    console.log(`${stats.expected + stats.flaky} passed, ${failed} failed, ${stats.skipped} skipped`);
  } else {
    console.log(`0 passed, 1 failed`);
  }
  if (interrupted) return 130;
  return result.exitCode ?? 1;
}

function readStats(outputRoot: string, runId: string): JsonStats | undefined {
  const file = path.join(outputRoot, runId, 'playwright-results.json');
  if (!fs.existsSync(file)) return undefined;
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { stats: JsonStats }).stats;
}
