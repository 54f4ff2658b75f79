/**
 * The console while a run goes: what the platform is doing as it comes up (the setup project's
 * progress lines), each test as it starts, each tutorial step and each command as it ends, with
 * its duration; a failure with its message, its category and where its evidence is. At the end, a
 * table of every test and step with durations, the failed commands with their transcripts, and
 * where the reports are. Everything printed is redacted with the run's secrets.
 *
 * What is counted is reporters/tally.ts: tests of scenarios, not the platform's setup and teardown
 * (listed apart). The totals go to totals.json, from which scripts/playwright-run.ts prints the
 * last line, `N passed, N failed, N skipped`: the same numbers as "Results:" here.
 */
import { stripVTControlCharacters } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult, TestStep } from '@playwright/test/reporter';
import { formatDuration } from '../cluster/log.js';
import { redact, registerSecrets } from '../cluster/redact.js';
import type { CommandRecord, RunSummary } from './transcripts.js';
import { categorize } from './failure-categories.js';
import { lifecycleProjects, plural, tally, writeTotals, type Outcome, type RunTotals } from './tally.js';

export interface ConsoleReporterOptions {
  runId: string;
  /** This invocation's output: e2e-output/<run-id>, or e2e-output/<run-id>/reruns/<n>. */
  outputDir: string;
  /** .e2e/runs/<run-id>: where the run's secrets are, to redact what is printed. */
  runDir: string;
}

const mark: Record<TestResult['status'], string> = { passed: '✓', failed: '✘', timedOut: '✘', skipped: '-', interrupted: '!' };

/** How deep a user step is: 0 for a tutorial step, 1 for a command inside it. */
function stepDepth(step: TestStep): number {
  let depth = 0;
  for (let p = step.parent; p; p = p.parent) if (p.category === 'test.step') depth += 1;
  return depth;
}

