/**
 * The teardown project: runs after every scenario that depends on setup, whatever their outcome.
 * It exports the run's diagnostics first (a report of every run, as z2jh's CI does), then removes
 * the stack, unless the run was asked to keep it.
 */
import { test as teardown } from '@playwright/test';
import { readConfig } from '../cluster/config.js';
import { exportDiagnostics, tearDown } from '../cluster/lifecycle.js';
import { findRun } from '../cluster/run/index.js';

teardown.setTimeout(5 * 60_000);

teardown('tear down the platform', async () => {
  const config = readConfig();
  const run = config.runId ? findRun(config, config.runId) : undefined;
  if (!run) return;
  await exportDiagnostics(run, 'end-of-run').catch(() => undefined);
  if (config.keep) {
    run.stack.markKept(true);
    teardown.info().annotations.push({ type: 'kept', description: `the stack of run ${run.id} is left up (--keep)` });
    return;
  }
  await tearDown(run);
});
