// Brings a stack up and leaves it running: `npm run up [-- --platform kind]`. Prints how to use it.
// With --dry-run (kind, jetstream) it prints the plan instead and touches nothing.
// Only a stack that came up is kept: a bring-up that fails, or is interrupted, is removed again.
import { parseCli, describeKeptRun, printPlan } from './cli.js';
import { bringUp, tearDown } from '../cluster/lifecycle.js';
import { readConfig } from '../cluster/config.js';
import { HarnessError, UsageError } from '../cluster/errors.js';
import { findRun, newRunId, openRun } from '../cluster/run/index.js';

try {
  const { env } = parseCli(process.argv.slice(2), { allowKeep: false });
  if (env.E2E_DRY_RUN) {
    await printPlan(env);
  } else {
    Object.assign(process.env, env);
    const config = readConfig();
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
  }
} catch (err) {
  // The harness's own errors say what failed and why; a stack trace would only hide that.
  if (!(err instanceof HarnessError)) throw err;
  console.error(err.message);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
