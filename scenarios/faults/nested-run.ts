/**
 * Nested harness runs for the harness's own tests. A test runs the real scripts (`npm run e2e`,
 * `up`, `down`) as child processes through runHarnessChild, in state and output directories of
 * its own (under its testInfo.outputPath) and on ports of its own, so tests are independent and
 * can run side by side in parallel workers. A command fault comes from outside the product: the
 * nested run gets the fault's Playwright config (fault-run.config.ts) and E2E_FAULT.
 *
 * The `nested` fixture starts them; after the test, whatever a nested run left running is removed,
 * so a failed assertion never leaves a stack eating the cores of the tests that follow.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { test as base, expect } from '@playwright/test';
import { readConfig } from '../../cluster/config.js';
import { tearDown } from '../../cluster/lifecycle.js';
import { findRunProcesses } from '../../cluster/processes.js';
import { findRun, runIdPattern } from '../../cluster/run/index.js';
import type { RunSummary } from '../../reporters/transcripts.js';
import { runHarnessChild, type HarnessChild } from '../../scripts/lib/harness-child.js';

export { expect };

/** The Playwright config of a nested run under a command fault (relative to the project root, the child's cwd). */
export const faultConfig = 'scenarios/faults/fault-run.config.ts';

/** Settings of the surrounding run (npm test's) that a nested run may share: where tools live, not what to do. */
const shared = new Set(['E2E_CACHE_DIR', 'E2E_CHROMIUM', 'E2E_TUTORIAL_REPO', 'E2E_SHARED_DIR', 'E2E_DEBUG', 'E2E_ROOT_DIR']);

export interface NestedRunOptions {
  script?: 'e2e' | 'up' | 'down' | 'report';
  /** The script's own arguments. */
  args?: string[];
  /** `e2e` only: arguments for `playwright test`. */
  playwrightArgs?: string[];
  /** A command fault, `<fault>@<pattern>` (scenarios/faults/inject.ts): runs under fault-run.config.ts. */
  fault?: string;
  env?: Record<string, string>;
  /** The child is killed past this (and the test fails on its exit code). Default 12 min: a safety net on a loaded machine, not a bound under test. */
  timeoutMs?: number;
  /** Its output may hold secrets: neither attached nor written to a file (the test shows it redacted itself). */
  private?: boolean;
}

export interface NestedRun {
  script: string;
  runId: string;
  exitCode: number;
  timedOut: boolean;
  /** stdout and stderr, interleaved, without terminal colours. */
  output: string;
  seconds: number;
  /** Seconds from the moment the run printed `pattern` to its end (NaN if it never did): a bound that leaves out bring-up. */
  secondsAfter(pattern: RegExp): number;
  /** The run's state directory (…/state/runs/<id>) and its output directory (…/output/<id>). */
  runDir: string;
  outputDir: string;
  /** The run's summary.json, when it wrote one. */
  summary: RunSummary | undefined;
}

/** A nested run started in the background: its pid while it runs, a promise for a line it prints, its end. */
export interface StartedRun {
  pid(): number | undefined;
  /** Resolves with the match when the output matches `pattern`; rejects when the run ends first. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
  ended: Promise<NestedRun>;
}

export interface Nested {
  stateDir: string;
  outputRoot: string;
  run(options?: NestedRunOptions): Promise<NestedRun>;
  start(options?: NestedRunOptions): StartedRun;
}

export interface CacheCopy {
  dir: string;
  /** Every cached environment of the role (the one a run uses is among them, whatever its key). */
  envs(role: string): string[];
}

