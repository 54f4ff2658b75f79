/**
 * Bringing a run's stack up and down, shared by the Playwright setup/teardown projects and the
 * `up`/`down` scripts. Diagnostics are exported before anything is destroyed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDriver } from './platforms.js';
import { findRunIn, type Run } from './run/index.js';
import { logger, formatDuration } from './log.js';
import type { PlatformDriver, Stack } from './platform.js';
import type { StackVariant } from './config.js';
import type { StackState } from './stack-state.js';
import { errorMessage } from './errors.js';

const log = logger('platform');

/**
 * Preflight, then `up`; the state is saved the moment `up` returns. A bring-up that fails
 * explains itself (diagnostics), then goes away unless the run is kept. `driver` defaults to the
 * configured platform's.
 */
export async function bringUp(run: Run, variant: StackVariant = {}, driver?: PlatformDriver): Promise<StackState> {
  const platform = driver ?? (await createDriver(run.config.platform));
  const started = Date.now();
  log.info(`run ${run.id}: bringing up the ${platform.name} platform`);
  await platform.preflight(run);
  try {
    const state = await platform.up(run, variant);
    run.stack.save(state);
    log.info(`run ${run.id}: ${platform.name} platform up in ${formatDuration(Date.now() - started)}`);
    return state;
  } catch (err) {
    await exportDiagnostics(run, 'setup-failure').catch(() => undefined);
    if (!run.config.keep) await platform.down(run).catch((e) => log.warn(`cleanup after failed setup: ${errorMessage(e)}`));
    throw err;
  }
}

export async function attachStack(run: Run): Promise<Stack> {
  const state = run.stack.load();
  run.secrets.registerAll();
  const driver = await createDriver(state.platform);
  return driver.attach(state, run);
}

/** Writes the run's diagnostics bundle into e2e-output/<run>/diagnostics/<label>; undefined when there is no stack. */
export async function exportDiagnostics(run: Run, label: string): Promise<string | undefined> {
  if (!run.stack.exists()) return undefined;
  const dir = path.join(run.dirs.outputDir, 'diagnostics', label);
  fs.mkdirSync(dir, { recursive: true });
  const stack = await attachStack(run);
  await stack.collectDiagnostics(dir);
  return dir;
}

/** Removes everything the run created, newest first; stacks its scenarios brought up go first. */
export async function tearDown(run: Run): Promise<void> {
  for (const r of run.ledger.list()) {
    if (r.kind !== 'run') continue;
    const sub = findRunIn(run.config, r.stateDir, r.runId);
    if (sub) await tearDown(sub).catch((e) => log.warn(`removing ${r.runId}: ${errorMessage(e)}`));
  }
  run.ledger.forget((r) => r.kind === 'run');
  if (!run.stack.exists() && run.ledger.isEmpty()) {
    // Nothing of a stack was made (a run of scenarios with stacks of their own): nothing more to do.
    run.stack.markKept(false);
    return;
  }
  const platform = run.stack.exists() ? run.stack.load().platform : run.config.platform;
  const driver = await createDriver(platform);
  const started = Date.now();
  await driver.down(run);
  run.stack.markKept(false);
  log.info(`run ${run.id}: ${platform} platform down in ${formatDuration(Date.now() - started)}`);
}
