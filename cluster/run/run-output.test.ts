import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { claimRunOutput, newRunId, openRun, ownOutput, rerunOf } from './index.js';

function tempConfig(extra: Record<string, string> = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-run-output-'));
  return readConfig({ E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache'), ...extra });
}

const keptStack = (config: ReturnType<typeof tempConfig>, runId: string) => {
  const dir = path.join(config.stateDir, 'runs', runId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'state.json'), '{}');
};

test("a run's first invocation writes to the run's own output; each later one to reruns/<n>, latest pointing at it", () => {
  const config = tempConfig();
  const runId = newRunId();
  expect(claimRunOutput(config, runId, ['node', 'playwright', 'test'])).toBe(runId);
  expect(JSON.parse(fs.readFileSync(path.join(config.outputDir, runId, 'invocation.json'), 'utf8'))).toMatchObject({ runId, command: 'node playwright test' });
  keptStack(config, runId);
  expect(claimRunOutput(config, runId)).toBe(`${runId}/reruns/1`);
  expect(claimRunOutput(config, runId)).toBe(`${runId}/reruns/2`);
  expect(fs.readlinkSync(path.join(config.outputDir, 'latest'))).toBe(`${runId}/reruns/2`);
  expect(JSON.parse(fs.readFileSync(path.join(config.outputDir, runId, 'reruns', '2', 'invocation.json'), 'utf8'))).toMatchObject({ rerun: 2 });
});

test('against a stack `npm run up` kept, even the first invocation is a rerun', () => {
  const config = tempConfig();
  const runId = newRunId();
  keptStack(config, runId);
  expect(claimRunOutput(config, runId)).toBe(`${runId}/reruns/1`);
});

test('an output handed down for this run is used as it is (a worker); one for another run is not', () => {
  const runId = newRunId();
  const other = newRunId(new Date('2020-01-01T00:00:00Z'));
  const config = tempConfig({ E2E_RUN_OUTPUT: `${runId}/reruns/4` });
  expect(claimRunOutput(config, runId)).toBe(`${runId}/reruns/4`);
  expect(fs.existsSync(path.join(config.outputDir, runId))).toBe(false);
  expect(claimRunOutput(config, other)).toBe(other);
  expect(ownOutput(`${runId}/reruns/../x`, runId)).toBeUndefined();
  expect(rerunOf(`${runId}/reruns/4`)).toBe(4);
  expect(rerunOf(runId)).toBeUndefined();
});

test("a run opened in a rerun's process writes there, and the run's own output stays what it was", () => {
  const runId = newRunId();
  const config = tempConfig({ E2E_RUN_OUTPUT: `${runId}/reruns/1`, E2E_RUN_ID: runId });
  const run = openRun(config);
  expect(run.dirs.outputDir).toBe(path.join(config.outputDir, runId, 'reruns', '1'));
  expect(run.dirs.runOutputDir).toBe(path.join(config.outputDir, runId));
  expect(fs.existsSync(run.dirs.outputDir)).toBe(true);
});
