/**
 * The matrix without running a stack: the committed matrix file, a run's outcome read from what
 * it wrote (passed, changed output, broken flow), the table and the changes since a baseline,
 * npm's engines complaint, and the Allure results.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { RunSummary } from '../reporters/transcripts.js';
import { allureStatus, writeAllureResults } from './allure.js';
import { cellVersionSet, defaultBaselineFile, loadMatrix, maxCells } from './cells.js';
import { classifyRun, outputDirOf } from './outcome.js';
import { engineProblem } from './prepare.js';
import { baselineOf, compareWithBaseline, readBaseline, renderMarkdown, type CellResult, type MatrixReport } from './table.js';

const write = (text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-')), 'matrix.yaml');
  fs.writeFileSync(file, text);
  return file;
};

test('the committed matrix: at most 8 cells, pinned and latest first, each cell a valid version set, the baseline names them', () => {
  const matrix = loadMatrix();
  expect(matrix.cells.length).toBeLessThanOrEqual(maxCells);
  expect(matrix.cells.slice(0, 2).map((c) => c.name)).toEqual(['pinned', 'latest']);
  for (const cell of matrix.cells) expect(Object.keys(cellVersionSet(cell).roles)).toEqual(['hub', 'ngshare', 'user']);
  // The cells: a newer JupyterHub in hub and user servers, ngshare rebuilt, another Python, ngshare-exchange 0.5.3.
  const sets = matrix.cells.map(cellVersionSet);
  const install = (role: 'hub' | 'ngshare' | 'user') => sets.map((s) => JSON.stringify(s.roles[role]));
  expect(install('hub').some((s) => s.includes('jupyterhub>=6'))).toBe(true);
  expect(install('user').some((s) => s.includes('jupyterhub>=6'))).toBe(true);
  expect(install('ngshare').some((s) => s.includes('"install":["ngshare"]'))).toBe(true);
  expect(install('user').some((s) => /"python":"3\.\d+"/.test(s))).toBe(true);
  expect(install('user').some((s) => s.includes('ngshare-exchange==0.5.3'))).toBe(true);
  const baseline = readBaseline(defaultBaselineFile);
  expect(baseline, 'matrix/baseline.json is committed').toBeDefined();
  for (const name of Object.keys(baseline!.cells)) expect(matrix.cells.map((c) => c.name)).toContain(name);
});

test('a matrix file with a mistake says which cell and what', () => {
  expect(() => loadMatrix(write('cells: []'))).toThrow(/give a list of cells/);
  expect(() => loadMatrix(write(`cells:\n${Array.from({ length: 9 }, (_, i) => `  - name: c${i}\n    from: latest`).join('\n')}`))).toThrow(
    /9 cells; a matrix has at most 8/,
  );
  expect(() => loadMatrix(write('cells:\n  - name: a\n    from: newest'))).toThrow(/cell 1 \(a\): from "newest": choose pinned or latest/);
  expect(() => loadMatrix(write('cells:\n  - name: a\n    from: latest\n  - name: a\n    from: latest'))).toThrow(/cell 2 \(a\): the name is used twice/);
  expect(() => loadMatrix(write('cells:\n  - name: a\n    from: latest\n    user: { install: ["nbgrader; rm -rf /"] }'))).toThrow(
    /cell 1 \(a\): user: "nbgrader; rm -rf \/" is not a requirement/,
  );
  expect(() => loadMatrix(write('cells:\n  - name: a\n    from: latest\n    hubb: {}'))).toThrow(/unknown key hubb/);
  expect(() => loadMatrix(write('cells:\n  - name: a\n    from: latest\n    proxy: latest'))).toThrow(/proxy: give an npm version/);
});

const step = (name: string, status: 'passed' | 'failed', commands: Array<Partial<RunSummary['steps'][0]['commands'][0]>> = [], error?: string) => ({
  scenario: 'tutorial',
  step: name,
  status,
  durationMs: 1,
  error,
  commands: commands.map((c, i) => ({
    seq: i,
    scenario: 'tutorial',
    step: name,
    argv: [],
    command: 'nbgrader list',
    user: 'instructor1',
    cwd: '/',
    exitCode: 0,
    durationMs: 1,
    timedOut: false,
    verdict: 'pass' as const,
    transcript: 't',
    ...c,
  })),
});
const checks = (statuses: Array<'passed' | 'failed' | 'not reached'>) =>
  ['ps1 listed after the release', 'the files fetched', "a collected submission with the student's timestamp", 'autograded notebooks on disk'].map(
    (name, i) => ({
      scenario: 'tutorial',
      name,
      status: statuses[i],
      detail: statuses[i] === 'failed' ? 'expected a line matching /course101\\s+ps1/' : undefined,
    }),
  );
const summary = (steps: RunSummary['steps'], c: ReturnType<typeof checks>): RunSummary => ({
  runId: 'r',
  platform: 'local',
  generatedAt: '',
  totals: { steps: 0, failedSteps: 0, commands: 0, failedCommands: 0 },
  steps,
  checks: c,
});

test("a run's output directory is where its first line says", () => {
  expect(outputDirOf('versions: latest …\nrun e2e-20261202-065050-5327 on local; output in /o/runs/e2e-20261202-065050-5327\nRunning 1 test')).toBe(
    '/o/runs/e2e-20261202-065050-5327',
  );
  expect(outputDirOf('run e2e-1 (rerun 2) on local; output in /o/e2e-1/reruns/2')).toBe('/o/e2e-1/reruns/2');
  expect(outputDirOf('usage: unknown option')).toBeUndefined();
});

test('a run that passed', () => {
  expect(classifyRun(0, summary([step('Step 4', 'passed')], checks(['passed', 'passed', 'passed', 'passed'])), undefined)).toEqual({ result: 'passed' });
});

test('changed output: every data check passed, only goldens failed', () => {
  const s = summary(
    [
      step('Step 4: Validate', 'failed', [
        {
          command: 'python -m pip show nbgrader ngshare-exchange',
          verdict: 'fail',
          golden: 'step4-pip-show',
          reason: 'golden step4-pip-show: 1 unexpected output line (first: line 3)',
        },
      ]),
      step('Step 8', 'passed'),
    ],
    checks(['passed', 'passed', 'passed', 'passed']),
  );
  const outcome = classifyRun(1, s, undefined);
  expect(outcome).toEqual({
    result: 'failed',
    failure: {
      kind: 'changed output',
      step: 'Step 4: Validate',
      command: 'python -m pip show nbgrader ngshare-exchange',
      headline: 'golden step4-pip-show: 1 unexpected output line (first: line 3)',
      checks: [],
    },
  });
});

test('broken flow: the release announced but not listed (SQLAlchemy 2), the rest never reached', () => {
  const s = summary(
    [
      step('Step 6: Create and release', 'failed', [
        { command: 'nbgrader release_assignment ps1', verdict: 'pass', golden: 'step6-release-assignment' },
        {
          command: 'nbgrader list',
          verdict: 'fail',
          golden: 'step6-list-released',
          reason: 'golden step6-list-released: 1 golden line missing (first: line 2)',
        },
      ]),
    ],
    checks(['failed', 'not reached', 'not reached', 'not reached']),
  );
  const outcome = classifyRun(1, s, undefined);
  expect(outcome.result).toBe('failed');
  if (outcome.result !== 'failed') return;
  expect(outcome.failure.kind).toBe('broken flow');
  expect(outcome.failure.step).toBe('Step 6: Create and release');
  expect(outcome.failure.command).toBe('nbgrader list');
  expect(outcome.failure.headline).toMatch(/^data check "ps1 listed after the release" failed: expected a line/);
  expect(outcome.failure.checks).toEqual([
    'ps1 listed after the release (failed)',
    'the files fetched (not reached)',
    "a collected submission with the student's timestamp (not reached)",
    'autograded notebooks on disk (not reached)',
  ]);
});

test('broken flow: goldens only but a command timed out, or the stack never came up', () => {
  const timedOut = summary(
    [
      step('Step 7', 'failed', [
        {
          command: 'nbgrader submit ps1',
          verdict: 'fail',
          golden: 'step7-student-submit',
          timedOut: true,
          reason: 'instructor: `nbgrader submit ps1` timed out',
        },
      ]),
    ],
    checks(['passed', 'passed', 'passed', 'passed']),
  );
  expect(classifyRun(1, timedOut, undefined)).toMatchObject({ result: 'failed', failure: { kind: 'broken flow', step: 'Step 7' } });
  const results = {
    suites: [
      {
        specs: [
          {
            title: 'bring up the platform',
            tests: [{ projectName: 'setup', results: [{ status: 'failed', error: { message: '\u001b[31mhub: exited while starting\u001b[39m\nlog…' } }] }],
          },
        ],
      },
    ],
  };
  expect(classifyRun(1, undefined, results)).toEqual({
    result: 'failed',
    failure: { kind: 'broken flow', step: 'bring-up', headline: 'hub: exited while starting', checks: [] },
  });
});

const cell = (name: string, result: CellResult['result'], versions: Record<string, string>, failure?: CellResult['failure'], reason?: string): CellResult => ({
  name,
  title: name,
  asked: name,
  result,
  versions,
  failure,
  reason,
  timing: { prepareMs: 1000, runMs: 60_000 },
});

test('changes since the baseline read as people say them; a cell that passed and fails now is a regression', () => {
  const v = (nbgrader: string, exchange = '0.5.2') => ({ nbgrader, 'ngshare-exchange': exchange, 'hub jupyterhub': '5.4.4' });
  const baseline = {
    recordedAt: '',
    cells: {
      pinned: { result: 'passed' as const, versions: v('0.9.5') },
      latest: { result: 'passed' as const, versions: v('0.9.5') },
      'exchange-next': { result: 'passed' as const, versions: v('0.9.6', '0.5.3') },
      gone: { result: 'unresolvable' as const, versions: {} },
    },
  };
  const broken = {
    kind: 'broken flow' as const,
    step: 'Step 7: Student workflow (fetch + submit)',
    command: 'nbgrader fetch_assignment ps1',
    headline: 'x',
    checks: [],
  };
  const cells = [
    cell('pinned', 'passed', v('0.9.5')),
    cell('latest', 'passed', v('0.9.6')),
    cell('exchange-next', 'failed', v('0.9.6', '0.5.4'), broken),
    cell('gone', 'unresolvable', {}, undefined, 'user: Because …'),
    cell('fresh', 'unrunnable', {}, undefined, 'Python 3.14 is not installed here'),
  ];
  const { changes, regressions } = compareWithBaseline(cells, baseline);
  expect(changes).toEqual([
    'latest: new nbgrader 0.9.5 → 0.9.6 passes',
    'exchange-next: new ngshare-exchange 0.5.3 → 0.5.4 breaks Step 7: Student workflow (fetch + submit) (broken flow) (passed in the baseline)',
    'fresh: new cell, unrunnable here',
  ]);
  expect(regressions).toEqual(['exchange-next']);
  expect(compareWithBaseline(cells, undefined).changes).toHaveLength(5);
  // Recording keeps cells not run this time.
  const next = baselineOf([cells[1]], baseline);
  expect(next.cells.latest.versions.nbgrader).toBe('0.9.6');
  expect(next.cells.pinned.versions.nbgrader).toBe('0.9.5');
});

test('the table: a row per cell with its versions, result and why; Allure: one test per cell with its versions as parameters', () => {
  const report: MatrixReport = {
    date: '2026-12-02',
    asOf: '2026-12-02T06:00:00.000Z',
    matrixFile: 'matrix/matrix.yaml',
    machine: { cores: 2, node: 'v20.20.2', uptime: 'load average 3.1, 2.0, 1.5' },
    jobs: 2,
    wallMs: 600_000,
    cells: [
      cell('latest', 'passed', {
        nbgrader: '0.9.6',
        'ngshare-exchange': '0.5.2',
        'hub jupyterhub': '5.4.4',
        'user jupyterhub': '5.4.4',
        ngshare: '0.6.0',
        'ngshare sqlalchemy': '1.4.45',
      }),
      cell(
        'ngshare-rebuilt',
        'failed',
        { ngshare: '0.6.0', 'ngshare sqlalchemy': '2.1.9' },
        {
          kind: 'broken flow',
          step: 'Step 6',
          command: 'nbgrader list',
          headline: 'data check "ps1 listed after the release" failed | x',
          checks: ['ps1 listed after the release (failed)'],
        },
      ),
      cell('both', 'unresolvable', {}, undefined, 'user: Because ngshare-exchange==0.5.3 depends on jupyter-core<4.11.2 …'),
      cell('proxy', 'unrunnable', {}, undefined, 'configurable-http-proxy 5.3.0 needs node >=22.12.0'),
    ],
    changes: ['latest: new nbgrader 0.9.5 → 0.9.6 passes'],
    regressions: [],
  };
  const md = renderMarkdown(report);
  expect(md).toContain('| **latest** | ✅ passed | 0.9.6 | 0.5.2 | – | 5.4.4 / 5.4.4 | 0.6.0 (1.4.45) |');
  expect(md).toContain('| **ngshare-rebuilt** | ❌ failed: broken flow |');
  expect(md).toContain('Step 6 › `nbgrader list`: data check "ps1 listed after the release" failed \\| x');
  expect(md).toContain('⛔ unresolvable');
  expect(md).toContain('➖ unrunnable here');
  expect(md).toContain('Works today: latest.');
  expect(md).toContain('- latest: new nbgrader 0.9.5 → 0.9.6 passes');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-allure-'));
  const files = writeAllureResults(path.join(dir, 'allure-results'), report, dir);
  expect(files).toHaveLength(4);
  const results = files.map(
    (f) => JSON.parse(fs.readFileSync(f, 'utf8')) as { name: string; status: string; parameters: Array<{ name: string; value: string }> },
  );
  expect(results.map((r) => r.status)).toEqual(['passed', 'failed', 'broken', 'skipped']);
  expect(results[0].parameters).toContainEqual({ name: 'nbgrader', value: '0.9.6' });
  expect(results[1].parameters).toContainEqual({ name: 'ngshare sqlalchemy', value: '2.1.9' });
  expect(allureStatus(cell('c', 'failed', {}, { kind: 'changed output', step: 's', headline: 'h', checks: [] }))).toBe('broken');
  expect(fs.readFileSync(path.join(dir, 'allure-results', 'environment.properties'), 'utf8')).toContain('PyPI\\ as\\ of=2026-12-02T06:00:00.000Z');
});

test("npm's engines complaint becomes one line: which package needs which Node", () => {
  const npm = `npm error code EBADENGINE
npm error engine Unsupported engine
npm error engine Not compatible with your version of node/npm: commander@15.0.0
npm error notsup Not compatible with your version of node/npm: commander@15.0.0
npm error notsup Required: {"node":">=22.12.0"}
npm error notsup Actual:   {"node":"v20.20.2","npm":"11.19.1"}`;
  expect(engineProblem(npm, 'v20.20.2')).toBe('needs node >=22.12.0 (through commander@15.0.0); this machine has v20.20.2');
  expect(engineProblem('added 1 package')).toBeUndefined();
});
