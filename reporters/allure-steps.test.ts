import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import AllureStepsReporter, { fixSteps, type AllureResult, type AllureStep } from './allure-steps.js';
import { fakeRun } from './fake-results.js';
import { plannedSteps } from './planned-steps.js';

const steps = ['Step 4: Validate in JupyterHub', 'Step 5: Create the course and roster', 'Step 6: Create and release a first assignment'];
const title = 'the tutorial flow runs from validation to autograde';
const annotations = [{ type: 'serial' }, plannedSteps(steps)];
const step = (name: string, status = 'passed'): AllureStep => ({
  name,
  status,
  stage: 'finished',
  steps: [{ name: 'instructor: nbgrader list', status }],
  attachments: [],
});

/** As allure-playwright writes it: the hooks, a step per annotation, then the steps that ran. */
const written = (ran: AllureStep[]): AllureResult => ({
  name: title,
  fullName: `scenarios/tutorial.spec.ts › ${title}`,
  status: 'failed',
  parameters: [{ name: 'Project', value: 'tutorial' }],
  start: 1,
  stop: 2,
  steps: [
    { name: 'Before Hooks', status: 'passed', steps: [{ name: 'classroom' }] },
    { name: 'serial: undefined', status: 'passed', steps: [], attachments: [] },
    { name: `planned steps: ${steps.join('\n')}`, status: 'passed', steps: [], attachments: [] },
    ...ran,
    { name: 'After Hooks', status: 'passed', steps: [{ name: 'diagnostics' }] },
  ],
});

test('annotation steps go; planned steps that did not run are shown as skipped, in order, with the reason', () => {
  const fixed = fixSteps(written([step(steps[0]), step(steps[1], 'failed')]), annotations, `not run: ${steps[1]} failed and stopped the test`);
  expect(fixed.steps!.map((s) => [s.name, s.status])).toEqual([
    ['Before Hooks', 'passed'],
    [steps[0], 'passed'],
    [steps[1], 'failed'],
    [steps[2], 'skipped'],
    ['After Hooks', 'passed'],
  ]);
  expect(fixed.steps![3].statusDetails?.message).toBe(`not run: ${steps[1]} failed and stopped the test`);
  // A test without planned steps only loses its annotation steps.
  expect(fixSteps(written([step(steps[0])]), [{ type: 'serial' }], 'x').steps!.map((s) => s.name)).toEqual([
    'Before Hooks',
    `planned steps: ${steps.join('\n')}`,
    steps[0],
    'After Hooks',
  ]);
});

test("the reporter rewrites the run's result files after allure-playwright: a test that never ran shows every step as not run", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-allure-steps-'));
  fs.writeFileSync(path.join(dir, 'a-result.json'), JSON.stringify({ ...written([]), status: 'skipped', steps: [{ name: 'serial: undefined', steps: [] }] }));
  fs.writeFileSync(path.join(dir, 'b-container.json'), '{}');
  const run = fakeRun([
    { project: 'setup', title: 'bring up the platform', status: 'failed', error: 'preflight: missing prerequisites' },
    { project: 'tutorial', title, file: '/repo/scenarios/tutorial.spec.ts', staticAnnotations: annotations },
  ]);
  const reporter = new AllureStepsReporter({ resultsDir: dir });
  reporter.onBegin(run.config, run.suite);
  reporter.onTestEnd(run.tests[0].test, run.tests[0].result!);
  reporter.onEnd({ status: 'failed', startTime: new Date(), duration: 1 });
  const fixed = JSON.parse(fs.readFileSync(path.join(dir, 'a-result.json'), 'utf8')) as AllureResult;
  expect(fixed.steps!.map((s) => [s.name, s.status, s.statusDetails?.message])).toEqual(
    steps.map((s) => [s, 'skipped', 'not run: the platform did not come up']),
  );
  expect(fs.readFileSync(path.join(dir, 'b-container.json'), 'utf8')).toBe('{}');
});

test('steps that did not run follow the last step that ran, before what allure-playwright adds after it', () => {
  const result = written([step(steps[0], 'failed'), { name: 'error-context', status: undefined, stage: 'finished', steps: [], attachments: [{}] }]);
  expect(fixSteps(result, annotations, 'not run').steps!.map((s) => s.name)).toEqual([
    'Before Hooks',
    steps[0],
    steps[1],
    steps[2],
    'error-context',
    'After Hooks',
  ]);
});
