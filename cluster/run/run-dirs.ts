/**
 * The two directories of a run:
 *
 *   .e2e/runs/<run-id>/    runtime files: the stack's state, secrets (0600), the ledger, the stack's own files
 *   e2e-output/<run-id>/   what people read: transcripts, summary.json, reports, diagnostics
 *   e2e-output/<run-id>/reruns/<n>/   the same, for the nth rerun against the run's kept stack
 *
 * and `e2e-output/latest`, a link to the newest output (a run's, or a rerun's).
 */
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../errors.js';
import { isRunId } from './run-id.js';

export class RunDirs {
  /** .e2e/runs/<run-id> */
  readonly runDir: string;
  /** e2e-output/<run-id>: the run's own output, with its reruns' under reruns/ */
  readonly runOutputDir: string;
  /** Where this invocation writes: e2e-output/<run-id>, or e2e-output/<run-id>/reruns/<n> for a rerun. */
  readonly outputDir: string;

  constructor(
    readonly runId: string,
    readonly stateRoot: string,
    readonly outputRoot: string,
    /** This invocation's output relative to outputRoot (`<run-id>/reruns/<n>`); default the run's own. */
    output: string = runId,
  ) {
    this.runDir = path.join(stateRoot, 'runs', runId);
    this.runOutputDir = path.join(outputRoot, runId);
    this.outputDir = path.join(outputRoot, output);
  }

  /** A path in the run's runtime directory. */
  path(...parts: string[]): string {
    return path.join(this.runDir, ...parts);
  }

  exists(): boolean {
    return fs.existsSync(this.runDir);
  }

  /** Makes both directories, or says why it cannot (read-only filesystem, permission, a file in the way). */
  create(): void {
    for (const dir of [this.runDir, this.outputDir]) makeWritableDir(dir, 'run');
    pointLatest(this.outputRoot, path.relative(this.outputRoot, this.outputDir));
  }

  /** Every run id with a runtime directory, oldest first. */
  static list(stateRoot: string): string[] {
    const dir = path.join(stateRoot, 'runs');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter(isRunId).sort() : [];
  }
}

/** The nearest of `dir` and its parents that exists and is not a directory. */
function notADirectory(dir: string): string | undefined {
  for (let p = dir; p !== path.dirname(p); p = path.dirname(p)) {
    if (fs.existsSync(p)) return fs.statSync(p).isDirectory() ? undefined : p;
  }
  return undefined;
}

/** The nearest of `dir` and its parents that exists. */
function nearestExisting(dir: string): string {
  let p = dir;
  while (!fs.existsSync(p) && p !== path.dirname(p)) p = path.dirname(p);
  return p;
}

/**
 * The failure that says why: `mkdir -p` on a read-only filesystem reports the first missing part
 * as missing (ENOENT), so the nearest part that exists is asked whether it can be written.
 */
function realFailure(err: NodeJS.ErrnoException, dir: string): NodeJS.ErrnoException {
  if (err.code !== 'ENOENT') return err;
  const existing = nearestExisting(dir);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (denied) {
    return denied as NodeJS.ErrnoException;
  }
  return err;
}

/** Why a directory cannot be made or written, in words, from the errno of the failure. */
function reasonOf(failure: NodeJS.ErrnoException, dir: string): string {
  const err = realFailure(failure, dir);
  switch (err.code) {
    case 'EROFS':
      return `the filesystem is read-only (${nearestExisting(dir)} is on a read-only mount)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${err.path ?? dir})`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a file is in the way (${notADirectory(dir) ?? 'a parent of it'} is not a directory)`;
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return err.code ?? err.message;
  }
}

/** mkdir -p, then a write check: a named HarnessError for `component` when either fails. */
export function makeWritableDir(dir: string, component: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new HarnessError(component, `cannot write the directory ${dir}: ${reasonOf(err as NodeJS.ErrnoException, dir)}`);
  }
}

/** `e2e-output/latest` → `target` (relative to the output root). */
export function pointLatest(outputRoot: string, target: string): void {
  const link = path.join(outputRoot, 'latest');
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link);
  } catch {
    // Not worth failing a run over (a filesystem without symlinks).
  }
}
