import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { openRun } from './index.js';

/** A real read-only filesystem: a tmpfs mounted ro (needs root and the right to mount). */
function readOnlyMount(): { dir: string; remove: () => void } | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    fs.rmdirSync(dir);
    return undefined;
  }
  return {
    dir,
    remove: () => {
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    },
  };
}

test('a run directory on a read-only filesystem names that reason, not the ENOENT mkdir -p reports', () => {
  const ro = readOnlyMount();
  test.skip(!ro, 'needs root and the right to mount a tmpfs (CI runs as root)');
  try {
    for (const [variable, where] of [
      ['E2E_STATE_DIR', 'state/runs'],
      ['E2E_OUTPUT_DIR', 'out'],
    ]) {
      const config = readConfig({ E2E_ROOT_DIR: os.tmpdir(), [variable]: path.join(ro!.dir, where.split('/')[0]) });
      let message = '';
      try {
        openRun(config);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, variable).toMatch(
        new RegExp(`^run: cannot write the directory ${ro!.dir}/${where}/e2e-\\S+: the filesystem is read-only \\(${ro!.dir} is on a read-only mount\\)$`),
      );
    }
  } finally {
    ro?.remove();
  }
});

test('a run directory where permission is denied says so, with the directory that denies it', () => {
  test.skip(process.getuid?.() === 0, 'root may write anywhere: the permission case needs another user');
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-denied-'));
  fs.chmodSync(parent, 0o500);
  try {
    expect(() => openRun(readConfig({ E2E_ROOT_DIR: os.tmpdir(), E2E_STATE_DIR: path.join(parent, 'state') }))).toThrow(
      new RegExp(`^run: cannot write the directory ${parent}/state/runs/e2e-\\S+: permission denied \\(${parent}\\S*\\)$`),
    );
  } finally {
    fs.chmodSync(parent, 0o700);
  }
});

test('npm run e2e with E2E_STATE_DIR or E2E_OUTPUT_DIR on a read-only filesystem prints the reason and the totals, and nothing else', async () => {
  const ro = readOnlyMount();
  test.skip(!ro, 'needs root and the right to mount a tmpfs (CI runs as root)');
  const root = path.resolve(import.meta.dirname, '..', '..');
  try {
    for (const variable of ['E2E_STATE_DIR', 'E2E_OUTPUT_DIR']) {
      const dirs = { E2E_STATE_DIR: path.join(os.tmpdir(), 'unused-state'), E2E_OUTPUT_DIR: path.join(os.tmpdir(), 'unused-output') };
      const e2e = await execa(process.execPath, ['--import', 'tsx', 'scripts/e2e.ts'], {
        cwd: root,
        env: { ...dirs, [variable]: path.join(ro!.dir, 'x'), E2E_RUN_ID: '' },
        all: true,
        reject: false,
        timeout: 60_000,
      });
      expect(e2e.exitCode, e2e.all).toBe(1);
      expect(e2e.all.split('\n'), variable).toEqual([
        expect.stringMatching(
          new RegExp(`^run: cannot write the directory ${ro!.dir}/x/\\S+: the filesystem is read-only \\(${ro!.dir} is on a read-only mount\\)$`),
        ),
        expect.stringMatching(/^0 passed, 1 failed\b/),
      ]);
    }
  } finally {
    ro?.remove();
  }
});
