// `npm test`: the static checks (types, lint, format), then every project against real local
// stacks: unit tests; the tutorial and the troubleshooting cases that share the run's stack; the
// browser checks; the cases that need a deployment of their own; the harness under faults; the
// search of a whole run for its secrets; the printed rerun loop, twice against one kept stack.
import { execa } from 'execa';
import { defineCommand, runCommand } from './lib/command.js';
import { runPlaywright } from './playwright-run.js';

const command = defineCommand({
  name: 'test',
  invocation: 'npm test --',
  summary: 'The static checks (types, lint, format), then every project against real local stacks.',
  options: {},
  passthrough: { value: '<playwright args>', description: 'passed on to `playwright test` (npm test -- -- --project=unit)' },
  sections: [{ title: 'Output', lines: ['the last line is `N passed, N failed, N skipped`, which CI reads'] }],
});

await runCommand(command, async ({ passthrough }) => {
  const checks: Array<[string, string[]]> = [
    ['typecheck', ['tsc', '--noEmit']],
    ['lint', ['eslint', '.', '--max-warnings', '0']],
    ['format', ['prettier', '--check', '**/*.ts']],
  ];
  // Side by side: they read the same files and write none.
  const results = await Promise.all(
    checks.map(async ([check, argv]) => {
      const { exitCode, all } = await execa('npx', argv, { all: true, reject: false });
      return { name: check, exitCode, all };
    }),
  );
  const failed = results.filter((r) => r.exitCode !== 0);
  for (const r of failed) console.error(`${r.name} failed:\n${r.all ?? ''}`);
  if (failed.length) {
    console.log(`0 passed, ${failed.length} failed`);
    return 1;
  }
  console.log(`static checks passed: ${checks.map(([name]) => name).join(', ')}`);
  return runPlaywright({
    projects: ['unit', 'kube', 'shared-stack', 'browser', 'troubleshooting', 'faults', 'redaction', 'rerun'],
    env: { E2E_PLATFORM: 'local' },
    passthrough,
  });
});
