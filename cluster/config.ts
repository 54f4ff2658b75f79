/**
 * The one module that reads E2E_* environment variables of the product. The scripts turn
 * command-line flags into these, so `npm run e2e -- --keep` and `E2E_KEEP=1 npx playwright test`
 * mean the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { UsageError } from './errors.js';

export type PlatformName = 'local' | 'kind' | 'jetstream' | 'kwok';
export const platformNames: readonly PlatformName[] = ['local', 'kind', 'jetstream', 'kwok'];

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

/** Names of the stack variants on the command line (--variant) and in E2E_VARIANT. */
export const variantNames: Record<string, keyof StackVariant> = {
  'without-nbgrader': 'withoutNbgrader',
  'ngshare-storage-not-writable': 'ngshareStorageNotWritable',
  'ngshare-sqlalchemy2': 'ngshareSqlalchemy2',
  'singleuser-egress-blocked': 'singleuserEgressBlocked',
};

export function parseVariant(spec: string | undefined): StackVariant {
  const variant: StackVariant = {};
  for (const name of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const key = variantNames[name];
    if (!key) throw new UsageError(`unknown variant "${name}"; choose from: ${Object.keys(variantNames).join(', ')}`);
    variant[key] = true;
  }
  return variant;
}

/** The versions a run's stack gets (E2E_VERSIONS): a named set (cluster/python/version-sets.ts), or a resolved set's file. */
export type VersionsChoice = { kind: 'set'; name: 'pinned' | 'latest' } | { kind: 'file'; file: string };
export const versionsChoices = ['pinned', 'latest'] as const;

/** E2E_VERSIONS: pinned (default), latest, or the path of a resolved versions file (npm run matrix writes them). */
export function parseVersions(value: string | undefined, rootDir: string): VersionsChoice {
  const v = value?.trim();
  if (!v) return { kind: 'set', name: 'pinned' };
  if ((versionsChoices as readonly string[]).includes(v)) return { kind: 'set', name: v as 'pinned' | 'latest' };
  const file = path.resolve(rootDir, v);
  if (/[/\\]|\.json$/.test(v) && fs.existsSync(file)) return { kind: 'file', file };
  throw new UsageError(`versions "${v}": choose ${versionsChoices.join(' or ')} (or the path of a resolved versions file)`);
}

export interface HarnessConfig {
  platform: PlatformName;
  /** Set by the e2e script; otherwise made up when the setup project starts. */
  runId: string | undefined;
  /** Leave the stack up after the run, and print how to reach and remove it. */
  keep: boolean;
  /** Project root: where .e2e/ (run state) and e2e-output/ (reports) live. */
  rootDir: string;
  stateDir: string;
  outputDir: string;
  /**
   * Where this Playwright invocation writes its results, relative to `outputDir`: `<run id>` for
   * the run's first, `<run id>/reruns/<n>` for a rerun against its kept stack (E2E_RUN_OUTPUT).
   * Decided once per invocation (cluster/run/run-output.ts) and passed on to its workers; a value
   * that names another run is not this run's and is ignored.
   */
  runOutput: string | undefined;
  /** Cached Python environments and tools, shared by runs. */
  cacheDir: string;
  /** Record full transcripts as the new drift baseline (never in CI). */
  updateExpected: boolean;
  /** Fail the run when the drift baseline differs, not only report it. */
  strictDrift: boolean;
  /** The hub's public port on 127.0.0.1 (local platform); default: a free one. */
  hubPort: number | undefined;
  /** Bounds (ms) that a person or a test may shorten: a user server's start, one command. */
  timeouts: { serverStartMs: number; commandMs: number };
  /**
   * A checkout of the tutorial's repository (its ready-made notebooks for the old-metadata case):
   * E2E_TUTORIAL_REPO, else --deploy-repo, else the copy in the workplace's shared folder.
   */
  tutorialRepo: string;
  /**
   * The workplace's shared folder (the tutorial, its repository's data files, the packaged charts):
   * E2E_SHARED_DIR, else ../shared beside the project, else the workplace's /work/shared.
   */
  sharedDir: string;
  /** Playwright workers (E2E_WORKERS, default 2): stacks of their own go side by side with the shared one. */
  workers: number;
  /**
   * Every project in one wave (E2E_WHOLE_SUITE, set by `npm test`): Playwright starts a project that
   * depends on `setup` only after every project that does not has finished, so without this the
   * shared stack's one-at-a-time chain would run alone at the end.
   */
  wholeSuite: boolean;
  /** Print each command with what it printed as it runs, as a terminal would (npm run repro sets E2E_SHOW_OUTPUT). */
  showOutput: boolean;
  /** Chromium for the browser checks (E2E_CHROMIUM); default: Playwright's own, else Debian's. */
  chromium: string | undefined;
  /** The deployment as a troubleshooting case has it (E2E_VARIANT, comma-separated names). */
  variant: StackVariant;
  /** Which versions the stack runs (E2E_VERSIONS): pinned (the lock files), latest (resolved today), or a resolved file. */
  versions: VersionsChoice;
  kube: {
    kubeconfig: string | undefined;
    context: string | undefined;
    namespace: string | undefined;
    /** Test an existing release without installing (pre-semester check). */
    existingRelease: boolean;
    /**
     * The operator's hub admin token for --existing-release (E2E_HUB_ADMIN_TOKEN): a secret, so an
     * environment variable and never a flag (flags show in `ps`).
     */
    adminToken: string | undefined;
    /**
     * --existing-release: an ngshare admin of the release (a dedicated test account) that acts as
     * the run's instructor (E2E_NGSHARE_ADMIN): the run's course is created and deleted through it.
     */
    ngshareAdmin: string | undefined;
    deployRepo: string | undefined;
    /**
     * Where the charts come from instead of the public repositories (E2E_CHARTS): a directory of
     * <chart>-<version>.tgz (or chart directories), or a repository URL; and one chart's own
     * (E2E_CHART_JUPYTERHUB, E2E_CHART_NGSHARE): a chart directory, a .tgz, or a repository URL.
     */
    charts: string | undefined;
    chart: { jupyterhub: string | undefined; ngshare: string | undefined };
    bakedImage: boolean;
    dryRun: boolean;
  };
}

function seconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name}=${value} is not a number of seconds`);
  return n;
}

function count(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name}=${value} is not a whole number of 1 or more`);
  return n;
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${name}=${value} is not a port number (1-65535)`);
  return n;
}

/** A chart source as given: a URL as it is, a path resolved against the project root. */
function chartSpec(rootDir: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  return /^(https?|oci):\/\//.test(value) ? value : path.resolve(rootDir, value);
}

/** Where this workplace keeps its shared folder, for a clone that is not beside it. */
const workplaceShared = '/work/shared';

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

export function readConfig(env: NodeJS.ProcessEnv = process.env): HarnessConfig {
  const platform = (env.E2E_PLATFORM ?? 'local') as PlatformName;
  if (!platformNames.includes(platform)) {
    throw new UsageError(`unknown platform "${platform}" (E2E_PLATFORM); choose one of: ${platformNames.join(', ')}`);
  }
  const rootDir = path.resolve(env.E2E_ROOT_DIR ?? process.cwd());
  // Beside the checkout in a working copy; a clone made elsewhere (a CI's, /tmp/fresh) finds the
  // workplace's own copy at /work/shared.
  const besideCheckout = path.resolve(rootDir, '../shared');
  const sharedDir = env.E2E_SHARED_DIR
    ? path.resolve(rootDir, env.E2E_SHARED_DIR)
    : fs.existsSync(besideCheckout) || !fs.existsSync(workplaceShared)
      ? besideCheckout
      : workplaceShared;
  const cacheHome = env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return {
    platform,
    runId: env.E2E_RUN_ID || undefined,
    keep: truthy(env.E2E_KEEP),
    rootDir,
    stateDir: path.resolve(rootDir, env.E2E_STATE_DIR ?? '.e2e'),
    outputDir: path.resolve(rootDir, env.E2E_OUTPUT_DIR ?? 'e2e-output'),
    runOutput: env.E2E_RUN_OUTPUT || undefined,
    cacheDir: path.resolve(env.E2E_CACHE_DIR ?? path.join(cacheHome, 'nbgrader-ngshare-e2e')),
    updateExpected: truthy(env.E2E_UPDATE_EXPECTED),
    strictDrift: truthy(env.E2E_STRICT_DRIFT),
    hubPort: port(env.E2E_HUB_PORT, 'E2E_HUB_PORT'),
    timeouts: {
      serverStartMs: seconds(env.E2E_SERVER_START_TIMEOUT, 'E2E_SERVER_START_TIMEOUT', 90) * 1000,
      commandMs: seconds(env.E2E_COMMAND_TIMEOUT, 'E2E_COMMAND_TIMEOUT', 300) * 1000,
    },
    variant: parseVariant(env.E2E_VARIANT),
    versions: parseVersions(env.E2E_VERSIONS, rootDir),
    chromium: env.E2E_CHROMIUM || undefined,
    showOutput: truthy(env.E2E_SHOW_OUTPUT),
    workers: count(env.E2E_WORKERS, 'E2E_WORKERS', 2),
    wholeSuite: truthy(env.E2E_WHOLE_SUITE),
    tutorialRepo: path.resolve(
      rootDir,
      env.E2E_TUTORIAL_REPO || env.E2E_DEPLOY_REPO || path.join(sharedDir, 'upstream', 'jupyterhub-deploy-kubernetes-jetstream'),
    ),
    sharedDir,
    kube: {
      kubeconfig: env.E2E_KUBECONFIG || env.KUBECONFIG || undefined,
      context: env.E2E_KUBE_CONTEXT || undefined,
      namespace: env.E2E_NAMESPACE || undefined,
      existingRelease: truthy(env.E2E_EXISTING_RELEASE),
      adminToken: env.E2E_HUB_ADMIN_TOKEN?.trim() || undefined,
      ngshareAdmin: env.E2E_NGSHARE_ADMIN?.trim() || undefined,
      deployRepo: env.E2E_DEPLOY_REPO || undefined,
      charts: chartSpec(rootDir, env.E2E_CHARTS),
      chart: { jupyterhub: chartSpec(rootDir, env.E2E_CHART_JUPYTERHUB), ngshare: chartSpec(rootDir, env.E2E_CHART_NGSHARE) },
      bakedImage: truthy(env.E2E_BAKED_IMAGE),
      dryRun: truthy(env.E2E_DRY_RUN),
    },
  };
}
