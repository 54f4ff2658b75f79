/**
 * What a cell's run says, read from what the run wrote (summary.json, playwright-results.json):
 * passed, or failed with where and why. A failure is one of two kinds:
 *
 *   changed output  every data check of the flow passed (the assignment listed after its release,
 *                   the files fetched, the student's submission collected, notebooks autograded)
 *                   and what failed are goldens: a new release prints something new; update the
 *                   goldens on purpose
 *   broken flow     a data check failed or was never reached, or something other than a golden
 *                   failed (the stack did not come up, a command timed out)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../reporters/transcripts.js';

export type FailureKind = 'changed output' | 'broken flow';

export interface CellFailure {
  kind: FailureKind;
  /** The first step that failed (a tutorial step, or the bring-up). */
  step: string;
  /** Its first failing command, when a command failed. */
  command?: string;
  /** One line: the golden diff's summary, the failed data check, or the error. */
  headline: string;
  /** Data checks that failed or were never reached. */
  checks: string[];
}

export type RunOutcome = { result: 'passed' } | { result: 'failed'; failure: CellFailure };

interface PlaywrightJson {
  suites?: PlaywrightSuite[];
}
interface PlaywrightSuite {
  title?: string;
  specs?: Array<{ title: string; tests: Array<{ projectName?: string; results: Array<{ status: string; error?: { message?: string } }> }> }>;
  suites?: PlaywrightSuite[];
}

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const firstLine = (text: string | undefined) =>
  plain(text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? '';

/** Each test that did not pass, with its project and its first error line. */
export function failedTests(json: PlaywrightJson): Array<{ project: string; title: string; error: string }> {
  const out: Array<{ project: string; title: string; error: string }> = [];
  const walk = (suite: PlaywrightSuite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        if (last && !['passed', 'skipped'].includes(last.status))
          out.push({ project: t.projectName ?? '', title: spec.title, error: firstLine(last.error?.message) });
      }
    }
    for (const s of suite.suites ?? []) walk(s);
  };
  for (const s of json.suites ?? []) walk(s);
  return out;
}

/** The outcome of a run from its summary and Playwright's results; `exitCode` is the run's. */
export function classifyRun(exitCode: number, summary: RunSummary | undefined, results: PlaywrightJson | undefined, logTail = ''): RunOutcome {
  const failedStep = summary?.steps.find((s) => s.status === 'failed');
  if (exitCode === 0 && !failedStep) return { result: 'passed' };

  const checks = summary?.checks ?? [];
  const unmet = checks.filter((c) => c.status !== 'passed');
  const tests = results ? failedTests(results) : [];
  const setupFailed = tests.find((t) => t.project === 'setup');
  if (setupFailed || !summary || summary.steps.length === 0) {
    return {
      result: 'failed',
      failure: {
        kind: 'broken flow',
        step: 'bring-up',
        headline:
          setupFailed?.error ||
          tests[0]?.error ||
          firstLine(
            logTail
              .split('\n')
              .reverse()
              .find((l) => /error|failed/i.test(l)),
          ) ||
          `the run ended with exit ${exitCode} before any step`,
        checks: unmet.map((c) => c.name),
      },
    };
  }

  const step = failedStep ?? summary.steps.at(-1)!;
  const failedCommands = summary.steps.flatMap((s) => s.commands.filter((c) => c.verdict === 'fail'));
  const command = step.commands.find((c) => c.verdict === 'fail') ?? failedCommands[0];
  const failedCheck = checks.find((c) => c.status === 'failed');
  // Only goldens failed: every failed command failed its golden, nothing timed out, every step ran.
  const onlyGoldens = failedCommands.length > 0 && failedCommands.every((c) => c.golden && !c.timedOut && (c.reason ?? '').startsWith(`golden ${c.golden}:`));
  const changedOutput = checks.length > 0 && unmet.length === 0 && onlyGoldens;
  const headline = changedOutput
    ? (command?.reason ?? step.error ?? '')
    : failedCheck
      ? `data check "${failedCheck.name}" failed: ${failedCheck.detail ?? ''}`
      : (command?.reason ?? firstLine(step.error) ?? tests[0]?.error ?? '');
  return {
    result: 'failed',
    failure: {
      kind: changedOutput ? 'changed output' : 'broken flow',
      step: step.step,
      command: command?.command,
      headline: firstLine(headline) || `the run ended with exit ${exitCode}`,
      checks: unmet.map((c) => `${c.name} (${c.status})`),
    },
  };
}

/** Where a run says its output is, from its first line (`run <id> on local; output in <dir>`). */
export function outputDirOf(runOutput: string): string | undefined {
  return /^run \S+(?: \(rerun \d+\))? on \S+; output in (\S+)$/m.exec(runOutput)?.[1];
}

/** The outcome of the run whose output is in `runOutputDir`. */
export function readRunOutcome(exitCode: number, runOutputDir: string, logTail = ''): RunOutcome {
  const read = <T>(name: string): T | undefined => {
    const file = path.join(runOutputDir, name);
    try {
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
    } catch {
      return undefined;
    }
  };
  return classifyRun(exitCode, read<RunSummary>('summary.json'), read<PlaywrightJson>('playwright-results.json'), logTail);
}
