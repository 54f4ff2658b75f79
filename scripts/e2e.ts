// The main job: `npm run e2e [-- --platform local|kind|jetstream|kwok] [--keep] ...`: the tutorial flow
// on the chosen platform. `--help` lists every flag and the E2E_* variables.
import { defineCommand, runCommand } from './lib/command.js';
import { versionsBanner } from './lib/versions-banner.js';
import { chartOptions, clusterTargetOptions, environmentSection, harnessEnv, harnessOptions, preparePlatform, printPlan } from './lib/harness-options.js';
import { runPlaywright } from './playwright-run.js';

const command = defineCommand({
  name: 'e2e',
  summary: 'Run the tutorial flow (steps 4 to 8) in real user servers on a platform, and check every output against its golden.',
  options: harnessOptions(
    'platform',
    'keep',
    'run-id',
    'variant',
    'versions',
    'port',
    'update-expected',
    'strict-drift',
    ...clusterTargetOptions,
    ...chartOptions,
    'baked-image',
    'dry-run',
  ),
  passthrough: { value: '<playwright args>', description: 'passed on to `playwright test` (npm run e2e -- -- --grep "Step 7")' },
  sections: [environmentSection, { title: 'Exit status', lines: ['0 every test passed, 1 something failed, 2 a usage error, 130 interrupted'] }],
});

await runCommand(command, async ({ values, passthrough }) => {
  const env = harnessEnv(values);
  // Before Playwright starts: a plan touches nothing, so there is no run to set up or tear down.
  if (env.E2E_DRY_RUN) return printPlan(env).then(() => 0);
  await preparePlatform(env);
  // The versions it runs come first, once the run has its directories (an unwritable one is all a run that cannot start says).
  return runPlaywright({ projects: ['tutorial'], env, passthrough, banner: () => versionsBanner(env) });
});
