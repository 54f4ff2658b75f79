// Removes a run's stack: `npm run down [-- <run-id>...]`; without an id, every kept run. Says what it
// removed; an id that is not a run here is named, with the runs there are.
import { readConfig } from '../cluster/config.js';
import { HarnessError } from '../cluster/errors.js';
import { tearDown } from '../cluster/lifecycle.js';
import { findRun, listRuns } from '../cluster/run/index.js';
import { defineCommand, runCommand } from './lib/command.js';
import { describeRuns } from './lib/harness-options.js';

const command = defineCommand({
  name: 'down',
  summary: "Remove a run's stack (processes, clusters, namespaces, users it made); without a run id, every kept run.",
  options: {},
  positionals: [{ name: 'run-id', description: 'the run to remove (as `npm run up` or `--keep` printed it); repeatable', multiple: true }],
  sections: [{ title: 'Exit status', lines: ['0 removed (or nothing kept to remove), 1 a run unknown or not removed, 2 a usage error'] }],
});

await runCommand(command, async ({ positionals }) => {
  const config = readConfig();
  const unknown = positionals.filter((id) => !findRun(config, id));
  if (unknown.length) {
    // Before removing anything: a mistyped id is a question, not half an answer.
    throw new HarnessError(
      'down',
      `no run ${unknown.join(', ')} under ${config.stateDir}/runs; ${describeRuns(config).length ? 'the runs there:' : 'there are no runs there'}`,
      describeRuns(config).join('\n') || undefined,
    );
  }
  const targets = positionals.length ? positionals : listRuns(config).filter((id) => findRun(config, id)?.stack.isKept());
  if (!targets.length) {
    const all = listRuns(config).length;
    console.log(`down: no kept runs to remove${all ? ` (${all} run${all === 1 ? '' : 's'} under ${config.stateDir}/runs, none kept)` : ''}`);
    return 0;
  }
  let failed = 0;
  for (const id of targets) {
    const run = findRun(config, id)!;
    const platform = run.stack.exists() ? run.stack.load().platform : config.platform;
    try {
      await tearDown(run);
      console.log(`down: removed run ${id} (${platform}${positionals.length ? '' : ', kept'})`);
    } catch (err) {
      // What failed and how to retry, without a stack trace; the next run id is still tried.
      if (!(err instanceof HarnessError)) throw err;
      console.error(err.message);
      failed += 1;
    }
  }
  if (targets.length > 1) console.log(`down: ${targets.length - failed} of ${targets.length} run(s) removed`);
  return failed ? 1 : 0;
});
