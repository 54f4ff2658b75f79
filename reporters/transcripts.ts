/**
 * The record of every command a run executes, for people and for CI:
 *
 *   e2e-output/<run>/transcripts/NNN-<user>-<command>.txt   what the terminal showed, plus a header
 *   e2e-output/<run>/commands.jsonl                          one JSON line per command
 *   e2e-output/<run>/summary.json                            per step and command: argv, user, exit
 *                                                            code, duration, verdict
 *
 * Appends are small single writes, so workers and the setup project can share the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandResult } from '../cluster/platform.js';
import { redact } from '../cluster/redact.js';
import { readDataChecks, type DataCheckRecord } from './data-checks.js';
import { readRunVersions, type RunVersions } from './run-versions.js';

export type Verdict = 'pass' | 'fail' | 'recorded';

export interface CommandRecord {
  seq: number;
  scenario: string;
  step: string;
  argv: string[];
  command: string;
  user: string;
  cwd: string;
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
  verdict: Verdict;
  /** Why the verdict is fail, in one line. */
  reason?: string;
  /** Path of the transcript file, relative to the run's output directory. */
  transcript: string;
  /** Golden id the output was compared with, when there was one. */
  golden?: string;
  /** When the record was written (ms since the epoch): files a command under the step it ran in. */
  at?: number;
}

export interface StepRecord {
  scenario: string;
  step: string;
  status: 'passed' | 'failed';
  durationMs: number;
  error?: string;
  /** When the step ended (ms since the epoch). */
  at?: number;
}

export interface RunSummary {
  runId: string;
  platform: string;
  generatedAt: string;
  totals: { steps: number; failedSteps: number; commands: number; failedCommands: number };
  steps: Array<StepRecord & { commands: CommandRecord[] }>;
  /** The versions the stack really ran (reporters/run-versions.ts), once it was up. */
  versions?: RunVersions;
  /** The data checks apart from the goldens (reporters/data-checks.ts): passed, failed, not reached. */
  checks?: DataCheckRecord[];
}

function slug(text: string, max = 48): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max);
}

/** The transcript file as a person reads it: a short header, then exactly what was printed. */
export function formatTranscript(result: CommandResult): string {
  const header = [
    `# user:      ${result.user}`,
    `# cwd:       ${result.cwd}`,
    `# command:   ${result.command}`,
    `# exit code: ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`,
    `# duration:  ${result.durationMs} ms`,
    '',
  ];
  return `${header.join('\n')}${result.output}`;
}

export class TranscriptLog {
  constructor(
    readonly outputDir: string,
    readonly runId: string,
    readonly platform: string,
  ) {}

  private get commandsFile(): string {
    return path.join(this.outputDir, 'commands.jsonl');
  }

  private get stepsFile(): string {
    return path.join(this.outputDir, 'steps.jsonl');
  }

  private nextSeq(): number {
    const dir = path.join(this.outputDir, 'transcripts');
    return fs.existsSync(dir) ? fs.readdirSync(dir).length + 1 : 1;
  }

  /** Write the command's transcript file; returns its path relative to the output directory. */
  writeTranscript(result: CommandResult): { seq: number; file: string } {
    const dir = path.join(this.outputDir, 'transcripts');
    fs.mkdirSync(dir, { recursive: true });
    const seq = this.nextSeq();
    const name = `${String(seq).padStart(3, '0')}-${slug(result.user)}-${slug(result.command)}.txt`;
    fs.writeFileSync(path.join(dir, name), redact(formatTranscript(result)));
    return { seq, file: path.join('transcripts', name) };
  }

  addCommand(record: CommandRecord): void {
    fs.appendFileSync(this.commandsFile, `${JSON.stringify({ ...record, at: record.at ?? Date.now() })}\n`);
    this.writeSummary();
  }

  addStep(record: StepRecord): void {
    fs.appendFileSync(this.stepsFile, `${JSON.stringify({ ...record, error: record.error && redact(record.error), at: record.at ?? Date.now() })}\n`);
    this.writeSummary();
  }

  static readLines<T>(file: string): T[] {
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as T);
  }

  summary(): RunSummary {
    const summary = summarise(
      this.runId,
      this.platform,
      TranscriptLog.readLines<CommandRecord>(this.commandsFile),
      TranscriptLog.readLines<StepRecord>(this.stepsFile),
    );
    return { ...summary, versions: readRunVersions(this.outputDir), checks: readDataChecks(this.outputDir) };
  }

  writeSummary(): void {
    fs.writeFileSync(path.join(this.outputDir, 'summary.json'), `${JSON.stringify(this.summary(), null, 2)}\n`);
  }
}

/**
 * Steps with their commands. Each command is filed under exactly one step: the first to end after it
 * of those with its scenario and title (a test that runs twice, or two tests of the same title, has
 * two such steps, and each gets its own commands). A command whose step has no record yet (running,
 * or the run was killed) is under a step marked "did not finish".
 */
export function summarise(runId: string, platform: string, commands: CommandRecord[], stepRecords: StepRecord[]): RunSummary {
  const key = (r: { scenario: string; step: string }) => `${r.scenario}\u0000${r.step}`;
  const filed = new Set<CommandRecord>();
  const steps = [...stepRecords]
    .sort((a, b) => (a.at ?? 0) - (b.at ?? 0))
    .map((s) => {
      const own = commands.filter((c) => !filed.has(c) && key(c) === key(s) && (c.at === undefined || s.at === undefined || c.at <= s.at));
      for (const c of own) filed.add(c);
      return { ...s, commands: own };
    });
  const pending: RunSummary['steps'] = [];
  for (const c of commands.filter((c) => !filed.has(c))) {
    const open = pending.find((s) => key(s) === key(c));
    if (open) open.commands.push(c);
    else pending.push({ scenario: c.scenario, step: c.step, status: 'failed', durationMs: 0, error: 'did not finish', commands: [c] });
  }
  const all = [...steps, ...pending];
  return {
    runId,
    platform,
    generatedAt: new Date().toISOString(),
    totals: {
      steps: all.length,
      failedSteps: all.filter((s) => s.status === 'failed').length,
      commands: commands.length,
      failedCommands: commands.filter((c) => c.verdict === 'fail').length,
    },
    steps: all,
  };
}
