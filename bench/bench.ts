/**
 * `npm run bench [-- --repeat N] [--no-cold] [--record] [--keep-cache]`: how long the local flow
 * takes, and how much of that the harness itself costs, measured in one go on this machine:
 *
 *   cold   `npm run e2e` with an empty E2E_CACHE_DIR (a new temporary directory: uv and the three
 *          Python environments are installed from PyPI; the shared cache is not touched)
 *   warm   `npm run e2e` again, with the environments the cold run built
 *   floor  bench/floor.sh: the same work by hand, with no harness, checks or reports: a stack is
 *          brought up and removed through the product (`npm run up`, `npm run down`, not timed),
 *          and the floor replays by hand how its services were started, on fresh copies of its
 *          files (bench/floor.ts), then runs the tutorial's commands
 *
 * Prints each per step, warm against floor per command, and `warm/floor = X.XX` as its last line.
 * --repeat N alternates N warm and N floor runs and compares their medians (the machine is shared:
 * alternating spreads other people's load over both). --no-cold skips the cold run and uses the
 * shared cache. --record writes the results to bench/results/<date>.json and .md (<date>-<HHMM>
 * when the day has a record already); every run writes them to e2e-output/bench-<stamp>/ with
 * each run's console.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../cluster/config.js';
import { errorMessage } from '../cluster/errors.js';
import { formatDuration, logger } from '../cluster/log.js';
import { ensureEnvs } from '../cluster/python/python-envs.js';
import { defineCommand, runCommand, wholeNumber } from '../scripts/lib/command.js';
import { interrupts, runHarnessChild } from '../scripts/lib/harness-child.js';
import {
  commandListDifferences,
  floorTiming,
  formatComparison,
  harnessOwnMs,
  harnessTiming,
  medianTiming,
  ratioLine,
  rowNames,
  setupMilestones,
  type Timing,
} from './bench-report.js';
import { floorWorkDir, recordedStack, runFloor } from './floor.js';
import { describeLoad, machineLoad, outputStamp, type MachineLoad } from './machine.js';
import { isPassingRun, readRunRecord } from './run-record.js';

const command = defineCommand({
  name: 'bench',
  summary: "How long the local flow takes, and how much of it is the harness's own: cold and warm npm run e2e against a floor that does the same work by hand.",
  options: {
    repeat: { type: 'string', value: '<n>', description: 'alternate n warm runs and n floors, and compare their medians (default: 1)' },
    'no-cold': { type: 'boolean', description: 'skip the cold run (a new, empty E2E_CACHE_DIR); use the shared cache' },
    record: { type: 'boolean', description: 'also write the results to bench/results/<date>.json and .md (<date>-<HHMM> when the day has one)' },
    'keep-cache': { type: 'boolean', description: "keep the cold run's cache directory afterwards" },
  },
  sections: [
    { title: 'Output', lines: ["each run's console and bench.json in e2e-output/bench-<stamp>/; the table last, then `warm/floor = X.XX`"] },
    { title: 'Exit status', lines: ['0 every run passed, 1 a run failed (left out of the table), 2 a usage error, 130 interrupted'] },
  ],
});

/** One run's bound: a warm run takes 1-3 minutes on 2 cores, a cold one builds three environments first. */
const runTimeoutMs = 30 * 60_000;

const here = path.dirname(fileURLToPath(import.meta.url));

interface Measured {
  kind: 'cold' | 'warm' | 'floor';
  ok: boolean;
  problems: string[];
  wallMs: number;
  runId?: string;
  log: string;
  loadBefore: MachineLoad;
  loadAfter: MachineLoad;
  timing?: Timing;
  /** Cold run: each environment's build time, from the harness's progress lines. */
  envBuilds?: Record<string, number>;
}

