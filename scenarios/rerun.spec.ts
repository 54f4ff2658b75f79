/**
 * The debugging loop the harness prints, as a person runs it: a stack kept up (`npm run up`), then
 * the rerun command it prints (`E2E_RUN_ID=<id> npx playwright test --project=tutorial --no-deps`)
 * twice, each a Playwright run of its own in a child process. Both pass with every step and every
 * golden of a first run (Step 4's "Course not found" included: each rerun has a course of its own),
 * and each writes results of its own: e2e-output/<id>/reruns/<n>/ with only its own commands in
 * summary.json and its own junit.xml. The stack is removed afterwards (`npm run down`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';
import { runHarnessChild } from '../scripts/lib/harness-child.js';
import type { RunSummary } from '../reporters/transcripts.js';
import { readTotals } from '../reporters/tally.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The tutorial's steps, as every rerun must show them. */
const tutorialSteps = [
  'Step 4: Validate in JupyterHub',
  'Step 5: Create the course and roster',
  'Step 6: Create and release a first assignment',
  'Step 7: Student workflow (fetch + submit)',
  'Step 8: Instructor workflow (collect + autograde)',
];

interface KeptStack {
  runId: string;
  /** The rerun command `up` printed, as printed. */
  loop: string;
  /** Where the nested runs keep their state and output (this test's own directories). */
  env: Record<string, string>;
  outputRoot: string;
}

/** A stack kept up by `npm run up` in a child process, removed by `npm run down` when the test ends. */
const test = base.extend<{ keptStack: KeptStack }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  keptStack: async ({}, use, testInfo) => {
    const outputRoot = testInfo.outputPath('output');
    const env = { E2E_PLATFORM: 'local', E2E_STATE_DIR: testInfo.outputPath('state'), E2E_OUTPUT_DIR: outputRoot };
    const up = await runHarnessChild({ script: 'up', env, logFile: testInfo.outputPath('up.log'), timeoutMs: 10 * 60_000 });
    const loop = /^ {2}Rerun scenarios: +(.+)$/m.exec(up.output)?.[1]?.trim();
    // The run as up names it in what it prints (the id it was handed, unless up chose its own).
    const runId = /\bE2E_RUN_ID=(\S+)/.exec(loop ?? '')?.[1] ?? up.runId;
    try {
      expect(up.exitCode, `npm run up:\n${up.output.slice(-3000)}`).toBe(0);
      expect(loop, 'npm run up prints the rerun command').toBeTruthy();
      await use({ runId, loop: loop!, env, outputRoot });
    } finally {
      const down = await runHarnessChild({ script: 'down', args: [runId], env, logFile: testInfo.outputPath('down.log'), timeoutMs: 5 * 60_000 });
      expect(down.exitCode, `npm run down -- ${runId}:\n${down.output.slice(-2000)}`).toBe(0);
    }
  },
});

/** Runs a printed command line (leading VAR=value words are its environment) as a person's shell would, without a shell. */
async function runPrinted(line: string, env: Record<string, string>, logFile: string): Promise<{ exitCode: number; output: string }> {
  const words = line.split(/\s+/).filter(Boolean);
  const assignments: Record<string, string> = {};
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    assignments[name] = value.join('=');
  }
  const [command, ...args] = words;
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, ...assignments }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    fs.appendFileSync(logFile, chunk);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  clearTimeout(timer);
  return { exitCode, output };
}

test.setTimeout(60 * 60_000);

test('the printed rerun loop passes twice against one kept stack, each rerun with every step and results of its own', async ({ keptStack }, testInfo) => {
  const { runId, loop, env, outputRoot } = keptStack;
  expect(loop).toBe(`E2E_RUN_ID=${runId} npx playwright test --project=tutorial --no-deps`);
  const courses: string[] = [];
  for (const n of [1, 2]) {
    const rerun = await runPrinted(loop, env, testInfo.outputPath(`rerun-${n}.log`));
    const dir = path.join(outputRoot, runId, 'reruns', String(n));
    expect(rerun.exitCode, `rerun ${n}:\n${rerun.output.slice(-4000)}`).toBe(0);
    expect(rerun.output).toContain(`Running 1 test (tutorial) for run ${runId}, rerun ${n} against its kept stack`);
    expect(rerun.output).toMatch(/Results: 1 passed · 0 failed · 0 skipped/);
    expect(rerun.output).not.toContain('Failed commands:');
    expect(readTotals(dir)).toMatchObject({ passed: 1, failed: 0, skipped: 0 });
    expect(fs.realpathSync(path.join(outputRoot, 'latest'))).toBe(fs.realpathSync(dir));

    // Every step ran and passed; summary.json has this rerun's commands only, each passed, each with its own transcript.
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.steps.map((s) => [s.step, s.status])).toEqual(tutorialSteps.map((s) => [s, 'passed']));
    const commands = summary.steps.flatMap((s) => s.commands);
    expect(commands.filter((c) => c.verdict !== 'pass').map((c) => `${c.command}: ${c.reason}`)).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'transcripts')).sort()).toEqual(commands.map((c) => path.basename(c.transcript)).sort());
    // Step 4, not loosened: before this rerun's course exists, ngshare answers 404.
    const step4List = summary.steps[0].commands.find((c) => c.golden === 'step4-list-course-not-found');
    expect(fs.readFileSync(path.join(dir, step4List!.transcript), 'utf8')).toContain('returned failure: Course not found');
    const created = commands.find((c) => c.command.startsWith('ngshare-course-management create_course '))!;
    courses.push(created.command.split(' ')[2]);

    // Its own junit.xml: one passing testcase per tutorial step.
    const junit = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain(`run ${runId}, rerun ${n}`);
    for (const step of tutorialSteps)
      expect(junit).toMatch(new RegExp(`<testcase [^>]*name="${step.replace(/[()+]/g, '\\$&')}"[^>]*>(?:(?!</testcase>)[\\s\\S])*</testcase>`));
    expect(junit).not.toMatch(/<(failure|error|skipped)\b/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'invocation.json'), 'utf8'))).toMatchObject({ runId, rerun: n });
  }
  // Each rerun made a course of its own on the same stack.
  expect(new Set(courses).size).toBe(2);
  // Nothing of the reruns went into the run's own output (npm run up made it, and no Playwright run wrote there).
  expect(fs.existsSync(path.join(outputRoot, runId, 'summary.json'))).toBe(false);

  // The Allure report of a rerun is named as that rerun of the run, and covers it alone.
  const report = await runHarnessChild({
    script: 'report',
    args: [`${runId}/reruns/2`],
    env,
    logFile: testInfo.outputPath('report.log'),
    timeoutMs: 5 * 60_000,
  });
  expect(report.exitCode, report.output.slice(-2000)).toBe(0);
  expect(report.output).toContain(
    `Allure report of run ${runId} rerun 2: ${path.join(fs.realpathSync(outputRoot), runId, 'reruns', '2', 'allure-report', 'index.html')}`,
  );
});
