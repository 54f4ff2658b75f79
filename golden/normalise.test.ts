import { test, expect } from '@playwright/test';
import { driftForm, normaliseOutput } from './normalise.js';

const localHome = '/work/main/.e2e/runs/e2e-20261126-112459-1a93/home/instructor1';

test('colour codes, carriage returns and trailing whitespace go; leading whitespace stays', () => {
  const out = '\u001b[92m Successfully created course101\u001b[00m  \r\nDownloading 10%\rDownloading 100%\n    indented\t\n\n';
  expect(normaliseOutput(out)).toEqual([' Successfully created course101', 'Downloading 100%', '    indented']);
});

test("the user's home becomes {{home}}, whole path segments only", () => {
  const out = [`[QuickStartApp | INFO] Creating directory '${localHome}/course101'...`, `cd ${localHome}`, `${localHome}2/other`].join('\n');
  expect(normaliseOutput(out, { home: `${localHome}/` })).toEqual([
    "[QuickStartApp | INFO] Creating directory '{{home}}/course101'...",
    'cd {{home}}',
    `${localHome}2/other`,
  ]);
  // A pod's home is the default.
  expect(normaliseOutput('[SubmitApp | INFO] Source: /home/jovyan/ps1')).toEqual(['[SubmitApp | INFO] Source: {{home}}/ps1']);
});

test('timestamps, Python environment prefixes and run-unique user names are normalised', () => {
  const out = [
    '[SubmitApp | INFO] Submitted as: course101 ps1 2026-02-04 03:03:39.734930',
    'Location: /root/.cache/nbgrader-ngshare-e2e/envs/user-602445687dabed13/lib/python3.13/site-packages',
    'Location: /opt/conda/lib/python3.13/site-packages',
    '/opt/conda/lib/python3.13/site-packages/nbgrader/api.py:2255: SAWarning: Object of type',
    `  File "/opt/conda/lib/python3.13/site-packages/ngshare_exchange/exchange.py", line 28, in Exchange`,
    "[DbStudentAddApp | INFO] Creating/updating student with ID 'e2e-ab12-student1': {}",
    'Successfully added/updated e2e-ab12-student1 on course101 (not e2e-ab12-student10)',
  ].join('\n');
  expect(normaliseOutput(out, { names: { 'e2e-ab12-student1': 'student1' } })).toEqual([
    '[SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}',
    'Location: {{prefix}}/lib/python3.13/site-packages',
    'Location: {{prefix}}/lib/python3.13/site-packages',
    '{{prefix}}/lib/python3.13/site-packages/nbgrader/api.py:2255: SAWarning: Object of type',
    '  File "{{prefix}}/lib/python3.13/site-packages/ngshare_exchange/exchange.py", line 28, in Exchange',
    "[DbStudentAddApp | INFO] Creating/updating student with ID 'student1': {}",
    'Successfully added/updated student1 on course101 (not e2e-ab12-student10)',
  ]);
});

test('the drift form hides byte counts and sorts runs of lines whose order varies', () => {
  const run1 = [
    '[SubmitApp | INFO] Source: {{home}}/ps1',
    '[SubmitApp | INFO] Encoding: problem2.ipynb',
    '[SubmitApp | INFO] Encoding: jupyter.png',
    '[SubmitApp | INFO] Encoding: problem1.ipynb',
    '',
    '[AutogradeApp | INFO] Writing 21475 bytes to {{home}}/x.ipynb',
    'api.py:2255: SAWarning: along Student.submissions',
    '  for notebook in submission.assignment.notebooks:',
    'api.py:2255: SAWarning: along Assignment.submissions',
    '  for notebook in submission.assignment.notebooks:',
    'api.py:149: SAWarning: along Notebook.submissions',
    '  return [x for x in self._base_cells if isinstance(x, GradeCell)]',
  ];
  const run2 = [
    ...run1.slice(0, 1),
    run1[3],
    run1[1],
    run1[2],
    run1[5].replace('21475', '21476'),
    ...run1.slice(8, 10),
    ...run1.slice(6, 8),
    ...run1.slice(10),
  ];
  expect(driftForm(run2)).toEqual(driftForm(run1));
  expect(driftForm(run1)).toEqual([
    '[SubmitApp | INFO] Source: {{home}}/ps1',
    '[SubmitApp | INFO] Encoding: jupyter.png',
    '[SubmitApp | INFO] Encoding: problem1.ipynb',
    '[SubmitApp | INFO] Encoding: problem2.ipynb',
    '[AutogradeApp | INFO] Writing {{n}} bytes to {{home}}/x.ipynb',
    'api.py:149: SAWarning: along Notebook.submissions',
    '  return [x for x in self._base_cells if isinstance(x, GradeCell)]',
    'api.py:2255: SAWarning: along Assignment.submissions',
    '  for notebook in submission.assignment.notebooks:',
    'api.py:2255: SAWarning: along Student.submissions',
    '  for notebook in submission.assignment.notebooks:',
  ]);
});