await runCommand(command, async ({ values }) => {
  const repeat = wholeNumber(command, 'repeat', values.repeat ?? '1');
  const config = readConfig();
  const stamp = outputStamp();
  const outDir = path.join(config.outputDir, `bench-${stamp}`);
  fs.mkdirSync(outDir, { recursive: true });
  const rel = (p: string) => path.relative(process.cwd(), p);
  const say = (line: string) => process.stdout.write(`${line}\n`);

  /** One `npm run e2e` with the given cache directory. */
  async function harnessRun(kind: 'cold' | 'warm', cacheDir: string, n: number): Promise<Measured> {
    const loadBefore = machineLoad();
    const spawnedAtMs = Date.now();
    const log = path.join(outDir, `${kind}-${n}.log`);
    const child = await runHarnessChild({ script: 'e2e', logFile: log, env: { E2E_CACHE_DIR: cacheDir }, ownGroup: true, timeoutMs: runTimeoutMs });
    const loadAfter = machineLoad();
    const record = readRunRecord(path.join(config.outputDir, child.runId));
    const ok = isPassingRun(child.exitCode, record?.steps);
    const problems = ok ? [] : [`${kind} run ${child.runId} ${child.timedOut ? 'timed out' : `failed (exit ${child.exitCode})`}; see ${rel(log)}`];
    const setupStderr = record?.tests.find((t) => t.project === 'setup')?.stderr ?? '';
    return {
      kind,
      ok,
      problems,
      wallMs: child.wallMs,
      runId: child.runId,
      log,
      loadBefore,
      loadAfter,
      timing: record ? harnessTiming(record, child.wallMs, spawnedAtMs) : undefined,
      envBuilds: kind === 'cold' ? setupMilestones(setupStderr).builds : undefined,
    };
  }

  /**
   * One floor: a stack brought up and removed through the product (not timed), then replayed by
   * hand by bench/floor.sh (timed from spawn to exit); checks afterwards that it did the work.
   */
  async function floorRun(cacheDir: string, n: number): Promise<Measured> {
    const log = path.join(outDir, `floor-${n}.log`);
    const stackLogs = path.join(outDir, `floor-${n}-stack`);
    let stack;
    try {
      stack = await recordedStack(readConfig({ ...process.env, E2E_CACHE_DIR: cacheDir }), { E2E_CACHE_DIR: cacheDir }, stackLogs);
    } catch (err) {
      const load = machineLoad();
      fs.writeFileSync(log, `${errorMessage(err)}\n`);
      return {
        kind: 'floor',
        ok: false,
        problems: [`floor: no stack to replay: ${errorMessage(err).split('\n')[0]}`],
        wallMs: 0,
        log,
        loadBefore: load,
        loadAfter: load,
      };
    }
    const work = floorWorkDir();
    const loadBefore = machineLoad();
    const floor = await runFloor(stack, work);
    const loadAfter = machineLoad();
    fs.writeFileSync(log, `${floor.stdout}${floor.stderr ? `\n--- stderr ---\n${floor.stderr}` : ''}`);
    if (fs.existsSync(path.join(work, 'commands.log'))) fs.copyFileSync(path.join(work, 'commands.log'), path.join(outDir, `floor-${n}-commands.log`));
    // A failed floor keeps its services' logs beside its console.
    if (floor.problems.length && fs.existsSync(path.join(work, 'logs')))
      fs.cpSync(path.join(work, 'logs'), path.join(outDir, `floor-${n}-logs`), { recursive: true });
    fs.rmSync(work, { recursive: true, force: true });
    const timing = floorTiming(floor.stdout, floor.wallMs);
    return { kind: 'floor', ok: floor.problems.length === 0, problems: floor.problems, wallMs: floor.wallMs, log, loadBefore, loadAfter, timing };
  }

  function progress(m: Measured): void {
    const load = `load ${m.loadBefore.load[0].toFixed(2)} → ${m.loadAfter.load[0].toFixed(2)}, other harness runs ${m.loadAfter.otherRuns.length}`;
    say(`bench: ${m.kind.padEnd(5)} ${m.ok ? 'ok    ' : 'FAILED'} ${formatDuration(m.wallMs).padStart(10)}  (${load})${m.runId ? `  ${m.runId}` : ''}`);
    for (const p of m.problems) say(`bench:   ${p}`);
  }

  function resultsFile(ext: string): string {
    const dir = path.join(here, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const day = new Date().toISOString().slice(0, 10);
    const plain = path.join(dir, `${day}.${ext}`);
    return fs.existsSync(plain) ? path.join(dir, `${day}-${stamp.slice(9, 13)}.${ext}`) : plain;
  }

  const measured: Measured[] = [];
  const loadAtStart = machineLoad();
  say(`bench: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${describeLoad(loadAtStart)}`);
  say(`bench: consoles and results in ${rel(outDir)}`);
  if (loadAtStart.otherRuns.length) say(`bench: other harness runs on this machine: ${loadAtStart.otherRuns.join(', ')} (numbers will be noisier)`);

  const coldCache = values['no-cold'] ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-e2e-bench-cache-'));
  const cacheDir = coldCache ?? config.cacheDir;
  let exitCode = 0;
  try {
    if (coldCache) {
      say(`bench: cold run, E2E_CACHE_DIR=${coldCache}`);
      const cold = await harnessRun('cold', coldCache, 1);
      measured.push(cold);
      progress(cold);
    }
    // Outside any timing: the environments the warm runs use (built here only if the cold run failed to).
    await ensureEnvs(['hub', 'ngshare', 'user'] as const, cacheDir, logger('python-envs'));
    for (let n = 1; n <= repeat && interrupts.count === 0; n++) {
      const warm = await harnessRun('warm', cacheDir, n);
      measured.push(warm);
      progress(warm);
      if (interrupts.count) break;
      const floor = await floorRun(cacheDir, n);
      measured.push(floor);
      progress(floor);
    }
  } finally {
    if (coldCache && !values['keep-cache']) fs.rmSync(coldCache, { recursive: true, force: true });
  }

  // Failed runs did other work than a passing one: they stay in bench.json, out of the table.
  const of = (kind: Measured['kind']) => measured.filter((m) => m.kind === kind && m.ok && m.timing).map((m) => m.timing!);
  const cold = of('cold')[0];
  const warm = medianTiming(of('warm'));
  const floor = medianTiming(of('floor'));
  const lines: string[] = [''];
  const counted = (kind: Measured['kind']) => of(kind).length;
  lines.push(repeat > 1 ? `Per step (median row by row: warm of ${counted('warm')} run(s), floor of ${counted('floor')}):` : 'Per step:');
  lines.push(...formatComparison({ cold, warm, floor }));
  const builds = measured.find((m) => m.kind === 'cold')?.envBuilds ?? {};
  if (Object.keys(builds).length) {
    lines.push(
      '',
      `Cold run, environments built in parallel by uv: ${Object.entries(builds)
        .map(([r, ms]) => `${r} ${formatDuration(ms)}`)
        .join(', ')}`,
    );
  }
  if (warm && floor) {
    const differences = commandListDifferences(warm, floor);
    if (differences.length) lines.push('', 'WARNING: the floor did not run the same commands as the harness:', ...differences.map((d) => `  ${d}`));
  }
  if (warm && floor) {
    const own = harnessOwnMs(warm);
    lines.push(
      '',
      `The harness's own time (environment check, setup and fixtures, npm/tsx/Playwright): ${formatDuration(own)}, ` +
        `${((100 * own) / floor.rows[rowNames.total]).toFixed(1)}% of the floor; the rest of warm − floor is the stack and the commands, ` +
        "which the two run alike and which vary with the machine's load.",
    );
  }
  const loads = measured.flatMap((m) => [m.loadBefore, m.loadAfter]);
  const load1 = loads.map((l) => l.load[0]);
  lines.push(
    '',
    `Machine: ${loadAtStart.cores} cores; load (1 min) around the runs: min ${Math.min(...load1).toFixed(2)}, max ${Math.max(...load1).toFixed(2)}; other harness runs seen: ${[...new Set(loads.flatMap((l) => l.otherRuns))].length}`,
  );
  const failed = measured.filter((m) => !m.ok);
  if (failed.length) {
    exitCode = 1;
    lines.push(
      '',
      `${failed.length} run(s) failed and are left out of the table (their times are in bench.json):`,
      ...failed.flatMap((m) => m.problems.map((p) => `  ${p}`)),
    );
  }
  if (interrupts.count) {
    exitCode = 130;
    lines.push('', 'bench: interrupted; the numbers above cover the runs that finished');
  }
  const ratio = ratioLine(warm, floor);
  lines.push(ratio);

  const results = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAtStart },
    repeat,
    runs: measured.map(({ timing, ...m }) => ({ ...m, log: rel(m.log), rows: timing?.rows, commands: timing?.commands })),
    median: { cold: cold?.rows, warm: warm?.rows, floor: floor?.rows },
    ratio,
  };
  fs.writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (values.record) {
    const json = resultsFile('json');
    fs.writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    const md = resultsFile('md');
    fs.writeFileSync(
      md,
      [
        `# npm run bench, ${results.date.slice(0, 16).replace('T', ' ')} UTC`,
        '',
        `\`${results.command}\` on ${results.machine.cores} cores, ${results.machine.memGiB} GiB, Node ${results.machine.node}.`,
        `At the start: ${describeLoad(loadAtStart)}.`,
        '',
        ...measured.map(
          (m) =>
            `- ${m.kind}: ${m.ok ? 'ok' : 'FAILED'}, ${formatDuration(m.wallMs)}, load ${m.loadBefore.load[0].toFixed(2)} → ${m.loadAfter.load[0].toFixed(2)}, other harness runs ${m.loadAfter.otherRuns.length}${m.runId ? ` (${m.runId})` : ''}`,
        ),
        '',
        '```',
        ...lines.slice(1),
        '```',
        '',
      ].join('\n'),
    );
    say(`bench: recorded ${rel(json)} and ${rel(md)}`);
  }
  // The table last, so that the ratio is the last line printed.
  for (const line of lines) say(line);
  return exitCode;
});
