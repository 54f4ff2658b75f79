import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { FullResult } from '@playwright/test/reporter';
import ConsoleReporter, { failedCommands } from './console-reporter.js';
import { captureOutput, fakeRun, type FakeTest } from './fake-results.js';
import { formatTotals, lifecycleProjects, readTotals, tally } from './tally.js';
import { summarise, type CommandRecord } from './transcripts.js';

const runId = 'e2e-20261201-100000-abcd';

/** The console of a whole run of these tests; the totals it wrote. */
async function consoleOf(tests: FakeTest[], options: { rerun?: number; status?: FullResult['status'] } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-console-'));
  const outputDir = options.rerun ? path.join(root, runId, 'reruns', String(options.rerun)) : path.join(root, runId);
  fs.mkdirSync(outputDir, { recursive: true });
  const run = fakeRun(tests);
  const text = await captureOutput(() => {
    const reporter = new ConsoleReporter({ runId, outputDir, runDir: path.join(root, 'state') });
    reporter.onBegin(run.config, run.suite);
    for (const { test: t, result } of run.tests) if (result) reporter.onTestEnd(t, result);
    reporter.onEnd({ status: options.status ?? 'passed', startTime: new Date(), duration: 90_000 });
  });
  return { text, totals: readTotals(outputDir)!, outputDir };
}

const tutorialTitle = 'the tutorial flow runs from validation to autograde';

test('a run of one tutorial test counts one test: "Running 1 test", and setup and teardown are not counted', async () => {
  const { text, totals } = await consoleOf([
    { project: 'setup', title: 'bring up the platform', status: 'passed' },
    { project: 'tutorial', title: tutorialTitle, status: 'passed', steps: [{ title: 'Step 4: Validate in JupyterHub' }] },
    { project: 'teardown', title: 'tear down the platform', status: 'passed' },
  ]);
  // A line before Playwright loads the test files, then the count once it has.
  expect(text).toMatch(
    new RegExp(
      `^Playwright: collecting the tests for run ${runId}…\nRunning 1 test \\(tutorial\\), with the platform's setup and teardown, for run ${runId}\n`,
    ),
  );
  expect(text).toMatch(
    /Results: 1 passed · 0 failed · 0 skipped, in 1 min 30 s {2}\(1 test of tutorial; the platform's setup and teardown are listed, not counted\)/,
  );
  expect(formatTotals(totals)).toBe('1 passed, 0 failed, 0 skipped');
});

test('under --keep the teardown line says kept, not a pass that tore nothing down', async () => {
  const kept = `the stack of run ${runId} is left up (--keep)`;
  const { text } = await consoleOf([
    { project: 'setup', title: 'bring up the platform', status: 'passed' },
    { project: 'tutorial', title: tutorialTitle, status: 'passed' },
    { project: 'teardown', title: 'tear down the platform', status: 'passed', annotations: [{ type: 'kept', description: kept }] },
  ]);
  expect(text).toContain(`◆ [teardown] kept, not torn down: ${kept}`);
  expect(text).not.toMatch(/✓ .*\[teardown\]/);
});

test('a preflight failure: the setup is the one failure, the tutorial did not run, and nothing passed', async () => {
  const { text, totals } = await consoleOf(
    [
      { project: 'setup', title: 'bring up the platform', status: 'failed', error: 'preflight: missing prerequisites: python3 (not found on PATH)' },
      { project: 'tutorial', title: tutorialTitle },
      { project: 'teardown', title: 'tear down the platform', status: 'passed' },
    ],
    { status: 'failed' },
  );
  expect(formatTotals(totals)).toBe('0 passed, 1 failed, 1 skipped');
  expect(text).toContain('Results: 0 passed · 1 failed · 1 skipped');
  expect(text).toContain('failed outside the tests: [setup] bring up the platform');
  expect(text).toMatch(/- +not run {2}\[tutorial\] the tutorial flow runs from validation to autograde {3}\(the platform did not come up\)/);
  expect(text).not.toMatch(/\b1 passed/);
});

test('a rerun says which one it is, and where its output is, and the report command names it', async () => {
  const { text } = await consoleOf([{ project: 'tutorial', title: tutorialTitle, status: 'passed' }], { rerun: 2 });
  expect(text).toMatch(new RegExp(`Running 1 test \\(tutorial\\) for run ${runId}, rerun 2 against its kept stack \\(output: .*${runId}/reruns/2\\)`));
  expect(text).toContain(`npm run report -- ${runId}/reruns/2`);
  expect(text).toMatch(new RegExp(`Run ${runId}, rerun 2 \\(passed\\)`));
});

test('an error outside any test is printed and counted as a failure in both totals', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-console-'));
  const run = fakeRun([{ project: 'tutorial', title: tutorialTitle, status: 'passed' }]);
  const text = await captureOutput(() => {
    const reporter = new ConsoleReporter({ runId, outputDir: root, runDir: root });
    reporter.onBegin(run.config, run.suite);
    reporter.onError({ message: 'Error: worker process exited unexpectedly' });
    reporter.onTestEnd(run.tests[0].test, run.tests[0].result!);
    reporter.onEnd({ status: 'failed', startTime: new Date(), duration: 1000 });
  });
  expect(text).toContain('✘ error outside any test:');
  expect(text).toContain('Results: 1 passed · 1 failed · 0 skipped');
  expect(formatTotals(readTotals(root)!)).toBe('1 passed, 1 failed, 0 skipped');
});

