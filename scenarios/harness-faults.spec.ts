/**
 * The harness itself under faults: each test runs the real harness (`npm run e2e`) in a child
 * process with a fault injected, then checks that the run went red at the right step, with a
 * message that names the broken part, within its bounds, with diagnostics, and left nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import type { RunSummary } from '../cluster/transcripts.js';
import { findRunProcesses } from '../cluster/local/processes.js';

test.describe.configure({ mode: 'serial' });
test.setTimeout(6 * 60_000);

interface HarnessRun {
  exitCode: number;
  output: string;
  runId: string;
  outputDir: string;
  summary: RunSummary | undefined;
  seconds: number;
}

/** Run `npm run e2e` with extra environment, in directories of this test only. */
async function runHarness(env: Record<string, string>, args: string[] = []): Promise<HarnessRun> {
  const root = test.info().outputPath('harness');
  const started = Date.now();
  const child = await execa('npx', ['tsx', 'scripts/e2e.ts', ...args], {
    env: {
      ...env,
      E2E_STATE_DIR: path.join(root, 'state'),
      E2E_OUTPUT_DIR: path.join(root, 'output'),
      // The parent's run id must not leak into the child: it makes its own.
      E2E_RUN_ID: '',
    },
    all: true,
    reject: false,
    timeout: 5 * 60_000,
  });
  const output = child.all ?? '';
  const runId = /run (e2e-\d{8}-\d{6}-[0-9a-f]{4}) on/.exec(output)?.[1] ?? '';
  const outputDir = path.join(root, 'output', runId);
  const summaryFile = path.join(outputDir, 'summary.json');
  await test.info().attach('harness output', { body: output, contentType: 'text/plain' });
  return {
    exitCode: child.exitCode ?? -1,
    output,
    runId,
    outputDir,
    summary: fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary) : undefined,
    seconds: (Date.now() - started) / 1000,
  };
}

function expectRedAt(run: HarnessRun, step: string, command: string, reason: RegExp) {
  expect(run.exitCode, run.output).toBe(1);
  expect(run.output).toMatch(/^\d+ passed, 1 failed, \d+ skipped$/m);
  const failed = run.summary?.steps.filter((s) => s.status === 'failed') ?? [];
  expect(failed.map((s) => s.step)).toEqual([step]);
  // A command whose check failed is in the summary; one that could not even run fails its step.
  const culprit = failed[0].commands.find((c) => c.verdict === 'fail');
  if (culprit) expect(culprit.command, 'the failing command').toContain(command);
  expect(`${culprit?.reason ?? ''}\n${failed[0].error ?? ''}`).toMatch(reason);
  // Diagnostics were exported, and nothing of the run is still running.
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'end-of-run', 'logs', 'hub.log'))).toBe(true);
  expect(findRunProcesses(run.runId)).toEqual([]);
}

test('ngshare stopped before the course is created: red at Step 5, naming ngshare', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-ngshare@create_course' });
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /ngshare/i);
  expect(run.seconds).toBeLessThan(150);
});

test('the student dropped from the course: red at Step 7 with 403 Permission denied', async () => {
  const run = await runHarness({ E2E_FAULT: 'drop-student@student1: nbgrader list' });
  expectRedAt(run, 'Step 7: Student workflow (fetch + submit)', 'nbgrader list', /Permission denied|403/);
});

test('the hub killed mid-run: red at the next command, naming the hub', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-hub@instructor1: nbgrader list' });
  expectRedAt(run, 'Step 4: Validate in JupyterHub', 'nbgrader list', /hub/);
  expect(run.seconds).toBeLessThan(150);
});

test('the proxy killed mid-run: red at the next command, naming the proxy', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-proxy@create_course' });
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /^proxy/m);
  expect(run.seconds).toBeLessThan(150);
});
