import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from './config.js';
import { isRunId, newRunId, RunContext } from './run.js';
import { redact, clearSecrets } from './redact.js';

function tempConfig() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-run-test-'));
  return readConfig({ E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache') });
}

test('run ids sort by time and are recognised', () => {
  const a = newRunId(new Date('2026-11-26T10:00:00Z'));
  const b = newRunId(new Date('2026-11-26T10:00:01Z'));
  expect(a).toMatch(/^e2e-20261126-100000-[0-9a-f]{4}$/);
  expect(isRunId(a)).toBe(true);
  expect([b, a].sort()).toEqual([a, b]);
  expect(isRunId('../etc')).toBe(false);
});

test('a run id that is not one is refused (no path tricks)', () => {
  expect(() => RunContext.open(tempConfig(), '../../tmp')).toThrow(/is not a run id/);
});

test('a secret is made once per run, kept private, and redacted from output', () => {
  clearSecrets();
  const config = tempConfig();
  const run = RunContext.open(config);
  const token = run.secret('hubToken');
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  expect(RunContext.existing(config, run.runId)!.secret('hubToken')).toBe(token);
  expect(fs.statSync(run.path('secrets.json')).mode & 0o777).toBe(0o600);
  expect(redact(`token ${token}`)).not.toContain(token);
});

test('the ledger keeps what the run created until it is forgotten', () => {
  const run = RunContext.open(tempConfig());
  run.record({ kind: 'process', name: 'hub', pid: 123, pgid: 123 });
  run.record({ kind: 'namespace', name: 'e2e-x' });
  run.forget((r) => r.kind === 'process');
  expect(run.resources()).toEqual([{ kind: 'namespace', name: 'e2e-x' }]);
});

test('a run directory that cannot be made is a named error', () => {
  const config = tempConfig();
  // Under a regular file, so it fails even for root (which CI runs as).
  fs.mkdirSync(path.dirname(config.stateDir), { recursive: true });
  fs.writeFileSync(config.stateDir, 'not a directory');
  expect(() => RunContext.open(config)).toThrow(/^run: cannot write the run directory .*\/\.e2e\/runs\/e2e-/);
});

test('the newest run is reachable as e2e-output/latest', () => {
  const config = tempConfig();
  const run = RunContext.open(config);
  expect(fs.readlinkSync(path.join(config.outputDir, 'latest'))).toBe(run.runId);
});
