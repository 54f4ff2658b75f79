/**
 * The options of the scripts that run or bring up a stack (e2e, up, repro): one table, turned into
 * the E2E_* variables that cluster/config.ts reads (one source for each setting), so
 * `npm run e2e -- --keep` and `E2E_KEEP=1 npx playwright test` mean the same. A mistake is caught
 * here, before anything starts.
 */
import { platformNames, parseVariant, readConfig, variantNames, type HarnessConfig } from '../../cluster/config.js';
import { UsageError } from '../../cluster/errors.js';
import { formatPlan } from '../../cluster/plan.js';
import { redact } from '../../cluster/redact.js';
import { canPlan, canPrepare } from '../../cluster/platform.js';
import type { StackInfo } from '../../cluster/stack-state.js';
import { createDriver } from '../../cluster/platforms.js';
import { findRun, listRuns, planningRun, type Run } from '../../cluster/run/index.js';
import type { OptionSpec } from './command.js';

/** Each option, with the E2E_* variable it sets. */
const table = {
  platform: { type: 'string', value: `<${platformNames.join('|')}>`, description: 'where to run (default: local)', env: 'E2E_PLATFORM' },
  keep: { type: 'boolean', description: 'leave the stack up afterwards and print how to reach and remove it', env: 'E2E_KEEP' },
  'run-id': { type: 'string', value: '<id>', description: 'reuse a run id (a kept stack: run the scenarios against it again)', env: 'E2E_RUN_ID' },
  variant: {
    type: 'string',
    value: '<name[,name]>',
    description: `deploy it wrong on purpose, as a troubleshooting case does:\n${Object.keys(variantNames).join(', ')}`,
    env: 'E2E_VARIANT',
  },
  versions: {
    type: 'string',
    value: '<pinned|latest>',
    description:
      "pinned (default): the tutorial's recorded versions (lock files); latest: what a deployment made today\ngets (the postStart's unpinned pip install, resolved today; hub, proxy and ngshare as pinned)",
    env: 'E2E_VERSIONS',
  },
  port: { type: 'string', value: '<port>', description: "local: the hub's public port on 127.0.0.1 (default: a free one)", env: 'E2E_HUB_PORT' },
  'update-expected': {
    type: 'boolean',
    description: "record every command's normalised output as the drift baseline (never in CI)",
    env: 'E2E_UPDATE_EXPECTED',
  },
  'strict-drift': { type: 'boolean', description: 'fail the run when an output differs from the drift baseline', env: 'E2E_STRICT_DRIFT' },
  kubeconfig: { type: 'string', value: '<file>', description: 'kind/jetstream: kubeconfig (default: $KUBECONFIG, ~/.kube/config)', env: 'E2E_KUBECONFIG' },
  context: { type: 'string', value: '<name>', description: 'jetstream: kubeconfig context', env: 'E2E_KUBE_CONTEXT' },
  namespace: { type: 'string', value: '<name>', description: "jetstream: namespace to install into (default: one of the run's own)", env: 'E2E_NAMESPACE' },
  'existing-release': { type: 'boolean', description: 'jetstream: test an existing JupyterHub release without installing', env: 'E2E_EXISTING_RELEASE' },
  'ngshare-admin': {
    type: 'string',
    value: '<user>',
    description:
      "--existing-release: an ngshare admin of the release (a dedicated test account) to act as the run's\ninstructor; the run's course is created and deleted through it (never the user itself)",
    env: 'E2E_NGSHARE_ADMIN',
  },
  'deploy-repo': {
    type: 'string',
    value: '<path>',
    description: 'kind/jetstream: read the Helm values from a deployment repository checkout',
    env: 'E2E_DEPLOY_REPO',
  },
  charts: {
    type: 'string',
    value: '<dir|url>',
    description:
      'kind/jetstream/kwok: install both charts from a directory of jupyterhub-<v>.tgz and ngshare-<v>.tgz\n(or chart directories), or from another repository URL, not the public repositories',
    env: 'E2E_CHARTS',
  },
  'chart-jupyterhub': {
    type: 'string',
    value: '<path|url>',
    description: 'kind/jetstream/kwok: the jupyterhub chart from a chart directory, a .tgz or a repository URL',
    env: 'E2E_CHART_JUPYTERHUB',
  },
  'chart-ngshare': {
    type: 'string',
    value: '<path|url>',
    description: 'kind/jetstream/kwok: the ngshare chart from a chart directory, a .tgz or a repository URL',
    env: 'E2E_CHART_NGSHARE',
  },
  'baked-image': { type: 'boolean', description: 'kind: build and side-load a singleuser image with nbgrader baked in', env: 'E2E_BAKED_IMAGE' },
  'dry-run': { type: 'boolean', description: 'print the plan (every command, file and rendered value, secrets masked); touch nothing', env: 'E2E_DRY_RUN' },
} as const satisfies Record<string, OptionSpec & { env: string }>;

