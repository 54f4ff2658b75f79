import { test, expect } from '@playwright/test';
import { runHarnessChild } from './harness-child.js';

test('a nested e2e run is the run id harness-child chose (e2e takes it as --run-id, not from an inherited E2E_RUN_ID)', async () => {
  const child = await runHarnessChild({ script: 'e2e', args: ['--dry-run'], timeoutMs: 60_000 });
  expect(child.exitCode, child.output).toBe(0);
  expect(child.output).toMatch(new RegExp(`^Plan for run ${child.runId} on local `, 'm'));
});

test('a nested up takes the run id from its environment, and is given no flag it does not know', async () => {
  const child = await runHarnessChild({ script: 'up', args: ['--dry-run'], timeoutMs: 60_000 });
  expect(child.exitCode, child.output).toBe(0);
  expect(child.output).toMatch(new RegExp(`^Plan for run ${child.runId} on local `, 'm'));
});
