/**
 * Where a run's stack state lives: state.json (what `up` learned, for every process that attaches
 * later), and a `kept` marker for a stack left up on purpose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../errors.js';
import type { StackState } from '../stack-state.js';

export class StackStore {
  private readonly file: string;
  private readonly keptFile: string;

  constructor(
    private readonly runDir: string,
    private readonly runId: string,
  ) {
    this.file = path.join(runDir, 'state.json');
    this.keptFile = path.join(runDir, 'kept');
  }

  exists(): boolean {
    return fs.existsSync(this.file);
  }

  save<D>(state: StackState<D>): void {
    fs.writeFileSync(this.file, JSON.stringify(state, null, 2));
  }

  /** The state as `up` saved it; its details are the driver's to read. */
  load<Details = unknown>(): StackState<Details> {
    if (!this.exists()) throw new HarnessError('run', `run ${this.runId} has no stack (no ${this.file}); did the setup project run?`);
    return JSON.parse(fs.readFileSync(this.file, 'utf8')) as StackState<Details>;
  }

  /** Mark the stack as kept on purpose, so a later reap leaves it alone unless told otherwise. */
  markKept(kept: boolean): void {
    if (kept) fs.writeFileSync(this.keptFile, new Date().toISOString());
    else fs.rmSync(this.keptFile, { force: true });
  }

  isKept(): boolean {
    return fs.existsSync(this.keptFile);
  }

  /** The directory the run's stack files live in. */
  get dir(): string {
    return this.runDir;
  }
}
