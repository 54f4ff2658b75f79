import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import type { FullResult } from '@playwright/test/reporter';
import JunitReporter, { classify, xmlText } from './junit-reporter.js';
import { fakeRun, type FakeTest } from './fake-results.js';
import { plannedSteps } from './planned-steps.js';

const runId = 'e2e-20261201-100000-abcd';
const steps = [
  'Step 4: Validate in JupyterHub',
  'Step 5: Create the course and roster',
  'Step 6: Create and release a first assignment',
  'Step 7: Student workflow (fetch + submit)',
  'Step 8: Instructor workflow (collect + autograde)',
];
const title = 'the tutorial flow runs from validation to autograde';
const mismatch =
  'GoldenMismatchError: golden step5-create-course: unexpected output line 1: [CreateCourseApp | ERROR] boom\n\ngolden step5-create-course: MISMATCH\n      1 + [CreateCourseApp | ERROR] boom';

interface Parsed {
  suites: Array<{ name: string; tests: number; failures: number; errors: number; skipped: number }>;
  cases: Array<{ suite: string; name: string; kind: string; type: string; message: string; text: string; out: string; props: Record<string, string> }>;
}

/** junit.xml read by a real XML parser (Python's, which the harness needs anyway): malformed XML fails here. */
function parse(xml: string): Parsed {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
suites, cases = [], []
for s in root.findall('testsuite'):
    suites.append({k: (int(s.get(k)) if k != 'name' else s.get(k)) for k in ['name', 'tests', 'failures', 'errors', 'skipped']})
    for c in s.findall('testcase'):
        v = next((c.find(k) for k in ['failure', 'error', 'skipped'] if c.find(k) is not None), None)
        out = c.find('system-out')
        cases.append({'suite': s.get('name'), 'name': c.get('name'), 'kind': v.tag if v is not None else 'passed',
            'type': (v.get('type') or '') if v is not None else '', 'message': (v.get('message') or '') if v is not None else '',
            'text': (v.text or '') if v is not None else '', 'out': out.text if out is not None else '',
            'props': {p.get('name'): p.get('value') for p in c.iter('property')}})
print(json.dumps({'suites': suites, 'cases': cases}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml }).toString()) as Parsed;
}

function junitOf(tests: FakeTest[], status: FullResult['status'] = 'failed'): Parsed & { xml: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-junit-'));
  const run = fakeRun(tests);
  const reporter = new JunitReporter({ outputFile: path.join(dir, 'junit.xml'), runId, outputDir: dir, runDir: dir });
  reporter.onBegin(run.config, run.suite);
  for (const { test: t, result } of run.tests) if (result) reporter.onTestEnd(t, result);
  reporter.onEnd({ status, startTime: new Date(), duration: 1000 });
  const xml = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
  return { ...parse(xml), xml };
}

const tutorialTest = (over: Partial<FakeTest>): FakeTest => ({ project: 'tutorial', title, staticAnnotations: [plannedSteps(steps)], ...over });

test('one testcase per tutorial step, named as the tutorial names it; a golden mismatch is a failure with its diff; later steps not run', () => {
  const junit = junitOf([
    { project: 'setup', title: 'bring up the platform', status: 'passed' },
    tutorialTest({
      status: 'failed',
      error: mismatch,
      steps: [
        { title: steps[0], commands: [{ title: 'instructor: python -m pip show nbgrader ngshare-exchange' }, { title: 'instructor: nbgrader list' }] },
        {
          title: steps[1],
          error: mismatch,
          commands: [{ title: 'instructor: ngshare-course-management create_course course101 instructor1', error: mismatch }],
        },
      ],
    }),
    { project: 'teardown', title: 'tear down the platform', status: 'passed' },
  ]);
  const tutorial = junit.cases.filter((c) => c.suite === `[tutorial] ${title}`);
  expect(tutorial.map((c) => [c.name, c.kind])).toEqual([
    [steps[0], 'passed'],
    [steps[1], 'failure'],
    [steps[2], 'skipped'],
    [steps[3], 'skipped'],
    [steps[4], 'skipped'],
  ]);
  expect(tutorial[0].out).toContain('✓ instructor: nbgrader list');
  expect(tutorial[0].props).toMatchObject({ 'command.1': 'instructor: python -m pip show nbgrader ngshare-exchange', 'command.2.verdict': 'pass' });
  expect(tutorial[1]).toMatchObject({
    type: 'golden mismatch',
    message: expect.stringMatching(/^GoldenMismatchError: golden step5-create-course: unexpected output line 1/),
  });
  expect(tutorial[1].text).toContain('1 + [CreateCourseApp | ERROR] boom');
  expect(tutorial[2].message).toBe(`not run: ${steps[1]} failed and stopped the test`);
  expect(junit.suites.find((s) => s.name === `[tutorial] ${title}`)).toMatchObject({ tests: 5, failures: 1, errors: 0, skipped: 3 });
});

