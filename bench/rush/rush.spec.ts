// The smoke check of `npm run rush`: a class of 3 on a local stack of its own, end to end, in a
// child process as a person runs it. It passes with nothing lost, writes its reports, ends with the
// line people grep for, and leaves nothing behind (no process of its run, no client home).
// Playwright project `rush` (about 3 minutes on a loaded 2-core machine).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { findRunProcesses } from '../../cluster/processes.js';
import { runHarnessChild } from '../../scripts/lib/harness-child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('a class of 3 rushes through fetch and submit with nothing lost, and nothing of the rush stays', async () => {
  const testInfo = test.info();
  test.setTimeout(15 * 60_000);
  const homesBefore = new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('nbgrader-rush-')));
  const child = await runHarnessChild({
    script: 'rush',
    args: ['--students', '3', '--sample', '1'],
    logFile: testInfo.outputPath('rush.log'),
    timeoutMs: 14 * 60_000,
    ownGroup: true,
  });
  await testInfo.attach('rush console', { path: testInfo.outputPath('rush.log'), contentType: 'text/plain' });
  expect(child.exitCode, child.output.slice(-3000)).toBe(0);
  const last = child.output.trim().split('\n').at(-1);
  expect(last).toMatch(/^rush: 3\/3 collected, 0 lost, p95 submit \d+\.\d s$/);

  const dir = /Report: (\S+)\/report\.md/.exec(child.output)?.[1];
  expect(dir, 'the console names the report').toBeDefined();
  const reportDir = path.resolve(root, dir!);
  const report = JSON.parse(fs.readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as {
    passed: boolean;
    steps: Array<{
      passed: boolean;
      verdict: Record<string, unknown>;
      fetch: { ok: number; skew: { skewMs: number } };
      submit: { ok: number; skew: { skewMs: number } };
    }>;
  };
  expect(report.passed).toBe(true);
  const [step] = report.steps;
  expect(step.verdict).toMatchObject({ submitted: 3, collected: 3, lost: [], duplicated: [], late: [], damaged: [] });
  expect(step.fetch.ok).toBe(3);
  expect(step.submit.ok).toBe(3);
  expect(step.fetch.skew.skewMs).toBeLessThan(1000);
  expect(step.submit.skew.skewMs).toBeLessThan(1000);
  const markdown = fs.readFileSync(path.join(reportDir, 'report.md'), 'utf8');
  expect(markdown).toContain('load average');
  expect(fs.readFileSync(path.join(reportDir, 'chart.html'), 'utf8')).toMatch(/<svg[^>]*>[\s\S]*<circle /);
  await testInfo.attach('report.md', { path: path.join(reportDir, 'report.md'), contentType: 'text/markdown' });
  await testInfo.attach('chart.html', { path: path.join(reportDir, 'chart.html'), contentType: 'text/html' });
  const submitLogs = fs.readdirSync(path.join(reportDir, '3-students', 'clients', 'submit'));
  expect(submitLogs).toHaveLength(3);

  // Nothing stays: the stack it brought up is gone with every client, and so are the clients' homes.
  expect(findRunProcesses(child.runId)).toEqual([]);
  const homesAfter = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('nbgrader-rush-') && !homesBefore.has(d));
  expect(homesAfter.filter((d) => fs.existsSync(path.join(os.tmpdir(), d, 'step-3')))).toEqual([]);
});