/** A user step (test.step), not inside a fixture or hook: what the table and the progress show. */
function isUserStep(step: TestStep): boolean {
  if (step.category !== 'test.step') return false;
  for (let p = step.parent; p; p = p.parent) if (p.category === 'hook' || p.category === 'fixture') return false;
  return true;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

/** The rerun number of an output directory (…/reruns/3 → 3). */
export function rerunNumber(outputDir: string): number | undefined {
  const m = /[\\/]reruns[\\/](\d+)[\\/]?$/.exec(outputDir);
  return m ? Number(m[1]) : undefined;
}

/** How a lifecycle test's line reads: kept and reused stacks say so instead of a plain pass. */
export function lifecycleLabel(test: { title: string }, result: { status: TestResult['status']; annotations: Array<{ type: string; description?: string }> }) {
  const note = (type: string) => result.annotations.find((a) => a.type === type)?.description;
  const kept = note('kept');
  const reused = note('reused');
  if (result.status === 'passed' && kept) return { mark: '◆', text: `kept, not torn down: ${kept}` };
  if (result.status === 'passed' && reused) return { mark: '↺', text: `reused, not brought up: ${reused}` };
  return { mark: mark[result.status], text: test.title };
}

/** Failed commands of a summary, each once (by transcript), in the order they ran. */
export function failedCommands(summary: RunSummary): CommandRecord[] {
  const seen = new Set<string>();
  return summary.steps
    .flatMap((s) => s.commands)
    .filter((c) => c.verdict === 'fail')
    .sort((a, b) => a.seq - b.seq)
    .filter((c) => !seen.has(c.transcript) && Boolean(seen.add(c.transcript)));
}

export default class ConsoleReporter implements Reporter {
  private readonly finished: Array<{ test: TestCase; result: TestResult }> = [];
  private readonly outsideErrors: TestError[] = [];
  private secretsSeen = 0;
  private suite: Suite | undefined;
  private lifecycle = new Set<string>();

  constructor(private readonly options: ConsoleReporterOptions) {
    // Playwright makes its reporters before it loads the test files (seconds, on a busy machine), and
    // tells a reporter of this API nothing until it has: a line now, so that the wait is not silent.
    const rerun = rerunNumber(options.outputDir);
    this.print(`Playwright: collecting the tests for run ${options.runId}${rerun ? `, rerun ${rerun}` : ''}…`);
  }

  printsToStdio(): boolean {
    return true;
  }

  /** Redact with the run's secrets, read again whenever the run has made new ones. */
  private clean(text: string): string {
    const file = path.join(this.options.runDir, 'secrets.json');
    const changed = fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
    if (changed !== this.secretsSeen) {
      try {
        registerSecrets(Object.values(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>));
        this.secretsSeen = changed;
      } catch {
        // Caught mid-write: read it on the next line printed.
      }
    }
    return redact(text);
  }

  private print(line = ''): void {
    process.stdout.write(`${this.clean(line)}\n`);
  }

  private project(test: TestCase): string {
    return test.parent.project()?.name ?? '?';
  }

  private name(test: TestCase): string {
    return `[${this.project(test)}] ${test.titlePath().slice(3).join(' › ')}`;
  }

  private isLifecycle(test: TestCase): boolean {
    return this.lifecycle.has(this.project(test));
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.suite = suite;
    this.lifecycle = lifecycleProjects(config.projects);
    const all = suite.allTests();
    const tests = all.filter((t) => !this.isLifecycle(t));
    const projects = [...new Set(tests.map((t) => this.project(t)))].join(', ');
    const platform = all.some((t) => this.isLifecycle(t)) ? ", with the platform's setup and teardown," : '';
    const rerun = rerunNumber(this.options.outputDir);
    const where = rerun ? `, rerun ${rerun} against its kept stack (output: ${this.rel(this.options.outputDir)})` : '';
    this.print(`Running ${plural(tests.length, 'test')}${projects ? ` (${projects})` : ''}${platform} for run ${this.options.runId}${where}`);
  }

  onError(error: TestError): void {
    this.outsideErrors.push(error);
    const message = stripVTControlCharacters(error.message ?? error.value ?? 'unknown error');
    this.print(`\n✘ error outside any test:\n${indent(message.split('\n').slice(0, 30).join('\n'), '    │ ')}`);
  }

  onStdOut(chunk: string | Buffer, test?: TestCase): void {
    if (test) this.announce(test);
    process.stdout.write(this.clean(chunk.toString()));
  }

  onStdErr(chunk: string | Buffer, test?: TestCase): void {
    if (test) this.announce(test);
    process.stderr.write(this.clean(chunk.toString()));
  }

  /** A test that has something to show (steps, output) gets a heading first; a quick one only its result line. */
  private announced: TestCase | undefined;
  private announce(test: TestCase): void {
    if (this.announced === test) return;
    this.announced = test;
    this.print(`\n▶ ${this.name(test)}`);
  }

  onStepBegin(test: TestCase, _result: TestResult, step: TestStep): void {
    if (!isUserStep(step) || stepDepth(step) !== 0) return;
    this.announce(test);
    this.print(`  ▸ ${step.title}`);
  }

  onStepEnd(_test: TestCase, _result: TestResult, step: TestStep): void {
    if (!isUserStep(step)) return;
    const depth = stepDepth(step);
    if (depth > 1) return;
    const status = step.error ? '✘' : '✓';
    const pad = depth === 0 ? '  ' : '      ';
    this.print(`${pad}${status} ${step.title}  ${formatDuration(step.duration)}`);
    if (step.error && depth === 1) this.print(`${pad}  ${stripVTControlCharacters(step.error.message ?? '').split('\n')[0]}`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.finished.push({ test, result });
    if (result.status !== 'passed' && result.status !== 'skipped') this.announce(test);
    const ok = result.status === 'passed' || result.status === 'skipped';
    const label = this.isLifecycle(test) ? lifecycleLabel(test, result) : { mark: mark[result.status], text: test.titlePath().slice(3).join(' › ') };
    this.print(`${label.mark} [${this.project(test)}] ${label.text}  ${formatDuration(result.duration)}${ok ? '' : `  ${result.status.toUpperCase()}`}`);
    for (const a of result.annotations) {
      if (['stack', 'diagnostics', 'known issue', 'drift', 'skip'].includes(a.type)) this.print(`    ${a.type}: ${a.description ?? ''}`);
    }
    if (ok) return;
    for (const error of result.errors) {
      const message = stripVTControlCharacters(error.message ?? error.value ?? '');
      const lines = message.split('\n');
      this.print(indent(lines.slice(0, 30).join('\n') + (lines.length > 30 ? `\n… (${lines.length - 30} more lines in the reports)` : ''), '    │ '));
      const category = categorize(message);
      if (category) this.print(`    category: ${category.name} (${category.description})`);
    }
    const evidence = result.attachments.filter((a) => a.path && /^(screenshot|trace|video)$|\.png$|^logs\//.test(a.name));
    for (const a of evidence) this.print(`    ${a.name}: ${path.relative(process.cwd(), a.path!)}`);
  }

  /** Every test of the run in the order it ended, then those that never ran. */
  private allTests(): Array<{ test: TestCase; result: TestResult | undefined; outcome: Outcome }> {
    const last = new Map<TestCase, TestResult>();
    for (const f of this.finished) last.set(f.test, f.result);
    const ran = [...last.keys()];
    const never = (this.suite?.allTests() ?? []).filter((t) => !last.has(t));
    return [...ran, ...never].map((test) => ({ test, result: last.get(test), outcome: test.outcome() }));
  }

  private rel(p: string): string {
    return path.relative(process.cwd(), p) || '.';
  }

  onEnd(result: FullResult): void {
    const all = this.allTests();
    const totals = tally(
      all.map(({ test, outcome }) => ({ project: this.project(test), title: test.title, outcome })),
      this.lifecycle,
      this.outsideErrors.length,
    );
    writeTotals(this.options.outputDir, totals);
    this.printTable(all, totals, result);
    this.printFailedCommands();
    const out = this.options.outputDir;
    const rerun = rerunNumber(out);
    const outputRoot = rerun ? path.resolve(out, '..', '..', '..') : path.dirname(out);
    const reportArg = path.relative(outputRoot, out);
    this.print(`\nRun ${this.options.runId}${rerun ? `, rerun ${rerun}` : ''} (${result.status}): ${this.rel(out)}`);
    this.print(`  transcripts, summary.json, diagnostics/ (end of run, and each failure)${rerun ? '; the run itself and its other reruns are beside it' : ''}`);
    this.print(`  HTML report:   npx playwright show-report ${this.rel(path.join(out, 'playwright-report'))}`);
    this.print(`  Allure report: npm run report -- ${reportArg}   (results in ${this.rel(path.join(out, 'allure-results'))})`);
    this.print(`  JUnit XML:     ${this.rel(path.join(out, 'junit.xml'))}   (for CI: a testcase per tutorial step)\n`);
  }

  private printTable(all: ReturnType<ConsoleReporter['allTests']>, totals: RunTotals, result: FullResult): void {
    const counted = all.filter(({ test }) => !this.isLifecycle(test));
    const projects = [...new Set(counted.map(({ test }) => this.project(test)))];
    const notes = [`${plural(counted.length, 'test')}${projects.length ? ` of ${projects.join(', ')}` : ''}`];
    if (all.length > counted.length) notes.push("the platform's setup and teardown are listed, not counted");
    if (totals.failedOutsideTests.length) notes.push(`failed outside the tests: ${totals.failedOutsideTests.join('; ')}`);
    this.print(
      `\nResults: ${totals.passed} passed · ${totals.failed} failed · ${totals.skipped} skipped, in ${formatDuration(result.duration)}  (${notes.join('; ')})`,
    );
    const lifecycleFailed = all.some(({ test, outcome }) => this.isLifecycle(test) && outcome === 'unexpected');
    const groups = [...new Set(all.map(({ test }) => this.project(test)))];
    for (const project of groups) {
      const tests = all.filter(({ test }) => this.project(test) === project);
      const steps = (r: TestResult | undefined) => (r?.steps ?? []).filter((s) => s.category === 'test.step');
      // A project of quick checks that all passed (unit tests) is one row; the rest, test by test.
      if (tests.length > 1 && tests.every((t) => t.result && ['passed', 'skipped'].includes(t.result.status) && !steps(t.result).length)) {
        const total = tests.reduce((sum, t) => sum + (t.result?.duration ?? 0), 0);
        const skipped = tests.filter((t) => t.result?.status === 'skipped').length;
        this.print(`  ✓ ${formatDuration(total).padStart(9)}  [${project}] ${tests.length - skipped} tests passed${skipped ? `, ${skipped} skipped` : ''}`);
        continue;
      }
      for (const { test, result: r } of tests) {
        if (!r) {
          const why = lifecycleFailed ? 'the platform did not come up' : result.status === 'interrupted' ? 'the run was stopped' : 'not started';
          this.print(`  - ${'not run'.padStart(9)}  ${this.name(test)}   (${why})`);
          continue;
        }
        const label = this.isLifecycle(test) ? lifecycleLabel(test, r) : { mark: mark[r.status], text: test.titlePath().slice(3).join(' › ') };
        const category = r.errors.map((e) => categorize(e.message)).find(Boolean);
        this.print(`  ${label.mark} ${formatDuration(r.duration).padStart(9)}  [${project}] ${label.text}${category ? `   [${category.name}]` : ''}`);
        for (const step of steps(r)) {
          // A step the run was stopped in never ended (Playwright gives it a duration of -1).
          const unfinished = step.duration < 0;
          this.print(
            `      ${unfinished ? '!' : step.error ? '✘' : '✓'} ${(unfinished ? 'stopped' : formatDuration(step.duration)).padStart(9)}  ${step.title}`,
          );
        }
        // The cause again under its row: whoever reads only the end of a CI log still sees why.
        for (const line of firstErrorLines(r, 4)) this.print(`      │ ${line}`);
      }
    }
  }

  /** Each command whose check failed in this invocation, once, with its reason and transcript (from summary.json). */
  private printFailedCommands(): void {
    const file = path.join(this.options.outputDir, 'summary.json');
    if (!fs.existsSync(file)) return;
    const failed = failedCommands(JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary);
    if (!failed.length) return;
    this.print('\nFailed commands:');
    for (const c of failed) this.print(`  ✘ ${c.user}: ${c.command} — ${c.reason ?? 'failed'} (${c.transcript})`);
  }
}

/** The first non-empty lines of a failed test's first error, without colours. */
function firstErrorLines(result: TestResult, max: number): string[] {
  const error = result.errors[0];
  if (!error || result.status === 'passed' || result.status === 'skipped') return [];
  const text = stripVTControlCharacters(error.message ?? error.value ?? '');
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(0, max);
}
