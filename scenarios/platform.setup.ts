/**
 * The setup project: brings the platform up once per run and writes its state to the run
 * directory, where every worker's fixtures attach to it. Cold runs build the Python environments
 * (or, on kind, create a cluster), hence the long bound.
 */
import { test as setup } from '@playwright/test';
import { readConfig } from '../cluster/config.js';
import { bringUp } from '../cluster/lifecycle.js';
import { RunContext } from '../cluster/run.js';

setup.setTimeout(20 * 60_000);

setup('bring up the platform', async () => {
  const config = readConfig();
  // Rerunning against a stack kept with --keep: attach, do not rebuild.
  const kept = config.runId ? RunContext.existing(config, config.runId) : undefined;
  if (kept?.hasState()) return;
  await bringUp(config, config.runId, config.variant);
});
