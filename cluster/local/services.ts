/**
 * The local stack's long-running services (proxy, hub, ngshare): how each is started, and how the
 * harness knows it is ready. A start is bounded; a service that exits or logs a taken port while
 * starting fails at once, with its log tail. How it is started (`serviceRecipe`) names its secrets
 * rather than holding them, so it can be recorded in the stack's state as it is (a `ServiceStart`).
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HarnessError, PortInUseError } from '../errors.js';
import { httpAnswers, httpOk } from '../http-probe.js';
import type { ServiceStart, StackService } from '../platform.js';
import { exitedProbe, logSince, logSize, logTail, startProcess, type ProcessOwner, type StartSpec, type StartedProcess } from '../processes.js';
import type { RunDirs, SecretStore } from '../run/index.js';
import { waitFor } from '../wait.js';
import type { LocalDetails } from './local-details.js';
import { basePath, ngshareGid, ngshareUid } from './stack-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bounds of the services' starts: generous for a loaded 2-core machine, never unbounded. */
export const serviceTimeouts: Record<StackService, number> = {
  proxy: 20_000,
  ngshare: 60_000,
  hub: 90_000,
};

/** configurable-http-proxy's executable, from this project's own npm dependencies. */
export function proxyExecutable(): string {
  const pkg = createRequire(import.meta.url).resolve('configurable-http-proxy/package.json');
  return path.join(path.dirname(pkg), 'bin', 'configurable-http-proxy');
}

export function proxyVersion(): string {
  const pkg = createRequire(import.meta.url)('configurable-http-proxy/package.json') as { version: string };
  return pkg.version;
}

/** How a service is started, its secrets named (secretEnv: variable → secret), not given. */
export type ServiceRecipe = Omit<StartSpec, 'name'> & Pick<ServiceStart, 'secretEnv'>;

