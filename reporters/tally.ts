/**
 * What a run counts, in one place, so that the console's "Results:" and the last line CI reads
 * (`N passed, N failed, N skipped`, printed by scripts/playwright-run.ts from totals.json) are the
 * same numbers:
 *
 *  - a test is a test of a scenario project; the platform's setup and teardown (a project with a
 *    `teardown`, and the project named as one) bring the stack up and down and are not tests: they
 *    are listed apart, and counted only when they fail (a failed setup is the run's failure);
 *  - passed: the test's outcome was expected (a flaky one, passed on a retry, too);
 *  - failed: unexpected, plus each failed setup or teardown, plus each error outside any test;
 *  - skipped: skipped on purpose, or never run (its setup failed, the run was stopped).
 */
import fs from 'node:fs';
import path from 'node:path';

export type Outcome = 'expected' | 'unexpected' | 'flaky' | 'skipped';

export interface TalliedTest {
  project: string;
  title: string;
  outcome: Outcome;
}

export interface ProjectShape {
  name: string;
  teardown?: string;
}

export interface RunTotals {
  passed: number;
  failed: number;
  skipped: number;
  /** What was counted as failed without being a test: "[setup] bring up the platform", "an error outside any test". */
  failedOutsideTests: string[];
}

/** The projects that bring the platform up and down: each project with a teardown, and that teardown. */
export function lifecycleProjects(projects: ProjectShape[]): Set<string> {
  const names = new Set<string>();
  for (const p of projects) {
    if (!p.teardown) continue;
    names.add(p.name);
    names.add(p.teardown);
  }
  return names;
}

export function tally(tests: TalliedTest[], lifecycle: Set<string>, errorsOutsideTests = 0): RunTotals {
  const totals: RunTotals = { passed: 0, failed: 0, skipped: 0, failedOutsideTests: [] };
  for (const t of tests) {
    if (lifecycle.has(t.project)) {
      if (t.outcome === 'unexpected') totals.failedOutsideTests.push(`[${t.project}] ${t.title}`);
      continue;
    }
    if (t.outcome === 'unexpected') totals.failed += 1;
    else if (t.outcome === 'skipped') totals.skipped += 1;
    else totals.passed += 1;
  }
  for (let i = 0; i < errorsOutsideTests; i++) totals.failedOutsideTests.push('an error outside any test');
  totals.failed += totals.failedOutsideTests.length;
  return totals;
}

/** The line CI reads: `1 passed, 0 failed, 0 skipped`. */
export function formatTotals(t: Pick<RunTotals, 'passed' | 'failed' | 'skipped'>): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}

/** `1 test`, `2 tests`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export const totalsFileName = 'totals.json';

export function writeTotals(outputDir: string, totals: RunTotals): void {
  fs.mkdirSync(outputDir, { recursive: true });
  fs.writeFileSync(path.join(outputDir, totalsFileName), `${JSON.stringify(totals, null, 2)}\n`);
}

/** The totals the console reporter wrote; undefined when it did not get to write them (the runner crashed). */
export function readTotals(outputDir: string): RunTotals | undefined {
  const file = path.join(outputDir, totalsFileName);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunTotals;
  } catch {
    return undefined;
  }
}
