/**
 * The setup project: brings the platform up once per run and writes its state to the run
 * directory, where every worker's fixtures attach to it. Cold runs build the Python environments
 * (or, on kind, create a cluster), hence the long bound.
 */
import { test as setup } from '@playwright/test';
import { readConfig } from '../cluster/config.js';
import { bringUp } from '../cluster/lifecycle.js';
import { openRun } from '../cluster/run/index.js';

setup.setTimeout(20 * 60_000);

setup('bring up the platform', async () => {
  const run = openRun(readConfig());
  // Rerunning against a stack kept with --keep: attach, do not rebuild.
  if (run.stack.exists()) {
    setup.info().annotations.push({ type: 'reused', description: `the kept stack of run ${run.id}` });
    return;
  }
  await bringUp(run, run.config.variant);
});
