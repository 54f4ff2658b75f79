/**
 * The nightly workflow runs the matrix on the local platform (no Docker), with every Python a cell
 * of the committed matrix asks for, puts the table into the job summary and uploads it whatever
 * happened; and its kind job runs the tutorial with `--versions latest` too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import YAML from 'yaml';
import { readRequirementHeaders, type EnvRole } from '../cluster/python/python-envs.js';
import { cellVersionSet, loadMatrix } from './cells.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.github', 'workflows', 'nightly.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
type Job = { steps: Step[]; 'timeout-minutes': number; env?: Record<string, string> };

test('nightly: the matrix job on the local platform, with every Python its cells need, the table in the job summary, uploaded whatever happens', () => {
  const workflow = YAML.parse(fs.readFileSync(file, 'utf8')) as { jobs: Record<string, Job> };
  const job = workflow.jobs.matrix;
  expect(job, 'a job named matrix').toBeDefined();
  expect(job['timeout-minutes']).toBeGreaterThan(0);
  const runs = job.steps.map((s) => s.run ?? '');
  expect(runs.some((r) => /^npm run matrix\b/.test(r))).toBe(true);
  expect(runs.join('\n')).not.toMatch(/kind|docker/i);
  const summary = job.steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
  expect(summary?.run).toContain('matrix.md');
  expect(summary?.if).toBe('always()');
  const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  expect(upload?.if).toBe('always()');
  expect(upload?.with?.path).toBe('e2e-output/');

  // Each Python a cell resolves on (a role's own X.Y, or its lock file's) is installed by the job.
  const versions = job.steps.find((s) => s.uses?.startsWith('actions/setup-python@'))?.with?.['python-version'];
  const installed = (typeof versions === 'string' ? versions : '').split(/\s+/).filter(Boolean);
  const wanted = new Set<string>();
  for (const cell of loadMatrix().cells) {
    for (const [role, spec] of Object.entries(cellVersionSet(cell).roles)) {
      wanted.add('lock' in spec ? readRequirementHeaders(spec.lock).python : (spec.python ?? readRequirementHeaders(spec.onto ?? (role as EnvRole)).python));
    }
  }
  expect(installed.sort()).toEqual(expect.arrayContaining([...wanted].sort()));

  const kind = workflow.jobs.kind.steps.map((s) => s.run ?? '').join('\n');
  expect(kind).toMatch(/npm run e2e -- --platform kind --versions latest/);
});
