// `npm test`: the static checks (types, lint, format) beside every project against real local
// stacks: unit tests; the tutorial and the troubleshooting cases that share the run's stack; the
// browser checks; the cases that need a deployment of their own; the harness under faults; the
// search of a whole run for its secrets; the printed rerun loop, twice against one kept stack.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { defineCommand, runCommand } from './lib/command.js';
import { runPlaywright } from './playwright-run.js';

const command = defineCommand({
  name: 'test',
  invocation: 'npm test --',
  summary: 'The static checks (types, lint, format) beside every project against real local stacks; a failed check stops the run.',
  options: {},
  passthrough: { value: '<playwright args>', description: 'passed on to `playwright test` (npm test -- -- --project=unit)' },
  sections: [{ title: 'Output', lines: ['the last line is `N passed, N failed, N skipped`, which CI reads'] }],
});

await runCommand(command, async ({ passthrough }) => {
  // package.json's own scripts, so that `npm run lint` and the rest check exactly what npm test checks.
  const checks = ['typecheck', 'lint', 'format:check'];
  // Beside the Playwright run, not before it (half a minute sooner): they read the files and write none.
  // A failure stops the run within seconds and is counted in the last line.
  const staticChecks = Promise.all(
    checks.map(async (check) => {
      const { exitCode, all } = await execa('npm', ['run', '--silent', check], { all: true, reject: false });
      return { name: check, exitCode, all };
    }),
  ).then((results) => {
    const failed = results.filter((r) => r.exitCode !== 0);
    if (!failed.length) process.stderr.write(`static checks passed: ${checks.join(', ')}\n`);
    return { failed: failed.length, report: failed.map((r) => `${r.name} failed:\n${r.all ?? ''}`).join('\n') };
  });
  // The tests' scratch files (a few hundred temporary directories a run) go into one directory of
  // this run's, removed when it ends, instead of piling up in /tmp night after night. The stacks'
  // processes do not see it: each is started with an environment of its own.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-e2e-npm-test-'));
  try {
    return await runPlaywright({
      projects: ['unit', 'kube', 'shared-stack', 'browser', 'troubleshooting', 'faults', 'redaction', 'rerun', 'floor', 'rush'],
      // One wave (playwright.config.ts), three workers: most of a test's time is spent waiting on a
      // stack (a server starting, a bound running out), so three keep two cores busy.
      env: { E2E_PLATFORM: 'local', E2E_WHOLE_SUITE: '1', E2E_WORKERS: process.env.E2E_WORKERS || '3', TMPDIR: scratch },
      passthrough,
      beside: staticChecks,
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
