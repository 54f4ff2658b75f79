/**
 * The answer people want from a matrix run: which combination works, in a table (matrix.md) and
 * as data (matrix.json), and what changed since the committed baseline (matrix/baseline.json,
 * updated on purpose like the goldens): "latest: new nbgrader 0.9.6 passes", "latest: nbgrader
 * 0.9.7 breaks Step 7 (broken flow)". A cell that passed in the baseline and does not now is a
 * regression: the matrix exits 1.
 */
import fs from 'node:fs';
import { formatDuration } from '../cluster/log.js';
import type { CellFailure } from './outcome.js';

export type CellResultName = 'passed' | 'failed' | 'unresolvable' | 'unrunnable' | 'not run';

export interface CellResult {
  name: string;
  title: string;
  /** What the cell asks for, in words (its changes from pinned or latest). */
  asked: string;
  result: CellResultName;
  /** The versions it resolved to (the table's columns); empty when it never resolved. */
  versions: Record<string, string>;
  /** failed: where and why. */
  failure?: CellFailure;
  /** unresolvable or unrunnable: why, in one line; and the whole of it (the resolver's reasoning). */
  reason?: string;
  details?: string;
  /** The run of the cell: its id and output directory (relative to the matrix's), its log. */
  runId?: string;
  output?: string;
  log?: string;
  /** The versions the run's stack reported it ran (Stack.versions()). */
  running?: Record<string, string>;
  timing: { prepareMs: number; runMs?: number };
}

export interface MatrixReport {
  /** The day of the run (the directory's name) and the moment PyPI was read as of. */
  date: string;
  asOf: string;
  matrixFile: string;
  machine: { cores: number; node: string; uptime: string };
  jobs: number;
  wallMs: number;
  cells: CellResult[];
  changes: string[];
  regressions: string[];
}

export interface BaselineCell {
  result: CellResultName;
  kind?: CellFailure['kind'];
  step?: string;
  versions: Record<string, string>;
}

export interface Baseline {
  recordedAt: string;
  cells: Record<string, BaselineCell>;
}

/** The columns of the table, in order: [heading, version keys shown in it]. */
const columns: Array<[string, string[]]> = [
  ['nbgrader', ['nbgrader']],
  ['ngshare-exchange', ['ngshare-exchange']],
  ['JupyterLab', ['jupyterlab']],
  ['JupyterHub hub / user', ['hub jupyterhub', 'user jupyterhub']],
  ['ngshare (SQLAlchemy)', ['ngshare', 'ngshare sqlalchemy']],
  ['Python user', ['user python']],
  ['proxy', ['configurable-http-proxy']],
];

const marks: Record<CellResultName, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  unresolvable: '⛔ unresolvable',
  unrunnable: '➖ unrunnable here',
  'not run': '· not run (dry run)',
};

export function resultLabel(cell: Pick<CellResult, 'result' | 'failure'>): string {
  if (cell.result === 'failed' && cell.failure) return `${marks.failed}: ${cell.failure.kind}`;
  return marks[cell.result];
}

