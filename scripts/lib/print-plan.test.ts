import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { printPlan } from './harness-options.js';

/** printPlan's stdout and stderr. */
async function plan(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  process.stdout.write = (chunk: string) => ((out.stdout += chunk), true);
  process.stderr.write = (chunk: string) => ((out.stderr += chunk), true);
  try {
    await printPlan(env);
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
  return out;
}

test('--dry-run with a kubeconfig that does not exist or does not parse: the plan prints, and a warning naming the kubeconfig follows it on stderr', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-plan-'));
  const missing = path.join(dir, 'missing.kubeconfig');
  const broken = path.join(dir, 'broken.kubeconfig');
  fs.writeFileSync(broken, 'clusters: [ {name: x\n');
  for (const [kubeconfig, why] of [
    [missing, 'does not exist'],
    [broken, 'cannot be read'],
  ]) {
    const { stdout, stderr } = await plan({ E2E_PLATFORM: 'jetstream', E2E_KUBECONFIG: kubeconfig, E2E_DRY_RUN: '1', E2E_STATE_DIR: path.join(dir, 'state') });
    expect(stdout).toMatch(/^Plan for run e2e-\S+ on jetstream \(dry run/);
    expect(stderr).toMatch(
      new RegExp(`^WARNING \\(dry run\\): on this machine a real run would stop at preflight: kube: kubeconfig ${kubeconfig} ${why}.*\\n$`),
    );
  }
  expect(fs.existsSync(path.join(dir, 'state')), 'a dry run writes nothing').toBe(false);
});

test('--dry-run of the local platform has nothing to warn about', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-plan-'));
  const { stdout, stderr } = await plan({ E2E_PLATFORM: 'local', E2E_DRY_RUN: '1', E2E_STATE_DIR: path.join(dir, 'state') });
  expect(stdout).toContain('on local (dry run');
  expect(stderr).toBe('');
});
