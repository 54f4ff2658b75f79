/**
 * The one interface for what differs between platforms. Everything a scenario needs goes through
 * it; a new platform is a new implementation of `PlatformDriver` registered in `platforms.ts`.
 *
 * A driver's life has two halves, because Playwright runs them in different processes:
 *  - `up` (in the setup project) creates the stack and returns a JSON `StackState`, which the
 *    harness writes to the run directory as soon as it exists;
 *  - `attach` (in every worker, and in `npm run down`) turns that state back into a live `Stack`.
 */
import type { RunContext } from './run.js';

export type PlatformName = 'local' | 'kind' | 'jetstream';

/** Serialisable facts about a running stack. Secrets live in the run's secrets file, not here. */
export interface StackState {
  platform: PlatformName;
  runId: string;
  /** Public URL of the hub, as a browser reaches it (through the proxy). */
  hubUrl: string;
  /** Hub REST API base, e.g. http://127.0.0.1:PORT/hub/api */
  hubApiUrl: string;
  /** ngshare's base URL as user servers reach it (what nbgrader_config.py names). */
  ngshareUrl: string;
  /** Hub user names of the run's instructor and student (run-unique on a shared cluster). */
  users: { instructor: string; student: string };
  courseId: string;
  /** Driver-specific details (ports and pids locally; namespace and release on Kubernetes). */
  details: Record<string, unknown>;
}

export interface ExecOptions {
  /** Working directory: relative to the user's home, or absolute. Default: the home. */
  cwd?: string;
  /** Bound for the command; it is killed and reported as timed out past this. Default 5 min. */
  timeoutMs?: number;
  /** Variables to drop from the server's environment (troubleshooting: "outside a user server"). */
  unsetEnv?: string[];
}

export interface CommandResult {
  /** The shell command as typed, run with `bash -c`. */
  command: string;
  user: string;
  cwd: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, as a terminal shows them. */
  output: string;
  durationMs: number;
  timedOut: boolean;
}

/** A live stack, attached from its state. */
export interface Stack {
  readonly state: StackState;
  /** Admin access to the hub's REST API (the harness's own service token). */
  readonly hubToken: string;
  /**
   * Run a shell command inside `user`'s running server, with that server's own environment and
   * home directory, the way `kubectl exec` runs it in the user's pod: no tty, no login shell.
   */
  exec(user: string, command: string, options?: ExecOptions): Promise<CommandResult>;
  /** The user's home inside their server (/home/jovyan in a pod). */
  homeOf(user: string): Promise<string>;
  /** Copy logs, events and config (secrets masked) into `dir`; returns the files written. */
  collectDiagnostics(dir: string): Promise<string[]>;
  /** What is really running: component → version. */
  versions(): Promise<Record<string, string>>;
}

export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * A deployment that went wrong the way the tutorial's troubleshooting section describes. The
 * default (all false) is the tutorial done right.
 */
export interface StackVariant {
  /** jhub-singleuser-nbgrader.yaml forgotten: user servers without nbgrader and ngshare-exchange. */
  withoutNbgrader?: boolean;
  /** ngshare's storage not writable by ngshare's user (storage that ignores fsGroup, no init container). */
  ngshareStorageNotWritable?: boolean;
  /** ngshare 0.6.0 with SQLAlchemy 2 instead of the image's 1.4. */
  ngshareSqlalchemy2?: boolean;
  /** Kubernetes only: z2jh's default singleuser egress policy (no private IPs), so pods cannot reach ngshare. */
  singleuserEgressBlocked?: boolean;
}

export interface PlatformDriver {
  readonly name: PlatformName;
  /** Find every prerequisite and fail fast, naming what is missing, before anything is created. */
  preflight(run: RunContext): Promise<PreflightCheck[]>;
  /**
   * Bring the stack up. Must record what it creates in the run (run.record) as it goes. A variant
   * the platform cannot produce is a UsageError.
   */
  up(run: RunContext, variant?: StackVariant): Promise<StackState>;
  attach(state: StackState, run: RunContext): Promise<Stack>;
  /** Remove what the run created (and only that). Safe to call twice, and after a half-done `up`. */
  down(run: RunContext): Promise<void>;
}

/**
 * Optional ability: stop and start a component of the stack, for fault injection and the
 * troubleshooting reproductions. Checked with `canControlServices` where it is used.
 */
export interface ServiceControl {
  stopService(name: StackService): Promise<void>;
  startService(name: StackService): Promise<void>;
  /** Freeze it without stopping it: it holds connections and answers nothing (a hung process). Local only. */
  pauseService?(name: StackService): Promise<void>;
}
export type StackService = 'hub' | 'proxy' | 'ngshare';

export function canControlServices(stack: Stack): stack is Stack & ServiceControl {
  return typeof (stack as Partial<ServiceControl>).stopService === 'function';
}

/**
 * Optional ability: deploy again with another variant, the way a person applies a documented fix
 * (edit the values, `helm upgrade`, restart what needs it), and read a service's log.
 */
export interface Redeploy {
  redeploy(variant: StackVariant): Promise<void>;
  /** The log of a stack service (ngshare's pod log on Kubernetes). */
  serviceLog(service: StackService): Promise<string>;
}

export function canRedeploy(stack: Stack): stack is Stack & Redeploy {
  return typeof (stack as Partial<Redeploy>).redeploy === 'function';
}

/**
 * Optional ability: say which parts of the stack are up. Used to name the culprit when a command
 * fails ("ngshare: not running"), checked with `canReportHealth` where it is used.
 */
export interface ComponentHealth {
  component: string;
  ok: boolean;
  detail: string;
}
export interface HealthReport {
  health(): Promise<ComponentHealth[]>;
}

export function canReportHealth(stack: Stack): stack is Stack & HealthReport {
  return typeof (stack as Partial<HealthReport>).health === 'function';
}
