// Removes a run's stack: `npm run down [-- <run-id>]`; without an id, every kept run.
import { readConfig } from '../cluster/config.js';
import { findRun, listRuns } from '../cluster/run/index.js';
import { tearDown } from '../cluster/lifecycle.js';
import { HarnessError } from '../cluster/errors.js';

const config = readConfig();
const ids = process.argv.slice(2).filter((a) => a !== '--');
const targets = ids.length ? ids : listRuns(config).filter((id) => findRun(config, id)?.stack.isKept());
if (!targets.length) console.log('no kept runs to remove');
for (const id of targets) {
  const run = findRun(config, id);
  if (!run) {
    console.error(`down: no run ${id} under ${config.stateDir}/runs`);
    process.exitCode = 1;
    continue;
  }
  try {
    await tearDown(run);
  } catch (err) {
    // What failed and how to retry, without a stack trace; the next run id is still tried.
    if (!(err instanceof HarnessError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
  }
}
