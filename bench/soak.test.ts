import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { aggregateSoak, formatSoakReport, type SoakRun } from './soak-report.js';
import { percentile, readRunRecord, type TimedStep } from './run-record.js';

const setup = (ms: number, status: TimedStep['status'] = 'passed'): TimedStep => ({ name: '[setup] bring up the platform', status, durationMs: ms });
const step = (n: number, ms: number, status: TimedStep['status'] = 'passed', error?: string): TimedStep => ({
  name: `Step ${n}`,
  status,
  durationMs: ms,
  error,
});

function run(index: number, steps: TimedStep[] | undefined, exitCode = steps?.some((s) => s.status === 'failed') ? 1 : 0): SoakRun {
  const runId = `e2e-20260101-00000${index}-abcd`;
  return { index, runId, exitCode, wallMs: 1000 * index, outputDir: `/out/${runId}`, log: `/out/soak/run-0${index}.log`, steps };
}

test('all runs pass: no failures, no flakes, and the slowest step by its p50', () => {
  const report = aggregateSoak([
    run(1, [setup(20_000), step(5, 30_000), step(6, 40_000)]),
    run(2, [setup(22_000), step(5, 31_000), step(6, 45_000)]),
    run(3, [setup(21_000), step(5, 90_000), step(6, 41_000)]),
  ]);
  expect(report).toMatchObject({ runs: 3, passed: 3, failed: 0, flaky: [], failedRuns: [] });
  // Step 5 has the highest max, Step 6 the highest median: the median decides.
  expect(report.slowest).toMatchObject({ name: 'Step 6', p50Ms: 41_000, maxMs: 45_000, passed: 3 });
  expect(report.steps.find((s) => s.name === 'Step 5')).toMatchObject({ p50Ms: 31_000, maxMs: 90_000 });
  expect(report.wall).toEqual({ p50Ms: 2000, maxMs: 3000 });
});

test('a step that failed in one run and passed in others is flaky; the run is failed with where to look', () => {
  const report = aggregateSoak([
    run(1, [setup(20_000), step(7, 10_000)]),
    run(2, [setup(20_000), step(7, 300_000, 'failed', 'student: `nbgrader fetch_assignment ps1` timed out')]),
    run(3, [setup(20_000), step(7, 12_000)]),
  ]);
  expect(report.passed).toBe(2);
  expect(report.failed).toBe(1);
  expect(report.flaky.map((s) => [s.name, s.failedIn, s.passed])).toEqual([['Step 7', [2], 2]]);
  // The failed run's time says nothing about the step's usual time.
  expect(report.steps.find((s) => s.name === 'Step 7')).toMatchObject({ p50Ms: 10_000, maxMs: 12_000, failed: 1, ran: 3 });
  expect(report.failedRuns).toEqual([
    {
      index: 2,
      runId: 'e2e-20260101-000002-abcd',
      exitCode: 1,
      reason: 'Step 7: student: `nbgrader fetch_assignment ps1` timed out',
      outputDir: '/out/e2e-20260101-000002-abcd',
      log: '/out/soak/run-02.log',
    },
  ]);
});

test('a step that fails every time is a failure, not a flake; skipped steps do not count', () => {
  const report = aggregateSoak([run(1, [setup(20_000, 'failed'), step(4, 0, 'skipped')]), run(2, [setup(21_000, 'failed'), step(4, 0, 'skipped')])]);
  expect(report.failed).toBe(2);
  expect(report.flaky).toEqual([]);
  expect(report.steps.map((s) => s.name)).toEqual(['[setup] bring up the platform']);
  expect(report.slowest).toBeUndefined();
});

test('a run with no report, or a non-zero exit with every step green, is still a failed run', () => {
  const report = aggregateSoak([run(1, undefined, 1), run(2, [step(4, 1000)], 1), run(3, [step(4, 1200)])]);
  expect(report.passed).toBe(1);
  expect(report.failedRuns.map((r) => r.reason)).toEqual(['exit code 1, no report written', 'exit code 1, no step failed']);
});

test("the printed report names counts, the slowest step, flakes and each failed run's output", () => {
  const report = aggregateSoak([run(1, [step(7, 10_000)]), run(2, [step(7, 20_000, 'failed', 'boom')])]);
  const text = formatSoakReport(report).join('\n');
  expect(text).toContain('Soak: 2 runs: 1 passed, 1 failed; 1 flaky step');
  expect(text).toContain('Slowest step: Step 7: p50 10.0 s, max 10.0 s (over 1 passed run)');
  expect(text).toContain('Step 7: failed in run 2; passed in 1');
  expect(text).toContain('run 2 (e2e-20260101-000002-abcd): Step 7: boom');
  expect(text).toContain('output: /out/e2e-20260101-000002-abcd   console: /out/soak/run-02.log');
});

test('percentile is the nearest rank', () => {
  expect(percentile([], 50)).toBeUndefined();
  expect(percentile([5], 50)).toBe(5);
  expect(percentile([4, 1, 3, 2], 50)).toBe(2);
  expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
  expect(percentile([1, 2, 3, 4, 5], 100)).toBe(5);
});

test("a run's record: setup, the tutorial's steps, teardown, and a test that failed outside its steps", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-test-'));
  try {
    const result = (status: string, duration: number) => ({
      status,
      duration,
      stderr: [{ text: 'platform: ready\n' }],
      ...(status === 'passed' ? {} : { error: { message: 'Test timeout of 900000ms exceeded.\nmore' } }),
    });
    const spec = (title: string, projectName: string, status: string, duration: number) => ({
      title,
      tests: [{ projectName, results: [result(status, duration)] }],
    });
    fs.writeFileSync(
      path.join(dir, 'playwright-results.json'),
      JSON.stringify({
        suites: [
          { title: 'scenarios/platform.setup.ts', specs: [spec('bring up the platform', 'setup', 'passed', 20_500.4)] },
          { title: 'scenarios/platform.teardown.ts', specs: [spec('tear down the platform', 'teardown', 'passed', 8000)] },
          {
            title: 'scenarios/tutorial.spec.ts',
            specs: [],
            suites: [{ title: 'nested', specs: [spec('the flow', 'tutorial', 'timedOut', 900_000)] }],
          },
        ],
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'summary.json'),
      JSON.stringify({
        steps: [
          {
            scenario: 'the flow',
            step: 'Step 4',
            status: 'passed',
            durationMs: 5000,
            commands: [{ user: 'instructor1', cwd: '/h', command: 'nbgrader list', durationMs: 4000, verdict: 'pass' }],
          },
        ],
      }),
    );
    const record = readRunRecord(dir)!;
    expect(record.steps.map((s) => [s.name, s.status, s.durationMs])).toEqual([
      ['[setup] bring up the platform', 'passed', 20_500],
      ['Step 4', 'passed', 5000],
      ['[tutorial] the flow', 'failed', 900_000],
      ['[teardown] tear down the platform', 'passed', 8000],
    ]);
    expect(record.tests[0].stderr).toBe('platform: ready\n');
    expect(record.steps[2].error).toBe('Test timeout of 900000ms exceeded.');
    expect(record.commands).toEqual([{ step: 'Step 4', user: 'instructor1', cwd: '/h', command: 'nbgrader list', durationMs: 4000, failed: false }]);
    expect(readRunRecord(path.join(dir, 'absent'))).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
