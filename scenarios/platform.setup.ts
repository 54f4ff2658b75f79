/**
 * The setup project: brings the platform up once per run and writes its state to the run
 * directory, where every worker's fixtures attach to it. Cold runs build the Python environments
 * (or, on kind, create a cluster), hence the long bound. Then it asks the stack which versions it
 * really runs (versions.json: summary.json and the report's environment show them) and prints them.
 */
import { test as setup } from '@playwright/test';
import { readConfig } from '../cluster/config.js';
import { errorMessage } from '../cluster/errors.js';
import { attachStack, bringUp } from '../cluster/lifecycle.js';
import { openRun, type Run } from '../cluster/run/index.js';
import { askedVersions, formatRunVersions, writeRunVersions } from '../reporters/run-versions.js';

setup.setTimeout(20 * 60_000);

async function recordVersions(run: Run): Promise<void> {
  try {
    const running = await (await attachStack(run)).versions();
    const record = { asked: askedVersions(run.config.versions), running, collectedAt: new Date().toISOString() };
    writeRunVersions(run.dirs.outputDir, record);
    console.log(formatRunVersions(record).join('\n'));
  } catch (err) {
    // The run goes on: its report's environment will say the versions were not collected.
    console.log(`versions running: not collected (${errorMessage(err).split('\n')[0]})`);
  }
}

setup('bring up the platform', async () => {
  const run = openRun(readConfig());
  // Rerunning against a stack kept with --keep: attach, do not rebuild.
  if (run.stack.exists()) {
    setup.info().annotations.push({ type: 'reused', description: `the kept stack of run ${run.id}` });
  } else {
    await bringUp(run, run.config.variant);
  }
  await recordVersions(run);
});
