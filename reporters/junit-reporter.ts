/**
 * junit.xml for CI test tabs: one testcase per tutorial step, named as the tutorial names it
 * ("Step 5: Create the course and roster"), in a testsuite per scenario test; its commands inside
 * (system-out, and properties `command.N`, `command.N.verdict`, `command.N.transcript`). A golden
 * mismatch or a failed check is a <failure> with the headline as its message and the diff as its
 * text; anything else that broke (a server down, a timeout, a harness error) is an <error>. Steps
 * that did not run are <skipped> with the reason, so a failure at Step 5 still shows Steps 6-8.
 *
 * Tests without steps (unit tests, the platform's setup and teardown) are one testcase each, in a
 * testsuite per project; a kept teardown and a reused setup are <skipped> with what happened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult, TestStep } from '@playwright/test/reporter';
import { categorize } from './failure-categories.js';
import { readPlannedSteps } from './planned-steps.js';
import { RunSecrets } from './run-secrets.js';
import { lifecycleProjects } from './tally.js';
import type { CommandRecord, RunSummary } from './transcripts.js';

export interface JunitReporterOptions {
  outputFile: string;
  runId: string;
  /** This invocation's output (summary.json, for the commands' transcripts). */
  outputDir: string;
  /** .e2e/runs/<run-id>, for the run's secrets. */
  runDir: string;
}

type Verdict = { kind: 'failure' | 'error'; type: string; message: string; text: string } | { kind: 'skipped'; message: string } | undefined;

interface Case {
  classname: string;
  name: string;
  seconds: number;
  verdict: Verdict;
  properties: Array<[string, string]>;
  out: string[];
}

interface SuiteXml {
  name: string;
  timestamp?: string;
  cases: Case[];
}

