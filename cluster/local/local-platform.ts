/**
 * The `local` platform: the real JupyterHub, configurable-http-proxy, ngshare and nbgrader as local
 * processes, on 127.0.0.1 only, with every file of the run under its run directory.
 *
 *   proxy (npm configurable-http-proxy)  ──►  hub (jupyterhub, SimpleLocalProcessSpawner)
 *                                              ├─ service "ngshare" (ngshare 0.6.0, SQLAlchemy 1.4)
 *                                              └─ user servers: jupyterhub-singleuser in the user env,
 *                                                 nbgrader_config.py on their Jupyter config path
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import getPort from 'get-port';
import { HarnessError, PortInUseError, PrerequisiteError, UsageError } from '../errors.js';
import { HubClient } from '../hub-client.js';
import { logger, formatDuration } from '../log.js';
import { redact } from '../redact.js';
import { DiagnosticsBundle } from '../diagnostics.js';
import type { RunContext } from '../run.js';
import { tutorial, versions } from '../versions.js';
import { waitFor } from '../wait.js';
import type {
  CommandResult,
  ComponentHealth,
  ExecOptions,
  HealthReport,
  Redeploy,
  PlatformDriver,
  PreflightCheck,
  ServiceControl,
  Stack,
  StackService,
  StackState,
  StackVariant,
} from '../platform.js';
import { ensureEnvs, type EnvRole, type PythonEnv } from './python-envs.js';
import {
  exitedProbe,
  isAlive,
  logSince,
  logSize,
  logTail,
  readEnviron,
  STACK_TAG,
  startProcess,
  stopProcesses,
  stopRunProcesses,
  type StartSpec,
  type StartedProcess,
} from '../processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = logger('platform');

/**
 * Bounds of the local platform's waits. Generous for a loaded 2-core machine, never unbounded; a
 * user server's start and one command's run come from the config (E2E_SERVER_START_TIMEOUT,
 * E2E_COMMAND_TIMEOUT).
 */
export const localTimeouts = {
  proxyMs: 20_000,
  ngshareMs: 60_000,
  hubMs: 90_000,
};

/**
 * Faults of the stack itself, for the harness's own tests (E2E_FAULT without "@"):
 * `server-never-ready` gives users a server that never answers; `port-taken[:service]` has
 * something else listen on a service's port (the proxy's by default) just before it starts;
 * `port-taken-once[:service]` does it on the first attempt only: a race lost to another run.
 */
export function isStackFault(fault: string): boolean {
  return fault === 'server-never-ready' || portTakenFault(fault) !== undefined;
}

/** The port-taken fault of E2E_FAULT, if any: which service's port, and whether only once. */
export function portTakenFault(fault: string | undefined): { service: StackService; once: boolean } | undefined {
  const m = /^port-taken(-once)?(?::(proxy|hub|ngshare))?$/.exec(fault ?? '');
  return m ? { service: (m[2] as StackService | undefined) ?? 'proxy', once: Boolean(m[1]) } : undefined;
}

/** Set once the `port-taken-once` fault has taken its port. */
let portTakenOnce = false;

type StackRole = 'hub' | 'ngshare' | 'user';

interface LocalDetails {
  ports: { proxy: number; proxyApi: number; hub: number; ngshare: number };
  /** The environment each role runs in (a variant may swap one for another). */
  envs: Record<StackRole, { role: EnvRole; dir: string; pythonVersion: string }>;
  variant: StackVariant;
  /**
   * ngshare runs as the image's user (uid 65535) rather than as the harness's user. Set for the
   * unwritable-storage case and kept through its fix, whose point is that this user can write.
   */
  ngshareAsImageUser: boolean;
  homeRoot: string;
  logsDir: string;
  processes: Partial<Record<StackService, StartedProcess>>;
}

/** Which environment each role uses under a variant. */
function envRolesFor(variant: StackVariant): Record<StackRole, EnvRole> {
  return {
    hub: 'hub',
    ngshare: variant.ngshareSqlalchemy2 ? 'ngshare-sqlalchemy2' : 'ngshare',
    user: variant.withoutNbgrader ? 'user-bare' : 'user',
  };
}

async function buildEnvs(variant: StackVariant, cacheDir: string): Promise<LocalDetails['envs']> {
  const roles = envRolesFor(variant);
  const envs = await ensureEnvs(Object.values(roles), cacheDir, logger('python-envs'));
  const pick = (r: StackRole) => ({ role: roles[r], dir: envs[roles[r]].dir, pythonVersion: envs[roles[r]].pythonVersion });
  return { hub: pick('hub'), ngshare: pick('ngshare'), user: pick('user') };
}

