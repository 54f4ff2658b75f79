/**
 * Projects:
 *   unit         pure helpers' tests (*.test.ts beside the code); no stack
 *   setup        brings the platform up once per run (scenarios/platform.setup.ts)
 *   tutorial     the tutorial flow, steps 4-8, on that stack (npm run e2e; the rerun loop)
 *   shared-stack the tutorial, then the troubleshooting cases that need no special deployment, each
 *                with a classroom of its own on that stack, one at a time (npm test, npm run repro)
 *   teardown     diagnostics, then the stack goes away (unless E2E_KEEP)
 *   faults       the harness itself under injected faults (runs nested harness runs; no shared stack)
 *   troubleshooting  the documented errors that need a deployment gone wrong: each on a stack of its own
 *   browser      tutorial Step 2 and nbgrader's JupyterLab views in Chromium, on the setup's stack
 *   redaction    a nested harness run, searched for its own secrets
 *   rerun        the printed rerun loop twice against a stack kept by `npm run up` (child processes)
 *   rush         `npm run rush -- --students 3` in a child process, on a stack of its own
 *   floor        bench's floor replayed by hand on a stack the local platform recorded (bench/floor.check.ts)
 *
 * Run it through `npm run e2e` / `npm test`, which set E2E_RUN_ID and clean up on Ctrl-C; a plain
 * `npx playwright test` works too and makes up a run id here.
 */
import { defineConfig, type Project } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig } from './cluster/config.js';
import { claimRunOutput, newRunId, ownOutput } from './cluster/run/index.js';
import { allure2Categories } from './reporters/failure-categories.js';

process.env.E2E_RUN_ID ||= newRunId();
// Where this invocation's results go: e2e-output/<run id>, or .../reruns/<n> for a rerun against a
// kept stack. Chosen once, in the runner (or by scripts/playwright-run.ts before it), and passed to
// the workers, which evaluate this file again and get the same answer from E2E_RUN_OUTPUT.
// (A worker handed nothing, under a runner older than this file, writes to the run's own: never a rerun of its own.)
const inWorker = path.basename(process.argv[1] ?? '') === 'workerProcessEntry.js';
process.env.E2E_RUN_OUTPUT =
  inWorker && !ownOutput(process.env.E2E_RUN_OUTPUT, process.env.E2E_RUN_ID) ? process.env.E2E_RUN_ID : claimRunOutput(readConfig(), process.env.E2E_RUN_ID);
const config = readConfig();
// Absolute, so a config that extends this one from elsewhere (scenarios/faults/) finds the same files.
const here = path.dirname(fileURLToPath(import.meta.url));
const at = (...parts: string[]) => path.join(here, ...parts);
const outputDir = path.join(config.outputDir, config.runOutput!);

/**
 * Playwright runs projects in waves: one that depends on `setup` starts only once every project
 * that does not has finished. Under `npm test` (config.wholeSuite) every project waits for the
 * short setup instead, so that all of them go in one wave, in the order listed.
 */
function inOneWave(projects: Project[]): Project[] {
  if (!config.wholeSuite) return projects;
  return projects.map((p) => (p.name === 'setup' || p.name === 'teardown' ? p : { ...p, dependencies: ['setup'] }));
}