export const test = base.extend<{ nested: Nested; heldPort: number; cacheCopy: () => Promise<CacheCopy> }>({
  // Copies of the environment cache to break (linkedCacheCopy); removed after the test, once its runs are gone.
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  cacheCopy: async ({}, use, testInfo) => {
    const copies: string[] = [];
    await use(async () => {
      const copy = await linkedCacheCopy(testInfo.outputPath(`cache-${copies.length + 1}`));
      copies.push(copy.dir);
      return copy;
    });
    await Promise.all(copies.map((dir) => fs.promises.rm(dir, { recursive: true, force: true })));
  },
  // A port on 127.0.0.1 that this test listens on itself, until it ends.
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  heldPort: async ({}, use) => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    await use((server.address() as net.AddressInfo).port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
  // Depends on cacheCopy only so that it is torn down first: its runs stop before their cache goes.
  nested: async ({ cacheCopy: _ }, use, testInfo) => {
    const stateDir = testInfo.outputPath('state');
    const outputRoot = testInfo.outputPath('output');
    const isolated = (env: Record<string, string> = {}): Record<string, string> => ({
      // Blank every E2E_* setting of the surrounding run (npm test's run id, a --port, a --keep …).
      ...Object.fromEntries(
        Object.keys(process.env)
          .filter((k) => k.startsWith('E2E_') && !shared.has(k))
          .map((k) => [k, '']),
      ),
      E2E_PLATFORM: 'local',
      E2E_STATE_DIR: stateDir,
      E2E_OUTPUT_DIR: outputRoot,
      ...env,
    });
    let count = 0;
    const live = new Set<number>();
    const pending = new Set<Promise<unknown>>();
    /** Each run's id, with the environment it ran in (where its state is). */
    const runs: Array<{ id: string; env: Record<string, string> }> = [];

    const start = (options: NestedRunOptions = {}): StartedRun => {
      const script = options.script ?? 'e2e';
      const pwArgs = [...(options.fault ? ['--config', faultConfig] : []), ...(options.playwrightArgs ?? [])];
      // Playwright's arguments after a `--` (runHarnessChild puts `--run-id <id>` before them for e2e).
      const args = [...(options.args ?? []), ...(pwArgs.length ? ['--', ...pwArgs] : [])];
      let pid: number | undefined;
      let output = '';
      /** When each chunk of output arrived: where it ends in `output`, and the time. */
      const arrivals: Array<{ end: number; at: number }> = [];
      const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }> = [];
      const started = Date.now();
      count += 1;
      const env = isolated({ ...(options.fault ? { E2E_FAULT: options.fault } : {}), ...options.env });
      const child = runHarnessChild({
        script,
        args,
        // Also on disk as it comes, to read while a long run is still going.
        ...(options.private ? {} : { logFile: testInfo.outputPath(`${count}-${script}.log`) }),
        env,
        timeoutMs: options.timeoutMs ?? 12 * 60_000,
        // Its own process group: a cleanup can stop all of it, the nested Playwright included.
        ownGroup: true,
        onOutput: (chunk, proc) => {
          pid = proc.pid;
          live.add(pid);
          output += chunk;
          arrivals.push({ end: output.length, at: Date.now() });
          for (const w of waiters.splice(0)) {
            const m = w.pattern.exec(stripVTControlCharacters(output));
            if (m) w.resolve(m);
            else waiters.push(w);
          }
        },
      });
      const ended = child.then(async (c: HarnessChild) => {
        const endedAt = Date.now();
        if (pid !== undefined) live.delete(pid);
        const text = stripVTControlCharacters(c.output);
        // The id the run printed first (the one it used), else the one runHarnessChild chose for it.
        const runId = new RegExp(`\\brun (${runIdPattern})\\b`).exec(text)?.[1] ?? c.runId;
        runs.push({ id: runId, env });
        if (!options.private) await testInfo.attach(`${script} ${runId} output`, { body: text, contentType: 'text/plain' });
        const outputDir = path.join(outputRoot, runId);
        const summaryFile = path.join(outputDir, 'summary.json');
        return {
          script,
          runId,
          exitCode: c.exitCode,
          timedOut: c.timedOut,
          output: text,
          seconds: (endedAt - started) / 1000,
          secondsAfter: (pattern: RegExp) => {
            const m = pattern.exec(output);
            const arrival = m ? arrivals.find((a) => a.end > m.index) : undefined;
            return arrival ? (endedAt - arrival.at) / 1000 : NaN;
          },
          runDir: path.join(stateDir, 'runs', runId),
          outputDir,
          summary: fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary) : undefined,
        };
      });
      pending.add(ended);
      const settled = () => pending.delete(ended);
      ended.then(settled, settled);
      return {
        pid: () => pid,
        ended,
        printed: (pattern) =>
          new Promise<RegExpExecArray>((resolve, reject) => {
            const m = pattern.exec(stripVTControlCharacters(output));
            if (m) return resolve(m);
            waiters.push({ pattern, resolve });
            ended.then(
              (r) => reject(new Error(`${script} ${r.runId} ended (exit ${r.exitCode}) before printing ${pattern}:\n${r.output.slice(-3000)}`)),
              reject,
            );
          }),
      };
    };

    await use({
      stateDir,
      outputRoot,
      start,
      run: (options) => start(options).ended,
    });

    // Whatever is still running (a test that failed or timed out mid-run) is stopped, group and all…
    for (const pid of live) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.allSettled([...pending]);
    // …and the stacks of its runs are removed, by the harness's own teardown.
    for (const { id, env } of runs) {
      const run = findRun(readConfig({ ...process.env, ...env }), id);
      if (run && (!run.ledger.isEmpty() || findRunProcesses(id).length)) await tearDown(run);
    }
  },
});

