// Reproduce the tutorial's troubleshooting errors: `npm run repro -- --list`, `-- <name>`, `-- --all`.
// Each case shows the error as a person sees it, applies the documented fix, and shows the recovery.
import { UsageError } from '../cluster/errors.js';
import { cases, findCase } from '../scenarios/troubleshooting/catalogue.js';
import { defineCommand, runCommand } from './lib/command.js';
import { harnessEnv, harnessOptions } from './lib/harness-options.js';
import { runPlaywright } from './playwright-run.js';

const command = defineCommand({
  name: 'repro',
  summary: "Reproduce the tutorial's troubleshooting errors: the error as a person sees it, the documented fix, the recovery.",
  options: {
    list: { type: 'boolean', description: 'every case, one line each (and where it can be reproduced)' },
    all: { type: 'boolean', description: 'every case this platform can reproduce' },
    ...harnessOptions('platform', 'keep'),
  },
  positionals: [{ name: 'case', description: 'a case name from --list', multiple: true }],
});

await runCommand(command, async ({ values, positionals }) => {
  const env = harnessEnv({ platform: values.platform, keep: values.keep });
  if (values.list) {
    const width = Math.max(...cases.map((c) => c.name.length));
    for (const c of cases) {
      const where = c.platforms.includes(env.E2E_PLATFORM as never) ? '' : `  [${c.platforms.join('/')} only]`;
      console.log(`${c.name.padEnd(width)}  ${c.summary}${where}`);
    }
    return 0;
  }
  if (!values.all && !positionals.length) throw new UsageError('name a case, or give --list or --all');
  const unknown = positionals.filter((n) => !findCase(n));
  if (unknown.length) throw new UsageError(`no troubleshooting case ${unknown.map((n) => `"${n}"`).join(', ')}; see npm run repro -- --list`);
  const names = values.all ? cases.map((c) => c.name) : positionals;
  const grep = values.all ? '@troubleshooting' : names.map((n) => `@${n}(\\s|$)`).join('|');
  return runPlaywright({ projects: ['shared-stack', 'troubleshooting'], env: { ...env, E2E_SHOW_OUTPUT: '1' }, passthrough: ['--grep', grep] });
});
