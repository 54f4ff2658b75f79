import { test, expect } from '@playwright/test';
import {
  commandListDifferences,
  floorTiming,
  formatComparison,
  harnessOwnMs,
  harnessTiming,
  medianTiming,
  parseDuration,
  ratioLine,
  rowNames,
  setupMilestones,
} from './bench-report.js';
import type { RunRecord } from './run-record.js';

const setupStderr = [
  '12:05:43 platform: run e2e-x: bringing up the local platform',
  '12:06:40 python-envs: hub environment ready in 41.2 s',
  '12:07:10 python-envs: user environment ready in 1 min 15 s',
  '12:05:44 platform: Python environments ready in 402 ms',
  '12:05:49 platform: hub, proxy and ngshare up at http://127.0.0.1:38407 in 5.6 s',
  '12:06:02 platform: local stack ready at http://127.0.0.1:38407 in 18.2 s (402 ms of it the Python environments)',
  '',
].join('\n');

test('durations as the harness prints them, back to milliseconds', () => {
  expect(parseDuration('402 ms')).toBe(402);
  expect(parseDuration('5.6 s')).toBe(5600);
  expect(parseDuration('3 min 05 s')).toBe(185_000);
  expect(parseDuration('soon')).toBeUndefined();
});

test("the setup test's progress lines give the stack's milestones and each environment build", () => {
  expect(setupMilestones(setupStderr)).toEqual({ envs: 402, services: 5600, servers: 18_200, builds: { hub: 41_200, user: 75_000 } });
});

test("a harness run as rows: the stack's parts, its steps, and what the harness adds around them", () => {
  const record: RunRecord = {
    runId: 'e2e-x',
    outputDir: '/out/e2e-x',
    tests: [
      { project: 'setup', title: 'bring up the platform', status: 'passed', durationMs: 20_000, stderr: setupStderr },
      { project: 'tutorial', title: 'the flow', status: 'passed', durationMs: 31_000 },
      { project: 'teardown', title: 'tear down the platform', status: 'passed', durationMs: 8000 },
    ].map((t) => ({ stderr: '', ...t })) as RunRecord['tests'],
    steps: [
      { name: '[setup] bring up the platform', status: 'passed', durationMs: 20_000 },
      { name: 'Step 4', status: 'passed', durationMs: 10_000 },
      { name: 'Step 5', status: 'passed', durationMs: 20_000 },
      { name: '[teardown] tear down the platform', status: 'passed', durationMs: 8000 },
    ],
    commands: [{ step: 'Step 4', user: 'instructor1', cwd: '/h', command: 'nbgrader list', durationMs: 4000, failed: false }],
  };
  const timing = harnessTiming(record, 65_000);
  expect(timing.rows).toEqual({
    [rowNames.envs]: 402,
    [rowNames.services]: 5600,
    [rowNames.servers]: 12_198,
    'Step 4': 10_000,
    'Step 5': 20_000,
    [rowNames.teardown]: 8000,
    [rowNames.setupExtra]: 1800,
    [rowNames.testExtra]: 1000,
    [rowNames.runner]: 6000,
    [rowNames.total]: 65_000,
  });
  expect(timing.steps).toEqual(['Step 4', 'Step 5']);
  // Environment check, setup and test beyond their parts, and the runner.
  expect(harnessOwnMs(timing)).toBe(402 + 1800 + 1000 + 6000);
  expect(timing.commands).toEqual([{ user: 'instructor1', command: 'nbgrader list', durationMs: 4000 }]);
});

test("with the spawn time known, the runner's share splits into start, new workers, and exit", () => {
  const t0 = Date.parse('2026-11-26T12:00:00Z');
  const test = (project: string, start: number, durationMs: number) => ({
    project,
    title: project,
    status: 'passed' as const,
    durationMs,
    startedAtMs: t0 + start,
    stderr: '',
  });
  const record: RunRecord = {
    runId: 'e2e-x',
    outputDir: '/out/e2e-x',
    tests: [test('setup', 4000, 20_000), test('teardown', 58_000, 8000), test('tutorial', 25_500, 31_000)],
    steps: [],
    commands: [],
  };
  const rows = harnessTiming(record, 67_000, t0).rows;
  expect(rows[rowNames.runner]).toBe(8000);
  expect([rows[rowNames.start], rows[rowNames.workers], rows[rowNames.exit]]).toEqual([4000, 3000, 1000]);
  // Without the spawn time, only the whole.
  expect(harnessTiming(record, 67_000).rows[rowNames.start]).toBeUndefined();
});

const floorOut = [
  'step 3000 proxy, ngshare, hub',
  'step 7000 user servers',
  'command 400 0 instructor1 . python -m pip show nbgrader ngshare-exchange',
  'command 3000 0 instructor1 course101 nbgrader generate_assignment ps1',
  'step 3500 Step 4',
  'step 2000 teardown',
  'step 15600 total',
  '',
].join('\n');

test("the floor script's lines as rows, its wall time as the total", () => {
  const timing = floorTiming(floorOut, 15_700);
  expect(timing.rows).toEqual({ 'proxy, ngshare, hub': 3000, 'user servers': 7000, 'Step 4': 3500, teardown: 2000, total: 15_700 });
  expect(timing.steps).toEqual(['Step 4']);
  expect(timing.commands).toEqual([
    { durationMs: 400, exitCode: 0, user: 'instructor1', command: 'python -m pip show nbgrader ngshare-exchange' },
    { durationMs: 3000, exitCode: 0, user: 'instructor1', command: 'nbgrader generate_assignment ps1' },
  ]);
});

test('medians row by row and command by command', () => {
  const a = floorTiming(floorOut, 10_000);
  const b = floorTiming(floorOut.replace('step 3000 proxy', 'step 5000 proxy'), 30_000);
  const c = floorTiming(floorOut.replace('command 400 ', 'command 100 '), 20_000);
  const median = medianTiming([a, b, c])!;
  expect(median.rows.total).toBe(20_000);
  expect(median.rows['proxy, ngshare, hub']).toBe(3000);
  expect(median.commands[0].durationMs).toBe(400);
  expect(medianTiming([])).toBeUndefined();
});

test('a floor that ran other commands than the harness is named', () => {
  const floor = floorTiming(floorOut, 1);
  const harness = { ...floor, commands: [floor.commands[0]] };
  expect(commandListDifferences(floor, floor)).toEqual([]);
  expect(commandListDifferences(floor, harness)).toEqual(['#2: instructor1: nbgrader generate_assignment ps1 vs (none)']);
});

test('the table puts cold, warm and floor side by side, and the ratio is warm over floor', () => {
  const floor = floorTiming(floorOut, 16_000);
  const warm = { ...floor, rows: { ...floor.rows, [rowNames.envs]: 400, 'Step 4': 5000, [rowNames.runner]: 3000, total: 24_000 } };
  const lines = formatComparison({ warm, floor });
  expect(lines[0]).toMatch(/^\s+cold\s+warm\s+floor\s+warm − floor$/);
  expect(lines.find((l) => l.trimStart().startsWith('Step 4'))).toMatch(/Step 4\s+—\s+5\.0 s\s+3\.5 s\s+\+1\.5 s$/);
  expect(lines.find((l) => l.includes(rowNames.runner))).toMatch(/—\s+3\.0 s\s+—\s+\+3\.0 s$/);
  expect(lines.some((l) => l.includes('instructor1: nbgrader generate_assignment ps1'))).toBe(true);
  expect(ratioLine(warm, floor)).toBe('warm/floor = 1.50');
  expect(ratioLine(undefined, floor)).toBe('warm/floor = n/a');
});
