/**
 * `npm run soak -- --runs N [-- <flags for npm run e2e>]`: the full flow N times in a row, each an
 * `npm run e2e` of its own, then what they add up to: passes, failures, flaky steps (failed in
 * some runs and passed in others), each step's p50 and max, the slowest step, and where every failed
 * run's output is. Exits non-zero when any run failed.
 *
 * Writes e2e-output/soak-<stamp>/: run-NN.log (each run's console) and soak.json (everything below,
 * with the machine's load before and after each run). `--report <that dir>` prints it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../cluster/config.js';
import { formatDuration } from '../cluster/log.js';
import { interrupts, runE2eChild } from './e2e-child.js';
import { describeLoad, machineLoad, type MachineLoad } from './machine.js';
import { isPassingRun, percentile, readRunRecord, type TimedStep } from './run-record.js';

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

function printReport(runs: SoakRun[], details: string, relative: (p: string) => string): void {
  console.log('');
  for (const line of formatSoakReport(aggregateSoak(runs), relative)) console.log(line);
  const loads = runs.flatMap((r) => [r.loadBefore, r.loadAfter]).filter((l): l is MachineLoad => l !== undefined);
  if (loads.length) {
    const load1 = loads.map((l) => l.load[0]);
    const others = Math.max(...loads.map((l) => l.otherRuns.length));
    console.log(
      `\nMachine: load (1 min) between runs: min ${Math.min(...load1).toFixed(2)}, p50 ${percentile(load1, 50)!.toFixed(2)}, max ${Math.max(...load1).toFixed(2)} on ${loads[0].cores} cores; up to ${others} other harness run(s) at once`,
    );
  }
  console.log(`Details: ${relative(details)}`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const split = args.indexOf('--');
  const { values } = parseArgs({
    args: split === -1 ? args : args.slice(0, split),
    options: { runs: { type: 'string', default: '1' }, report: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(
      "Usage: npm run soak -- --runs N [-- <flags for npm run e2e>]\n       npm run soak -- --report e2e-output/soak-<stamp>   (print an earlier soak's report again)",
    );
    return 0;
  }
  const relative = (p: string) => path.relative(process.cwd(), p) || '.';
  if (values.report) {
    // The runs as soak.json has them, each run's steps read again from its output directory.
    const saved = JSON.parse(fs.readFileSync(path.join(values.report, 'soak.json'), 'utf8')) as { runs: SoakRun[] };
    const runs = saved.runs.map((r) => ({ ...r, steps: readRunRecord(r.outputDir)?.steps ?? r.steps }));
    printReport(runs, path.join(values.report, 'soak.json'), relative);
    return aggregateSoak(runs).failed > 0 ? 1 : 0;
  }
  const count = Number(values.runs);
  if (!Number.isInteger(count) || count < 1) {
    console.error(`soak: --runs ${values.runs}: give a whole number of runs, 1 or more`);
    return 2;
  }
  const e2eArgs = split === -1 ? [] : args.slice(split + 1);
  const config = readConfig();
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const soakDir = path.join(config.outputDir, `soak-${stamp}`);
  fs.mkdirSync(soakDir, { recursive: true });
  console.log(`soak: ${count} runs of npm run e2e${e2eArgs.length ? ` -- ${e2eArgs.join(' ')}` : ''}; consoles in ${relative(soakDir)}`);
  console.log(`soak: before: ${describeLoad(machineLoad())}`);

  const runs: SoakRun[] = [];
  for (let index = 1; index <= count && interrupts.count === 0; index++) {
    const loadBefore = machineLoad();
    const child = await runE2eChild({ log: path.join(soakDir, `run-${String(index).padStart(2, '0')}.log`), args: e2eArgs });
    const loadAfter = machineLoad();
    const outputDir = path.join(config.outputDir, child.runId);
    const record = readRunRecord(outputDir);
    const run: SoakRun = {
      index,
      runId: child.runId,
      exitCode: child.exitCode,
      wallMs: child.wallMs,
      outputDir,
      log: child.log,
      steps: record?.steps,
      loadBefore,
      loadAfter,
    };
    runs.push(run);
    const ok = isPassingRun(child.exitCode, record?.steps);
    console.log(
      `soak: run ${index}/${count} ${child.runId} ${ok ? 'passed' : `FAILED (exit ${child.exitCode})`} in ${formatDuration(child.wallMs)}` +
        ` (load ${loadBefore.load[0].toFixed(2)} → ${loadAfter.load[0].toFixed(2)}, other harness runs: ${loadAfter.otherRuns.length})`,
    );
  }

  const report = aggregateSoak(runs);
  fs.writeFileSync(path.join(soakDir, 'soak.json'), `${JSON.stringify({ report, runs }, null, 2)}\n`);
  printReport(runs, path.join(soakDir, 'soak.json'), relative);
  if (interrupts.count) {
    console.log(`soak: interrupted after ${runs.length} of ${count} runs`);
    return 130;
  }
  return report.failed > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
