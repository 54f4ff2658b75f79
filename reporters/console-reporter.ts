/**
 * The console while a run goes: what the platform is doing as it comes up (the setup project's
 * progress lines), each test as it starts, each tutorial step and each command as it ends, with
 * its duration; a failure with its message, its category and where its evidence is. At the end, a
 * table of every test and step with durations, the failed commands with their transcripts, and
 * where the reports are. Everything printed is redacted with the run's secrets.
 *
 * scripts/playwright-run.ts prints the last line, `N passed, N failed, N skipped`, after this.
 */
import { stripVTControlCharacters } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult, TestStep } from '@playwright/test/reporter';
import { formatDuration } from '../cluster/log.js';
import { redact, registerSecrets } from '../cluster/redact.js';
import type { RunSummary } from './transcripts.js';
import { categorize } from './failure-categories.js';

export interface ConsoleReporterOptions {
  runId: string;
  /** e2e-output/<run-id> */
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

export default class ConsoleReporter implements Reporter {
  private readonly finished: Array<{ test: TestCase; result: TestResult }> = [];
  private secretsSeen = 0;

  constructor(private readonly options: ConsoleReporterOptions) {}

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

  private name(test: TestCase): string {
    return `[${test.parent.project()?.name ?? '?'}] ${test.titlePath().slice(3).join(' › ')}`;
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    const projects = [...new Set(suite.allTests().map((t) => t.parent.project()?.name))].join(', ');
    this.print(`Running ${suite.allTests().length} tests (${projects}) for run ${this.options.runId}`);
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
    this.print(
      `${mark[result.status]} ${this.name(test)}  ${formatDuration(result.duration)}${result.status === 'passed' || result.status === 'skipped' ? '' : `  ${result.status.toUpperCase()}`}`,
    );
    for (const a of result.annotations) {
      if (['stack', 'diagnostics', 'known issue', 'drift', 'skip'].includes(a.type)) this.print(`    ${a.type}: ${a.description ?? ''}`);
    }
    if (result.status === 'passed' || result.status === 'skipped') return;
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

  onEnd(result: FullResult): void {
    const count = (...statuses: Array<TestResult['status']>) => this.finished.filter((f) => statuses.includes(f.result.status)).length;
    // Not the "N passed, N failed" line CI reads: scripts/playwright-run.ts prints that one, last.
    this.print(
      `\nResults: ${count('passed')} passed · ${count('failed', 'timedOut', 'interrupted')} failed · ${count('skipped')} skipped, in ${formatDuration(result.duration)}`,
    );
    const projects = [...new Set(this.finished.map((f) => f.test.parent.project()?.name ?? '?'))];
    for (const project of projects) {
      const tests = this.finished.filter((f) => (f.test.parent.project()?.name ?? '?') === project);
      const steps = (r: TestResult) => r.steps.filter((s) => s.category === 'test.step');
      // A project of quick checks that all passed (unit tests) is one row; the rest, test by test.
      if (tests.length > 1 && tests.every((t) => ['passed', 'skipped'].includes(t.result.status) && !steps(t.result).length)) {
        const total = tests.reduce((sum, t) => sum + t.result.duration, 0);
        const skipped = tests.filter((t) => t.result.status === 'skipped').length;
        this.print(`  ✓ ${formatDuration(total).padStart(9)}  [${project}] ${tests.length - skipped} tests passed${skipped ? `, ${skipped} skipped` : ''}`);
        continue;
      }
      for (const { test, result: r } of tests) {
        const category = r.errors.map((e) => categorize(e.message)).find(Boolean);
        this.print(`  ${mark[r.status]} ${formatDuration(r.duration).padStart(9)}  ${this.name(test)}${category ? `   [${category.name}]` : ''}`);
        for (const step of steps(r)) this.print(`      ${step.error ? '✘' : '✓'} ${formatDuration(step.duration).padStart(9)}  ${step.title}`);
        // The cause again under its row: whoever reads only the end of a CI log still sees why.
        for (const line of firstErrorLines(r, 4)) this.print(`      │ ${line}`);
      }
    }
    this.printFailedCommands();
    const out = this.options.outputDir;
    const rel = (p: string) => path.relative(process.cwd(), p) || '.';
    this.print(`\nRun ${this.options.runId} (${result.status}): ${rel(out)}`);
    this.print(`  transcripts, summary.json, diagnostics/ (end of run, and each failure)`);
    this.print(`  HTML report:   npx playwright show-report ${rel(path.join(out, 'playwright-report'))}`);
    this.print(`  Allure report: npm run report -- ${this.options.runId}   (results in ${rel(path.join(out, 'allure-results'))})`);
    this.print(`  JUnit XML:     ${rel(path.join(out, 'junit.xml'))}\n`);
  }

  /** Each command whose check failed, with its reason and transcript (from summary.json). */
  private printFailedCommands(): void {
    const file = path.join(this.options.outputDir, 'summary.json');
    if (!fs.existsSync(file)) return;
    const summary = JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary;
    const failed = summary.steps.flatMap((s) => s.commands.filter((c) => c.verdict === 'fail'));
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
