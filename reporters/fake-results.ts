/**
 * Fake Playwright results for the reporters' unit tests: the few fields of TestCase, TestResult,
 * TestStep, Suite and FullConfig the reporters read, built from a short description of a run.
 */
import type { FullConfig, Suite, TestCase, TestResult, TestStep } from '@playwright/test/reporter';

export interface FakeStep {
  title: string;
  error?: string;
  duration?: number;
  /** Commands inside the step (user steps one level down). */
  commands?: Array<{ title: string; error?: string; attachments?: TestResult['attachments'] }>;
}

export interface FakeTest {
  project: string;
  title: string;
  file?: string;
  /** undefined: never ran. */
  status?: TestResult['status'];
  error?: string;
  steps?: FakeStep[];
  annotations?: TestResult['annotations'];
  /** Declared on the test itself (`test('…', { annotation })`). */
  staticAnnotations?: TestCase['annotations'];
  duration?: number;
}

const start = new Date('2026-12-01T10:00:00Z');

function fakeStep(s: { title: string; error?: string; duration?: number }, parent: TestStep | undefined, children: TestStep[] = []): TestStep {
  const step = {
    title: s.title,
    titlePath: () => [s.title],
    category: 'test.step',
    duration: s.duration ?? 1000,
    startTime: start,
    error: s.error ? { message: s.error } : undefined,
    steps: children,
    parent,
    attachments: [],
    annotations: [],
    location: undefined,
  } as unknown as TestStep;
  return step;
}

export function fakeResult(t: FakeTest): TestResult | undefined {
  if (!t.status) return undefined;
  const steps = (t.steps ?? []).map((s) => {
    const step = fakeStep(s, undefined);
    (step as { steps: TestStep[] }).steps = (s.commands ?? []).map((c) => {
      const child = fakeStep({ title: c.title, error: c.error, duration: 500 }, step);
      (child as { attachments: TestResult['attachments'] }).attachments = c.attachments ?? [];
      return child;
    });
    return step;
  });
  return {
    status: t.status,
    duration: t.duration ?? 2000,
    startTime: start,
    retry: 0,
    workerIndex: 0,
    parallelIndex: 0,
    errors: t.error ? [{ message: t.error }] : [],
    error: t.error ? { message: t.error } : undefined,
    steps,
    attachments: [],
    annotations: t.annotations ?? [],
    stdout: [],
    stderr: [],
  };
}

export interface FakeRun {
  config: FullConfig;
  suite: Suite;
  tests: Array<{ test: TestCase; result: TestResult | undefined }>;
}

/** A run of these tests, in these projects (setup has teardown `teardown`, as in playwright.config.ts). */
export function fakeRun(tests: FakeTest[], projects = ['setup', 'teardown', 'tutorial']): FakeRun {
  const fullProjects = projects.map((name) => ({
    name,
    teardown: name === 'setup' && projects.includes('teardown') ? 'teardown' : undefined,
    dependencies: name === 'tutorial' && projects.includes('setup') ? ['setup'] : [],
    testDir: '/repo/scenarios',
    outputDir: '/repo/out',
    repeatEach: 1,
    retries: 0,
    metadata: {},
    timeout: 0,
    grep: /.*/,
    grepInvert: null,
    testMatch: [],
    testIgnore: [],
    snapshotDir: '',
    use: {},
  }));
  const config = { projects: fullProjects, rootDir: '/repo', configFile: '/repo/playwright.config.ts' } as unknown as FullConfig;
  const made = tests.map((t) => {
    const result = fakeResult(t);
    const project = fullProjects.find((p) => p.name === t.project);
    const file = t.file ?? `/repo/scenarios/${t.project}.spec.ts`;
    const parent = { project: () => project, title: file, type: 'file' } as unknown as Suite;
    const test = {
      title: t.title,
      id: `${t.project}-${t.title}`,
      titlePath: () => ['', t.project, file.split('/').pop(), t.title],
      parent,
      location: { file, line: 1, column: 1 },
      annotations: t.staticAnnotations ?? [],
      tags: [],
      results: result ? [result] : [],
      outcome: () => {
        if (!result || result.status === 'skipped' || result.status === 'interrupted') return 'skipped';
        return result.status === 'passed' ? 'expected' : 'unexpected';
      },
      ok: () => !result || result.status === 'passed' || result.status === 'skipped',
      expectedStatus: 'passed',
      retries: 0,
      repeatEachIndex: 0,
      timeout: 0,
      type: 'test',
    } as unknown as TestCase;
    return { test, result };
  });
  const suite = { allTests: () => made.map((m) => m.test), suites: [], tests: [], title: '', type: 'root' } as unknown as Suite;
  return { config, suite, tests: made };
}

/** What `body` writes to stdout (and stderr), captured. */
export async function captureOutput(body: () => void | Promise<void>): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const take = (chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  };
  process.stdout.write = take;
  process.stderr.write = take;
  try {
    await body();
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return out.join('');
}
