/**
 * The `local` platform: the real JupyterHub, configurable-http-proxy, ngshare and nbgrader as local
 * processes, on 127.0.0.1 only, with every file of the run under its run directory.
 *
 *   proxy (npm configurable-http-proxy)  ──►  hub (jupyterhub, SimpleLocalProcessSpawner)
 *                                              ├─ service "ngshare" (ngshare 0.6.0, SQLAlchemy 1.4)
 *                                              └─ user servers: jupyterhub-singleuser in the user env,
 *                                                 nbgrader_config.py on their Jupyter config path
 *
 * Bring-up is a list of steps (`steps`), which `up` runs and `--dry-run` prints.
 */
import fs from 'node:fs';
import { execa } from 'execa';
import { PortInUseError, UsageError } from '../errors.js';
import { formatDuration, logger } from '../log.js';
import type { StackPlan } from '../plan.js';
import type { PlatformDriver, Planner, PreflightCheck, Stack, StackService } from '../platform.js';
import type { StackVariant } from '../config.js';
import { freePort, type PortPicker } from '../ports.js';
import { requireChecks } from '../preflight.js';
import { stopRunProcesses } from '../processes.js';
import type { Run } from '../run/index.js';
import { planSteps, runSteps, type Step } from '../steps.js';
import { tutorial } from '../versions.js';
import type { LocalDetails, LocalPorts, LocalState } from './local-details.js';
import { LocalStack } from './local-stack.js';
import { describeVersionsChoice, ensureStackEnvs, envRolesFor } from './stack-envs.js';
import { proxyExecutable, serviceRecipe, serviceSpec } from './services.js';
import { copyEnvForNgshareUser, localSecrets, writeStackFiles } from './stack-files.js';

const log = logger('platform');
const isRoot = process.getuid?.() === 0;

export interface LocalDriverOptions {
  /** How free ports are chosen (its own tests give one that loses a race on purpose). */
  pickPort?: PortPicker;
}

/** What the steps of a bring-up share while they run. */
interface Live {
  run: Run;
  variant: StackVariant;
  state?: LocalState;
  envs?: LocalDetails['envs'];
  /** How long the Python environments took (built, or found in the cache), to tell apart from the services' start. */
  envsMs?: number;
}

/** Bring-up gives up on new ports after this many attempts: a port lost to another program between choosing and binding. */
const portAttempts = 3;

export class LocalDriver implements PlatformDriver<LocalDetails>, Planner {
  readonly name = 'local' as const;
  private readonly pickPort: PortPicker;

  constructor(options: LocalDriverOptions = {}) {
    this.pickPort = options.pickPort ?? freePort;
  }

