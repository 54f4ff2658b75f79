/**
 * The steps of the Allure results, made to say what happened. allure-playwright writes every
 * annotation declared on a test as a step of its own ("serial: undefined", "planned steps: …"),
 * and leaves out the steps that never ran. After it has written the results (this reporter comes
 * after it in playwright.config.ts; Playwright ends reporters in order), each test's result file is
 * rewritten: those annotation steps go, and each step the test declared (reporters/planned-steps.ts)
 * that did not run is added, in its place, as skipped with the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { readPlannedSteps } from './planned-steps.js';
import { lifecycleProjects } from './tally.js';

/** The part of an Allure result this reporter reads and writes. */
export interface AllureStep {
  name: string;
  status?: string;
  stage?: string;
  statusDetails?: { message?: string; trace?: string };
  steps?: AllureStep[];
  attachments?: unknown[];
  parameters?: unknown[];
  start?: number;
  stop?: number;
}

export interface AllureResult extends AllureStep {
  fullName?: string;
  parameters?: Array<{ name: string; value: string }>;
}

/** Steps an annotation made: named `<type>: <description>`, with nothing inside. */
function isAnnotationStep(step: AllureStep, annotations: ReadonlyArray<{ type: string; description?: string }>): boolean {
  if (step.steps?.length || step.attachments?.length) return false;
  return annotations.some((a) => step.name === `${a.type}: ${a.description}`);
}

const hooks = new Set(['Before Hooks', 'After Hooks']);

/**
 * The result's steps with annotation steps removed and the planned steps that did not run added as
 * skipped, in the planned order (before "After Hooks").
 */
export function fixSteps(result: AllureResult, annotations: ReadonlyArray<{ type: string; description?: string }>, notRunReason: string): AllureResult {
  const planned = readPlannedSteps(annotations);
  const kept = (result.steps ?? []).filter((s) => !isAnnotationStep(s, annotations));
  if (!planned.length) return { ...result, steps: kept };
  const ran = new Set(kept.map((s) => s.name));
  const before = kept.filter((s) => s.name === 'Before Hooks');
  const after = kept.filter((s) => s.name === 'After Hooks');
  const body = kept.filter((s) => !hooks.has(s.name));
  const at = result.stop ?? result.start;
  const missing = (title: string): AllureStep => ({
    name: title,
    status: 'skipped',
    stage: 'finished',
    statusDetails: { message: notRunReason },
    steps: [],
    attachments: [],
    parameters: [],
    start: at,
    stop: at,
  });
  // Planned steps in their order, each after the ones that ran before it; unplanned steps where they ran.
  const ordered: AllureStep[] = [];
  for (const step of body) {
    if (planned.includes(step.name)) {
      for (const title of planned.slice(0, planned.indexOf(step.name))) {
        if (!ran.has(title) && !ordered.some((s) => s.name === title)) ordered.push(missing(title));
      }
    }
    ordered.push(step);
  }
  // The rest right after the last planned step that ran (before what allure-playwright adds after it: error context, trace).
  const rest = planned.filter((title) => !ran.has(title) && !ordered.some((s) => s.name === title)).map(missing);
  const lastPlanned = ordered.map((s) => planned.includes(s.name)).lastIndexOf(true);
  ordered.splice(lastPlanned + 1, 0, ...rest);
  return { ...result, steps: [...before, ...ordered, ...after] };
}

export interface AllureStepsOptions {
  resultsDir: string;
}

export default class AllureStepsReporter implements Reporter {
  private config: FullConfig | undefined;
  private suite: Suite | undefined;
  private readonly results = new Map<TestCase, TestResult>();

  constructor(private readonly options: AllureStepsOptions) {}

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

  /** Why a planned step did not run. */
  private reason(test: TestCase, run: FullResult): string {
    const r = this.results.get(test);
    const lifecycle = lifecycleProjects(this.config?.projects ?? []);
    const platformFailed = (this.suite?.allTests() ?? []).some((t) => lifecycle.has(t.parent.project()?.name ?? '') && t.outcome() === 'unexpected');
    if (!r || r.status === 'skipped') return platformFailed ? 'not run: the platform did not come up' : 'not run';
    const stepError = r.steps.find((s) => s.category === 'test.step' && s.error);
    if (stepError) return `not run: ${stepError.title} failed and stopped the test`;
    const first = r.errors[0] && stripVTControlCharacters(r.errors[0].message ?? r.errors[0].value ?? '').split('\n')[0];
    if (first) return `not run: the test stopped: ${first}`;
    return run.status === 'interrupted' ? 'not run: the run was stopped' : 'not run';
  }

  /** The test a result file is of: same title and project, and a full name that ends with its title path. */
  private testOf(result: AllureResult): TestCase | undefined {
    const project = result.parameters?.find((p) => p.name === 'Project')?.value;
    return (this.suite?.allTests() ?? []).find(
      (t) =>
        t.title === result.name &&
        (project === undefined || t.parent.project()?.name === project) &&
        (result.fullName === undefined ||
          (result.fullName.endsWith(t.titlePath().slice(3).join(' › ')) && result.fullName.includes(path.basename(t.location.file)))),
    );
  }

  onEnd(run: FullResult): void {
    const dir = this.options.resultsDir;
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('-result.json'))) {
      const file = path.join(dir, name);
      let result: AllureResult;
      try {
        result = JSON.parse(fs.readFileSync(file, 'utf8')) as AllureResult;
      } catch {
        continue;
      }
      const test = this.testOf(result);
      if (!test) continue;
      const fixed = fixSteps(result, test.annotations, this.reason(test, run));
      fs.writeFileSync(file, JSON.stringify(fixed));
    }
  }
}