test('"Failed commands:" lists each failed command once, even when its step is in the summary twice', () => {
  const command = (seq: number, verdict: CommandRecord['verdict'], at: number): CommandRecord => ({
    seq,
    scenario: 's',
    step: 'Step 4',
    argv: [],
    command: 'nbgrader list',
    user: 'instructor1',
    cwd: '/',
    exitCode: 0,
    durationMs: 1,
    timedOut: false,
    verdict,
    reason: verdict === 'fail' ? 'golden step4-list-course-not-found: …' : undefined,
    transcript: `transcripts/00${seq}-x.txt`,
    at,
  });
  const summary = summarise(
    runId,
    'local',
    [command(1, 'pass', 1), command(2, 'fail', 2)],
    [
      { scenario: 's', step: 'Step 4', status: 'failed', durationMs: 1, at: 3 },
      { scenario: 's', step: 'Step 4', status: 'failed', durationMs: 1, at: 4 },
    ],
  );
  // Even a summary that lists a command under two steps (as an older one did) prints it once.
  summary.steps[1].commands.push(summary.steps[0].commands[1]);
  expect(failedCommands(summary).map((c) => c.seq)).toEqual([2]);
});

test('the lifecycle is the projects with a teardown and their teardowns; a flaky test passed', () => {
  const lifecycle = lifecycleProjects([{ name: 'setup', teardown: 'teardown' }, { name: 'teardown' }, { name: 'tutorial' }, { name: 'unit' }]);
  expect([...lifecycle].sort()).toEqual(['setup', 'teardown']);
  const totals = tally(
    [
      { project: 'tutorial', title: 'a', outcome: 'flaky' },
      { project: 'unit', title: 'b', outcome: 'skipped' },
      { project: 'teardown', title: 'c', outcome: 'unexpected' },
    ],
    lifecycle,
  );
  expect(totals).toEqual({ passed: 1, failed: 1, skipped: 1, failedOutsideTests: ['[teardown] c'] });
});

test('a step the run was stopped in shows as stopped, not as a pass of -1 ms', async () => {
  const { text } = await consoleOf(
    [{ project: 'tutorial', title: tutorialTitle, status: 'interrupted', steps: [{ title: 'Step 4: Validate in JupyterHub', duration: -1 }] }],
    {
      status: 'interrupted',
    },
  );
  expect(text).toMatch(/! +stopped {2}Step 4: Validate in JupyterHub/);
  expect(text).not.toContain('-1 ms');
});
