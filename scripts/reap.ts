// Removes what earlier runs left behind, found by their run id and label:
//
//   npm run reap [-- --older-than 2h] [--include-kept] [--dry-run] [--kubeconfig FILE] [--context NAME]
//
//  1. runs in .e2e/runs (any platform) whose ledger still lists something: torn down from the ledger
//     (local processes, kind clusters, namespaces, Helm releases, hub users, port-forwards);
//  2. kind clusters named like a run (`kind get clusters`), when kind is installed;
//  3. namespaces labelled nbgrader-e2e/run on the cluster of --kubeconfig/--context (else KUBECONFIG or
//     ~/.kube/config, when it exists).
//
// Runs younger than --older-than (default 2h: a run in progress is left alone) and runs kept with
// --keep (unless --include-kept) are skipped. --dry-run lists what would go and removes nothing.
import { platformNames, readConfig } from '../cluster/config.js';
import { errorMessage } from '../cluster/errors.js';
import { tearDown } from '../cluster/lifecycle.js';
import { findRun, listRuns, isRunId, runStartedAt } from '../cluster/run/index.js';
import { canReap } from '../cluster/platform.js';
import { createDriver } from '../cluster/platforms.js';
import { defineCommand, runCommand, usageError } from './lib/command.js';
import { harnessOptions } from './lib/harness-options.js';

const command = defineCommand({
  name: 'reap',
  summary: 'Remove what earlier runs left behind (local processes, kind clusters, namespaces, Helm releases, hub users), found by run id and label.',
  options: {
    'older-than': { type: 'string', value: '<age>', description: 'leave runs younger than this alone: 90s, 30m, 2h, 1d, or 0 (default: 2h)' },
    'include-kept': { type: 'boolean', description: 'also remove runs kept on purpose (--keep, npm run up)' },
    'dry-run': { type: 'boolean', description: 'list what would go; remove nothing' },
    ...harnessOptions('kubeconfig', 'context'),
  },
  sections: [
    {
      title: 'Where it looks',
      lines: [
        'runs under E2E_STATE_DIR (any platform) whose ledger still lists something;',
        'kind clusters named like a run (when kind is installed);',
        'namespaces labelled nbgrader-e2e/run on the cluster of --kubeconfig/--context (else KUBECONFIG, ~/.kube/config).',
      ],
    },
    { title: 'Exit status', lines: ['0 nothing failed, 1 something could not be removed, 2 a usage error'] },
  ],
});

/** 90s, 30m, 2h, 1d, or 0 (everything). */
function parseAge(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw usageError(command, `--older-than ${text}: use a number with s, m, h or d (e.g. 2h), or 0`);
  return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[(m[2] ?? 's') as 's'];
}

await runCommand(command, async ({ values }) => {
  const minAgeMs = parseAge(values['older-than'] ?? '2h');
  if (values.kubeconfig) process.env.E2E_KUBECONFIG = values.kubeconfig;
  if (values.context) process.env.E2E_KUBE_CONTEXT = values.context;
  const config = readConfig();
  const dryRun = values['dry-run'] ?? false;
  const verb = dryRun ? 'would remove' : 'removing';
  let failures = 0;
  let found = 0;

  /** Old enough, and not kept on purpose (as far as this machine knows). */
  function isStale(runId: string): boolean {
    if (Date.now() - (runStartedAt(runId) ?? Date.now()) < minAgeMs) return false;
    const run = findRun(config, runId);
    return values['include-kept'] === true || !run?.stack.isKept();
  }

  async function attempt(what: string, fn: () => Promise<unknown>): Promise<void> {
    found += 1;
    console.log(`reap: ${verb} ${what}`);
    if (dryRun) return;
    try {
      await fn();
    } catch (err) {
      failures += 1;
      console.error(`reap: ${what}: ${errorMessage(err)}`);
    }
  }

  // 1. Runs of this machine, from their ledgers (tearDown knows every platform).
  for (const runId of listRuns(config).filter(isStale)) {
    const run = findRun(config, runId);
    if (!run || run.ledger.list().length === 0) continue; // nothing recorded: nothing to remove
    await attempt(`run ${runId} (${run.ledger.list().length} recorded resource(s))`, () => tearDown(run));
  }

  // 2. What no ledger here knows of, found by each platform that can look (kind clusters named like a
  //    run, namespaces labelled with one on the kubeconfig's cluster).
  for (const name of platformNames) {
    const driver = await createDriver(name);
    if (!canReap(driver)) continue;
    const { leftovers, notes } = await driver.findLeftovers(config);
    for (const note of notes) console.log(`reap: ${name}: ${note}`);
    for (const leftover of leftovers.filter((l) => isRunId(l.runId) && isStale(l.runId))) {
      await attempt(`${leftover.description} of run ${leftover.runId}`, () => leftover.remove());
    }
  }

  if (!found)
    console.log(`reap: nothing to remove (runs younger than ${values['older-than'] ?? '2h'}${values['include-kept'] ? '' : ' and kept runs'} are left alone)`);
  return failures ? 1 : 0;
});
