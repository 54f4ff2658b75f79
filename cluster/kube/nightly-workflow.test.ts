/**
 * The nightly workflow installs the tool versions cluster/versions.ts names for CI, runs the unit
 * tests and the scenarios on kind, and uploads the reports even when the run fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import YAML from 'yaml';
import { compareVersions } from './tools.js';
import { kubeTools } from '../versions.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.github', 'workflows', 'nightly.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

test('nightly: pinned kind and helm as versions.ts says, scenarios on kind, reports uploaded whatever happens', () => {
  const workflow = YAML.parse(fs.readFileSync(file, 'utf8')) as { jobs: { kind: { env: Record<string, string>; steps: Step[]; 'timeout-minutes': number } } };
  const job = workflow.jobs.kind;
  expect(job.env.KIND_VERSION).toBe(`v${kubeTools.kind.ci}`);
  expect(job.env.HELM_VERSION).toBe(`v${kubeTools.helm.ci}`);
  expect(compareVersions(kubeTools.kind.ci, kubeTools.kind.minimum)).toBeGreaterThanOrEqual(0);
  expect(compareVersions(kubeTools.helm.ci, kubeTools.helm.minimum)).toBeGreaterThanOrEqual(0);
  expect(job['timeout-minutes']).toBeGreaterThan(0);
  const runs = job.steps.map((s) => s.run ?? '').join('\n');
  expect(runs).toContain('npx tsc --noEmit');
  expect(runs).toContain('npx playwright test --project=unit');
  expect(runs).toMatch(/npm run e2e -- --platform kind\b/);
  const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  expect(upload?.if).toBe('always()');
  expect(upload?.with?.path).toBe('e2e-output/');
  expect(job.steps.find((s) => s.run?.includes('npm run reap'))?.if).toBe('always()');
});