export default defineConfig({
  // Two by default: projects that share the run's stack (one test at a time where they take
  // classrooms) go side by side with those that bring up stacks of their own. E2E_WORKERS=1 for one at a time.
  workers: config.workers,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: path.join(outputDir, 'test-results'),
  // Projects whose testDir is the repository skip what .gitignore names while looking for tests:
  // e2e-output/ grows with every run (copies of environments included), and walking it cost each
  // `playwright test` 25 s of CPU on a machine that had kept 3 GB of runs.
  respectGitIgnore: true,
  reporter: [
    // Progress, failures with their category and evidence, and the final table of steps.
    [at('reporters', 'console-reporter.ts'), { runId: config.runId, outputDir, runDir: path.join(config.stateDir, 'runs', config.runId!) }],
    ['json', { outputFile: path.join(outputDir, 'playwright-results.json') }],
    // For CI test tabs: one testcase per tutorial step, a golden mismatch as <failure>, a broken stack as <error>.
    [
      at('reporters', 'junit-reporter.ts'),
      { outputFile: path.join(outputDir, 'junit.xml'), runId: config.runId, outputDir, runDir: path.join(config.stateDir, 'runs', config.runId!) },
    ],
    ['html', { outputFolder: path.join(outputDir, 'playwright-report'), open: 'never' }],
    // `npm run report` makes the Allure 3 report of these; categories.json is for Allure 2 readers.
    ['allure-playwright', { resultsDir: path.join(outputDir, 'allure-results'), detail: false, suiteTitle: true, categories: allure2Categories() }],
    // After allure-playwright (reporters end in this order): no annotation steps, the steps that did not run as skipped.
    [at('reporters', 'allure-steps.ts'), { resultsDir: path.join(outputDir, 'allure-results') }],
    [
      at('reporters', 'allure-environment.ts'),
      { resultsDir: path.join(outputDir, 'allure-results'), outputDir, runId: config.runId, platform: config.platform },
    ],
  ],
  use: { trace: 'retain-on-failure' },
  // In the order they are handed to workers: the longest chains first, the unit tests last to fill the gaps.
  projects: inOneWave([
    { name: 'setup', testDir: at('scenarios'), testMatch: /platform\.setup\.ts$/, teardown: 'teardown' },
    { name: 'teardown', testDir: at('scenarios'), testMatch: /platform\.teardown\.ts$/ },
    // `npm run e2e` and the rerun loop: the tutorial alone, on the run's stack.
    { name: 'tutorial', testDir: at('scenarios'), testMatch: /tutorial\.spec\.ts$/, dependencies: ['setup'] },
    // `npm test` and `npm run repro`: everything that takes a classroom on the run's stack, one test at a
    // time (classrooms share the stack's instructor): the tutorial, then the troubleshooting cases
    // that need no special deployment.
    {
      name: 'shared-stack',
      testDir: at('scenarios'),
      testMatch: /(tutorial\.spec|troubleshooting\/on-shared-stack\.spec)\.ts$/,
      dependencies: ['setup'],
      workers: 1,
    },
    // The printed debugging loop: a stack kept by `npm run up`, the rerun command twice, each rerun's results its own.
    { name: 'rerun', testDir: at('scenarios'), testMatch: /rerun\.spec\.ts$/ },
    // The harness under injected faults: nested harness runs, each with a stack of its own.
    { name: 'faults', testDir: here, testMatch: /(scenarios\/faults\/[^/]+|cluster\/local\/port-race)\.spec\.ts$/ },
    // The bench floor's smoke check (a check, not a timing): a stack up and down, then the floor to the end.
    { name: 'floor', testDir: at('bench'), testMatch: /floor\.check\.ts$/ },
    // A whole harness run in a child process, then every file and line it wrote searched for its secrets.
    { name: 'redaction', testDir: at('scenarios'), testMatch: /redaction\.spec\.ts$/ },
    // The troubleshooting cases that need a deployment gone wrong: each brings up a stack of its own.
    { name: 'troubleshooting', testDir: at('scenarios'), testMatch: /troubleshooting\/on-own-stack\.spec\.ts$/ },
    // The Kubernetes drivers' cluster side against a real control plane (kube-apiserver, etcd, kwok) and the
    // real charts: one kwok run, shared by the specs (one worker), each in namespaces of its own.
    { name: 'kube', testDir: at('cluster', 'kube', 'on-control-plane'), testMatch: /\.spec\.ts$/, workers: 1 },
    // The deadline rush's smoke check: `npm run rush -- --students 3` on a stack of its own.
    { name: 'rush', testDir: at('bench'), testMatch: /rush\/.*\.spec\.ts$/ },
    // Tutorial Step 2 and nbgrader's JupyterLab views in Chromium, on the shared stack.
    {
      name: 'browser',
      testDir: at('scenarios'),
      testMatch: /browser\.spec\.ts$/,
      dependencies: ['setup'],
      use: { screenshot: 'only-on-failure', trace: 'retain-on-failure' },
    },
    { name: 'unit', testDir: here, testMatch: /(cluster|fixtures|scripts|golden|reporters|bench|matrix)\/.*\.test\.ts$/ },
  ]),
});
