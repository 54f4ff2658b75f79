/**
 * What a finished `npm run e2e` left in e2e-output/<run-id>/, read back as timed steps: the setup
 * and teardown tests and the tutorial's steps (summary.json), each with its status and duration,
 * plus every command. `npm run soak` aggregates these over many runs; `npm run bench` compares one
 * with the floor script.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../reporters/transcripts.js';

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface TimedStep {
  /** "[setup] bring up the platform", "Step 6: Create and release a first assignment", … */
  name: string;
  status: StepStatus;
  durationMs: number;
  /** First line of the error, for a failed step. */
  error?: string;
}

export interface TimedCommand {
  step: string;
  user: string;
  cwd: string;
  command: string;
  durationMs: number;
  failed: boolean;
}

export interface TestResult {
  project: string;
  title: string;
  status: StepStatus;
  durationMs: number;
  /** When its last result started (ms since the epoch). */
  startedAtMs?: number;
  /** First line of its error, when it failed. */
  error?: string;
  /** What the test printed on stderr (the platform's progress lines, for setup). */
  stderr: string;
}

export interface RunRecord {
  runId: string;
  outputDir: string;
  tests: TestResult[];
  /** The run's steps in order: setup, the tutorial's steps, teardown. */
  steps: TimedStep[];
  commands: TimedCommand[];
}

/** The parts of Playwright's JSON report that are read here. */
interface JsonSuite {
  title: string;
  suites?: JsonSuite[];
  specs?: Array<{
    title: string;
    tests: Array<{
      projectName: string;
      results: Array<{ status: string; duration: number; startTime?: string; error?: { message?: string }; stderr?: Array<{ text?: string }> }>;
    }>;
  }>;
}

function statusOf(playwrightStatus: string | undefined): StepStatus {
  if (playwrightStatus === 'passed') return 'passed';
  if (playwrightStatus === 'skipped' || playwrightStatus === undefined) return 'skipped';
  return 'failed'; // failed, timedOut, interrupted
}

/** Every test of a Playwright JSON report, with its last result. */
export function testsOf(report: { suites?: JsonSuite[] }): TestResult[] {
  const out: TestResult[] = [];
  const walk = (suite: JsonSuite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        out.push({
          project: t.projectName,
          title: spec.title,
          status: statusOf(last?.status),
          durationMs: Math.round(last?.duration ?? 0),
          startedAtMs: last?.startTime ? Date.parse(last.startTime) : undefined,
          error: last?.error?.message?.split('\n')[0],
          stderr: (last?.stderr ?? []).map((s) => s.text ?? '').join(''),
        });
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of report.suites ?? []) walk(suite);
  return out;
}

/**
 * The run's steps: each test of the setup and teardown projects is one step; a scenario test
 * contributes its recorded steps, or itself when it failed outside any step (a fixture, a crash).
 */
export function stepsOf(tests: TestResult[], summary: RunSummary | undefined): TimedStep[] {
  const recorded = summary?.steps ?? [];
  const asStep = (t: TestResult): TimedStep => ({ name: `[${t.project}] ${t.title}`, status: t.status, durationMs: t.durationMs, error: t.error });
  const steps: TimedStep[] = [];
  for (const t of tests.filter((t) => t.project === 'setup')) steps.push(asStep(t));
  for (const t of tests.filter((t) => t.project !== 'setup' && t.project !== 'teardown')) {
    const own = recorded.filter((s) => s.scenario === t.title);
    for (const s of own) steps.push({ name: s.step, status: s.status, durationMs: s.durationMs, error: s.error?.split('\n')[0] });
    if (t.status === 'failed' && !own.some((s) => s.status === 'failed')) steps.push(asStep(t));
  }
  for (const t of tests.filter((t) => t.project === 'teardown')) steps.push(asStep(t));
  return steps;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // absent, or cut short by a crash
  }
}

/** The record of the run whose output directory is `outputDir`; undefined when it left no report. */
export function readRunRecord(outputDir: string): RunRecord | undefined {
  const report = readJson<{ suites?: JsonSuite[] }>(path.join(outputDir, 'playwright-results.json'));
  const summary = readJson<RunSummary>(path.join(outputDir, 'summary.json'));
  if (!report && !summary) return undefined;
  const tests = report ? testsOf(report) : [];
  return {
    runId: path.basename(outputDir),
    outputDir,
    tests,
    steps: stepsOf(tests, summary),
    commands: (summary?.steps ?? []).flatMap((s) =>
      s.commands.map((c) => ({ step: s.step, user: c.user, cwd: c.cwd, command: c.command, durationMs: c.durationMs, failed: c.verdict === 'fail' })),
    ),
  };
}

/** True when the run exited 0 and left a report in which no step failed. */
export function isPassingRun(exitCode: number, steps: TimedStep[] | undefined): boolean {
  return exitCode === 0 && steps !== undefined && !steps.some((s) => s.status === 'failed');
}

/** Nearest-rank percentile (p in 0..100) of `values`; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}
