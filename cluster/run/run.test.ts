import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { findRun, isRunId, newRunId, openRun, planningRun, runStartedAt } from './index.js';
import { redact, clearSecrets } from '../redact.js';

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
  expect(runStartedAt(a)).toBe(Date.UTC(2026, 10, 26, 10, 0, 0));
});

test('a run id that is not one is refused (no path tricks)', () => {
  expect(() => openRun(tempConfig(), '../../tmp')).toThrow(/is not a run id/);
});

test('a secret is made once per run, kept private, and redacted from output', () => {
  clearSecrets();
  const config = tempConfig();
  const run = openRun(config);
  run.secrets.ensure('hubToken');
  const token = run.secrets.get('hubToken');
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  run.secrets.ensure('hubToken');
  expect(findRun(config, run.id)!.secrets.get('hubToken')).toBe(token);
  expect(fs.statSync(run.dirs.path('secrets.json')).mode & 0o777).toBe(0o600);
  expect(redact(`token ${token}`)).not.toContain(token);
});

test('reading a secret never makes one: a missing secret is a named error, and no file appears', () => {
  const run = openRun(tempConfig());
  expect(() => run.secrets.get('hubToken')).toThrow(/^secrets: the run has no secret "hubToken"/);
  expect(fs.existsSync(run.dirs.path('secrets.json'))).toBe(false);
});

test('a dry run keeps its secrets in memory and writes nothing', () => {
  const config = tempConfig();
  const run = planningRun(config);
  run.secrets.ensure('ngshareApiToken');
  expect(run.secrets.get('ngshareApiToken')).toMatch(/^[0-9a-f]{64}$/);
  expect(fs.existsSync(config.stateDir)).toBe(false);
});

test('the ledger keeps what the run created until it is forgotten', () => {
  const run = openRun(tempConfig());
  run.ledger.record({ kind: 'process', name: 'hub', pid: 123, pgid: 123 });
  run.ledger.record({ kind: 'namespace', name: 'e2e-x' });
  run.ledger.recordOnce({ kind: 'namespace', name: 'e2e-x' });
  run.ledger.forget((r) => r.kind === 'process');
  expect(run.ledger.list()).toEqual([{ kind: 'namespace', name: 'e2e-x' }]);
});

test('a run directory that cannot be made names the reason', () => {
  const config = tempConfig();
  // Under a regular file, so it fails even for root (which CI runs as).
  fs.mkdirSync(path.dirname(config.stateDir), { recursive: true });
  fs.writeFileSync(config.stateDir, 'not a directory');
  expect(() => openRun(config)).toThrow(/^run: cannot write the directory .*\/\.e2e\/runs\/e2e-\S+: a file is in the way \(.*\.e2e is not a directory\)$/);
});

test('the newest run is reachable as e2e-output/latest', () => {
  const config = tempConfig();
  const run = openRun(config);
  expect(fs.readlinkSync(path.join(config.outputDir, 'latest'))).toBe(run.id);
});