/** XML text: no control characters XML 1.0 forbids, no colours, the five entities escaped. */
export function xmlText(text: string): string {
  return (
    stripVTControlCharacters(text)
      // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** A failed check (a golden mismatch, an expect) is a failure; anything else that broke is an error. */
export function classify(message: string): { kind: 'failure' | 'error'; type: string } {
  const text = stripVTControlCharacters(message).trimStart();
  if (/^(?:(?:GoldenMismatchError|Error): )?golden [\w.-]+: /.test(text) || /^GoldenMismatchError\b/.test(text))
    return { kind: 'failure', type: 'golden mismatch' };
  if (/^(?:Error: )?expect\(|^(?:Error: )?expected (?:a line|no line|the output|exit code)|toMatchItsGolden/.test(text)) {
    return { kind: 'failure', type: 'check' };
  }
  if (/^[^\n]*drift: .*--strict-drift/.test(text)) return { kind: 'failure', type: 'drift' };
  return { kind: 'error', type: categorize(text)?.name ?? 'error' };
}

/**
 * One verdict for a step's errors, in the order they happened: an <error> if any of them is not a
 * failed check (a golden mismatch after which the stack was found down is the stack's fault), else
 * a <failure>; the first error's headline is the message (it names the line a person needs), all
 * of them the text.
 */
function verdictOf(errors: TestError[]): Verdict {
  const messages = errors.map((e) => stripVTControlCharacters(e.message ?? e.value ?? '')).filter((m) => m.trim());
  if (!messages.length) return undefined;
  const kinds = messages.map(classify);
  const decided = kinds.find((k) => k.kind === 'error') ?? kinds[0];
  const headline = messages[0].split('\n').find((l) => l.trim()) ?? 'failed';
  return { ...decided, message: headline, text: messages.join('\n\n') };
}

function isUserStep(step: TestStep): boolean {
  if (step.category !== 'test.step') return false;
  for (let p = step.parent; p; p = p.parent) if (p.category === 'hook' || p.category === 'fixture') return false;
  return true;
}

/**
 * Every error in a step, in the order they happened: its children's (a soft assertion fails a child
 * and lets the step go on), then its own, each message once (an error thrown through a step is
 * its child's error again).
 */
function stepErrors(step: TestStep): TestError[] {
  const all = [...step.steps.flatMap(stepErrors), ...(step.error ? [step.error] : [])];
  const seen = new Set<string>();
  return all.filter((e) => {
    const key = e.message ?? e.value ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Commands of a summary by scenario and step, each handed out once, in order. */
class CommandBook {
  private readonly taken = new Set<CommandRecord>();
  constructor(private readonly summary: RunSummary | undefined) {}

  take(scenario: string, step: string, title: string): CommandRecord | undefined {
    for (const s of this.summary?.steps ?? []) {
      if (s.scenario !== scenario || s.step !== step) continue;
      const found = s.commands.find((c) => !this.taken.has(c) && title.endsWith(`: ${c.command}`));
      if (found) {
        this.taken.add(found);
        return found;
      }
    }
    return undefined;
  }
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

export default class JunitReporter implements Reporter {
  private config: FullConfig | undefined;
  private suite: Suite | undefined;
  private readonly results = new Map<TestCase, TestResult>();
  private readonly secrets: RunSecrets;

  constructor(private readonly options: JunitReporterOptions) {
    this.secrets = new RunSecrets(options.runDir);
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.results.set(test, result);
  }

  onEnd(result: FullResult): void {
    const xml = this.render(result);
    fs.mkdirSync(path.dirname(this.options.outputFile), { recursive: true });
    fs.writeFileSync(this.options.outputFile, xml);
  }

  private readSummary(): RunSummary | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.options.outputDir, 'summary.json'), 'utf8')) as RunSummary;
    } catch {
      return undefined;
    }
  }

  render(result: FullResult): string {
    const tests = this.suite?.allTests() ?? [];
    const lifecycle = lifecycleProjects(this.config?.projects ?? []);
    const platformFailed = tests.some((t) => lifecycle.has(project(t)) && t.outcome() === 'unexpected');
    const book = new CommandBook(this.readSummary());
    const suites: SuiteXml[] = [];
    const byProject = new Map<string, SuiteXml>();
    for (const test of tests) {
      const r = this.results.get(test);
      const planned = readPlannedSteps(test.annotations);
      const ran = (r?.steps ?? []).filter((s) => isUserStep(s));
      if (planned.length || ran.length) {
        suites.push(this.steppedSuite(test, r, planned, ran, book, platformFailed, result));
        continue;
      }
      const name = `[${project(test)}]`;
      if (!byProject.has(name)) {
        const s: SuiteXml = { name, cases: [] };
        byProject.set(name, s);
        suites.push(s);
      }
      byProject.get(name)!.cases.push(this.plainCase(test, r, platformFailed, result, lifecycle.has(project(test))));
    }
    return this.xml(suites);
  }

  private notRun(r: TestResult | undefined, platformFailed: boolean, run: FullResult): string {
    if (r?.status === 'skipped') return `skipped: ${r.annotations.find((a) => a.type === 'skip')?.description ?? 'skipped'}`;
    if (platformFailed) return 'not run: the platform did not come up';
    if (run.status === 'interrupted' || r?.status === 'interrupted') return 'not run: the run was stopped';
    return 'not run';
  }

  private plainCase(test: TestCase, r: TestResult | undefined, platformFailed: boolean, run: FullResult, isLifecycle: boolean): Case {
    const c: Case = {
      classname: `[${project(test)}] ${path.basename(test.location.file)}`,
      name: test.titlePath().slice(3).join(' › '),
      seconds: 0,
      verdict: undefined,
      properties: [],
      out: [],
    };
    if (!r || r.status === 'skipped' || r.status === 'interrupted') return { ...c, verdict: { kind: 'skipped', message: this.notRun(r, platformFailed, run) } };
    c.seconds = seconds(r.duration);
    const kept = r.annotations.find((a) => a.type === 'kept')?.description;
    const reused = r.annotations.find((a) => a.type === 'reused')?.description;
    if (isLifecycle && r.status === 'passed' && kept) return { ...c, verdict: { kind: 'skipped', message: `kept, not torn down: ${kept}` } };
    if (isLifecycle && r.status === 'passed' && reused) return { ...c, verdict: { kind: 'skipped', message: `reused, not brought up: ${reused}` } };
    if (r.status === 'passed') return c;
    const verdict = verdictOf(r.errors);
    return {
      ...c,
      verdict: verdict ?? { kind: 'error', type: r.status, message: `${r.status}`, text: `${test.title}: ${r.status}` },
    };
  }

  private steppedSuite(
    test: TestCase,
    r: TestResult | undefined,
    planned: string[],
    ran: TestStep[],
    book: CommandBook,
    platformFailed: boolean,
    run: FullResult,
  ): SuiteXml {
    const classname = `[${project(test)}] ${test.title}`;
    const suite: SuiteXml = { name: classname, timestamp: r?.startTime.toISOString(), cases: [] };
    const titles = [...planned, ...ran.map((s) => s.title).filter((t) => !planned.includes(t))];
    const ranBy = new Map<string, TestStep[]>();
    for (const s of ran) ranBy.set(s.title, [...(ranBy.get(s.title) ?? []), s]);
    let stoppedBy: string | undefined;
    let anyStepError = false;
    for (const title of titles) {
      const occurrences = ranBy.get(title) ?? [];
      if (!occurrences.length) {
        const stopped = r?.errors[0] && stripVTControlCharacters(r.errors[0].message ?? r.errors[0].value ?? '').split('\n')[0];
        const why =
          !r || r.status === 'skipped'
            ? this.notRun(r, platformFailed, run)
            : stoppedBy
              ? `not run: ${stoppedBy} failed and stopped the test`
              : stopped
                ? `not run: the test stopped: ${stopped}`
                : this.notRun(r, platformFailed, run);
        suite.cases.push({ classname, name: title, seconds: 0, verdict: { kind: 'skipped', message: why }, properties: [], out: [] });
        continue;
      }
      for (const step of occurrences) {
        const errors = stepErrors(step);
        const verdict = verdictOf(errors);
        if (verdict) anyStepError = true;
        if (step.error) stoppedBy = title;
        const properties: Array<[string, string]> = [];
        const out: string[] = [];
        step.steps.filter(isUserStep).forEach((command, i) => {
          const record = book.take(test.title, title, command.title);
          const failed = stepErrors(command).length > 0;
          const n = i + 1;
          properties.push([`command.${n}`, command.title], [`command.${n}.verdict`, record?.verdict ?? (failed ? 'fail' : 'pass')]);
          if (record) properties.push([`command.${n}.transcript`, record.transcript]);
          const reason = failed ? ` — ${(record?.reason ?? stripVTControlCharacters(stepErrors(command)[0].message ?? '')).split('\n')[0]}` : '';
          out.push(`${failed ? '✘' : '✓'} ${command.title}  (${seconds(command.duration).toFixed(1)} s)${record ? `  ${record.transcript}` : ''}${reason}`);
        });
        suite.cases.push({ classname, name: title, seconds: seconds(step.duration), verdict, properties, out });
      }
    }
    // A test that failed outside its steps (a fixture before Step 4, a timeout between steps) says so in a case of its own.
    if (r && r.status !== 'passed' && r.status !== 'skipped' && !anyStepError) {
      const verdict = verdictOf(r.errors) ?? { kind: 'error' as const, type: r.status, message: r.status, text: `${test.title}: ${r.status}` };
      suite.cases.unshift({ classname, name: `${test.title} (outside its steps)`, seconds: seconds(r.duration), verdict, properties: [], out: [] });
    }
    return suite;
  }

  private xml(suites: SuiteXml[]): string {
    const clean = (text: string) => xmlText(this.secrets.redact(text));
    const count = (cases: Case[], kind: 'failure' | 'error' | 'skipped') => cases.filter((c) => c.verdict?.kind === kind).length;
    const all = suites.flatMap((s) => s.cases);
    const total = (cases: Case[]) => cases.reduce((sum, c) => sum + c.seconds, 0).toFixed(3);
    const rerun = /[\\/]reruns[\\/](\d+)$/.exec(this.options.outputDir)?.[1];
    const lines = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="${clean(`nbgrader-ngshare e2e, run ${this.options.runId}${rerun ? `, rerun ${rerun}` : ''}`)}" tests="${all.length}" failures="${count(all, 'failure')}" errors="${count(all, 'error')}" skipped="${count(all, 'skipped')}" time="${total(all)}">`,
    ];
    for (const s of suites) {
      lines.push(
        `  <testsuite name="${clean(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, 'failure')}" errors="${count(s.cases, 'error')}" skipped="${count(s.cases, 'skipped')}" time="${total(s.cases)}"${s.timestamp ? ` timestamp="${s.timestamp}"` : ''}>`,
      );
      for (const c of s.cases) {
        const open = `    <testcase classname="${clean(c.classname)}" name="${clean(c.name)}" time="${c.seconds.toFixed(3)}"`;
        const inner: string[] = [];
        if (c.properties.length) {
          inner.push('      <properties>');
          for (const [name, value] of c.properties) inner.push(`        <property name="${clean(name)}" value="${clean(value)}"/>`);
          inner.push('      </properties>');
        }
        const v = c.verdict;
        if (v?.kind === 'skipped') inner.push(`      <skipped message="${clean(v.message)}"/>`);
        else if (v) inner.push(`      <${v.kind} message="${clean(v.message)}" type="${clean(v.type)}">${clean(v.text)}</${v.kind}>`);
        if (c.out.length) inner.push(`      <system-out>${clean(c.out.join('\n'))}</system-out>`);
        lines.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
      }
      lines.push('  </testsuite>');
    }
    lines.push('</testsuites>');
    return `${lines.join('\n')}\n`;
  }
}

function project(test: TestCase): string {
  return test.parent.project()?.name ?? '?';
}
