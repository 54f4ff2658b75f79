import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { DataChecks, readDataChecks } from './data-checks.js';
import { formatRunVersions, readRunVersions, writeRunVersions } from './run-versions.js';

test('data checks: declared ones show as not reached, then their last status; a failure keeps its first line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-'));
  const checks = new DataChecks(dir, 'tutorial', ['listed', 'fetched', 'collected']);
  expect(await checks.verify('listed', () => 42)).toBe(42);
  await expect(
    checks.verify('fetched', () => {
      throw new Error('\u001b[31mexpected ps1/problem1.ipynb\u001b[39m in the home\nmore');
    }),
  ).rejects.toThrow(/problem1/);
  await expect(checks.verify('stored', () => 1)).rejects.toThrow(/was not declared/);
  expect(readDataChecks(dir).map((c) => [c.name, c.status, c.detail])).toEqual([
    ['listed', 'passed', undefined],
    ['fetched', 'failed', 'expected ps1/problem1.ipynb in the home'],
    ['collected', 'not reached', undefined],
  ]);
  expect(readDataChecks(path.join(dir, 'none'))).toEqual([]);
});

test('run versions: written once the stack is up, read back, shown by part of the deployment', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'versions-'));
  expect(readRunVersions(dir)).toBeUndefined();
  writeRunVersions(dir, {
    asked: 'latest',
    running: {
      platform: 'local',
      nbgrader: '0.9.6',
      'ngshare-exchange': '0.5.2',
      jupyterhub: '5.4.4',
      ngshare: '0.6.0',
      'ngshare sqlalchemy': '1.4.45',
      extra: 'x',
    },
    collectedAt: '2026-12-02T06:00:00Z',
  });
  const lines = formatRunVersions(readRunVersions(dir)!);
  expect(lines[0]).toBe('versions running (latest, on local):');
  expect(lines.find((l) => l.includes('user servers'))).toContain('nbgrader 0.9.6, ngshare-exchange 0.5.2');
  expect(lines.find((l) => l.includes('ngshare:'))).toContain('ngshare sqlalchemy 1.4.45');
  expect(lines.at(-1)).toContain('extra x');
});
