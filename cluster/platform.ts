/**
 * The one interface for what differs between platforms. Everything a scenario needs goes through
 * it; a new platform is a new implementation of `PlatformDriver` registered in `platforms.ts`.
 *
 * A driver's life has two halves, because Playwright runs them in different processes:
 *  - `up` (in the setup project) creates the stack and returns its `StackState`, which the harness
 *    writes to the run directory as soon as it exists;
 *  - `attach` (in every worker, and in `npm run down`) turns that state back into a live `Stack`.
 *
 * What only some platforms can do is an optional ability, a small interface of its own, checked
 * with its `canX` guard where it is used: ServiceControl, HealthReport, Redeploy and StartRecords
 * on a stack, Planner, Reaper and Preparer on a driver. A stack that cannot run anything in its
 * users' servers says why (WithoutServers, `lacksServers`), so scenarios that need one are skipped.
 */
import type { HarnessConfig, PlatformName, StackVariant } from './config.js';
import type { StackInfo, StackState } from './stack-state.js';
import type { StackPlan } from './plan.js';
import type { Run } from './run/index.js';

export interface ExecOptions {
  /** Working directory: relative to the user's home, or absolute. Default: the home. */
  cwd?: string;
  /** Bound for the command; it is killed and reported as timed out past this. Default: the run's command bound. */
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

export interface AddUsersOptions {
  /** Start each user's server and wait until it is ready (default true). */
  servers?: boolean;
}

/** A live stack, attached from its state. */
export interface Stack {
  readonly state: StackInfo;
  /** Admin access to the hub's REST API (the harness's own service token, or the operator's). */
  readonly hubToken: string;
  /**
   * Run a shell command inside `user`'s running server, with that server's own environment and
   * home directory, the way `kubectl exec` runs it in the user's pod: no tty, no login shell.
   */
  exec(user: string, command: string, options?: ExecOptions): Promise<CommandResult>;
  /** The user's home inside their server (/home/jovyan in a pod). */
  homeOf(user: string): Promise<string>;
  /**
   * Hub users of the run's own: created through the Hub API, recorded for teardown, and (unless
   * told otherwise) their servers started and awaited with this platform's early-failure checks.
   * Users that exist already are left as they are; their servers are started if need be.
   */
  addUsers(users: string[], options?: AddUsersOptions): Promise<void>;
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

export interface PlatformDriver<Details = unknown> {
  readonly name: PlatformName;
  /** Find every prerequisite and fail fast, naming what is missing, before anything is created. */
  preflight(run: Run): Promise<PreflightCheck[]>;
  /**
   * Bring the stack up. Records what it creates in the run's ledger as it goes. A variant the
   * platform cannot produce is a UsageError.
   */
  up(run: Run, variant: StackVariant): Promise<StackState<Details>>;
  attach(state: StackState<Details>, run: Run): Promise<Stack>;
  /** Remove what the run created (and only that). Safe to call twice, and after a half-done `up`. */
  down(run: Run): Promise<void>;
}

// --- optional abilities of a stack ----------------------------------------------------------------

export type StackService = 'hub' | 'proxy' | 'ngshare';

/** Stop and start a component of the stack (the troubleshooting fixes; the harness's own fault tests). */
export interface ServiceControl {
  stopService(name: StackService): Promise<void>;
  startService(name: StackService): Promise<void>;
  /** Freeze it without stopping it: it holds connections and answers nothing (a hung process). Local only. */
  pauseService?(name: StackService): Promise<void>;
}

export function canControlServices(stack: Stack): stack is Stack & ServiceControl {
  return typeof (stack as Partial<ServiceControl>).stopService === 'function';
}

/**
 * Deploy again with another variant, the way a person applies a documented fix (edit the values,
 * `helm upgrade`, restart what needs it), and read a service's log.
 */
export interface Redeploy {
  redeploy(variant: StackVariant): Promise<void>;
  /** The log of a stack service (ngshare's pod log on Kubernetes). */
  serviceLog(service: StackService): Promise<string>;
}

export function canRedeploy(stack: Stack): stack is Stack & Redeploy {
  return typeof (stack as Partial<Redeploy>).redeploy === 'function';
}

/** What a service of the stack is using of the machine it runs on, read from the operating system. */
export interface ServiceUsage {
  service: StackService;
  /** CPU time (user + system) it has used since it started, in seconds: two readings make a percentage. */
  cpuSeconds: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
  /** Time it was ready to run but waited for a core, in seconds since it started, where the platform knows it. */
  cpuWaitSeconds?: number;
  /** Its process id when it is a process of this machine (one that can be pinned to a core); absent for a pod. */
  localPid?: number;
}

/** A service's CPU and memory while a load runs (`npm run rush`); the local platform reads /proc. */
export interface ResourceReport {
  /** undefined when the service is not running. */
  serviceUsage(service: StackService): Promise<ServiceUsage | undefined>;
}

export function canReportResources(stack: Stack): stack is Stack & ResourceReport {
  return typeof (stack as Partial<ResourceReport>).serviceUsage === 'function';
}

/**
 * A stack whose users cannot have servers that run anything (kwok: pods are simulated, nothing runs
 * in them), and why: a scenario that needs a command in a user server is skipped with this reason.
 */
export interface WithoutServers {
  readonly withoutServers: string;
}

export function lacksServers(stack: Stack): stack is Stack & WithoutServers {
  return typeof (stack as Partial<WithoutServers>).withoutServers === 'string';
}

export interface ComponentHealth {
  component: string;
  ok: boolean;
  detail: string;
}

/** Say which parts of the stack are up, to name the culprit when a command fails ("ngshare: not running"). */
export interface HealthReport {
  health(): Promise<ComponentHealth[]>;
}

export function canReportHealth(stack: Stack): stack is Stack & HealthReport {
  return typeof (stack as Partial<HealthReport>).health === 'function';
}

/**
 * How one of the stack's services was started, as a person could start it again by hand: command,
 * arguments, directory, environment, log file, and the addresses that answer once it is ready.
 * Never a secret's value: each variable of `secretEnv`, and each probe's `token`, names a secret
 * of the run's secrets file instead.
 */
export interface ServiceStart {
  service: StackService;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Environment variable → the name of the secret that is its value. */
  secretEnv: Record<string, string>;
  logFile: string;
  /** Ready when every one answers: 2xx (sent `Authorization: token <secret>` when `token` names one), or any answer with `anyAnswer`. */
  ready: Array<{ url: string; token?: string; anyAnswer?: boolean }>;
  /** The services that were up when it was started: it was started after them. */
  after: StackService[];
}

/** How the services of a stack were started, recorded as the harness started them (processes of its own). */
export interface StartRecord {
  /** Every file of the stack is below this directory, and every path of the record that is one of its files points into it. */
  root: string;
  /** The files the stack had before any service started (configuration, the secrets file), relative to `root`. */
  files: string[];
  /** The directories it had then (data, logs, homes), relative to `root`. */
  dirs: string[];
  /** The secrets file (relative to `root`) whose entries `secretEnv` and `token` name. */
  secretsFile: string;
  /** In the order they were started. */
  services: ServiceStart[];
}

/** The record of how the stack's services were started (the local platform's; bench's floor replays it by hand). */
export interface StartRecords {
  startRecord(): StartRecord;
}

export function canRecordStarts(stack: Stack): stack is Stack & StartRecords {
  return typeof (stack as Partial<StartRecords>).startRecord === 'function';
}

// --- optional abilities of a driver ---------------------------------------------------------------

/**
 * Build what the platform needs that outlives runs (kwok: the Go tools, ~20 min the first time),
 * with progress, before a run starts: a Playwright setup's bound is for bringing a stack up.
 */
export interface Preparer {
  prepare(config: HarnessConfig): Promise<void>;
}

export function canPrepare(driver: PlatformDriver): driver is PlatformDriver & Preparer {
  return typeof (driver as Partial<Preparer>).prepare === 'function';
}

/** Say everything `up` would do without doing any of it (`--dry-run`); see plan.ts. */
export interface Planner {
  plan(run: Run, variant: StackVariant): Promise<StackPlan>;
}

export function canPlan(driver: PlatformDriver): driver is PlatformDriver & Planner {
  return typeof (driver as Partial<Planner>).plan === 'function';
}

/** Something an earlier run left behind, found by its run id or label (`npm run reap`). */
export interface Leftover {
  /** What it is, for a person: "kind cluster e2e-…", "namespace … (context …)". */
  description: string;
  runId: string;
  remove(): Promise<void>;
}

/** Find what runs of this platform left behind where no ledger knows of it (a crash, another machine). */
export interface Reaper {
  findLeftovers(config: HarnessConfig): Promise<{ leftovers: Leftover[]; notes: string[] }>;
}

export function canReap(driver: PlatformDriver): driver is PlatformDriver & Reaper {
  return typeof (driver as Partial<Reaper>).findLeftovers === 'function';
}
