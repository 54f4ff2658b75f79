import { test, expect } from '@playwright/test';
import { inferHome, parseCapturedTranscript } from './captured.js';
import { compareToGolden } from './index.js';

test('a harness transcript gives its command, exit code and home', () => {
  const captured = parseCapturedTranscript(
    [
      '# user:      student1',
      '# cwd:       /work/main/.e2e/runs/e2e-20261126-112459-1a93/home/student1',
      '# command:   nbgrader list',
      '# exit code: 0',
      '# duration:  2872 ms',
      '[ListApp | INFO] Released assignments:',
      '',
    ].join('\n'),
  );
  expect(captured).toMatchObject({
    user: 'student1',
    command: 'nbgrader list',
    exitCode: 0,
    timedOut: false,
    output: '[ListApp | INFO] Released assignments:\n',
  });
  expect(inferHome(captured)).toBe('/work/main/.e2e/runs/e2e-20261126-112459-1a93/home/student1');
});

test('a terminal session pasted from a pod: prompts and the typed command are dropped', () => {
  const pasted = [
    '(base) jovyan@jupyter-student1:~$ nbgrader submit ps1',
    '[SubmitApp | INFO] Source: /home/jovyan/ps1',
    '[SubmitApp | INFO] Encoding: problem2.ipynb',
    '[SubmitApp | INFO] Encoding: problem1.ipynb',
    '[SubmitApp | INFO] Submitted as: course101 ps1 2026-02-04 03:03:39.734930',
    'jovyan@jupyter-student1:~$ ',
  ].join('\r\n');
  const captured = parseCapturedTranscript(pasted, 'nbgrader submit ps1');
  expect(captured.exitCode).toBeUndefined();
  expect(captured.dropped).toHaveLength(2);
  expect(inferHome(captured)).toBe('/home/jovyan');
  const outcome = compareToGolden('step7-student-submit', captured, { home: inferHome(captured) });
  expect(outcome.ok, outcome.diff).toBe(true);
  expect(outcome.report).toContain('exit code not known, not checked');
  // Also without a prompt: only "$ command" lines.
  expect(parseCapturedTranscript('$ nbgrader list\n[ListApp | INFO] Released assignments:', 'nbgrader list').output).toBe(
    '[ListApp | INFO] Released assignments:',
  );
});

test('the home falls back to the pod home when nothing shows one', () => {
  expect(inferHome({ output: '[ListApp | INFO] Released assignments:' })).toBe('/home/jovyan');
  expect(inferHome({ output: "[QuickStartApp | INFO] Creating directory '/home/instructor1/course101'..." })).toBe('/home/instructor1');
});
