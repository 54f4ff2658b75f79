/**
 * The harness itself under faults: each test runs the real harness (`npm run e2e`) in a child
 * process with a fault injected, then checks that the run went red at the right step, with a
 * message that names the broken part, within its bounds, with diagnostics, and left nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import type { RunSummary } from '../../reporters/transcripts.js';
import { findRunProcesses } from '../../cluster/processes.js';
import { readConfig } from '../../cluster/config.js';

// Each test is its own harness run: one that fails must not skip the others (workers: 1 keeps them one at a time).
test.describe.configure({ mode: 'default' });
test.setTimeout(6 * 60_000);

interface HarnessRun {
  exitCode: number;
  output: string;
  runId: string;
  outputDir: string;
  summary: RunSummary | undefined;
  seconds: number;
}

/** Run `npm run e2e` with extra environment, in directories of this test only. */
async function runHarness(env: Record<string, string>, args: string[] = []): Promise<HarnessRun> {
  const root = test.info().outputPath('harness');
  const started = Date.now();
  const child = await execa('npx', ['tsx', 'scripts/e2e.ts', ...args], {
    env: {
      E2E_STATE_DIR: path.join(root, 'state'),
      E2E_OUTPUT_DIR: path.join(root, 'output'),
      ...env,
      // The parent's run id must not leak into the child: it makes its own.
      E2E_RUN_ID: '',
    },
    all: true,
    reject: false,
    timeout: 5 * 60_000,
  });
  const output = child.all ?? '';
  const runId = /run (e2e-\d{8}-\d{6}-[0-9a-f]{4}) on/.exec(output)?.[1] ?? '';
  const outputDir = path.join(root, 'output', runId);
  const summaryFile = path.join(outputDir, 'summary.json');
  await test.info().attach('harness output', { body: output, contentType: 'text/plain' });
  return {
    exitCode: child.exitCode ?? -1,
    output,
    runId,
    outputDir,
    summary: fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary) : undefined,
    seconds: (Date.now() - started) / 1000,
  };
}

function expectRedAt(run: HarnessRun, step: string, command: string, reason: RegExp) {
  expect(run.exitCode, run.output).toBe(1);
  expect(run.output).toMatch(/^\d+ passed, 1 failed, \d+ skipped$/m);
  const failed = run.summary?.steps.filter((s) => s.status === 'failed') ?? [];
  expect(failed.map((s) => s.step)).toEqual([step]);
  // A command whose check failed is in the summary; one that could not even run fails its step.
  const culprit = failed[0].commands.find((c) => c.verdict === 'fail');
  if (culprit) expect(culprit.command, 'the failing command').toContain(command);
  expect(`${culprit?.reason ?? ''}\n${failed[0].error ?? ''}`).toMatch(reason);
  // Diagnostics were exported, and nothing of the run is still running.
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'end-of-run', 'logs', 'hub.log'))).toBe(true);
  expect(findRunProcesses(run.runId)).toEqual([]);
}

test('ngshare stopped before the course is created: red at Step 5, naming ngshare', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-ngshare@create_course' });
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /Could not establish connection to ngshare/);
  expect(run.seconds).toBeLessThan(150);
});

test('the student dropped from the course: red at Step 7 with 403 Permission denied', async () => {
  const run = await runHarness({ E2E_FAULT: 'drop-student@student1: nbgrader list' });
  expectRedAt(run, 'Step 7: Student workflow (fetch + submit)', 'nbgrader list', /Permission denied|403/);
});

test('the hub killed mid-run: red at the next command, naming the hub', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-hub@instructor1: nbgrader list' });
  expectRedAt(run, 'Step 4: Validate in JupyterHub', 'nbgrader list', /hub/);
  expect(run.seconds).toBeLessThan(150);
});

test('the proxy killed mid-run: red at the next command, naming the proxy', async () => {
  const run = await runHarness({ E2E_FAULT: 'stop-proxy@create_course' });
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /^proxy/m);
  expect(run.seconds).toBeLessThan(150);
});

test('ngshare frozen mid-run: the command times out at its bound instead of hanging', async () => {
  const run = await runHarness({ E2E_FAULT: 'freeze-ngshare@instructor1: nbgrader list', E2E_COMMAND_TIMEOUT: '20' });
  expectRedAt(run, 'Step 4: Validate in JupyterHub', 'nbgrader list', /timed out after 2\d{4} ms/);
  expect(run.seconds).toBeLessThan(150);
});

/** A run that fails while the platform comes up: a named error, diagnostics, nothing left running. */
function expectSetupFailure(run: HarnessRun, message: RegExp) {
  expect(run.exitCode, run.output).toBe(1);
  expect(run.output).toMatch(message);
  expect(run.output).toMatch(/^\d+ passed, 1 failed/m);
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'setup-failure'))).toBe(true);
  expect(findRunProcesses(run.runId)).toEqual([]);
}

