/**
 * The local stack's long-running services (proxy, hub, ngshare): how each is started, and how the
 * harness knows it is ready. A start is bounded; a service that exits or logs a taken port while
 * starting fails at once, with its log tail.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HarnessError, PortInUseError } from '../errors.js';
import { httpAnswers, httpOk } from '../http-probe.js';
import type { StackService } from '../platform.js';
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

/** How each service is started; also used to restart one (ServiceControl) and to print the plan. */
export function serviceSpec(service: StackService, dirs: RunDirs, secrets: SecretStore, d: LocalDetails, instructor: string): StartSpec {
  const logFile = path.join(d.logsDir, `${service}.log`);
  const common = { HOME: dirs.path(service), LANG: 'C.UTF-8' };
  switch (service) {
    case 'proxy':
      return {
        name: 'proxy',
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
        env: { ...common, PATH: basePath, CONFIGPROXY_AUTH_TOKEN: secrets.get('proxyAuthToken') },
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
        name: 'ngshare',
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
          JUPYTERHUB_API_TOKEN: secrets.get('ngshareApiToken'),
          JUPYTERHUB_CLIENT_ID: 'service-ngshare',
          JUPYTERHUB_SERVICE_PREFIX: '/services/ngshare/',
          JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${d.ports.ngshare}`,
        },
        cwd: dirs.path('ngshare'),
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
          E2E_HUB_SETTINGS: dirs.path('hub', 'settings.json'),
          CONFIGPROXY_AUTH_TOKEN: secrets.get('proxyAuthToken'),
          JPY_COOKIE_SECRET: secrets.get('cookieSecret'),
        },
        cwd: dirs.path('hub'),
        logFile,
      };
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
  ready: { d: LocalDetails; hubApiUrl: string; proxyToken: string; onStarted?: (proc: StartedProcess) => void },
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
  const probe = {
    // Its API, and its public port: any HTTP answer there (503 until the hub is up) will do.
    proxy: async () =>
      (await httpOk(`http://127.0.0.1:${d.ports.proxyApi}/api/routes`, { Authorization: `token ${ready.proxyToken}` })) &&
      httpAnswers(`http://127.0.0.1:${d.ports.proxy}/`),
    ngshare: () => httpOk(`http://127.0.0.1:${d.ports.ngshare}/healthz`),
    // Through the proxy: proves the hub is up and has registered its routes.
    hub: () => httpOk(`${ready.hubApiUrl}/`),
  }[service];
  try {
    await waitFor(probe, { what: service, timeoutMs: serviceTimeouts[service], intervalMs: 200, failFast });
  } catch (err) {
    if (err instanceof HarnessError && err.component === service) throw err; // from failFast: already has the log tail
    throw new HarnessError(service, (err as Error).message, `log ${proc.logFile}:\n${logTail(proc.logFile)}`);
  }
  return proc;
}
