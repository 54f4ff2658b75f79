import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { DriftReport, baselineFile, compareBaseline, recordBaseline, type DriftInput } from './drift.js';

const input = (lines: string[], exitCode = 0): DriftInput => ({
  id: 'step7-student-submit',
  platform: 'local',
  command: 'nbgrader submit ps1',
  exitCode,
  lines,
});
const submit = [
  '[SubmitApp | INFO] Source: {{home}}/ps1',
  '[SubmitApp | INFO] Encoding: problem2.ipynb',
  '[SubmitApp | INFO] Encoding: problem1.ipynb',
  '[SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}',
];

test('a recorded baseline is unchanged by a run that differs only in what always varies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-drift-'));
  expect(compareBaseline(input(submit), dir).status).toBe('no baseline');
  const recorded = recordBaseline(input(submit), dir, {});
  expect(recorded).toMatchObject({ status: 'recorded', baseline: path.join(path.basename(dir), 'recorded', 'local', 'step7-student-submit.txt') });
  expect(fs.readFileSync(baselineFile('step7-student-submit', 'local', dir), 'utf8')).toBe(
    [
      '# golden:    step7-student-submit',
      '# command:   nbgrader submit ps1',
      '# exit code: 0',
      '[SubmitApp | INFO] Source: {{home}}/ps1',
      '[SubmitApp | INFO] Encoding: problem1.ipynb',
      '[SubmitApp | INFO] Encoding: problem2.ipynb',
      '[SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}',
      '',
    ].join('\n'),
  );
  // Encoding order differs: not drift.
  expect(compareBaseline(input([submit[0], submit[2], submit[1], submit[3]]), dir).status).toBe('unchanged');
});

test('a new warning, a new version or another exit code is drift, shown line by line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-drift-'));
  recordBaseline(input(submit), dir, {});
  const drift = compareBaseline(input([...submit.slice(0, 3), '[SubmitApp | WARNING] a new warning', submit[3]], 1), dir);
  expect(drift.status).toBe('changed');
  expect(drift.added).toEqual(['# exit code: 1', '[SubmitApp | WARNING] a new warning']);
  expect(drift.removed).toEqual(['# exit code: 0']);
  expect(drift.diff).toContain('-# exit code: 0\n+# exit code: 1\n');
  expect(drift.diff).toContain('+[SubmitApp | WARNING] a new warning\n');
});

test('the baseline is never recorded in CI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-drift-'));
  expect(() => recordBaseline(input(submit), dir, { CI: 'true' })).toThrow(/drift: refusing to record .* in CI/);
  expect(fs.existsSync(baselineFile('step7-student-submit', 'local', dir))).toBe(false);
});

test('the drift report lists every compared command and the diff of each that changed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-drift-'));
  const goldens = path.join(dir, 'expected-output');
  recordBaseline(input(submit), goldens, {});
  const report = new DriftReport(path.join(dir, 'out'), 'e2e-20261126-000000-abcd', false);
  report.add(compareBaseline(input(submit), goldens));
  report.add(compareBaseline({ ...input(['x']), id: 'step8-collect', command: 'nbgrader collect ps1' }, goldens));
  report.add(compareBaseline(input([...submit, '[SubmitApp | INFO] Version 0.9.6']), goldens));
  const md = fs.readFileSync(path.join(dir, 'out', 'drift.md'), 'utf8');
  expect(md).toContain('3 commands: 1 changed, 1 unchanged, 1 without a baseline.');
  expect(md).toContain('Not strict: drift is reported here and fails nothing');
  expect(md).toContain('| step8-collect | `nbgrader collect ps1` | no baseline | 0 | 0 |');
  expect(md).toContain('## step7-student-submit: `nbgrader submit ps1`\n\n```diff\n');
  expect(md).toContain('+[SubmitApp | INFO] Version 0.9.6');
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'out', 'drift.json'), 'utf8'))).toHaveLength(3);
});
