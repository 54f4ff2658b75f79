/**
 * Drift: what changed since a recorded run. Goldens hold what the tutorial promises and tolerate
 * the rest; the drift baseline holds everything a run printed (normalised, in `driftForm`), so a
 * later run can list each line that changed: a new warning, a new version, a line gone.
 *
 *   expected-output/recorded/<platform>/<golden-id>.txt   the baseline, written by
 *                                                         `npm run e2e -- --update-expected`
 *   e2e-output/<run>/drift.md, drift.json                 this run's drift report
 *
 * Drift is reported, not failed, unless the run is strict (--strict-drift).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch, structuredPatch } from 'diff';
import { HarnessError } from '../cluster/errors.js';
import { TranscriptLog } from '../reporters/transcripts.js';
import { driftForm } from './normalise.js';
import { defaultGoldenDir } from './store.js';

export interface DriftInput {
  id: string;
  platform: string;
  command: string;
  exitCode: number;
  /** normaliseOutput's lines. */
  lines: string[];
}

export type DriftStatus = 'unchanged' | 'changed' | 'no baseline' | 'recorded';

export interface DriftResult {
  id: string;
  platform: string;
  command: string;
  status: DriftStatus;
  /** The baseline file, relative to the golden directory's parent (the repository). */
  baseline: string;
  added: string[];
  removed: string[];
  /** Unified diff, baseline → this run ('' when unchanged). */
  diff: string;
}

export function baselineFile(id: string, platform: string, dir = defaultGoldenDir): string {
  return path.join(dir, 'recorded', platform, `${id}.txt`);
}

/** The baseline's text: a header that changes only when the command or its exit code does. */
export function formatBaseline(input: DriftInput): string {
  return [`# golden:    ${input.id}`, `# command:   ${input.command}`, `# exit code: ${input.exitCode}`, ...driftForm(input.lines), ''].join('\n');
}

/** Whether this process may write baselines: never in CI, where a run must not bless itself. */
export function assertMayRecord(env: NodeJS.ProcessEnv = process.env): void {
  if (env.CI) {
    throw new HarnessError('drift', 'refusing to record the drift baseline (--update-expected) in CI (CI is set); record it on a workstation and commit it');
  }
}

export function recordBaseline(input: DriftInput, dir = defaultGoldenDir, env: NodeJS.ProcessEnv = process.env): DriftResult {
  assertMayRecord(env);
  const file = baselineFile(input.id, input.platform, dir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, formatBaseline(input));
  return {
    id: input.id,
    platform: input.platform,
    command: input.command,
    status: 'recorded',
    baseline: relative(dir, file),
    added: [],
    removed: [],
    diff: '',
  };
}

const relative = (dir: string, file: string) => path.relative(path.dirname(dir), file);

export function compareBaseline(input: DriftInput, dir = defaultGoldenDir): DriftResult {
  const file = baselineFile(input.id, input.platform, dir);
  const base = { id: input.id, platform: input.platform, command: input.command, baseline: relative(dir, file), added: [], removed: [], diff: '' };
  if (!fs.existsSync(file)) return { ...base, status: 'no baseline' };
  const before = fs.readFileSync(file, 'utf8');
  const now = formatBaseline(input);
  if (before === now) return { ...base, status: 'unchanged' };
  const lines = structuredPatch('baseline', 'run', before, now, '', '', { context: 0 }).hunks.flatMap((h) => h.lines);
  return {
    ...base,
    status: 'changed',
    added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)),
    removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)),
    diff: createTwoFilesPatch(base.baseline, 'this run', before, now, '', '', { context: 2 }),
  };
}

/** The run's drift report: one entry per compared command, rewritten as each arrives. */
export class DriftReport {
  constructor(
    readonly outputDir: string,
    readonly runId: string,
    readonly strict: boolean,
  ) {}

  private get entriesFile(): string {
    return path.join(this.outputDir, 'drift.jsonl');
  }

  add(result: DriftResult): void {
    fs.mkdirSync(this.outputDir, { recursive: true });
    fs.appendFileSync(this.entriesFile, `${JSON.stringify(result)}\n`);
    const all = this.entries();
    fs.writeFileSync(path.join(this.outputDir, 'drift.json'), `${JSON.stringify(all, null, 2)}\n`);
    fs.writeFileSync(path.join(this.outputDir, 'drift.md'), renderDriftReport(all, this.runId, this.strict));
  }

  entries(): DriftResult[] {
    return TranscriptLog.readLines<DriftResult>(this.entriesFile);
  }
}

export function renderDriftReport(entries: DriftResult[], runId: string, strict: boolean): string {
  const count = (s: DriftStatus) => entries.filter((e) => e.status === s).length;
  const changed = entries.filter((e) => e.status === 'changed');
  const out = [
    `# Drift since the recorded baseline (run ${runId})`,
    '',
    `${entries.length} commands: ${count('changed')} changed, ${count('unchanged')} unchanged, ${count('no baseline')} without a baseline` +
      (count('recorded') ? `, ${count('recorded')} recorded as the new baseline` : '') +
      '.',
    strict
      ? 'Strict (--strict-drift): a changed command fails its step.'
      : 'Not strict: drift is reported here and fails nothing (--strict-drift to fail on it).',
    'Re-record the baseline with `npm run e2e -- --update-expected` (never in CI), then review and commit expected-output/recorded/.',
    '',
    '| golden | command | status | + | - | baseline |',
    '|---|---|---|---|---|---|',
    ...entries.map((e) => `| ${e.id} | \`${e.command}\` | ${e.status} | ${e.added.length} | ${e.removed.length} | ${e.baseline} |`),
  ];
  for (const e of changed) out.push('', `## ${e.id}: \`${e.command}\``, '', '```diff', e.diff.trimEnd(), '```');
  return `${out.join('\n')}\n`;
}
