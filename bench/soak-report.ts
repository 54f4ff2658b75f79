/**
 * What a soak adds up to (`npm run soak`, bench/soak.ts): passes, failures, flaky steps (failed in
 * some runs and passed in others), each step's p50 and max, the slowest step, and where every
 * failed run's output is. Pure: the runs in, the report and its lines out.
 */
import { formatDuration } from '../cluster/log.js';
import type { MachineLoad } from './machine.js';
import { isPassingRun, percentile, type TimedStep } from './run-record.js';

/** One run of the soak, as aggregated. */
export interface SoakRun {
  /** 1-based, in the order the runs were made. */
  index: number;
  runId: string;
  exitCode: number;
  wallMs: number;
  outputDir: string;
  log: string;
  /** Undefined when the run left no report (it died before Playwright wrote one). */
  steps: TimedStep[] | undefined;
  loadBefore?: MachineLoad;
  loadAfter?: MachineLoad;
}

export interface StepStats {
  name: string;
  /** Runs in which the step ran (passed or failed). */
  ran: number;
  passed: number;
  failed: number;
  /** Over the runs in which the step passed: a timeout would say nothing about its usual time. */
  p50Ms: number | undefined;
  maxMs: number | undefined;
  /** Indexes of the runs in which it failed. */
  failedIn: number[];
}

export interface FailedRun {
  index: number;
  runId: string;
  exitCode: number;
  /** The first failed step and its error, or why there is none. */
  reason: string;
  outputDir: string;
  log: string;
}

export interface SoakReport {
  runs: number;
  passed: number;
  failed: number;
  steps: StepStats[];
  /** Steps that failed in some runs and passed in others. */
  flaky: StepStats[];
  slowest: StepStats | undefined;
  wall: { p50Ms: number | undefined; maxMs: number | undefined };
  failedRuns: FailedRun[];
}

export function aggregateSoak(runs: SoakRun[]): SoakReport {
  const byName = new Map<string, { durations: number[]; stats: StepStats }>();
  for (const run of runs) {
    for (const step of run.steps ?? []) {
      if (step.status === 'skipped') continue;
      let entry = byName.get(step.name);
      if (!entry) {
        entry = { durations: [], stats: { name: step.name, ran: 0, passed: 0, failed: 0, p50Ms: undefined, maxMs: undefined, failedIn: [] } };
        byName.set(step.name, entry);
      }
      entry.stats.ran += 1;
      if (step.status === 'passed') {
        entry.stats.passed += 1;
        entry.durations.push(step.durationMs);
      } else {
        entry.stats.failed += 1;
        if (!entry.stats.failedIn.includes(run.index)) entry.stats.failedIn.push(run.index);
      }
    }
  }
  const steps = [...byName.values()].map(({ durations, stats }) => ({
    ...stats,
    p50Ms: percentile(durations, 50),
    maxMs: durations.length ? Math.max(...durations) : undefined,
  }));
  const slowest = steps
    .filter((s) => s.p50Ms !== undefined)
    .reduce<StepStats | undefined>((a, s) => (!a || s.p50Ms! > a.p50Ms! || (s.p50Ms === a.p50Ms && s.maxMs! > a.maxMs!) ? s : a), undefined);
  const passing = runs.filter((r) => isPassingRun(r.exitCode, r.steps));
  const failedRuns = runs
    .filter((r) => !passing.includes(r))
    .map((r) => {
      const first = r.steps?.find((s) => s.status === 'failed');
      const reason = first
        ? `${first.name}${first.error ? `: ${first.error}` : ''}`
        : r.steps
          ? `exit code ${r.exitCode}, no step failed`
          : `exit code ${r.exitCode}, no report written`;
      return { index: r.index, runId: r.runId, exitCode: r.exitCode, reason, outputDir: r.outputDir, log: r.log };
    });
  const walls = runs.map((r) => r.wallMs);
  return {
    runs: runs.length,
    passed: passing.length,
    failed: failedRuns.length,
    steps,
    flaky: steps.filter((s) => s.failed > 0 && s.passed > 0),
    slowest,
    wall: { p50Ms: percentile(walls, 50), maxMs: walls.length ? Math.max(...walls) : undefined },
    failedRuns,
  };
}

const dur = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));

/** The report as printed; `relative` shortens paths for the reader. */
export function formatSoakReport(report: SoakReport, relative: (p: string) => string = (p) => p): string[] {
  const lines: string[] = [];
  lines.push(
    `Soak: ${report.runs} run${report.runs === 1 ? '' : 's'}: ${report.passed} passed, ${report.failed} failed; ` +
      `${report.flaky.length} flaky step${report.flaky.length === 1 ? '' : 's'}`,
  );
  if (report.slowest) {
    const s = report.slowest;
    lines.push(`Slowest step: ${s.name}: p50 ${dur(s.p50Ms)}, max ${dur(s.maxMs)} (over ${s.passed} passed run${s.passed === 1 ? '' : 's'})`);
  }
  lines.push(`Run wall time: p50 ${dur(report.wall.p50Ms)}, max ${dur(report.wall.maxMs)}`);
  if (report.steps.length) {
    const width = Math.max(...report.steps.map((s) => s.name.length), 4);
    lines.push('', `  ${'step'.padEnd(width)}  ${'ran'.padStart(4)}  ${'failed'.padStart(6)}  ${'p50'.padStart(10)}  ${'max'.padStart(10)}`);
    for (const s of report.steps) {
      lines.push(
        `  ${s.name.padEnd(width)}  ${String(s.ran).padStart(4)}  ${String(s.failed).padStart(6)}  ${dur(s.p50Ms).padStart(10)}  ${dur(s.maxMs).padStart(10)}`,
      );
    }
  }
  if (report.flaky.length) {
    lines.push('', 'Flaky steps (failed in some runs, passed in others):');
    for (const s of report.flaky) lines.push(`  ${s.name}: failed in run${s.failedIn.length > 1 ? 's' : ''} ${s.failedIn.join(', ')}; passed in ${s.passed}`);
  }
  if (report.failedRuns.length) {
    lines.push('', 'Failed runs:');
    for (const r of report.failedRuns) {
      lines.push(`  run ${r.index} (${r.runId}): ${r.reason}`);
      lines.push(`    output: ${relative(r.outputDir)}   console: ${relative(r.log)}`);
    }
  }
  return lines;
}
