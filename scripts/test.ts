// `npm test`: the static checks (types, lint, format), then every project against real local
// stacks: unit tests; the tutorial and the troubleshooting cases that share the run's stack; the
// browser checks; the cases that need a deployment of their own; the harness under faults; the
// search of a whole run for its secrets.
import { execa } from 'execa';
import { runPlaywright } from './playwright-run.js';

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
  process.exit(1);
}
console.log(`static checks passed: ${checks.map(([name]) => name).join(', ')}`);
process.exitCode = await runPlaywright({
  projects: ['unit', 'shared-stack', 'browser', 'troubleshooting', 'faults', 'redaction'],
  env: { E2E_PLATFORM: 'local' },
  passthrough: process.argv.slice(2).filter((a) => a !== '--'),
});
