/**
 * One run of the harness: its id, its directories, its secrets and the ledger of what it created.
 *
 *   .e2e/runs/<run-id>/       runtime files: state.json, secrets.json (0600), resources.json, stack files
 *   e2e-output/<run-id>/      what people read: transcripts, summary.json, diagnostics
 *   e2e-output/latest         symlink to the newest run's output
 *
 * Everything the run creates is recorded in resources.json the moment it exists (setup mirrors
 * teardown), so `down` and the reaper can remove it even after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { HarnessConfig } from './config.js';
import type { StackState } from './platform.js';
import { HarnessError } from './errors.js';
import { registerSecret } from './redact.js';

export type Resource =
  | { kind: 'process'; name: string; pid: number; /** process group leader, killed as a group */ pgid: number }
  | { kind: 'kind-cluster'; name: string }
  | { kind: 'namespace'; name: string; context?: string }
  | { kind: 'helm-release'; name: string; namespace: string; context?: string }
  | { kind: 'hub-user'; name: string }
  /** A stack of its own that a scenario brought up (a troubleshooting case); torn down with this run. */
  | { kind: 'run'; runId: string; stateDir: string }
  | { kind: 'port-forward'; pid: number };

/** A sortable, readable, unique run id: e2e-20261126-112233-ab12. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `e2e-${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

export function isRunId(value: string): boolean {
  return /^e2e-\d{8}-\d{6}-[0-9a-f]{4}$/.test(value);
}

export class RunContext {
  readonly runDir: string;
  readonly outputDir: string;

  private constructor(
    readonly runId: string,
    readonly config: HarnessConfig,
  ) {
    this.runDir = path.join(config.stateDir, 'runs', runId);
    this.outputDir = path.join(config.outputDir, runId);
  }

  /** Open the run `config.runId` (or a new one), creating its directories. */
  static open(config: HarnessConfig, runId = config.runId ?? newRunId()): RunContext {
    if (!isRunId(runId)) throw new HarnessError('run', `"${runId}" is not a run id (e2e-YYYYMMDD-HHMMSS-xxxx)`);
    const run = new RunContext(runId, config);
    for (const dir of [run.runDir, run.outputDir]) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK);
      } catch (err) {
        throw new HarnessError('run', `cannot write the run directory ${dir}`, String(err));
      }
    }
    run.pointLatest();
    return run;
  }

  /** Open an existing run without creating anything (down, reap, attach). */
  static existing(config: HarnessConfig, runId: string): RunContext | undefined {
    const run = new RunContext(runId, config);
    return fs.existsSync(run.runDir) ? run : undefined;
  }

  /** Every run that has a runtime directory, oldest first. */
  static list(config: HarnessConfig): string[] {
    const dir = path.join(config.stateDir, 'runs');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter(isRunId).sort() : [];
  }

  private pointLatest(): void {
    const link = path.join(this.config.outputDir, 'latest');
    try {
      fs.rmSync(link, { force: true });
      fs.symlinkSync(this.runId, link);
    } catch {
      // Not worth failing a run over (e.g. a filesystem without symlinks).
    }
  }

  path(...parts: string[]): string {
    return path.join(this.runDir, ...parts);
  }

  // --- secrets: generated once per run, read back from where they were written -------------------

  private get secretsFile(): string {
    return this.path('secrets.json');
  }

  private readSecrets(): Record<string, string> {
    if (!fs.existsSync(this.secretsFile)) return {};
    return JSON.parse(fs.readFileSync(this.secretsFile, 'utf8')) as Record<string, string>;
  }

  /** The run's secret `name`, made (32 random bytes, hex) on first use and registered for redaction. */
  secret(name: string): string {
    const all = this.readSecrets();
    if (!all[name]) {
      all[name] = crypto.randomBytes(32).toString('hex');
      fs.writeFileSync(this.secretsFile, JSON.stringify(all, null, 2), { mode: 0o600 });
    }
    registerSecret(all[name]);
    return all[name];
  }

  /** Store a secret the run did not make (an operator's admin token). */
  setSecret(name: string, value: string): void {
    const all = { ...this.readSecrets(), [name]: value };
    fs.writeFileSync(this.secretsFile, JSON.stringify(all, null, 2), { mode: 0o600 });
    registerSecret(value);
  }

  /** Register every secret already stored (a worker attaching to a stack made elsewhere). */
  loadSecrets(): void {
    for (const value of Object.values(this.readSecrets())) registerSecret(value);
  }

  // --- ledger of created resources ----------------------------------------------------------------

  record(resource: Resource): void {
    const all = this.resources();
    all.push(resource);
    fs.writeFileSync(this.path('resources.json'), JSON.stringify(all, null, 2));
  }

  resources(): Resource[] {
    const file = this.path('resources.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Resource[]) : [];
  }

  forget(predicate: (r: Resource) => boolean): void {
    const kept = this.resources().filter((r) => !predicate(r));
    fs.writeFileSync(this.path('resources.json'), JSON.stringify(kept, null, 2));
  }

  // --- stack state --------------------------------------------------------------------------------

  saveState(state: StackState): void {
    fs.writeFileSync(this.path('state.json'), JSON.stringify(state, null, 2));
  }

  loadState(): StackState {
    const file = this.path('state.json');
    if (!fs.existsSync(file)) {
      throw new HarnessError('run', `run ${this.runId} has no stack (no ${file}); did the setup project run?`);
    }
    this.loadSecrets();
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackState;
  }

  hasState(): boolean {
    return fs.existsSync(this.path('state.json'));
  }

  /** Mark the stack as kept on purpose, so a later reap leaves it alone unless told otherwise. */
  markKept(kept: boolean): void {
    const file = this.path('kept');
    if (kept) fs.writeFileSync(file, new Date().toISOString());
    else fs.rmSync(file, { force: true });
  }

  isKept(): boolean {
    return fs.existsSync(this.path('kept'));
  }
}
