// Brings a stack up and leaves it running: `npm run up [-- --platform kind]`. Prints how to use it.
// With --dry-run (kind, jetstream) it prints the plan instead and touches nothing.
import { parseCli, describeKeptRun, printPlan } from './cli.js';
import { bringUp } from '../cluster/lifecycle.js';
import { readConfig } from '../cluster/config.js';
import { HarnessError, UsageError } from '../cluster/errors.js';

try {
  const { env } = parseCli(process.argv.slice(2), { allowKeep: false });
  if (env.E2E_DRY_RUN) {
    await printPlan(env);
  } else {
    Object.assign(process.env, env, { E2E_KEEP: '1' });
    const { run, state } = await bringUp(readConfig());
    run.markKept(true);
    console.log(describeKeptRun(run, state));
  }
} catch (err) {
  // The harness's own errors say what failed and why; a stack trace would only hide that.
  if (!(err instanceof HarnessError)) throw err;
  console.error(err.message);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
