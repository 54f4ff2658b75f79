/**
 * `npm run soak -- --runs N [-- <flags for npm run e2e>]`: the full flow N times in a row, each an
 * `npm run e2e` of its own (scripts/lib/harness-child.ts), then what they add up to
 * (soak-report.ts). Exits non-zero when any run failed.
 *
 * Writes e2e-output/soak-<stamp>/: run-NN.log (each run's console) and soak.json (everything, with
 * the machine's load before and after each run). `--report <that dir>` prints it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readConfig } from '../cluster/config.js';
import { HarnessError, UsageError } from '../cluster/errors.js';
import { formatDuration } from '../cluster/log.js';
import { defineCommand, runCommand, usageError, wholeNumber } from '../scripts/lib/command.js';
import { interrupts, runHarnessChild } from '../scripts/lib/harness-child.js';
import { describeLoad, machineLoad, outputStamp, type MachineLoad } from './machine.js';
import { isPassingRun, percentile, readRunRecord } from './run-record.js';
import { aggregateSoak, formatSoakReport, type SoakRun } from './soak-report.js';

/** One run's bound: a warm run takes 1-3 minutes on 2 cores; a cold one builds its environments first. */
const runTimeoutMs = 30 * 60_000;

const command = defineCommand({
  name: 'soak',
  summary: 'Run the full local flow N times in a row (each an npm run e2e of its own) and report passes, failures, flaky steps and timings.',
  options: {
    runs: { type: 'string', value: '<n>', description: 'how many runs (required: a soak takes minutes per run)' },
    report: { type: 'string', value: '<dir>', description: "print an earlier soak's report again (e2e-output/soak-<stamp>); runs nothing" },
  },
  passthrough: { value: '<e2e flags>', description: 'flags for each npm run e2e (npm run soak -- --runs 5 -- --platform local)' },
  sections: [{ title: 'Exit status', lines: ['0 every run passed, 1 a run failed, 2 a usage error, 130 interrupted (the runs so far are reported)'] }],
});

const relative = (p: string) => path.relative(process.cwd(), p) || '.';

function printReport(runs: SoakRun[], details: string): void {
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

/** An earlier soak, as soak.json has it, each run's steps read again from its output directory. */
function reprint(dir: string): number {
  const file = path.join(dir, 'soak.json');
  let saved: { runs: SoakRun[] };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { runs: SoakRun[] };
  } catch (err) {
    throw new HarnessError('soak', `--report ${dir}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const runs = saved.runs.map((r) => ({ ...r, steps: readRunRecord(r.outputDir)?.steps ?? r.steps }));
  printReport(runs, file);
  return aggregateSoak(runs).failed > 0 ? 1 : 0;
}

await runCommand(command, async ({ values, passthrough: e2eArgs }) => {
  if (values.report) {
    if (values.runs !== undefined || e2eArgs.length) throw usageError(command, '--report prints an earlier soak; it takes no --runs and no e2e flags');
    return reprint(values.report);
  }
  // Never a silent default: a soak brings up a stack per run.
  if (values.runs === undefined) throw usageError(command, 'how many runs? give --runs <n> (or --report <dir>)');
  const count = wholeNumber(command, 'runs', values.runs);
  const config = readConfig();
  const soakDir = path.join(config.outputDir, `soak-${outputStamp()}`);
  fs.mkdirSync(soakDir, { recursive: true });
  console.log(`soak: ${count} runs of npm run e2e${e2eArgs.length ? ` -- ${e2eArgs.join(' ')}` : ''}; consoles in ${relative(soakDir)}`);
  console.log(`soak: before: ${describeLoad(machineLoad())}`);

  const runs: SoakRun[] = [];
  for (let index = 1; index <= count && interrupts.count === 0; index++) {
    const loadBefore = machineLoad();
    const log = path.join(soakDir, `run-${String(index).padStart(2, '0')}.log`);
    const child = await runHarnessChild({ script: 'e2e', args: e2eArgs, logFile: log, ownGroup: true, timeoutMs: runTimeoutMs });
    // Exit 2 is e2e's usage error: its flags are wrong, and would be for every run.
    if (child.exitCode === 2) throw new UsageError(`npm run e2e refused the flags given after --: ${child.output.trim().split('\n')[0]}`);
    const loadAfter = machineLoad();
    const outputDir = path.join(config.outputDir, child.runId);
    const record = readRunRecord(outputDir);
    runs.push({ index, runId: child.runId, exitCode: child.exitCode, wallMs: child.wallMs, outputDir, log, steps: record?.steps, loadBefore, loadAfter });
    const ok = isPassingRun(child.exitCode, record?.steps);
    const outcome = ok ? 'passed' : child.timedOut ? `TIMED OUT after ${formatDuration(runTimeoutMs)}` : `FAILED (exit ${child.exitCode})`;
    console.log(
      `soak: run ${index}/${count} ${child.runId} ${outcome} in ${formatDuration(child.wallMs)}` +
        ` (load ${loadBefore.load[0].toFixed(2)} → ${loadAfter.load[0].toFixed(2)}, other harness runs: ${loadAfter.otherRuns.length})`,
    );
  }

  const report = aggregateSoak(runs);
  fs.writeFileSync(path.join(soakDir, 'soak.json'), `${JSON.stringify({ report, runs }, null, 2)}\n`);
  printReport(runs, path.join(soakDir, 'soak.json'));
  if (interrupts.count) {
    console.log(`soak: interrupted after ${runs.length} of ${count} runs`);
    return 130;
  }
  return report.failed > 0 ? 1 : 0;
});