export type HarnessOptionName = keyof typeof table;

/** The named options of the table, for a script's `defineCommand`. */
export function harnessOptions<K extends HarnessOptionName>(...names: K[]): { [N in K]: (typeof table)[N] } {
  return Object.fromEntries(names.map((n) => [n, table[n]])) as { [N in K]: (typeof table)[N] };
}

/** Which cluster, namespace and release a run uses, and what it may do there: every script that brings up or attaches to a stack takes these. */
export const clusterTargetOptions = ['kubeconfig', 'context', 'namespace', 'existing-release', 'ngshare-admin', 'deploy-repo', 'charts'] as const;
/** Each chart from a source of its own (`e2e` and `up`). */
export const chartOptions = ['chart-jupyterhub', 'chart-ngshare'] as const;

const clusterOnly: HarnessOptionName[] = [...clusterTargetOptions, ...chartOptions, 'baked-image'];

/** The E2E_* variables the given option values mean; a UsageError for a value that cannot work. */
export function harnessEnv(values: Partial<Record<HarnessOptionName, string | boolean | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values) as Array<[HarnessOptionName, string | boolean | undefined]>) {
    if (value === undefined || value === false || !(name in table)) continue;
    env[table[name].env] = value === true ? '1' : value;
  }
  const platform = env.E2E_PLATFORM ?? 'local';
  if (!(platformNames as readonly string[]).includes(platform)) {
    throw new UsageError(`unknown platform "${platform}"; choose one of: ${platformNames.join(', ')}`);
  }
  env.E2E_PLATFORM = platform;
  const misplaced = clusterOnly.filter((f) => values[f] !== undefined && values[f] !== false);
  if (platform === 'local' && misplaced.length) throw new UsageError(`--${misplaced.join(', --')} only apply to --platform kind, jetstream or kwok`);
  if (platform !== 'local' && values.port !== undefined) throw new UsageError('--port applies to --platform local');
  // Checked now, through the same reader the run will use, so a mistake costs nothing.
  if (env.E2E_VARIANT) parseVariant(env.E2E_VARIANT);
  const config = readConfig({ ...process.env, ...env });
  if (values.versions !== undefined && config.versions.kind !== 'set') throw new UsageError(`--versions ${String(values.versions)}: choose pinned or latest`);
  if (config.versions.kind === 'file' && platform !== 'local') {
    throw new UsageError("a resolved versions file (E2E_VERSIONS) sets the local stack's Python environments; it applies to --platform local");
  }
  if (config.versions.kind === 'set' && config.versions.name === 'latest' && values['baked-image']) {
    throw new UsageError(
      "--baked-image bakes the pinned versions into the image; with --versions latest the tutorial's postStart installs what resolves today",
    );
  }
  if (env.E2E_UPDATE_EXPECTED && process.env.CI) {
    throw new UsageError('--update-expected records the drift baseline from this machine; it is refused in CI (CI is set)');
  }
  return env;
}

