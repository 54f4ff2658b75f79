/**
 * A local stack, attached from its state: commands run with `bash -c` in a user's running server
 * process's own environment (read from /proc/<pid>/environ) and home, the way `kubectl exec` runs
 * them in a pod; services can be stopped, started and frozen; a documented fix is applied by
 * redeploying (new files, restart what they affect).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { DiagnosticsBundle } from '../diagnostics.js';
import { HarnessError } from '../errors.js';
import { HubClient } from '../hub-client.js';
import { logger } from '../log.js';
import type {
  AddUsersOptions,
  CommandResult,
  ComponentHealth,
  ExecOptions,
  HealthReport,
  Redeploy,
  ResourceReport,
  ServiceControl,
  ServiceUsage,
  Stack,
  StackService,
  StartRecord,
  StartRecords,
} from '../platform.js';
import type { StackVariant } from '../config.js';
import type { StackInfo } from '../stack-state.js';
import { exitedProbe, isAlive, logTail, readEnviron, stopProcesses, type StartedProcess } from '../processes.js';
import { processUsage } from '../proc-usage.js';
import { redact } from '../redact.js';
import type { Run } from '../run/index.js';
import { versions as pinned } from '../versions.js';
import type { LocalState, StackRole } from './local-details.js';
import { ensureStackEnvs } from './stack-envs.js';
import { proxyVersion, readyProbes, serviceRecipe, serviceSpec, startService } from './services.js';
import { copyEnvForNgshareUser, writeStackFiles } from './stack-files.js';

const log = logger('platform');

export class LocalStack implements Stack, ServiceControl, HealthReport, Redeploy, StartRecords, ResourceReport {
  readonly hubToken: string;
  private readonly client: HubClient;

  constructor(
    private readonly local: LocalState,
    private readonly run: Run,
  ) {
    this.hubToken = run.secrets.get('harnessApiToken');
    this.client = new HubClient(local.hubApiUrl, this.hubToken);
  }

  get state(): StackInfo {
    return this.local;
  }

  private get details() {
    return this.local.details;
  }

  private save(): void {
    this.run.stack.save(this.local);
  }

  /**
   * Starts a service and waits until it answers; it is in the state from the moment it runs, with
   * how it was started (secrets named, not given) and, once it answers, when it was ready.
   */
  async startService(service: StackService): Promise<void> {
    const recipe = serviceRecipe(service, this.run.dirs, this.details, this.local.users.instructor);
    const starts = (this.details.starts ??= {});
    const up = (Object.keys(starts) as StackService[]).filter((s) => s !== service && starts[s]?.readyAt && isAlive(this.details.processes[s]?.pid ?? 0));
    const start = { service, ...recipe, ready: readyProbes(service, this.details, this.local.hubApiUrl), after: up };
    delete starts[service]; // a restart goes last: the record is in the order of starting
    starts[service] = start;
    await startService(
      service,
      serviceSpec(service, recipe, this.run.secrets),
      { runId: this.run.id, ledger: this.run.ledger },
      {
        d: this.details,
        hubApiUrl: this.local.hubApiUrl,
        secrets: this.run.secrets,
        onStarted: (proc: StartedProcess) => {
          this.details.processes[service] = proc;
          this.save();
        },
      },
    );
    starts[service] = { ...start, readyAt: new Date().toISOString() };
    this.save();
  }

  /** How the services were started, as `up` recorded it (see StartRecords). */
  startRecord(): StartRecord {
    const { starts, stackFiles } = this.details;
    if (!starts || !stackFiles) {
      throw new HarnessError(
        'platform',
        `run ${this.run.id}'s stack was brought up before the local platform recorded how it starts its services; bring up a new one`,
      );
    }
    return {
      root: this.run.dirs.runDir,
      files: stackFiles.files,
      dirs: stackFiles.dirs,
      secretsFile: 'secrets.json',
      // After only what came before it (a service restarted later, by a fix, went to the end).
      services: Object.values(starts)
        .filter((s) => s !== undefined)
        .map(({ readyAt: _readyAt, ...start }, i, all) => ({ ...start, after: start.after.filter((a) => all.slice(0, i).some((e) => e.service === a)) })),
    };
  }

  /** Freeze a service (SIGSTOP): it keeps its connections and answers nothing, like a hung pod. */
  async pauseService(service: StackService): Promise<void> {
    const proc = this.details.processes[service];
    if (proc && isAlive(proc.pid)) process.kill(-proc.pid, 'SIGSTOP');
  }

  async stopService(service: StackService): Promise<void> {
    const proc = this.details.processes[service];
    if (proc && isAlive(proc.pid)) await stopProcesses([proc.pid], { group: true, graceMs: 5_000 });
  }

  async health(): Promise<ComponentHealth[]> {
    return (['proxy', 'hub', 'ngshare'] as const).map((service) => {
      const proc = this.details.processes[service];
      const ok = proc !== undefined && isAlive(proc.pid);
      return { component: service, ok, detail: proc ? `pid ${proc.pid} ${ok ? 'running' : 'not running'}` : 'never started' };
    });
  }

  /** A service's CPU time and resident memory, from /proc of its process (not its children: the hub's user servers are not the hub). */
  async serviceUsage(service: StackService): Promise<ServiceUsage | undefined> {
    const proc = this.details.processes[service];
    const usage = proc && isAlive(proc.pid) ? processUsage(proc.pid) : undefined;
    return usage && { service, cpuSeconds: usage.cpuSeconds, rssBytes: usage.rssBytes, cpuWaitSeconds: usage.waitSeconds, localPid: usage.pid };
  }

  /** Creates the users through the Hub API and starts their servers, in parallel. */
  async addUsers(users: string[], options: AddUsersOptions = {}): Promise<void> {
    const hub = this.details.processes.hub;
    const hubAlive = hub ? exitedProbe(hub) : undefined;
    await Promise.all(
      users.map(async (user) => {
        this.run.ledger.recordOnce({ kind: 'hub-user', name: user });
        await this.client.ensureUser(user);
        fs.mkdirSync(path.join(this.details.homeRoot, user), { recursive: true });
        if (options.servers === false) return;
        await this.client.startServer(user);
        await this.client.awaitServerReady(user, this.run.config.timeouts.serverStartMs, hubAlive).catch((err: unknown) => {
          const logs = [`server-${user}.log`, 'hub.log'].map((name) => `${name}:\n${logTail(path.join(this.details.logsDir, name))}`);
          throw new HarnessError('server', `${user}'s server did not start`, `${(err as Error).message}\n${logs.join('\n')}`);
        });
        log.info(`${user}'s server ready`);
      }),
    );
  }

  /**
   * Apply a documented fix the way a person would: new files, then restart what they affect.
   * ngshare's storage fix runs the init container's chown/chmod; a changed user environment means
   * a hub redeploy and restarted user servers (a running pod keeps its old image).
   */
  async redeploy(variant: StackVariant): Promise<void> {
    const d = this.details;
    const before = d.variant;
    d.envs = await ensureStackEnvs(variant, this.run.config);
    d.variant = variant;
    d.stackFiles = writeStackFiles({
      dirs: this.run.dirs,
      secrets: this.run.secrets,
      runId: this.run.id,
      details: d,
      instructor: this.local.users.instructor,
      users: [this.local.users.instructor, this.local.users.student],
      courseId: this.local.courseId,
      serverStartTimeoutMs: this.run.config.timeouts.serverStartMs,
    });
    if (d.ngshareAsImageUser) await copyEnvForNgshareUser(d.envs.ngshare.dir, this.run.dirs.path('ngshare-env'));
    this.save();
    const ngshareChanged = before.ngshareSqlalchemy2 !== variant.ngshareSqlalchemy2 || before.ngshareStorageNotWritable !== variant.ngshareStorageNotWritable;
    if (ngshareChanged) {
      await this.stopService('ngshare');
      await this.startService('ngshare');
    }
    if (before.withoutNbgrader !== variant.withoutNbgrader) {
      // Every user of the run gets a new server: the ones `up` made and any added since.
      const users = this.run.ledger.list().flatMap((r) => (r.kind === 'hub-user' ? [r.name] : []));
      await Promise.all(users.map((u) => this.client.stopServer(u)));
      await this.stopService('hub');
      await this.startService('hub');
      await this.addUsers(users);
    }
  }

  async serviceLog(service: StackService): Promise<string> {
    const file = path.join(this.details.logsDir, `${service}.log`);
    return fs.existsSync(file) ? redact(fs.readFileSync(file, 'utf8')) : '';
  }

  /** The pid of the user's running server, from the hub's spawner state. */
  private async serverPid(user: string): Promise<number> {
    const info = await this.client.getUser(user).catch(async (err: unknown) => {
      // Say which part is down rather than only that the API call failed.
      const down = (await this.health()).filter((c) => !c.ok);
      if (!down.length) throw err;
      throw new HarnessError(
        down[0].component,
        `${down.map((c) => `${c.component} ${c.detail}`).join('; ')}: cannot reach ${user}'s server`,
        (err as Error).message,
      );
    });
    const server = info?.servers?.[''];
    const pid = Number(server?.state?.pid);
    if (!server?.ready || !pid || !isAlive(pid)) {
      throw new HarnessError('exec', `${user} has no running server (ready: ${server?.ready ?? false}, pid: ${pid || 'none'})`);
    }
    return pid;
  }

  async homeOf(user: string): Promise<string> {
    return path.join(this.details.homeRoot, user);
  }

  async exec(user: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    const env = readEnviron(await this.serverPid(user));
    for (const name of options.unsetEnv ?? []) delete env[name];
    const home = env.HOME ?? (await this.homeOf(user));
    const cwd = path.resolve(home, options.cwd ?? '.');
    const started = Date.now();
    const result = await execa('bash', ['-c', command], {
      cwd,
      env,
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
      timeout: options.timeoutMs ?? this.run.config.timeouts.commandMs,
      stripFinalNewline: false,
    });
    return {
      command,
      user,
      cwd,
      exitCode: result.exitCode ?? -1,
      stdout: redact(result.stdout ?? ''),
      stderr: redact(result.stderr ?? ''),
      output: redact(result.all ?? ''),
      durationMs: Date.now() - started,
      timedOut: result.timedOut ?? false,
    };
  }

  async versions(): Promise<Record<string, string>> {
    const d = this.details;
    const query = async (role: StackRole, packages: string[]) => {
      const code = `import importlib.metadata as m, json\ndef v(p):\n    try: return m.version(p)\n    except m.PackageNotFoundError: return 'not installed'\nprint(json.dumps({p: v(p) for p in ${JSON.stringify(packages)}}))`;
      const { stdout } = await execa(path.join(d.envs[role].dir, 'bin', 'python'), ['-c', code]);
      return JSON.parse(stdout) as Record<string, string>;
    };
    const [hub, ngshare, user] = await Promise.all([
      query('hub', ['jupyterhub', 'sqlalchemy', 'tornado']),
      query('ngshare', ['ngshare', 'sqlalchemy', 'jupyterhub']),
      query('user', ['nbgrader', 'ngshare-exchange', 'jupyterlab', 'jupyter-server', 'sqlalchemy', 'jupyterhub']),
    ]);
    return {
      platform: 'local',
      jupyterhub: hub.jupyterhub,
      'hub sqlalchemy': hub.sqlalchemy,
      'hub python': d.envs.hub.pythonVersion,
      'configurable-http-proxy': proxyVersion(),
      ngshare: ngshare.ngshare,
      'ngshare sqlalchemy': ngshare.sqlalchemy,
      'ngshare jupyterhub': ngshare.jupyterhub,
      'ngshare python': d.envs.ngshare.pythonVersion,
      nbgrader: user.nbgrader,
      'ngshare-exchange': user['ngshare-exchange'],
      jupyterlab: user.jupyterlab,
      'user jupyterhub': user.jupyterhub,
      'user sqlalchemy': user.sqlalchemy,
      'user python': d.envs.user.pythonVersion,
      'tutorial chart (not used locally)': pinned.jupyterhubChart,
    };
  }

  async collectDiagnostics(dir: string): Promise<string[]> {
    const d = this.details;
    const bundle = new DiagnosticsBundle(dir);
    if (fs.existsSync(d.logsDir)) {
      for (const name of fs.readdirSync(d.logsDir)) bundle.write(path.join('logs', name), fs.readFileSync(path.join(d.logsDir, name), 'utf8'));
    }
    const settingsFile = this.run.dirs.path('hub', 'settings.json');
    if (fs.existsSync(settingsFile)) bundle.json('config/hub-settings.json', JSON.parse(fs.readFileSync(settingsFile, 'utf8')));
    const nbConfig = this.run.dirs.path('etc', 'jupyter', 'nbgrader_config.py');
    if (fs.existsSync(nbConfig)) bundle.write('config/nbgrader_config.py', fs.readFileSync(nbConfig, 'utf8'));
    bundle.json('state.json', this.local);
    const processes = Object.entries(d.processes).map(([name, p]) => `${name}\tpid ${p.pid}\t${isAlive(p.pid) ? 'running' : 'exited'}`);
    bundle.write('processes.txt', `${processes.join('\n')}\n`);
    bundle.json('health.json', await this.health());
    const users = this.run.ledger.list().flatMap((r) => (r.kind === 'hub-user' ? [r.name] : []));
    await bundle.section('hub-users', async () => bundle.json('hub-users.json', await Promise.all(users.map((u) => this.client.getUser(u)))));
    await bundle.section('versions', async () => bundle.json('versions.json', await this.versions()));
    return bundle.files;
  }
}