/** How each service is started; also used to restart one (ServiceControl), to print the plan, and recorded in the state. */
export function serviceRecipe(service: StackService, dirs: RunDirs, d: LocalDetails, instructor: string): ServiceRecipe {
  const logFile = path.join(d.logsDir, `${service}.log`);
  const common = { HOME: dirs.path(service), LANG: 'C.UTF-8' };
  switch (service) {
    case 'proxy':
      return {
        command: process.execPath,
        args: [
          proxyExecutable(),
          '--ip',
          '127.0.0.1',
          '--port',
          String(d.ports.proxy),
          '--api-ip',
          '127.0.0.1',
          '--api-port',
          String(d.ports.proxyApi),
          '--default-target',
          `http://127.0.0.1:${d.ports.hub}`,
          '--error-target',
          `http://127.0.0.1:${d.ports.hub}/hub/error`,
        ],
        env: { ...common, PATH: basePath },
        secretEnv: { CONFIGPROXY_AUTH_TOKEN: 'proxyAuthToken' },
        cwd: dirs.path('proxy'),
        logFile,
      };
    case 'ngshare': {
      // As the image's user, from a copy of the environment that this user can reach (stack-files.ts).
      const python = d.ngshareAsImageUser ? dirs.path('ngshare-env', 'bin', 'python') : path.join(d.envs.ngshare.dir, 'bin', 'python');
      const asNgshareUser = d.ngshareAsImageUser
        ? [
            'setpriv',
            `--reuid=${ngshareUid}`,
            `--regid=${ngshareGid}`,
            '--clear-groups',
            '--inh-caps=+dac_read_search',
            '--ambient-caps=+dac_read_search',
            python,
          ]
        : [python];
      return {
        command: asNgshareUser[0],
        args: [
          ...asNgshareUser.slice(1),
          path.join(here, 'ngshare_loopback.py'),
          '--database',
          `sqlite:///${dirs.path('ngshare', 'ngshare.db')}`,
          '--storage',
          `${dirs.path('ngshare', 'files')}/`,
          '--admins',
          instructor,
        ],
        env: {
          ...common,
          PATH: `${path.join(d.envs.ngshare.dir, 'bin')}:${basePath}`,
          JUPYTERHUB_API_URL: `http://127.0.0.1:${d.ports.hub}/hub/api`,
          JUPYTERHUB_CLIENT_ID: 'service-ngshare',
          JUPYTERHUB_SERVICE_PREFIX: '/services/ngshare/',
          JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${d.ports.ngshare}`,
        },
        secretEnv: { JUPYTERHUB_API_TOKEN: 'ngshareApiToken' },
        cwd: dirs.path('ngshare'),
        logFile,
      };
    }
    case 'hub':
      return {
        command: path.join(d.envs.hub.dir, 'bin', 'jupyterhub'),
        args: ['--config', path.join(here, 'jupyterhub_config.py')],
        env: {
          ...common,
          PATH: `${path.join(d.envs.hub.dir, 'bin')}:${basePath}`,
          E2E_HUB_SETTINGS: dirs.path('hub', 'settings.json'),
        },
        secretEnv: { CONFIGPROXY_AUTH_TOKEN: 'proxyAuthToken', JPY_COOKIE_SECRET: 'cookieSecret' },
        cwd: dirs.path('hub'),
        logFile,
      };
  }
}

/** A recipe with its secrets filled in from the run's store: what `startProcess` is given. */
export function serviceSpec(service: StackService, recipe: ServiceRecipe, secrets: SecretStore): StartSpec {
  const { secretEnv, ...spec } = recipe;
  const env = { ...spec.env };
  for (const [name, secret] of Object.entries(secretEnv)) env[name] = secrets.get(secret);
  return { ...spec, name: service, env };
}

/**
 * How the harness knows a service is ready: every address answers (2xx, with the named secret as
 * its token; or any answer). The proxy: its API, and its public port (503 until the hub is up).
 * ngshare: its health check. The hub: its API through the proxy, which proves its routes are there.
 */
export function readyProbes(service: StackService, d: LocalDetails, hubApiUrl: string): ServiceStart['ready'] {
  switch (service) {
    case 'proxy':
      return [
        { url: `http://127.0.0.1:${d.ports.proxyApi}/api/routes`, token: 'proxyAuthToken' },
        { url: `http://127.0.0.1:${d.ports.proxy}/`, anyAnswer: true },
      ];
    case 'ngshare':
      return [{ url: `http://127.0.0.1:${d.ports.ngshare}/healthz` }];
    case 'hub':
      return [{ url: `${hubApiUrl}/` }];
  }
}

/** The port a service listens on, as its errors name it. */
export function servicePort(service: StackService, d: LocalDetails): number {
  return { proxy: d.ports.proxy, hub: d.ports.hub, ngshare: d.ports.ngshare }[service];
}

/**
 * Starts `spec` and waits until the service answers. Some services log a taken port and keep
 * running (the proxy keeps its API up), others exit (tornado): either way a taken port is a
 * PortInUseError, read from the log before the liveness check, so the caller can retry on new ports.
 */
export async function startService(
  service: StackService,
  spec: StartSpec,
  owner: ProcessOwner,
  ready: { d: LocalDetails; hubApiUrl: string; secrets: SecretStore; onStarted?: (proc: StartedProcess) => void },
): Promise<StartedProcess> {
  const { d } = ready;
  const port = servicePort(service, d);
  const logStart = logSize(spec.logFile);
  const proc = startProcess(owner, spec);
  ready.onStarted?.(proc);
  const exited = exitedProbe(proc);
  const failFast = () => {
    if (/EADDRINUSE|address already in use/i.test(logSince(proc.logFile, logStart))) {
      throw new PortInUseError(service, port, `log ${proc.logFile}:\n${logTail(proc.logFile)}`);
    }
    exited();
  };
  const probes = readyProbes(service, d, ready.hubApiUrl);
  const probe = async () => {
    for (const p of probes) {
      if (p.anyAnswer) await httpAnswers(p.url);
      else await httpOk(p.url, p.token ? { Authorization: `token ${ready.secrets.get(p.token)}` } : {});
    }
    return true;
  };
  try {
    await waitFor(probe, { what: service, timeoutMs: serviceTimeouts[service], intervalMs: 200, failFast });
  } catch (err) {
    if (err instanceof HarnessError && err.component === service) throw err; // from failFast: already has the log tail
    throw new HarnessError(service, (err as Error).message, `log ${proc.logFile}:\n${logTail(proc.logFile)}`);
  }
  return proc;
}