  async preflight(run: Run): Promise<PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    const [major, minor] = process.versions.node.split('.').map(Number);
    checks.push({ name: 'node', ok: major > 20 || (major === 20 && minor >= 5), detail: `v${process.versions.node} (need >= 20.5)` });
    try {
      const { stdout } = await execa('python3', ['--version']);
      checks.push({ name: 'python3', ok: true, detail: stdout.trim() });
    } catch {
      checks.push({ name: 'python3', ok: false, detail: 'not found on PATH' });
    }
    checks.push({ name: 'procfs', ok: fs.existsSync('/proc/self/environ'), detail: "/proc (to run commands with a server's environment)" });
    try {
      proxyExecutable();
      checks.push({ name: 'configurable-http-proxy', ok: true, detail: 'from node_modules' });
    } catch {
      checks.push({ name: 'configurable-http-proxy', ok: false, detail: 'not installed: run npm ci' });
    }
    if (run.config.hubPort !== undefined) checks.push({ name: 'hub port', ok: true, detail: `127.0.0.1:${run.config.hubPort} (--port)` });
    return requireChecks('local', checks);
  }

  private checkVariant(variant: StackVariant): void {
    if (variant.singleuserEgressBlocked) {
      throw new UsageError('the singleuser egress NetworkPolicy exists only on Kubernetes (--platform kind)');
    }
    if (variant.ngshareStorageNotWritable && !isRoot) {
      throw new UsageError('reproducing unwritable ngshare storage locally needs root (to run ngshare as uid 65535, as its image does)');
    }
  }

  /** The details of a stack on these ports: where each of its files and processes goes. */
  private details(run: Run, variant: StackVariant, envs: LocalDetails['envs'], ports: LocalPorts): LocalDetails {
    return {
      ports,
      envs,
      variant,
      ngshareAsImageUser: Boolean(variant.ngshareStorageNotWritable),
      homeRoot: run.dirs.path('home'),
      logsDir: run.dirs.path('logs'),
      processes: {},
    };
  }

  private steps(run: Run, variant: StackVariant): Array<Step<Live>> {
    const roles = envRolesFor(variant);
    const users = [tutorial.instructor, tutorial.student];
    return [
      {
        title: `Build or reuse the Python environments: hub (${roles.hub}), ngshare (${roles.ngshare}), user (${roles.user})`,
        notes: [
          `from the lock files cluster/python/requirements/{${[...new Set(Object.values(roles))].join(',')}}.txt with uv, cached in ${run.config.cacheDir}/envs/<role>-<hash>`,
          ...describeVersionsChoice(run.config.versions),
        ],
        run: async (live) => {
          const started = Date.now();
          live.envs = await ensureStackEnvs(variant, run.config);
          live.envsMs = Date.now() - started;
          log.info(`Python environments ready in ${formatDuration(live.envsMs)}`);
        },
      },
      {
        title: "Choose ports on 127.0.0.1, write the stack's files, start ngshare and the proxy, then the hub",
        notes: [
          run.config.hubPort === undefined
            ? 'ports: free ones at random in 20000-31999; a port taken between choosing and binding it means new ports, up to 3 attempts'
            : `ports: the hub's public port is ${run.config.hubPort} (--port; taken means a named error, no retry), the others free ones`,
          `files: ${run.dirs.path('hub', 'settings.json')}, ${run.dirs.path('etc', 'jupyter', 'nbgrader_config.py')}${variant.withoutNbgrader ? ' (left out: the variant forgets it)' : ''}, secrets in ${run.dirs.path('secrets.json')} (0600)`,
          ...(variant.ngshareStorageNotWritable ? ['ngshare runs as uid 65535 on storage it cannot write (it is meant to fail)'] : []),
        ],
        commands: this.planCommands(run, variant),
        run: async (live) => {
          const started = Date.now();
          await this.startServices(live);
          // This step's own time (not the environments'): bench reads it as the stack's start.
          log.info(`hub, proxy and ngshare up at ${live.state!.hubUrl} in ${formatDuration(Date.now() - started)}`);
        },
      },
      {
        title: `Create ${users.join(' and ')} through the Hub API and start their servers`,
        notes: [
          'POST /hub/api/users/{name}, POST /hub/api/users/{name}/server, then GET /hub/api/users/{name} until ready',
          `bound: E2E_SERVER_START_TIMEOUT (${run.config.timeouts.serverStartMs / 1000} s); a hub that exits ends the wait at once`,
        ],
        run: async (live) => {
          await new LocalStack(live.state!, run).addUsers(users);
        },
      },
    ];
  }

  /** The services' command lines as the plan shows them, ports and environments as placeholders. */
  private planCommands(run: Run, variant: StackVariant): string[][] {
    const placeholder: LocalPorts = { proxy: 1, proxyApi: 2, hub: 3, ngshare: 4 };
    const names: Record<string, string> = { 1: '<proxy-port>', 2: '<proxy-api-port>', 3: '<hub-port>', 4: '<ngshare-port>' };
    const roles = envRolesFor(variant);
    const env = (role: string) => ({ role: role as never, dir: `${run.config.cacheDir}/envs/${role}-<hash>`, pythonVersion: '' });
    const d = this.details(run, variant, { hub: env(roles.hub), ngshare: env(roles.ngshare), user: env(roles.user) }, placeholder);
    run.secrets.ensure(...localSecrets);
    return (['ngshare', 'proxy', 'hub'] as StackService[]).map((service) => {
      const spec = serviceSpec(service, serviceRecipe(service, run.dirs, d, tutorial.instructor), run.secrets);
      const args = spec.args.map((a) => names[a] ?? a.replace(/:(\d)(\/|$)/, (m, n: string, end: string) => (names[n] ? `:${names[n]}${end}` : m)));
      return [spec.command, ...args];
    });
  }

  /** Ports, files and services; on a port taken before its service bound it, everything again on new ports. */
  private async startServices(live: Live): Promise<void> {
    const { run, variant } = live;
    for (let attempt = 1; ; attempt++) {
      const ports: LocalPorts = {
        proxy: run.config.hubPort ?? (await this.pickPort('proxy')),
        proxyApi: await this.pickPort('proxy-api'),
        hub: await this.pickPort('hub'),
        ngshare: await this.pickPort('ngshare'),
      };
      const details = this.details(run, variant, live.envs!, ports);
      const state: LocalState = {
        platform: 'local',
        runId: run.id,
        hubUrl: `http://127.0.0.1:${ports.proxy}`,
        hubApiUrl: `http://127.0.0.1:${ports.proxy}/hub/api`,
        ngshareUrl: `http://127.0.0.1:${ports.ngshare}/services/ngshare`,
        users: { instructor: tutorial.instructor, student: tutorial.student },
        courseId: tutorial.courseId,
        deploymentNamesCourse: true,
        details,
      };
      live.state = state;
      details.stackFiles = writeStackFiles({
        dirs: run.dirs,
        secrets: run.secrets,
        runId: run.id,
        details,
        instructor: state.users.instructor,
        users: [state.users.instructor, state.users.student],
        courseId: state.courseId,
        serverStartTimeoutMs: run.config.timeouts.serverStartMs,
      });
      if (details.ngshareAsImageUser) await copyEnvForNgshareUser(details.envs.ngshare.dir, run.dirs.path('ngshare-env'));
      // Saved before anything starts, so `down` can find it whatever happens next.
      run.stack.save(state);

      // Proxy and ngshare do not need the hub to start; the hub needs the proxy's API. With
      // unwritable storage ngshare is meant to fail, as its pod crash-loops while the hub runs on.
      const stack = new LocalStack(state, run);
      try {
        const ngshareUp = stack.startService('ngshare').catch((err: unknown) => {
          if (!variant.ngshareStorageNotWritable || err instanceof PortInUseError) throw err;
          log.info(`ngshare failed to start, as this variant intends: ${(err as Error).message.split('\n')[0]}`);
        });
        // Both are settled before deciding, so no start of this attempt is still running in the next.
        const settled = await Promise.allSettled([stack.startService('proxy'), ngshareUp]);
        const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        if (failures.length) throw failures.find((e) => e instanceof PortInUseError) ?? failures[0];
        await stack.startService('hub');
        return;
      } catch (err) {
        // A port the person chose is theirs to free; a port lost to a race is retried on new ones.
        const chosen = err instanceof PortInUseError && err.component === 'proxy' && run.config.hubPort !== undefined;
        if (!(err instanceof PortInUseError) || chosen || attempt >= portAttempts) throw err;
        log.warn(`${err.message.split('\n')[0]}: another program took it after it was chosen; new ports (attempt ${attempt + 1} of ${portAttempts})`);
        await stopRunProcesses({ runId: run.id, ledger: run.ledger });
      }
    }
  }

  async up(run: Run, variant: StackVariant = {}): Promise<LocalState> {
    this.checkVariant(variant);
    const started = Date.now();
    const live: Live = { run, variant };
    await runSteps(this.steps(run, variant), live, log, () => live.state && run.stack.save(live.state));
    const total = Date.now() - started;
    // The whole bring-up, and how much of it the environments took: a cold cache is not a slow stack.
    log.info(`local stack ready at ${live.state!.hubUrl} in ${formatDuration(total)} (${formatDuration(live.envsMs ?? 0)} of it the Python environments)`);
    return live.state!;
  }

  async plan(run: Run, variant: StackVariant = {}): Promise<StackPlan> {
    this.checkVariant(variant);
    return {
      platform: 'local',
      runId: run.id,
      summary: [
        `run directory: ${run.dirs.runDir} (hub and ngshare databases, ngshare's files, user homes, logs, secrets)`,
        `hub:           http://127.0.0.1:${run.config.hubPort ?? '<free port>'} (configurable-http-proxy, loopback only)`,
        `users:         ${tutorial.instructor} (instructor, hub and ngshare admin), ${tutorial.student} (student); course ${tutorial.courseId}`,
      ],
      preflight: ['node >= 20.5', 'python3 on PATH (pyenv 3.10, 3.12, 3.13 for exact fidelity)', '/proc readable', 'configurable-http-proxy in node_modules'],
      steps: planSteps(this.steps(run, variant)),
      teardown: [
        { title: 'Stop the recorded process groups (proxy, hub, ngshare), then every process tagged NBGRADER_E2E_STACK=<run id> (user servers)' },
        { title: 'Nothing else: hub users, ngshare courses and homes live in the run directory' },
      ],
      files: [],
      rendered: [],
      notes: [],
    };
  }

  async attach(state: LocalState, run: Run): Promise<Stack> {
    return new LocalStack(state, run);
  }

  async down(run: Run): Promise<void> {
    await stopRunProcesses({ runId: run.id, ledger: run.ledger });
    // Hub users and ngshare courses live in the run's databases: nothing of a local run outlives its processes.
    run.ledger.forget(() => true);
  }
}
