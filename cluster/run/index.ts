/**
 * One run of the harness, as the parts it is made of, each with one job:
 *
 *   dirs      where its files go (RunDirs)          secrets  its tokens and passwords (SecretStore)
 *   ledger    what it created, for teardown (Ledger)  stack    its stack's state (StackStore)
 *
 * A driver gets the whole `Run`; everything below a driver takes only the part it needs.
 */
import path from 'node:path';
import type { HarnessConfig } from '../config.js';
import { HarnessError } from '../errors.js';
import { Ledger } from './ledger.js';
import { RunDirs } from './run-dirs.js';
import { isRunId, newRunId } from './run-id.js';
import { ownOutput } from './run-output.js';
import { SecretStore } from './secret-store.js';
import { StackStore } from './stack-store.js';

export interface Run {
  readonly id: string;
  readonly config: HarnessConfig;
  readonly dirs: RunDirs;
  readonly secrets: SecretStore;
  readonly ledger: Ledger;
  readonly stack: StackStore;
}

function assemble(config: HarnessConfig, id: string, secrets?: SecretStore): Run {
  const dirs = new RunDirs(id, config.stateDir, config.outputDir, ownOutput(config.runOutput, id));
  return {
    id,
    config,
    dirs,
    secrets: secrets ?? new SecretStore(dirs.path('secrets.json')),
    ledger: new Ledger(dirs.path('resources.json')),
    stack: new StackStore(dirs.runDir, id),
  };
}

/** Opens run `runId` (default: the configured one, else a new one), making its directories. */
export function openRun(config: HarnessConfig, runId = config.runId ?? newRunId()): Run {
  if (!isRunId(runId)) throw new HarnessError('run', `"${runId}" is not a run id (e2e-YYYYMMDD-HHMMSS-xxxx)`);
  const run = assemble(config, runId);
  run.dirs.create();
  return run;
}

/** An existing run, without creating anything (down, reap, attach); undefined when there is none. */
export function findRun(config: HarnessConfig, runId: string): Run | undefined {
  const run = assemble(config, runId);
  return run.dirs.exists() ? run : undefined;
}

/** The same run found under another state directory (a stack a scenario brought up for itself). */
export function findRunIn(config: HarnessConfig, stateDir: string, runId: string): Run | undefined {
  return findRun({ ...config, stateDir: path.resolve(stateDir) }, runId);
}

/** Every run with a runtime directory, oldest first. */
export function listRuns(config: HarnessConfig): string[] {
  return RunDirs.list(config.stateDir);
}

/**
 * A run that exists only in memory, for a dry run's plan: the names and paths a real run would get,
 * secrets made in memory (registered for redaction), nothing written anywhere.
 */
export function planningRun(config: HarnessConfig, runId = config.runId ?? newRunId()): Run {
  return assemble(config, runId, new SecretStore());
}

export { claimRunOutput, listReruns, ownOutput, rerunOf, rerunsDirName, type InvocationRecord } from './run-output.js';
export { isRunId, newRunId, runIdPattern, runStartedAt, shortRunId } from './run-id.js';
export type { Resource } from './ledger.js';
export { Ledger } from './ledger.js';
export { RunDirs, makeWritableDir, pointLatest } from './run-dirs.js';
export { SecretStore } from './secret-store.js';
export { StackStore } from './stack-store.js';