test('a user server that never becomes ready: a named error at the server bound', async () => {
  const run = await runHarness({ E2E_FAULT: 'server-never-ready', E2E_SERVER_START_TIMEOUT: '15' });
  expectSetupFailure(run, /server: (instructor1|student1)'s server did not start[\s│]+wait: \1's server not ready after 15 s/);
  // The server's own log, in the error and in the bundle: what it printed is the first clue.
  expect(run.output).toMatch(/server-(instructor1|student1)\.log:[\s│]+fault server-never-ready: started, never listening/);
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'setup-failure', 'logs', 'server-instructor1.log'))).toBe(true);
  expect(run.seconds).toBeLessThan(120);
});

test('a port already taken: the proxy names the port', async () => {
  const run = await runHarness({ E2E_FAULT: 'port-taken' });
  expectSetupFailure(run, /proxy: port \d+ on 127\.0\.0\.1 is already in use by another program/);
  expect(run.seconds).toBeLessThan(90);
});

// Each service meets a taken port its own way: the proxy logs it and keeps its API up, the hub
// and ngshare (tornado) exit. Whichever it is, the run starts again on new ports.
for (const service of ['proxy', 'hub', 'ngshare'] as const) {
  test(`a port taken by another run between choosing and binding it (${service}): retried on new ports`, async () => {
    const dirs = { E2E_STATE_DIR: test.info().outputPath('state'), E2E_OUTPUT_DIR: test.info().outputPath('output') };
    const result = await up({ ...dirs, E2E_FAULT: `port-taken-once:${service}` });
    await test.info().attach('up output', { body: result.output, contentType: 'text/plain' });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `${service}: port \\d+ on 127\\.0\\.0\\.1 is already in use by another program: another program took it after it was chosen; new ports \\(attempt 2 of 3\\)`,
      ),
    );
    await down(dirs, result.runId!);
  });
}

test('npm run up that fails keeps nothing: a failed bring-up is not a stack to attach to', async () => {
  const dirs = { E2E_STATE_DIR: test.info().outputPath('state'), E2E_OUTPUT_DIR: test.info().outputPath('output') };
  const result = await up({ ...dirs, E2E_FAULT: 'port-taken:hub' });
  await test.info().attach('up output', { body: result.output, contentType: 'text/plain' });
  expect(result.exitCode, result.output).toBe(1);
  expect(result.output).toMatch(/hub: port \d+ on 127\.0\.0\.1 is already in use by another program/);
  const runId = /run (e2e-\d{8}-\d{6}-[0-9a-f]{4}): bringing up/.exec(result.output)?.[1];
  expect(runId, result.output).toBeTruthy();
  // ngshare and the proxy had started before the hub failed: both are gone, and nothing says "kept".
  expect(findRunProcesses(runId!)).toEqual([]);
  expect(fs.existsSync(path.join(dirs.E2E_STATE_DIR, 'runs', runId!, 'kept'))).toBe(false);
  expect(fs.existsSync(path.join(dirs.E2E_OUTPUT_DIR, runId!, 'diagnostics', 'setup-failure'))).toBe(true);
});

test('a run directory that cannot be written: a named error within seconds', async () => {
  const blocker = test.info().outputPath('not-a-directory');
  fs.mkdirSync(path.dirname(blocker), { recursive: true });
  fs.writeFileSync(blocker, '');
  const run = await runHarness({ E2E_STATE_DIR: path.join(blocker, 'state') });
  expect(run.exitCode).toBe(1);
  expect(run.output).toMatch(/run: cannot write the run directory .*not-a-directory\/state\/runs\/e2e-/);
  expect(run.seconds).toBeLessThan(60);
});

/** `npm run up` in a child, with extra environment; returns its run id and output. */
async function up(env: Record<string, string>) {
  const child = await execa('npx', ['tsx', 'scripts/up.ts'], { env: { ...env, E2E_RUN_ID: '' }, all: true, reject: false, timeout: 5 * 60_000 });
  const runId = /The local stack of run (e2e-\S+) is still up/.exec(child.all ?? '')?.[1];
  return { exitCode: child.exitCode, output: child.all ?? '', runId };
}

async function down(env: Record<string, string>, runId: string) {
  await execa('npx', ['tsx', 'scripts/down.ts', runId], { env, reject: false });
  expect(findRunProcesses(runId)).toEqual([]);
}