test('an infrastructure error is an <error>, not a failure', () => {
  const down = 'HarnessError: exec: instructor1 has no running server (hub answered 503)';
  const junit = junitOf([tutorialTest({ status: 'failed', error: down, steps: [{ title: steps[0], error: down }] })]);
  const step4 = junit.cases.find((c) => c.name === steps[0])!;
  expect(step4).toMatchObject({ kind: 'error', type: 'infrastructure' });
  expect(classify('Error: expect(received).toBe(expected)').kind).toBe('failure');
  expect(classify('Test timeout of 900000ms exceeded.')).toEqual({ kind: 'error', type: 'timeout' });
});

test('when the platform does not come up, setup is the error and every step shows as not run', () => {
  const junit = junitOf([
    { project: 'setup', title: 'bring up the platform', status: 'failed', error: 'preflight: missing prerequisites: python3 (not found on PATH)' },
    tutorialTest({}),
    { project: 'teardown', title: 'tear down the platform', status: 'passed' },
  ]);
  expect(junit.cases.find((c) => c.name === 'bring up the platform')).toMatchObject({ kind: 'error' });
  const tutorial = junit.cases.filter((c) => c.suite === `[tutorial] ${title}`);
  expect(tutorial).toHaveLength(5);
  for (const c of tutorial) expect(c).toMatchObject({ kind: 'skipped', message: 'not run: the platform did not come up' });
});

test('a kept teardown is skipped with what happened, not a pass; a failure before the first step has a case of its own', () => {
  const junit = junitOf([
    tutorialTest({ status: 'failed', error: 'HarnessError: classroom: could not point student1-c2 at course101-c2 (exit 1)' }),
    { project: 'teardown', title: 'tear down the platform', status: 'passed', annotations: [{ type: 'kept', description: 'the stack is left up (--keep)' }] },
  ]);
  expect(junit.cases.find((c) => c.name === 'tear down the platform')).toMatchObject({
    kind: 'skipped',
    message: 'kept, not torn down: the stack is left up (--keep)',
  });
  expect(junit.cases.find((c) => c.name === `${title} (outside its steps)`)).toMatchObject({ kind: 'error' });
  expect(junit.cases.find((c) => c.name === steps[0])?.message).toMatch(/^not run: the test stopped: HarnessError: classroom/);
});

test('text that XML cannot hold is escaped or dropped', () => {
  expect(xmlText('a < b & "c" \u001b[31mred\u001b[39m \u0007')).toBe('a &lt; b &amp; &quot;c&quot; red ');
  const junit = junitOf([tutorialTest({ status: 'failed', error: 'Error: <tag> & \u0001', steps: [{ title: steps[0], error: 'Error: <tag> & \u0001' }] })]);
  expect(junit.cases.find((c) => c.name === steps[0])?.text).toBe('Error: <tag> & ');
});

test('a soft golden mismatch fails its step as a <failure>; with the stack found down after it, the step is an <error> led by the mismatch', () => {
  const soft = 'Error: golden step5-create-course: output line 1, not in the golden:  Could not establish connection to ngshare server; exit code 255';
  const ended = 'HarnessError: faults: the run ends here: stop-ngshare was injected before …';
  const junit = junitOf([
    tutorialTest({
      status: 'failed',
      error: soft,
      steps: [
        {
          title: steps[0],
          commands: [
            {
              title: 'instructor: nbgrader list',
              error: 'Error: golden step4-list-course-not-found: unexpected output line 2: [ListApp | INFO] course101 ps1',
            },
          ],
        },
        {
          title: steps[1],
          error: ended,
          commands: [
            { title: 'instructor: ngshare-course-management create_course course101 instructor1', error: soft },
            { title: 'instructor: ngshare-course-management add_student course101 student1', error: ended },
          ],
        },
      ],
    }),
  ]);
  expect(junit.cases.find((c) => c.name === steps[0])).toMatchObject({
    kind: 'failure',
    type: 'golden mismatch',
    message: expect.stringContaining('course101 ps1'),
  });
  const step5 = junit.cases.find((c) => c.name === steps[1])!;
  expect(step5).toMatchObject({ kind: 'error', message: soft });
  expect(step5.text).toContain('HarnessError: faults: the run ends here');
  expect(step5.out).toContain('✘ instructor: ngshare-course-management add_student course101 student1');
});
