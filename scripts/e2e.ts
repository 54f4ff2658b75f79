// The main job: `npm run e2e [-- --platform local|kind|jetstream] [--keep] ...`.
// Runs the tutorial flow on the chosen platform; `--help` lists every flag.
import { parseCli, printPlan, usage } from './cli.js';
import { runPlaywright } from './playwright-run.js';
import { HarnessError, UsageError } from '../cluster/errors.js';

try {
  const { env, help, passthrough } = parseCli(process.argv.slice(2));
  if (help) {
    console.log(usage);
  } else if (env.E2E_DRY_RUN) {
    // Before Playwright starts: a plan touches nothing, so there is no run to set up or tear down.
    await printPlan(env);
  } else {
    process.exitCode = await runPlaywright({ projects: ['tutorial'], env, passthrough });
  }
} catch (err) {
  if (!(err instanceof HarnessError)) throw err;
  console.error(err.message);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