test('a corrupted or half-built cached environment is rebuilt, not used', async () => {
  const source = readConfig().cacheDir;
  const cache = test.info().outputPath('cache');
  // A hard-linked copy: what is broken below is the copy's directory entries, not the shared cache.
  await execa('cp', ['-al', source, cache]);
  const envs = path.join(cache, 'envs');
  const userEnv = fs.readdirSync(envs).find((d) => /^user-[0-9a-f]+$/.test(d))!;
  const hubEnv = fs.readdirSync(envs).find((d) => /^hub-[0-9a-f]+$/.test(d))!;
  const site = fs.readdirSync(path.join(envs, userEnv, 'lib')).find((d) => d.startsWith('python'))!;
  fs.rmSync(path.join(envs, userEnv, 'lib', site, 'site-packages', 'nbgrader'), { recursive: true });
  fs.rmSync(path.join(envs, hubEnv, '.e2e-env.json'));

  const dirs = { E2E_CACHE_DIR: cache, E2E_STATE_DIR: test.info().outputPath('state'), E2E_OUTPUT_DIR: test.info().outputPath('output') };
  const result = await up(dirs);
  await test.info().attach('up output', { body: result.output, contentType: 'text/plain' });
  expect(result.exitCode, result.output).toBe(0);
  expect(result.output).toMatch(/cached user environment \S+ is unusable \(missing packages: nbgrader\); rebuilding it/);
  expect(result.output).toMatch(/cached hub environment \S+ is unusable \(not completely built\); rebuilding it/);
  await down(dirs, result.runId!);
});

test('two runs at the same time on one machine do not collide', async () => {
  const dirs = { E2E_STATE_DIR: test.info().outputPath('state'), E2E_OUTPUT_DIR: test.info().outputPath('output') };
  const [a, b] = await Promise.all([up(dirs), up(dirs)]);
  expect([a.exitCode, b.exitCode], `${a.output}\n${b.output}`).toEqual([0, 0]);
  expect(a.runId).not.toBe(b.runId);
  const hubOf = (output: string) => /Hub:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  expect(hubOf(a.output)).not.toBe(hubOf(b.output));
  await Promise.all([down(dirs, a.runId!), down(dirs, b.runId!)]);
});

/** Start `npm run e2e`, wait until the stack is up, send `signal`, and report how it ended. */
async function interrupt(signal: NodeJS.Signals, toGroup: boolean) {
  const root = test.info().outputPath('harness');
  // The wrapper itself (not through npx, which would die of the signal and hide its exit code).
  const child = execa(process.execPath, ['--import', 'tsx', 'scripts/e2e.ts'], {
    env: { E2E_STATE_DIR: path.join(root, 'state'), E2E_OUTPUT_DIR: path.join(root, 'output'), E2E_RUN_ID: '' },
    all: true,
    reject: false,
    detached: true, // its own process group, as a terminal gives it
    timeout: 5 * 60_000,
  });
  let output = '';
  await new Promise<void>((resolve) => {
    child.all.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/local stack ready/.test(output)) resolve();
    });
    void child.then(() => resolve());
  });
  const sentAt = Date.now();
  process.kill(toGroup ? -child.pid! : child.pid!, signal);
  const result = await child;
  const runId = /run (e2e-\d{8}-\d{6}-[0-9a-f]{4}) on/.exec(output)?.[1] ?? '';
  await test.info().attach('harness output', { body: result.all ?? output, contentType: 'text/plain' });
  return { exitCode: result.exitCode, runId, seconds: (Date.now() - sentAt) / 1000, stateDir: path.join(root, 'state') };
}

test('Ctrl-C (SIGINT to the whole process group) removes the stack', async () => {
  const ended = await interrupt('SIGINT', true);
  expect(ended.runId).not.toBe('');
  expect(ended.exitCode).toBe(130);
  expect(findRunProcesses(ended.runId)).toEqual([]);
  expect(fs.readFileSync(path.join(ended.stateDir, 'runs', ended.runId, 'resources.json'), 'utf8')).toBe('[]');
  expect(ended.seconds).toBeLessThan(60);
});

test('SIGTERM to the harness (a cancelled CI job) removes the stack', async () => {
  const ended = await interrupt('SIGTERM', false);
  expect(ended.exitCode).toBe(130);
  expect(findRunProcesses(ended.runId)).toEqual([]);
  expect(ended.seconds).toBeLessThan(60);
});

test('ngshare with SQLAlchemy 2: the tutorial goes red at Step 6, where the release is lost', async () => {
  const run = await runHarness({}, ['--variant', 'ngshare-sqlalchemy2']);
  // release_assignment still says "Successfully released ps1"; the listing that follows is empty.
  const step6 = run.summary?.steps.find((s) => s.step.startsWith('Step 6'));
  expect(step6?.commands.find((c) => c.command === 'nbgrader release_assignment ps1')?.verdict).toBe('pass');
  expectRedAt(run, 'Step 6: Create and release a first assignment', 'nbgrader list', /golden step6-list-released/);
});