/** The tutorial went red at `step` only, on `command`, for `reason`; diagnostics exported; nothing left running. */
export function expectRedAt(run: NestedRun, step: string, command: string, reason: RegExp): void {
  expect(run.exitCode, run.output).toBe(1);
  expect(run.output).toMatch(/^\d+ passed, 1 failed, \d+ skipped$/m);
  const failed = run.summary?.steps.filter((s) => s.status === 'failed') ?? [];
  expect(failed.map((s) => s.step)).toEqual([step]);
  // A command whose check failed is in the summary; one that could not even run fails its step.
  const culprit = failed[0].commands.find((c) => c.verdict === 'fail');
  if (culprit) expect(culprit.command, 'the failing command').toContain(command);
  expect(`${culprit?.reason ?? ''}\n${failed[0].error ?? ''}`).toMatch(reason);
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'end-of-run', 'logs', 'hub.log')), 'diagnostics exported').toBe(true);
  expect(findRunProcesses(run.runId), 'processes of the run still running').toEqual([]);
}

/** A run that failed while its platform came up: a named error, diagnostics, nothing left running. */
export function expectSetupFailure(run: NestedRun, message: RegExp): void {
  expect(run.exitCode, run.output).toBe(1);
  expect(run.output).toMatch(message);
  expect(fs.existsSync(path.join(run.outputDir, 'diagnostics', 'setup-failure')), 'setup-failure diagnostics').toBe(true);
  expect(findRunProcesses(run.runId), 'processes of the run still running').toEqual([]);
}

/**
 * A copy of the shared cache of Python environments that a test may break: hard links (`cp -al`),
 * so it costs seconds and no space. Break it by removing or replacing directory entries, never by
 * writing into a file: a write goes through the link into the shared cache.
 */
async function linkedCacheCopy(dest: string): Promise<CacheCopy> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  await execa('cp', ['-al', readConfig().cacheDir, dest]);
  const envsDir = path.join(dest, 'envs');
  return {
    dir: dest,
    envs: (role) =>
      fs
        .readdirSync(envsDir)
        .filter((d) => new RegExp(`^${role}-[0-9a-f]{16}$`).test(d))
        .map((d) => path.join(envsDir, d)),
  };
}

/** Replaces `file` with a new file of `text` (never writing through a hard link into the file it shares data with). */
export function replaceFile(file: string, text: string, mode = 0o755): void {
  fs.rmSync(file);
  fs.writeFileSync(file, text, { mode });
}
