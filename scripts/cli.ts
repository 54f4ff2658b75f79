/**
 * Command-line flags of the entry points, turned into the E2E_* variables that cluster/config.ts
 * reads (one source for each setting). Unknown flags and platforms are errors, not surprises.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../cluster/errors.js';
import { parseVariant, platformNames, readConfig, variantNames } from '../cluster/config.js';
import { createDriver } from '../cluster/platforms.js';
import { canPlan } from '../cluster/platform.js';
import { formatPlan } from '../cluster/plan.js';
import { planningRun } from '../cluster/run/index.js';
import type { Run } from '../cluster/run/index.js';
import type { StackState } from '../cluster/platform.js';

export const usage = `Usage: npm run e2e -- [options] [-- <playwright args>]

  --platform <local|kind|jetstream>  where to run (default: local)
  --keep                             leave the stack up afterwards and print how to reach and remove it
  --update-expected                  record every command's normalised transcript as the drift baseline
  --strict-drift                     fail the run when a transcript differs from the drift baseline
  --run-id <id>                      reuse a run id (a kept stack: rerun scenarios against it)
  --variant <name[,name]>            deploy it wrong on purpose, as a troubleshooting case does:
                                     ${Object.keys(variantNames).join(', ')}
  --kubeconfig <file>                kubeconfig for kind/jetstream (default: $KUBECONFIG, ~/.kube/config)
  --context <name>                   kubeconfig context (jetstream)
  --namespace <name>                 namespace to install into (jetstream; default: one made for the run)
  --existing-release                 test an existing JupyterHub release without installing (jetstream)
  --deploy-repo <path>               read Helm values from a deployment repository checkout
  --baked-image                      kind: build and side-load a singleuser image with nbgrader baked in
  --dry-run                          kind/jetstream: print the plan and rendered values, touch nothing
  -h, --help                         this help`;

const options = {
  platform: { type: 'string' },
  keep: { type: 'boolean' },
  'update-expected': { type: 'boolean' },
  'strict-drift': { type: 'boolean' },
  'run-id': { type: 'string' },
  variant: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string' },
  'existing-release': { type: 'boolean' },
  'deploy-repo': { type: 'string' },
  'baked-image': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface ParsedCli {
  env: Record<string, string>;
  help: boolean;
  /** Arguments after a second `--`, passed to Playwright as they are. */
  passthrough: string[];
}

export function parseCli(argv: string[], settings: { allowKeep?: boolean } = {}): ParsedCli {
  // npm passes the first `--` through on some versions; a second one separates Playwright's args.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const split = args.indexOf('--');
  const own = split === -1 ? args : args.slice(0, split);
  const passthrough = split === -1 ? [] : args.slice(split + 1);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: own, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}\n\n${usage}`);
  }
  const env: Record<string, string> = {};
  const platform = (values.platform as string | undefined) ?? 'local';
  if (!(platformNames as readonly string[]).includes(platform)) {
    throw new UsageError(`unknown platform "${platform}"; choose one of: ${platformNames.join(', ')}`);
  }
  env.E2E_PLATFORM = platform;
  if (values.keep) {
    if (settings.allowKeep === false) throw new UsageError('--keep does not apply here');
    env.E2E_KEEP = '1';
  }
  const flagEnv: Record<string, string> = {
    'update-expected': 'E2E_UPDATE_EXPECTED',
    'strict-drift': 'E2E_STRICT_DRIFT',
    'run-id': 'E2E_RUN_ID',
    variant: 'E2E_VARIANT',
    kubeconfig: 'E2E_KUBECONFIG',
    context: 'E2E_KUBE_CONTEXT',
    namespace: 'E2E_NAMESPACE',
    'existing-release': 'E2E_EXISTING_RELEASE',
    'deploy-repo': 'E2E_DEPLOY_REPO',
    'baked-image': 'E2E_BAKED_IMAGE',
    'dry-run': 'E2E_DRY_RUN',
  };
  for (const [flag, name] of Object.entries(flagEnv)) {
    const v = values[flag];
    if (v !== undefined && v !== false) env[name] = v === true ? '1' : String(v);
  }
  const kubeOnly = ['kubeconfig', 'context', 'namespace', 'existing-release', 'deploy-repo', 'baked-image'];
  const misplaced = kubeOnly.filter((f) => values[f] !== undefined && values[f] !== false);
  if (platform === 'local' && misplaced.length) {
    throw new UsageError(`--${misplaced.join(', --')} only apply to --platform kind or jetstream`);
  }
  // Checked here, before anything starts, so a mistake costs nothing.
  if (env.E2E_VARIANT) parseVariant(env.E2E_VARIANT);
  if (env.E2E_UPDATE_EXPECTED && process.env.CI) {
    throw new UsageError('--update-expected records the drift baseline from this machine; it is refused in CI (CI is set)');
  }
  return { env, help: Boolean(values.help), passthrough };
}

/** What to print when a stack is left running on purpose. */
export function describeKeptRun(run: Run, state: StackState): string {
  return [
    '',
    `The ${state.platform} stack of run ${run.id} is still up (--keep).`,
    `  Hub:              ${state.hubUrl}  (users ${state.users.instructor}, ${state.users.student}; password in ${run.dirs.path('secrets.json')}, key userPassword)`,
    `  Run directory:    ${run.dirs.runDir}`,
    `  Rerun scenarios:  E2E_RUN_ID=${run.id} npx playwright test --project=tutorial --no-deps`,
    `  Remove it:        npm run down -- ${run.id}`,
    '',
  ].join('\n');
}

/**
 * --dry-run: the driver's full plan (every command with its arguments, every values file and the
 * rendered values, secrets masked) on stdout; nothing is created, nothing is contacted.
 */
export async function printPlan(env: Record<string, string>): Promise<void> {
  Object.assign(process.env, env);
  const config = readConfig();
  const driver = await createDriver(config.platform);
  if (!canPlan(driver)) throw new UsageError(`--dry-run is not available for --platform ${config.platform}`);
  process.stdout.write(formatPlan(await driver.plan(planningRun(config), config.variant), config.rootDir));
}