/**
 * ngshare's user in the libretexts/ngshare image. To reproduce the storage error, ngshare runs as
 * this user (needs root to switch), keeping only the right to read any file since its Python lives
 * under /root; whether it can write its storage then depends on ownership and mode, as in the pod.
 */
const ngshareUid = 65535;
const ngshareGid = 1000;
const isRoot = process.getuid?.() === 0;

/**
 * A hard-linked copy (a real copy across filesystems) of ngshare's environment inside the run
 * directory: alembic checks its scripts with access(), which ignores capabilities, so the path
 * must be reachable by uid 65535 without them.
 */
async function copyEnvForNgshareUser(envDir: string, target: string): Promise<void> {
  fs.rmSync(target, { recursive: true, force: true });
  const linked = await execa('cp', ['-al', envDir, target], { reject: false });
  if (linked.exitCode !== 0) await execa('cp', ['-a', envDir, target]);
}

/** What the tutorial's init container does to ngshare's volume: chown -R 65535:1000, chmod -R 0770. */
function fixNgshareStoragePermissions(dir: string): void {
  const walk = (p: string) => {
    fs.chownSync(p, ngshareUid, ngshareGid);
    fs.chmodSync(p, 0o770);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

function detailsOf(state: StackState): LocalDetails {
  return state.details as unknown as LocalDetails;
}

/** configurable-http-proxy's executable, from this project's own npm dependencies. */
function proxyExecutable(): string {
  const pkg = createRequire(import.meta.url).resolve('configurable-http-proxy/package.json');
  return path.join(path.dirname(pkg), 'bin', 'configurable-http-proxy');
}

const basePath = '/usr/local/bin:/usr/bin:/bin';

/** How each long-running service is started; also used to restart one (ServiceControl). */
function serviceSpec(service: StackService, run: RunContext, d: LocalDetails): StartSpec {
  const logFile = path.join(d.logsDir, `${service}.log`);
  const common = { HOME: run.path(service), LANG: 'C.UTF-8' };
  switch (service) {
    case 'proxy':
      return {
        name: 'proxy',
        command: process.execPath,
        args: [
          proxyExecutable(),
          '--ip', '127.0.0.1',
          '--port', String(d.ports.proxy),
          '--api-ip', '127.0.0.1',
          '--api-port', String(d.ports.proxyApi),
          '--default-target', `http://127.0.0.1:${d.ports.hub}`,
          '--error-target', `http://127.0.0.1:${d.ports.hub}/hub/error`,
        ],
        env: { ...common, PATH: basePath, CONFIGPROXY_AUTH_TOKEN: run.secret('proxyAuthToken') },
        cwd: run.path('proxy'),
        logFile,
      };
    case 'ngshare': {
      // As the image's user, from a copy of the environment that this user can reach (see above).
      const python = d.ngshareAsImageUser ? run.path('ngshare-env', 'bin', 'python') : path.join(d.envs.ngshare.dir, 'bin', 'python');
      const asNgshareUser = d.ngshareAsImageUser
        ? ['setpriv', `--reuid=${ngshareUid}`, `--regid=${ngshareGid}`, '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search', python]
        : [python];
      return {
        name: 'ngshare',
        command: asNgshareUser[0],
        args: [
          ...asNgshareUser.slice(1),
          path.join(here, 'ngshare_loopback.py'),
          '--database', `sqlite:///${run.path('ngshare', 'ngshare.db')}`,
          '--storage', `${run.path('ngshare', 'files')}/`,
          '--admins', tutorial.instructor,
        ],
        env: {
          ...common,
          PATH: `${path.join(d.envs.ngshare.dir, 'bin')}:${basePath}`,
          JUPYTERHUB_API_URL: `http://127.0.0.1:${d.ports.hub}/hub/api`,
          JUPYTERHUB_API_TOKEN: run.secret('ngshareApiToken'),
          JUPYTERHUB_CLIENT_ID: 'service-ngshare',
          JUPYTERHUB_SERVICE_PREFIX: '/services/ngshare/',
          JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${d.ports.ngshare}`,
        },
        cwd: run.path('ngshare'),
        logFile,
      };
    }
    case 'hub':
      return {
        name: 'hub',
        command: path.join(d.envs.hub.dir, 'bin', 'jupyterhub'),
        args: ['--config', path.join(here, 'jupyterhub_config.py')],
        env: {
          ...common,
          PATH: `${path.join(d.envs.hub.dir, 'bin')}:${basePath}`,
          E2E_HUB_SETTINGS: run.path('hub', 'settings.json'),
          CONFIGPROXY_AUTH_TOKEN: run.secret('proxyAuthToken'),
          JPY_COOKIE_SECRET: run.secret('cookieSecret'),
        },
        cwd: run.path('hub'),
        logFile,
      };
  }
}

/**
 * The per-run files: the hub's settings, the nbgrader_config.py the tutorial's postStart writes
 * (absent when the singleuser values file was forgotten), and ngshare's storage, made writable for
 * ngshare's user as the tutorial's init container does (unless the variant leaves that out).
 */
function writeStackFiles(run: RunContext, d: LocalDetails): void {
  for (const dir of ['hub', 'proxy', 'ngshare', 'ngshare/files', 'etc/jupyter']) {
    fs.mkdirSync(run.path(dir), { recursive: true });
  }
  if (d.ngshareAsImageUser && !d.variant.ngshareStorageNotWritable) fixNgshareStoragePermissions(run.path('ngshare'));
  const ngshareUrl = `http://127.0.0.1:${d.ports.ngshare}`;
  for (const name of ['userPassword', 'adminPassword', 'ngshareApiToken', 'harnessApiToken']) run.secret(name);
  const settings = {
    proxyPort: d.ports.proxy,
    proxyApiPort: d.ports.proxyApi,
    hubPort: d.ports.hub,
    hubDir: run.path('hub'),
    logsDir: d.logsDir,
    homeRoot: d.homeRoot,
    userEnvBin: path.join(d.envs.user.dir, 'bin'),
    serverStartTimeout: Math.round(run.config.timeouts.serverStartMs / 1000),
    // The never-ready fault: a "server" that runs, says so in its log, and never listens.
    serverCmd: run.config.fault === 'server-never-ready' ? ['bash', '-c', 'echo "fault server-never-ready: started, never listening"; exec sleep 3600'] : undefined,
    // Tokens and passwords stay in the run's secrets file (0600); the hub config reads them there.
    secretsFile: run.path('secrets.json'),
    hubAdmins: [tutorial.instructor],
    ngshareUrl,
    // What a user pod's environment holds, beyond what the spawner sets (HOME, USER, JUPYTERHUB_*).
    serverEnvironment: {
      PATH: `${path.join(d.envs.user.dir, 'bin')}:${basePath}`,
      LANG: 'C.UTF-8',
      // The tutorial writes /etc/jupyter/nbgrader_config.py; this run's etc/jupyter plays that part.
      JUPYTER_CONFIG_PATH: run.path('etc', 'jupyter'),
      [STACK_TAG]: run.runId,
    },
  };
  fs.writeFileSync(run.path('hub', 'settings.json'), JSON.stringify(settings, null, 2), { mode: 0o600 });
  const configFile = run.path('etc', 'jupyter', 'nbgrader_config.py');
  if (d.variant.withoutNbgrader) fs.rmSync(configFile, { force: true });
  else fs.writeFileSync(configFile, nbgraderConfig(`${ngshareUrl}/services/ngshare`, tutorial.courseId));
  for (const user of [tutorial.instructor, tutorial.student]) {
    fs.mkdirSync(path.join(d.homeRoot, user), { recursive: true });
  }
}

/** The file the tutorial's singleuser postStart writes, with the course id filled in. */
export function nbgraderConfig(ngshareServiceUrl: string, courseId: string): string {
  return [
    'from ngshare_exchange import configureExchange',
    'c = get_config()',
    `configureExchange(c, '${ngshareServiceUrl}')`,
    `c.CourseDirectory.course_id = '${courseId}'`,
    '',
  ].join('\n');
}

/** Any HTTP answer at all (the status does not matter): the port is served. */
async function httpAnswers(url: string): Promise<true> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'manual' });
    return true;
  } catch (err) {
    throw new Error((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
  }
}

async function httpOk(url: string, headers: Record<string, string> = {}): Promise<true> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    throw new Error((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return true;
}

/**
 * Listen on `port` ourselves (the port-taken fault). When another program got there first the
 * port is taken all the same, which is what the fault wants; any other error is the harness's.
 */
async function occupy(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    return server;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw new HarnessError('harness', `cannot listen on port ${port} to inject the port-taken fault: ${(err as Error).message}`);
  }
}

/**
 * A free port, tried at random below Linux's ephemeral range (32768 and up by default): a port
 * the OS hands out for outgoing connections can be grabbed by one between choosing and binding.
 * Random, so two runs at once rarely try the same ports; get-port falls back to any free port.
 */
async function freePort(): Promise<number> {
  const candidates = Array.from({ length: 32 }, () => 20000 + Math.floor(Math.random() * 12000));
  return getPort({ host: '127.0.0.1', port: candidates });
}

export class LocalDriver implements PlatformDriver {
  readonly name = 'local' as const;

  async preflight(): Promise<PreflightCheck[]> {
    const checks: PreflightCheck[] = [];
    const [major, minor] = process.versions.node.split('.').map(Number);
    checks.push({ name: 'node', ok: major > 20 || (major === 20 && minor >= 5), detail: `v${process.versions.node} (need >= 20.5)` });
    try {
      const { stdout } = await execa('python3', ['--version']);
      checks.push({ name: 'python3', ok: true, detail: stdout.trim() });
    } catch {
      checks.push({ name: 'python3', ok: false, detail: 'not found on PATH' });
    }
    checks.push({ name: 'procfs', ok: fs.existsSync('/proc/self/environ'), detail: '/proc (to run commands with a server\'s environment)' });
    try {
      proxyExecutable();
      checks.push({ name: 'configurable-http-proxy', ok: true, detail: 'from node_modules' });
    } catch {
      checks.push({ name: 'configurable-http-proxy', ok: false, detail: 'not installed: run npm ci' });
    }
    const failed = checks.filter((c) => !c.ok);
    if (failed.length) {
      throw new PrerequisiteError('local', 'missing prerequisites', failed.map((c) => `- ${c.name}: ${c.detail}`).join('\n'));
    }
    return checks;
  }

  async up(run: RunContext, variant: StackVariant = {}): Promise<StackState> {
    if (variant.singleuserEgressBlocked) {
      throw new UsageError('the singleuser egress NetworkPolicy exists only on Kubernetes (--platform kind)');
    }
    if (variant.ngshareStorageNotWritable && !isRoot) {
      throw new UsageError('reproducing unwritable ngshare storage locally needs root (to run ngshare as uid 65535, as its image does)');
    }
    const started = Date.now();
    const envs = await buildEnvs(variant, run.config.cacheDir);
    log.info(`Python environments ready in ${formatDuration(Date.now() - started)}`);

    // Ports are chosen free, but another program may take one before a service binds it (two
    // runs at once): then everything started is stopped and the services retried on new ports.
    const taken = portTakenFault(run.config.fault);
    const attempts = taken && !taken.once ? 1 : 3;
    for (let attempt = 1; ; attempt++) {
      const [proxy, proxyApi, hub, ngshare] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const d: LocalDetails = {
        ports: { proxy, proxyApi, hub, ngshare },
        envs,
        variant,
        ngshareAsImageUser: Boolean(variant.ngshareStorageNotWritable),
        homeRoot: run.path('home'),
        logsDir: run.path('logs'),
        processes: {},
      };
      fs.mkdirSync(d.logsDir, { recursive: true });
      writeStackFiles(run, d);
      if (d.ngshareAsImageUser) await copyEnvForNgshareUser(d.envs.ngshare.dir, run.path('ngshare-env'));

      const state: StackState = {
        platform: 'local',
        runId: run.runId,
        hubUrl: `http://127.0.0.1:${proxy}`,
        hubApiUrl: `http://127.0.0.1:${proxy}/hub/api`,
        ngshareUrl: `http://127.0.0.1:${ngshare}/services/ngshare`,
        users: { instructor: tutorial.instructor, student: tutorial.student },
        courseId: tutorial.courseId,
        details: d as unknown as Record<string, unknown>,
      };
      // Saved before anything starts, so `down` can find it whatever happens next.
      run.saveState(state);

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
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= attempts) throw err;
        log.warn(`${err.message.split('\n')[0]}: another program took it after it was chosen; new ports (attempt ${attempt + 1} of ${attempts})`);
        await stopRunProcesses(run);
        continue;
      }
      log.info(`hub, proxy and ngshare up at ${state.hubUrl} in ${formatDuration(Date.now() - started)}`);
      await stack.startUserServers();
      log.info(`local stack ready in ${formatDuration(Date.now() - started)}`);
      return state;
    }
  }

  async attach(state: StackState, run: RunContext): Promise<Stack> {
    return new LocalStack(state, run);
  }

  async down(run: RunContext): Promise<void> {
    await stopRunProcesses(run);
    // Hub users live in the run's hub database: nothing else of a local run outlives its processes.
    run.forget(() => true);
  }
}

export class LocalStack implements Stack, ServiceControl, HealthReport, Redeploy {
  readonly hubToken: string;
  private readonly client: HubClient;

  constructor(
    readonly state: StackState,
    private readonly run: RunContext,
  ) {
    this.hubToken = run.secret('harnessApiToken');
    this.client = new HubClient(state.hubApiUrl, this.hubToken);
  }

  private get details(): LocalDetails {
    return detailsOf(this.state);
  }

  async startService(service: StackService): Promise<void> {
    const d = this.details;
    const spec = serviceSpec(service, this.run, d);
    const port = { proxy: d.ports.proxy, hub: d.ports.hub, ngshare: d.ports.ngshare }[service];
    const taken = portTakenFault(this.run.config.fault);
    const squat = taken?.service === service && !(taken.once && portTakenOnce);
    if (squat) portTakenOnce = true;
    const squatter = squat ? await occupy(port) : undefined;
    try {
      await this.startAndAwait(service, spec, port);
    } finally {
      squatter?.close();
    }
  }

  private async startAndAwait(service: StackService, spec: StartSpec, port: number): Promise<void> {
    const d = this.details;
    const logStart = logSize(spec.logFile);
    const proc = startProcess(this.run, spec);
    d.processes[service] = proc;
    this.run.saveState(this.state);
    const exited = exitedProbe(proc);
    // Some services log a taken port and keep running (the proxy keeps its API up): fail at once.
    // The log is read before the liveness check: a service that exits on a taken port must still
    // be reported as a taken port, or the caller would not retry on new ports.
    const failFast = () => {
      if (/EADDRINUSE|address already in use/i.test(logSince(proc.logFile, logStart))) {
        throw new PortInUseError(service, port, `log ${proc.logFile}:\n${logTail(proc.logFile)}`);
      }
      exited();
    };
    const ready = {
      // Its API, and its public port: any HTTP answer there (503 until the hub is up) will do.
      proxy: async () =>
        (await httpOk(`http://127.0.0.1:${d.ports.proxyApi}/api/routes`, { Authorization: `token ${this.run.secret('proxyAuthToken')}` })) &&
        httpAnswers(`http://127.0.0.1:${d.ports.proxy}/`),
      ngshare: () => httpOk(`http://127.0.0.1:${d.ports.ngshare}/healthz`),
      // Through the proxy: proves the hub is up and has registered its routes.
      hub: () => httpOk(`${this.state.hubApiUrl}/`),
    }[service];
    const timeoutMs = { proxy: localTimeouts.proxyMs, ngshare: localTimeouts.ngshareMs, hub: localTimeouts.hubMs }[service];
    try {
      await waitFor(ready, { what: service, timeoutMs, intervalMs: 200, failFast });
    } catch (err) {
      if (err instanceof HarnessError && err.component === service) throw err; // from failFast: already has the log tail
      throw new HarnessError(service, (err as Error).message, `log ${proc.logFile}:\n${logTail(proc.logFile)}`);
    }
  }

  /** Create the run's users and start their servers through the Hub API, in parallel. */
  async startUserServers(): Promise<void> {
    const d = this.details;
    const hubAlive = exitedProbe(d.processes.hub!);
    await Promise.all(
      Object.values(this.state.users).map(async (user) => {
        await this.client.ensureUser(user);
        this.run.record({ kind: 'hub-user', name: user });
        await this.client.startServer(user);
        await this.client.awaitServerReady(user, this.run.config.timeouts.serverStartMs, hubAlive).catch((err) => {
          const logs = [`server-${user}.log`, 'hub.log'].map((name) => `${name}:\n${logTail(path.join(d.logsDir, name))}`);
          throw new HarnessError('server', `${user}'s server did not start`, `${(err as Error).message}\n${logs.join('\n')}`);
        });
        log.info(`${user}'s server ready`);
      }),
    );
    this.run.saveState(this.state);
  }

  /**
   * Apply a documented fix the way a person would: new values, then restart what they affect.
   * ngshare's storage fix runs the init container's chown/chmod; a changed user environment means
   * a hub redeploy and restarted user servers (a running pod keeps its old image).
   */
  async redeploy(variant: StackVariant): Promise<void> {
    const d = this.details;
    const before = d.variant;
    d.envs = await buildEnvs(variant, this.run.config.cacheDir);
    d.variant = variant;
    writeStackFiles(this.run, d);
    if (d.ngshareAsImageUser) await copyEnvForNgshareUser(d.envs.ngshare.dir, this.run.path('ngshare-env'));
    this.run.saveState(this.state);
    const ngshareChanged = before.ngshareSqlalchemy2 !== variant.ngshareSqlalchemy2 || before.ngshareStorageNotWritable !== variant.ngshareStorageNotWritable;
    if (ngshareChanged) {
      await this.stopService('ngshare');
      await this.startService('ngshare');
    }
    if (before.withoutNbgrader !== variant.withoutNbgrader) {
      await Promise.all(Object.values(this.state.users).map((u) => this.client.stopServer(u)));
      await this.stopService('hub');
      await this.startService('hub');
      await this.startUserServers();
    }
  }

  async serviceLog(service: StackService): Promise<string> {
    const file = path.join(this.details.logsDir, `${service}.log`);
    return fs.existsSync(file) ? redact(fs.readFileSync(file, 'utf8')) : '';
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

  /** The pid of the user's running server, from the hub's spawner state. */
  private async serverPid(user: string): Promise<number> {
    const info = await this.client.getUser(user).catch(async (err: unknown) => {
      // Say which part is down rather than only that the API call failed.
      const down = (await this.health()).filter((c) => !c.ok);
      if (!down.length) throw err;
      throw new HarnessError(down[0].component, `${down.map((c) => `${c.component} ${c.detail}`).join('; ')}: cannot reach ${user}'s server`, (err as Error).message);
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
      query('user', ['nbgrader', 'ngshare-exchange', 'jupyterlab', 'jupyter-server', 'sqlalchemy']),
    ]);
    const chp = JSON.parse(fs.readFileSync(createRequire(import.meta.url).resolve('configurable-http-proxy/package.json'), 'utf8')) as { version: string };
    return {
      platform: 'local',
      jupyterhub: hub.jupyterhub,
      'hub sqlalchemy': hub.sqlalchemy,
      'hub python': d.envs.hub.pythonVersion,
      'configurable-http-proxy': chp.version,
      ngshare: ngshare.ngshare,
      'ngshare sqlalchemy': ngshare.sqlalchemy,
      'ngshare python': d.envs.ngshare.pythonVersion,
      nbgrader: user.nbgrader,
      'ngshare-exchange': user['ngshare-exchange'],
      jupyterlab: user.jupyterlab,
      'user sqlalchemy': user.sqlalchemy,
      'user python': d.envs.user.pythonVersion,
      'tutorial chart (not used locally)': versions.jupyterhubChart,
    };
  }

  async collectDiagnostics(dir: string): Promise<string[]> {
    const d = this.details;
    const bundle = new DiagnosticsBundle(dir);
    if (fs.existsSync(d.logsDir)) {
      for (const name of fs.readdirSync(d.logsDir)) bundle.write(path.join('logs', name), fs.readFileSync(path.join(d.logsDir, name), 'utf8'));
    }
    const settingsFile = this.run.path('hub', 'settings.json');
    if (fs.existsSync(settingsFile)) bundle.json('config/hub-settings.json', JSON.parse(fs.readFileSync(settingsFile, 'utf8')));
    const nbConfig = this.run.path('etc', 'jupyter', 'nbgrader_config.py');
    if (fs.existsSync(nbConfig)) bundle.write('config/nbgrader_config.py', fs.readFileSync(nbConfig, 'utf8'));
    bundle.json('state.json', this.state);
    const processes = Object.entries(d.processes).map(([name, p]) => `${name}\tpid ${p!.pid}\t${isAlive(p!.pid) ? 'running' : 'exited'}`);
    bundle.write('processes.txt', `${processes.join('\n')}\n`);
    bundle.json('health.json', await this.health());
    await bundle.section('hub-users', async () => bundle.json('hub-users.json', await Promise.all(Object.values(this.state.users).map((u) => this.client.getUser(u)))));
    await bundle.section('versions', async () => bundle.json('versions.json', await this.versions()));
    return bundle.files;
  }

}

export type { PythonEnv };
