// Brings a stack up and leaves it running: `npm run up [-- --platform kind]`; prints how to use it.
// With --dry-run it prints the plan instead and touches nothing. Only a stack that came up is kept:
// a bring-up that fails, or is interrupted, is removed again.
import { readConfig } from '../cluster/config.js';
import { bringUp, tearDown } from '../cluster/lifecycle.js';
import { findRun, newRunId, openRun } from '../cluster/run/index.js';
import { defineCommand, runCommand } from './lib/command.js';
import { versionsBanner } from './lib/versions-banner.js';
import { chartOptions, clusterTargetOptions, describeKeptRun, environmentSection, harnessEnv, harnessOptions, printPlan } from './lib/harness-options.js';

const command = defineCommand({
  name: 'up',
  summary: 'Bring a stack up and leave it running (remove it with `npm run down -- <run id>`).',
  options: harnessOptions('platform', 'run-id', 'variant', 'versions', 'port', ...clusterTargetOptions, ...chartOptions, 'baked-image', 'dry-run'),
  sections: [environmentSection],
});

await runCommand(command, async ({ values }) => {
  const env = harnessEnv(values);
  if (env.E2E_DRY_RUN) return printPlan(env).then(() => 0);
  const config = readConfig({ ...process.env, ...env });
  console.log(await versionsBanner(env));
  const runId = config.runId ?? newRunId();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: removing what run ${runId} started\n`);
    const run = findRun(config, runId);
    void (run ? tearDown(run) : Promise.resolve())
      .catch((err: unknown) => process.stderr.write(`${(err as Error).message}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const run = openRun(config, runId);
  const state = await bringUp(run, config.variant);
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  run.stack.markKept(true);
  console.log(describeKeptRun(run, state));
  return 0;
});
