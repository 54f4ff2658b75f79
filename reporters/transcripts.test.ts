import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { TranscriptLog, summarise, type RunSummary } from './transcripts.js';
import type { CommandResult } from '../cluster/platform.js';

const result = (command: string, exitCode = 0): CommandResult => ({
  command,
  user: 'student1',
  cwd: '/home/jovyan',
  exitCode,
  stdout: '',
  stderr: 'x\n',
  output: 'x\n',
  durationMs: 12,
  timedOut: false,
});

test('each command gets a numbered transcript file and a summary entry under its step', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-transcripts-'));
  const log = new TranscriptLog(dir, 'e2e-20261126-000000-abcd', 'local');
  const a = log.writeTranscript(result('nbgrader list'));
  log.addCommand({
    seq: a.seq,
    scenario: 's',
    step: 'Step 7',
    argv: ['bash', '-c', 'nbgrader list'],
    command: 'nbgrader list',
    user: 'student1',
    cwd: '/home/jovyan',
    exitCode: 0,
    durationMs: 12,
    timedOut: false,
    verdict: 'pass',
    transcript: a.file,
  });
  log.addStep({ scenario: 's', step: 'Step 7', status: 'passed', durationMs: 20 });
  const b = log.writeTranscript(result('nbgrader submit ps1', 1));
  log.addCommand({
    seq: b.seq,
    scenario: 's',
    step: 'Step 8',
    argv: ['bash', '-c', 'nbgrader submit ps1'],
    command: 'nbgrader submit ps1',
    user: 'student1',
    cwd: '/home/jovyan',
    exitCode: 1,
    durationMs: 12,
    timedOut: false,
    verdict: 'fail',
    reason: 'no',
    transcript: b.file,
  });

  expect(a.file).toBe('transcripts/001-student1-nbgrader-list.txt');
  expect(fs.readFileSync(path.join(dir, a.file), 'utf8')).toBe(
    '# user:      student1\n# cwd:       /home/jovyan\n# command:   nbgrader list\n# exit code: 0\n# duration:  12 ms\nx\n',
  );
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  expect(summary.totals).toEqual({ steps: 2, failedSteps: 1, commands: 2, failedCommands: 1 });
  expect(summary.steps[0]).toMatchObject({ step: 'Step 7', status: 'passed', commands: [{ command: 'nbgrader list', verdict: 'pass' }] });
  // A step that never finished (killed run) still shows, as failed.
  expect(summary.steps[1]).toMatchObject({ step: 'Step 8', status: 'failed', error: 'did not finish' });
});

test('a step title that runs twice files each command under its own run of the step, once', () => {
  const command = (seq: number, verdict: 'pass' | 'fail', at: number) => ({
    seq,
    scenario: 'the tutorial flow',
    step: 'Step 4: Validate in JupyterHub',
    argv: ['bash', '-c', 'nbgrader list'],
    command: 'nbgrader list',
    user: 'instructor1',
    cwd: '/home/jovyan',
    exitCode: 0,
    durationMs: 5,
    timedOut: false,
    verdict,
    transcript: `transcripts/00${seq}-instructor1-nbgrader-list.txt`,
    at,
  });
  const step = (status: 'passed' | 'failed', at: number) => ({
    scenario: 'the tutorial flow',
    step: 'Step 4: Validate in JupyterHub',
    status,
    durationMs: 9,
    at,
  });
  const summary = summarise(
    'e2e-20261126-000000-abcd',
    'local',
    [command(1, 'pass', 100), command(2, 'fail', 300)],
    [step('passed', 150), step('failed', 350)],
  );
  expect(summary.steps.map((s) => [s.status, s.commands.map((c) => c.seq)])).toEqual([
    ['passed', [1]],
    ['failed', [2]],
  ]);
  expect(summary.totals).toEqual({ steps: 2, failedSteps: 1, commands: 2, failedCommands: 1 });
});