/** The variables of the harness, for a script's usage (read by cluster/config.ts). */
export const environmentSection = {
  title: 'Environment (each flag above sets one of these; the rest have no flag)',
  lines: [
    'E2E_PLATFORM, E2E_KEEP, E2E_RUN_ID, E2E_VARIANT, E2E_VERSIONS, E2E_HUB_PORT, E2E_UPDATE_EXPECTED, E2E_STRICT_DRIFT,',
    'E2E_KUBECONFIG, E2E_KUBE_CONTEXT, E2E_NAMESPACE, E2E_EXISTING_RELEASE, E2E_DEPLOY_REPO, E2E_BAKED_IMAGE, E2E_DRY_RUN,',
    'E2E_CHARTS, E2E_CHART_JUPYTERHUB, E2E_CHART_NGSHARE, E2E_NGSHARE_ADMIN',
    "E2E_HUB_ADMIN_TOKEN        --existing-release: the operator's hub admin token (never a flag: flags show in ps)",
    'E2E_SERVER_START_TIMEOUT   seconds a user server may take to start (default 90)',
    'E2E_COMMAND_TIMEOUT        seconds one command may take (default 300)',
    'E2E_STATE_DIR, E2E_OUTPUT_DIR, E2E_CACHE_DIR   where runs, reports and cached environments go',
    "E2E_TUTORIAL_REPO          a checkout of the tutorial's repository (its ready-made notebooks)",
    'E2E_CHROMIUM               the Chromium for the browser checks',
    'E2E_DEBUG                  debug lines of components (e2e:exec,e2e:platform or *)',
  ],
};

/** What to print when a stack is left running on purpose. */
export function describeKeptRun(run: Run, state: StackInfo): string {
  return [
    '',
    `The ${state.platform} stack of run ${run.id} is still up.`,
    `  Hub:              ${state.hubUrl}  (users ${state.users.instructor}, ${state.users.student}; password in ${run.dirs.path('secrets.json')}, key userPassword)`,
    `  Run directory:    ${run.dirs.runDir}`,
    `  Rerun scenarios:  E2E_RUN_ID=${run.id} npx playwright test --project=tutorial --no-deps`,
    `  Remove it:        npm run down -- ${run.id}`,
    '',
  ].join('\n');
}

/** Every run under the state directory, one line each: its id, platform, and whether it is kept. */
export function describeRuns(config: HarnessConfig): string[] {
  return listRuns(config).map((id) => {
    const run = findRun(config, id);
    if (!run?.stack.exists()) return `  ${id}  no stack`;
    let platform: string;
    try {
      platform = run.stack.load().platform;
    } catch {
      platform = 'state unreadable';
    }
    return `  ${id}  ${platform.padEnd(9)}  ${run.stack.isKept() ? 'kept' : 'not kept'}`;
  });
}

/**
 * --dry-run: the driver's full plan (every command with its arguments, every file and the rendered
 * values, secrets masked) on stdout; nothing is created, nothing is contacted. What would stop a
 * real run here (a kubeconfig that does not exist or does not parse) follows it on stderr, as the
 * last thing on the screen; the plan still exits 0.
 */
export async function printPlan(env: Record<string, string>): Promise<void> {
  const config = readConfig({ ...process.env, ...env });
  const driver = await createDriver(config.platform);
  if (!canPlan(driver)) throw new UsageError(`--dry-run is not available for --platform ${config.platform}`);
  const plan = await driver.plan(planningRun(config), config.variant);
  process.stdout.write(formatPlan(plan, config.rootDir));
  for (const warning of plan.warnings ?? []) process.stderr.write(`WARNING (dry run): ${redact(warning)}\n`);
}

/**
 * What the platform needs that outlives runs, built before Playwright starts (kwok: the Go tools,
 * about 20 min the first time, with progress), so the setup project's bound is for the stack.
 */
export async function preparePlatform(env: Record<string, string>): Promise<void> {
  const config = readConfig({ ...process.env, ...env });
  const driver = await createDriver(config.platform);
  if (canPrepare(driver)) await driver.prepare(config);
}
