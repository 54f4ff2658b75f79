/**
 * Comparing what a command printed with what the tutorial promises. Call it on any command result,
 * from the harness or captured by hand:
 *
 *   const outcome = compareToGolden('step7-student-submit', result, { home: '/home/jovyan' });
 *   if (!outcome.ok) console.log(outcome.diff);
 *
 * Pure logic over text and files; nothing here imports Playwright.
 */
import { collapseSpaces, type Golden } from './golden.js';
import { matchGolden, type Comparison } from './match.js';
import { normaliseOutput, type NormaliseContext } from './normalise.js';
import { renderActual, renderDiff, renderReport, summarise } from './render.js';
import { defaultGoldenDir, loadGolden } from './store.js';

export { parseGolden, placeholders, GoldenSyntaxError, type Golden, type ExitSpec } from './golden.js';
export { matchGolden, isErrorLine, type Comparison, type OutputLine } from './match.js';
export { normaliseOutput, driftForm, stripAnsi, podHome, type NormaliseContext } from './normalise.js';
export { renderDiff, renderReport, renderAligned, renderActual, summarise, legend } from './render.js';
export { listGoldens, loadGolden, goldenFile, defaultGoldenDir, goldenIdPattern } from './store.js';
export { parseCapturedTranscript, inferHome, type CapturedTranscript } from './captured.js';
export { compareBaseline, recordBaseline, assertMayRecord, baselineFile, DriftReport, type DriftInput, type DriftResult } from './drift.js';

export interface CompareContext extends NormaliseContext {
  /** Where the goldens are (default: the repository's expected-output/). */
  goldenDir?: string;
}

/** What is compared: a CommandResult fits, and so does a captured transcript. */
export interface ComparedOutput {
  output: string;
  /** Undefined when not known (a pasted terminal session): then it is not checked. */
  exitCode?: number;
  timedOut?: boolean;
  /** The command as run; checked against the golden's `command:` when both are known. */
  command?: string;
}

export interface GoldenOutcome {
  ok: boolean;
  comparison: Comparison;
  /** The output's normalised lines, as compared. */
  lines: string[];
  /** The golden file's text. */
  expected: string;
  /** The normalised output with its exit code. */
  actual: string;
  /** Failure: the problems and the aligned view. Match: the same as `report`. */
  diff: string;
  /** The lines allowed without being promised (left out, other), so none passes unseen. */
  report: string;
  /** One line, for summaries. */
  summary: string;
}

function commandProblem(golden: Golden, command: string | undefined, context: NormaliseContext): string | undefined {
  if (!golden.command || command === undefined) return undefined;
  const typed = collapseSpaces(normaliseOutput(command, context).join(' '));
  return typed === collapseSpaces(golden.command) ? undefined : `the golden is for \`${golden.command}\`, the command was \`${command}\``;
}

/** Compare an output with the golden `id` (expected-output/<id>.txt). */
export function compareToGolden(id: string, result: ComparedOutput, context: CompareContext = {}): GoldenOutcome {
  const golden = loadGolden(id, context.goldenDir ?? defaultGoldenDir);
  return compareWithGolden(golden, result, context);
}

/** The same, with a golden already parsed. */
export function compareWithGolden(golden: Golden, result: ComparedOutput, context: NormaliseContext = {}): GoldenOutcome {
  const lines = normaliseOutput(result.output, context);
  const comparison = matchGolden(golden, { lines, exitCode: result.exitCode, timedOut: result.timedOut });
  const wrongCommand = commandProblem(golden, result.command, context);
  if (wrongCommand) {
    comparison.problems.unshift(wrongCommand);
    comparison.ok = false;
  }
  const report = renderReport(comparison);
  return {
    ok: comparison.ok,
    comparison,
    lines,
    expected: golden.source,
    actual: renderActual(lines, result.exitCode),
    diff: comparison.ok ? report : renderDiff(comparison),
    report,
    summary: summarise(comparison),
  };
}
