// `npm run matrix`: the tutorial flow over the cells of the committed matrix (matrix/matrix.yaml),
// each resolved first (dated: PyPI as of now), then run side by side on the local platform, and the
// answer in e2e-output/matrix-<date>/: matrix.md (the table), matrix.json, an Allure report with one
// test per cell, and what changed since the committed baseline (matrix/baseline.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { readConfig } from '../cluster/config.js';
import { HarnessError, UsageError } from '../cluster/errors.js';
import { formatDuration, logger } from '../cluster/log.js';
import { ensureUv } from '../cluster/python/python-envs.js';
import { keyVersions } from '../cluster/python/version-sets.js';
import { writeAllureResults } from '../matrix/allure.js';
import { defaultBaselineFile, defaultMatrixFile, describeCell, loadMatrix, type MatrixCell } from '../matrix/cells.js';
import { outputDirOf, readRunOutcome } from '../matrix/outcome.js';
import { installedProxyVersion, prepareCell, type Prepared } from '../matrix/prepare.js';
import { baselineOf, compareWithBaseline, readBaseline, renderMarkdown, resultLabel, whyLine, type CellResult, type MatrixReport } from '../matrix/table.js';
import { readRunVersions } from '../reporters/run-versions.js';
import { defineCommand, runCommand, usageError, wholeNumber } from './lib/command.js';
import { interrupts, runHarnessChild } from './lib/harness-child.js';

const cores = os.availableParallelism();

const command = defineCommand({
  name: 'matrix',
  summary:
    'Run the tutorial flow over the compatibility matrix (matrix/matrix.yaml) on the local platform: each cell resolved today, then run; the table in e2e-output/matrix-<date>/.',
  options: {
    limit: { type: 'string', value: '<n>', description: 'run only the first n cells' },
    cell: { type: 'string', value: '<name>', multiple: true, description: 'run only this cell' },
    jobs: { type: 'string', value: '<n>', description: `cells side by side (default: the cores, ${cores} here)` },
    'dry-run': { type: 'boolean', description: 'resolve every cell and say what could run; build nothing, run nothing' },
    matrix: { type: 'string', value: '<file>', description: 'the matrix file (default: matrix/matrix.yaml)' },
    baseline: { type: 'string', value: '<file>', description: 'the baseline to compare with (default: matrix/baseline.json)' },
    'update-baseline': { type: 'boolean', description: "record this run's results as the baseline (on purpose, like the goldens; never in CI)" },
  },
  sections: [
    {
      title: 'Results',
      lines: [
        'passed         the flow ran and every output matched its golden',
        'failed         broken flow (a data check failed or was never reached) or changed output (every data',
        '               check passed, goldens differ: update them on purpose); with the step, command and headline',
        "unresolvable   the cell's packages cannot be installed together (the resolver's reason)",
        'unrunnable     this machine cannot run it as asked (a Python not installed, a proxy that needs a newer Node)',
      ],
    },
    {
      title: 'Output',
      lines: [
        'e2e-output/matrix-<date>/matrix.md      the table, and the changes since the baseline',
        'e2e-output/matrix-<date>/matrix.json    cells[].versions, cells[].result, cells[].failure',
        'e2e-output/matrix-<date>/allure-report  one test per cell, its versions as parameters',
        'e2e-output/matrix-<date>/runs/<run id>  each cell’s run (transcripts, summary.json, reports)',
        'A second matrix run on the same day replaces the first one’s directory (not while it runs); a dry run writes matrix-<date>-dry-run/.',
      ],
    },
    { title: 'Exit status', lines: ['0 no cell that passed in the baseline fails now, 1 one does (or the matrix could not run), 2 a usage error'] },
  ],
});

const log = logger('matrix');

function selectCells(all: MatrixCell[], limit: number | undefined, only: string[] | undefined): MatrixCell[] {
  let cells = all;
  if (only?.length) {
    const unknown = only.filter((n) => !all.some((c) => c.name === n));
    if (unknown.length) throw usageError(command, `unknown cell ${unknown.join(', ')}; the matrix has: ${all.map((c) => c.name).join(', ')}`);
    cells = all.filter((c) => only.includes(c.name));
  }
  return limit === undefined ? cells : cells.slice(0, limit);
}