/** Why a cell did not pass, in one line (empty for a pass). */
export function whyLine(cell: CellResult): string {
  if (cell.failure) return `${cell.failure.step}${cell.failure.command ? ` › \`${cell.failure.command}\`` : ''}: ${cell.failure.headline}`;
  return cell.reason ?? '';
}

const cellText = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function versionCell(cell: CellResult, keys: string[]): string {
  const values = keys.map((k) => cell.versions[k]).filter(Boolean);
  if (!values.length) return '–';
  if (keys[0] === 'ngshare' && values.length === 2) return `${values[0]} (${values[1]})`;
  return values.join(' / ');
}

export function renderMarkdown(report: MatrixReport): string {
  const head = ['Cell', 'Result', ...columns.map(([h]) => h), 'Where it fails / why'];
  const rows = report.cells.map((c) => [`**${c.name}**`, resultLabel(c), ...columns.map(([, keys]) => versionCell(c, keys)), cellText(whyLine(c))]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const passed = report.cells.filter((c) => c.result === 'passed').map((c) => c.name);
  return [
    `# Compatibility matrix, ${report.date}`,
    '',
    `The tutorial flow (steps 4-8) on the local platform, once per cell; PyPI as of ${report.asOf}. ${report.cells.length} cell${report.cells.length === 1 ? '' : 's'}${report.jobs ? `, up to ${report.jobs} side by side` : ''}, ${formatDuration(report.wallMs)} in all (${report.machine.cores} cores; ${report.machine.uptime}).`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    report.jobs === 0 ? 'A dry run: every cell resolved and checked, none run.' : passed.length ? `Works today: ${passed.join(', ')}.` : 'No cell passed.',
    '',
    '## Changes since the baseline',
    '',
    ...(report.changes.length ? report.changes.map((c) => `- ${c}`) : ['- none']),
    ...(report.regressions.length ? ['', `**Regressions** (passed in the baseline, not now): ${report.regressions.join(', ')}`] : []),
    '',
    '## The cells',
    '',
    ...report.cells.map((c) => `- **${c.name}**: ${c.title} — ${c.asked}${c.output ? ` (run: ${c.output})` : ''}`),
    '',
  ].join('\n');
}

const changedVersions = (before: Record<string, string>, after: Record<string, string>) =>
  Object.keys(after)
    .filter((k) => before[k] !== undefined && before[k] !== after[k])
    .map((k) => `${k} ${before[k]} → ${after[k]}`);

/** What differs from the baseline, one line per cell that changed; and the cells that regressed. */
export function compareWithBaseline(cells: CellResult[], baseline: Baseline | undefined): { changes: string[]; regressions: string[] } {
  const changes: string[] = [];
  const regressions: string[] = [];
  for (const cell of cells) {
    if (cell.result === 'not run') continue;
    const before = baseline?.cells[cell.name];
    const where = cell.failure ? ` ${cell.failure.step} (${cell.failure.kind})` : '';
    if (!before) {
      changes.push(`${cell.name}: new cell, ${resultLabel(cell).replace(/^\S+ /, '')}${where ? ` at${where}` : ''}`);
      continue;
    }
    const moved = changedVersions(before.versions, cell.versions);
    const what = moved.length ? `new ${moved.join(', ')}` : '';
    const sameResult = before.result === cell.result && before.kind === cell.failure?.kind && before.step === cell.failure?.step;
    if (sameResult && !moved.length) continue;
    if (cell.result === 'passed') {
      changes.push(
        `${cell.name}: ${what ? `${what} passes` : 'passes'}${before.result !== 'passed' ? ` (was ${before.result}${before.step ? ` at ${before.step}` : ''})` : ''}`,
      );
    } else if (cell.result === 'failed') {
      changes.push(`${cell.name}: ${what ? `${what} breaks` : 'fails at'}${where}${before.result === 'passed' ? ' (passed in the baseline)' : ''}`);
    } else {
      changes.push(
        `${cell.name}: ${cell.result}${what ? ` with ${what}` : ''}: ${cell.reason ?? ''}${before.result !== cell.result ? ` (was ${before.result})` : ''}`,
      );
    }
    if (before.result === 'passed' && (cell.result === 'failed' || cell.result === 'unresolvable')) regressions.push(cell.name);
  }
  return { changes, regressions };
}

/** The baseline of these results: each cell that ran (or could not) keeps its result and versions. */
export function baselineOf(cells: CellResult[], previous?: Baseline): Baseline {
  const next: Baseline = { recordedAt: new Date().toISOString(), cells: { ...(previous?.cells ?? {}) } };
  for (const c of cells) {
    if (c.result === 'not run') continue;
    next.cells[c.name] = { result: c.result, ...(c.failure ? { kind: c.failure.kind, step: c.failure.step } : {}), versions: c.versions };
  }
  return next;
}

export function readBaseline(file: string): Baseline | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Baseline;
}
