/**
 * Bringing a run's stack up and down, shared by the Playwright setup/teardown projects and the
 * `up`/`down` scripts. Diagnostics are exported before anything is destroyed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readConfig, type HarnessConfig } from './config.js';
import { createDriver } from './platforms.js';
import { RunContext } from './run.js';
import { logger, formatDuration } from './log.js';
import type { Stack, StackState, StackVariant } from './platform.js';
import { errorMessage } from './errors.js';

const log = logger('platform');

export async function bringUp(
  config: HarnessConfig = readConfig(),
  runId?: string,
  variant: StackVariant = {},
): Promise<{ run: RunContext; state: StackState }> {
  const run = RunContext.open(config, runId);
  const driver = await createDriver(config.platform);
  const started = Date.now();
  log.info(`run ${run.runId}: bringing up the ${config.platform} platform`);
  await driver.preflight(run);
  try {
    const state = await driver.up(run, variant);
    run.saveState(state);
    log.info(`run ${run.runId}: ${config.platform} platform up in ${formatDuration(Date.now() - started)}`);
    return { run, state };
  } catch (err) {
    // A half-built stack explains itself, then goes away (unless the user asked to keep it).
    await exportDiagnostics(run, 'setup-failure').catch(() => undefined);
    if (!config.keep) await driver.down(run).catch((e) => log.warn(`cleanup after failed setup: ${errorMessage(e)}`));
    throw err;
  }
}

export async function attachStack(run: RunContext): Promise<Stack> {
  const state = run.loadState();
  const driver = await createDriver(state.platform);
  return driver.attach(state, run);
}

/** Write the diagnostics bundle of the run into e2e-output/<run>/diagnostics/<label>. */
export async function exportDiagnostics(run: RunContext, label: string): Promise<string | undefined> {
  if (!run.hasState()) return undefined;
  const dir = path.join(run.outputDir, 'diagnostics', label);
  fs.mkdirSync(dir, { recursive: true });
  const stack = await attachStack(run);
  await stack.collectDiagnostics(dir);
  return dir;
}

export async function tearDown(run: RunContext): Promise<void> {
  // Stacks that scenarios of this run brought up for themselves go first.
  for (const r of run.resources()) {
    if (r.kind !== 'run') continue;
    const sub = RunContext.existing({ ...run.config, stateDir: r.stateDir }, r.runId);
    if (sub) await tearDown(sub).catch((e) => log.warn(`removing ${r.runId}: ${errorMessage(e)}`));
  }
  run.forget((r) => r.kind === 'run');
  if (!run.hasState() && run.resources().length === 0) {
    // Nothing of a stack was made (a run of scenarios with stacks of their own): nothing more to do.
    run.markKept(false);
    return;
  }
  const platform = run.hasState() ? run.loadState().platform : run.config.platform;
  const driver = await createDriver(platform);
  const started = Date.now();
  await driver.down(run);
  run.markKept(false);
  log.info(`run ${run.runId}: ${platform} platform down in ${formatDuration(Date.now() - started)}`);
}