/** A pool: `jobs` at a time, in order; stops starting new ones after Ctrl-C. */
async function eachLimited<T, R>(items: T[], jobs: number, fn: (item: T) => Promise<R>): Promise<Array<R | undefined>> {
  const out: Array<R | undefined> = new Array<R | undefined>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length && interrupts.count === 0) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

function resultOfPrepared(p: Prepared): CellResult {
  const versions = p.resolved ? { ...keyVersions(p.resolved), 'configurable-http-proxy': p.cell.proxy ?? installedProxyVersion() } : {};
  const base = { name: p.cell.name, title: p.cell.title, asked: describeCell(p.cell), versions, timing: { prepareMs: p.prepareMs } };
  if (p.status === 'unresolvable') return { ...base, result: 'unresolvable', reason: p.headline, details: p.reason };
  if (p.status === 'unrunnable') return { ...base, result: 'unrunnable', reason: p.reason };
  return { ...base, result: 'not run' };
}

await runCommand(command, async ({ values }) => {
  const limit = values.limit === undefined ? undefined : wholeNumber(command, 'limit', values.limit, 1);
  const jobs = values.jobs === undefined ? cores : wholeNumber(command, 'jobs', values.jobs, 1, 16);
  const dryRun = values['dry-run'] === true;
  if (values['update-baseline'] && process.env.CI)
    throw new UsageError('--update-baseline records the baseline from this machine; it is refused in CI (CI is set)');
  if (values['update-baseline'] && dryRun) throw usageError(command, '--update-baseline needs results: it cannot go with --dry-run');
  const matrixFile = path.resolve(values.matrix ?? defaultMatrixFile);
  const baselineFile = path.resolve(values.baseline ?? defaultBaselineFile);
  const matrix = loadMatrix(matrixFile);
  const cells = selectCells(matrix.cells, limit, values.cell);

  const config = readConfig();
  const asOf = new Date();
  const date = asOf.toISOString().slice(0, 10);
  // A dry run writes beside the day's results, never over them.
  const dir = path.join(config.outputDir, `matrix-${date}${dryRun ? '-dry-run' : ''}`);
  claimDirectory(dir);
  const started = Date.now();
  console.log(
    `matrix: ${cells.length} of ${matrix.cells.length} cells from ${path.relative(process.cwd(), matrixFile)}, PyPI as of ${asOf.toISOString()}; output in ${path.relative(process.cwd(), dir)}`,
  );

  // 1. Resolve and prepare every cell, one after another: cells share environments, which are built once.
  const uv = await ensureUv(config.cacheDir, log);
  const prepared: Prepared[] = [];
  for (const cell of cells) {
    if (interrupts.count) break;
    const p = await prepareCell(cell, { cacheDir: config.cacheDir, uv, log, asOf, cellDir: path.join(dir, 'cells', cell.name), build: !dryRun });
    const r = resultOfPrepared(p);
    console.log(
      `  ${p.status === 'ready' ? '·' : resultLabel(r)} ${cell.name}: ${p.status === 'ready' ? `ready in ${formatDuration(p.prepareMs)} (${describeCell(cell)})` : whyLine(r)}`,
    );
    prepared.push(p);
  }

  // 2. Run the ready cells side by side, as many as the cores allow.
  const results = await eachLimited(prepared, dryRun ? 1 : jobs, async (p): Promise<CellResult> => {
    const base = resultOfPrepared(p);
    if (p.status !== 'ready' || dryRun) return base;
    const logFile = path.join(dir, 'cells', p.cell.name, 'run.log');
    console.log(`  ▶ ${p.cell.name}: running the tutorial flow`);
    const child = await runHarnessChild({
      script: 'e2e',
      env: { E2E_PLATFORM: 'local', E2E_VERSIONS: p.versionsFile, E2E_OUTPUT_DIR: path.join(dir, 'runs'), E2E_KEEP: '', E2E_UPDATE_EXPECTED: '' },
      logFile,
      timeoutMs: 45 * 60_000,
      ownGroup: true,
    });
    // Where the run said it wrote; the id it was given otherwise.
    const runDir = outputDirOf(child.output) ?? path.join(dir, 'runs', child.runId);
    const outcome = readRunOutcome(child.exitCode, runDir, child.output.slice(-4000));
    const result: CellResult = {
      ...base,
      result: outcome.result,
      ...(outcome.result === 'failed' ? { failure: outcome.failure } : {}),
      ...(child.timedOut ? { reason: 'the run took longer than 45 min and was stopped' } : {}),
      runId: path.basename(runDir),
      output: path.relative(dir, runDir),
      log: path.relative(dir, logFile),
      running: readRunVersions(runDir)?.running,
      timing: { prepareMs: p.prepareMs, runMs: child.wallMs },
    };
    console.log(`  ${resultLabel(result)} ${p.cell.name} in ${formatDuration(child.wallMs)}${result.failure ? ` — ${whyLine(result)}` : ''}`);
    return result;
  });
  const done = results.filter((r): r is CellResult => r !== undefined);
  if (interrupts.count) throw new HarnessError('matrix', `interrupted after ${done.length} of ${cells.length} cells; nothing recorded`);

  // 3. The answer: table, JSON, Allure, and what changed since the baseline.
  const baseline = readBaseline(baselineFile);
  const { changes, regressions } = compareWithBaseline(done, baseline);
  const { stdout: uptime } = await execa('uptime', [], { reject: false });
  const report: MatrixReport = {
    date,
    asOf: asOf.toISOString(),
    matrixFile: path.relative(config.rootDir, matrixFile),
    machine: { cores, node: process.version, uptime: uptime.trim().replace(/^.*load average:\s*/, 'load average ') },
    jobs: dryRun ? 0 : Math.min(jobs, Math.max(1, prepared.filter((p) => p.status === 'ready').length)),
    wallMs: Date.now() - started,
    cells: done,
    changes,
    regressions,
  };
  fs.writeFileSync(path.join(dir, 'matrix.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  fs.writeFileSync(path.join(dir, 'matrix.md'), markdown);
  writeAllureResults(path.join(dir, 'allure-results'), report, dir);
  if (!dryRun) await generateAllure(dir, date);
  console.log(`\n${markdown}`);
  if (values['update-baseline']) {
    fs.writeFileSync(baselineFile, `${JSON.stringify(baselineOf(done, baseline), null, 2)}\n`);
    console.log(`baseline recorded: ${path.relative(process.cwd(), baselineFile)} (commit it)`);
  }
  console.log(`matrix: ${path.relative(process.cwd(), path.join(dir, 'matrix.md'))}, matrix.json, allure-report/index.html`);
  if (regressions.length && !values['update-baseline']) {
    console.log(`matrix: ${regressions.length} cell(s) passed in the baseline and do not now: ${regressions.join(', ')}`);
    return 1;
  }
  return 0;
});

/**
 * The day's matrix directory, emptied for this run; refused while another matrix run still writes
 * into it (its pid file names a live process).
 */
function claimDirectory(dir: string): void {
  const pidFile = path.join(dir, 'matrix.pid');
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : undefined;
  if (pid && pid !== process.pid && isAlive(pid)) {
    throw new HarnessError('matrix', `another matrix run (pid ${pid}) is writing ${path.relative(process.cwd(), dir)}; wait for it to end, or stop it`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'cells'), { recursive: true });
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  process.once('exit', () => fs.rmSync(pidFile, { force: true }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The Allure report of the matrix (one self-contained index.html), offline; a failure only warns. */
async function generateAllure(dir: string, date: string): Promise<void> {
  const configFile = path.join(dir, 'allurerc.json');
  const name = `nbgrader + ngshare compatibility matrix · ${date}`;
  fs.writeFileSync(
    configFile,
    `${JSON.stringify({ name, output: path.join(dir, 'allure-report'), plugins: { awesome: { options: { reportName: name, singleFile: true } } } }, null, 2)}\n`,
  );
  const r = await execa('npx', ['allure', 'generate', path.join(dir, 'allure-results'), '--config', configFile, '--output', path.join(dir, 'allure-report')], {
    all: true,
    reject: false,
  });
  if (r.exitCode !== 0) log.warn(`allure generate failed (exit ${r.exitCode}); the results are in ${path.join(dir, 'allure-results')}`);
}
