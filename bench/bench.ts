/**
 * `npm run bench [-- --repeat N] [--no-cold] [--record] [--keep-cache]`: how long the local flow
 * takes, and how much of that the harness itself costs, measured in one go on this machine:
 *
 *   cold   `npm run e2e` with an empty E2E_CACHE_DIR (a new temporary directory: uv and the three
 *          Python environments are installed from PyPI; the shared cache is not touched)
 *   warm   `npm run e2e` again, with the environments the cold run built
 *   floor  bench/floor.sh: the same work by hand with the same environments and config files, with
 *          no harness, checks or reports
 *
 * Prints each per step, warm against floor per command, and `warm/floor = X.XX` as its last line.
 * --repeat N alternates N warm and N floor runs and compares their medians (the machine is shared:
 * alternating spreads other people's load over both). --no-cold skips the cold run and uses the
 * shared cache. --record writes the results to bench/results/<date>.json and .md; every run writes
 * them to e2e-output/bench-<stamp>/ with each run's console.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../cluster/config.js';
import { formatDuration, logger } from '../cluster/log.js';
import { ensureEnvs } from '../cluster/python/python-envs.js';
import { interrupts, runE2eChild } from './e2e-child.js';
import { describeLoad, machineLoad, type MachineLoad } from './machine.js';
import { isPassingRun, readRunRecord } from './run-record.js';
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

const here = path.dirname(fileURLToPath(import.meta.url));
const floorScript = path.join(here, 'floor.sh');

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

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
  options: {
    repeat: { type: 'string', default: '1' },
    'no-cold': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    'keep-cache': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (values.help) {
  console.log('Usage: npm run bench [-- --repeat N] [--no-cold] [--record] [--keep-cache]');
  process.exit(0);
}
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`bench: --repeat ${values.repeat}: give a whole number, 1 or more`);
  process.exit(2);
}

const config = readConfig();
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const outDir = path.join(config.outputDir, `bench-${stamp}`);
fs.mkdirSync(outDir, { recursive: true });
const rel = (p: string) => path.relative(process.cwd(), p);
const say = (line: string) => process.stdout.write(`${line}\n`);

/** One `npm run e2e` with the given cache directory. */
async function harnessRun(kind: 'cold' | 'warm', cacheDir: string, n: number): Promise<Measured> {
  const loadBefore = machineLoad();
  const spawnedAtMs = Date.now();
  const child = await runE2eChild({ log: path.join(outDir, `${kind}-${n}.log`), env: { E2E_CACHE_DIR: cacheDir } });
  const loadAfter = machineLoad();
  const record = readRunRecord(path.join(config.outputDir, child.runId));
  const ok = isPassingRun(child.exitCode, record?.steps);
  const problems = ok ? [] : [`${kind} run ${child.runId} failed (exit ${child.exitCode}); see ${rel(child.log)}`];
  const setupStderr = record?.tests.find((t) => t.project === 'setup')?.stderr ?? '';
  return {
    kind,
    ok,
    problems,
    wallMs: child.wallMs,
    runId: child.runId,
    log: child.log,
    loadBefore,
    loadAfter,
    timing: record ? harnessTiming(record, child.wallMs, spawnedAtMs) : undefined,
    envBuilds: kind === 'cold' ? setupMilestones(setupStderr).builds : undefined,
  };
}

/** One run of bench/floor.sh with the harness's environments; checks afterwards that it did the work. */
async function floorRun(envDirs: Record<'hub' | 'ngshare' | 'user', string>, cacheDir: string, n: number): Promise<Measured> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-e2e-floor-'));
  const log = path.join(outDir, `floor-${n}.log`);
  const loadBefore = machineLoad();
  const started = performance.now();
  const child = spawn('bash', [floorScript, work], {
    env: { ...process.env, E2E_CACHE_DIR: cacheDir, HUB_ENV: envDirs.hub, NGSHARE_ENV: envDirs.ngshare, USER_ENV: envDirs.user },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const wallMs = Math.round(performance.now() - started);
  const loadAfter = machineLoad();
  fs.writeFileSync(log, `${stdout}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`);
  const problems: string[] = [];
  if (exitCode !== 0) problems.push(`floor exited ${exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const timing = floorTiming(stdout, wallMs);
  for (const c of timing.commands.filter((c) => c.exitCode !== 0)) problems.push(`floor: ${c.user}: ${c.command} exited ${c.exitCode}`);
  const graded = ['problem1', 'problem2'].map((nb) => path.join(work, 'home', 'instructor1', 'course101', 'autograded', 'student1', 'ps1', `${nb}.ipynb`));
  if (exitCode === 0 && !graded.every((f) => fs.existsSync(f))) problems.push('floor: the autograded notebooks are missing: it did not do the work');
  if (fs.existsSync(path.join(work, 'commands.log'))) fs.copyFileSync(path.join(work, 'commands.log'), path.join(outDir, `floor-${n}-commands.log`));
  // A failed floor keeps its services' logs beside its console.
  if (problems.length && fs.existsSync(path.join(work, 'logs'))) fs.cpSync(path.join(work, 'logs'), path.join(outDir, `floor-${n}-logs`), { recursive: true });
  fs.rmSync(work, { recursive: true, force: true });
  return { kind: 'floor', ok: problems.length === 0, problems, wallMs, log, loadBefore, loadAfter, timing };
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
  const envs = await ensureEnvs(['hub', 'ngshare', 'user'] as const, cacheDir, logger('python-envs'));
  const envDirs = { hub: envs.hub.dir, ngshare: envs.ngshare.dir, user: envs.user.dir };
  for (let n = 1; n <= repeat && interrupts.count === 0; n++) {
    const warm = await harnessRun('warm', cacheDir, n);
    measured.push(warm);
    progress(warm);
    if (interrupts.count) break;
    const floor = await floorRun(envDirs, cacheDir, n);
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
process.exitCode = exitCode;
