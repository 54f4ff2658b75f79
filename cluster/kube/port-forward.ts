/**
 * A port-forward to the hub's proxy on 127.0.0.1, for clusters whose hub has no address this
 * machine reaches (jetstream: a test install is ClusterIP only; an existing release may be behind
 * anything). It must outlive the Playwright process that starts it, so it runs as a small detached
 * process of its own (port-forward-daemon.ts), recorded in the run's ledger and stopped by `down`.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, PortForward, type KubeConfig } from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import { baseEnv, belongsToRun, isAlive, spawnDetached } from '../processes.js';
import type { Run } from '../run/index.js';
import { waitFor } from '../wait.js';
import type { KubeTarget } from './kube-types.js';

export interface ForwardSpec {
  target: KubeTarget;
  namespace: string;
  /** Pods to forward to: the first running and ready one. */
  labelSelector: string;
  podPort: number;
  /** File the daemon writes its local port to once it listens. */
  portFile: string;
}

/** The proxy pods of the chart: port 8000 is the public HTTP port behind proxy-public. */
export const proxyForward = { labelSelector: 'component=proxy', podPort: 8000 };

/** Serves 127.0.0.1:<free port>, each connection forwarded to a ready pod matching the selector. */
export async function serveForward(kc: KubeConfig, spec: Omit<ForwardSpec, 'portFile' | 'target'>, port = 0): Promise<net.Server> {
  const core = kc.makeApiClient(CoreV1Api);
  const forward = new PortForward(kc);
  let pod: string | undefined;
  const readyPod = async (): Promise<string> => {
    const pods = (await core.listNamespacedPod({ namespace: spec.namespace, labelSelector: spec.labelSelector })).items;
    const ready = pods.find((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
    if (!ready?.metadata?.name) throw new Error(`no ready pod with ${spec.labelSelector} in ${spec.namespace}`);
    return ready.metadata.name;
  };
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    (async () => {
      pod ??= await readyPod();
      await forward.portForward(spec.namespace, pod, [spec.podPort], socket, null, socket);
    })().catch(() => {
      pod = undefined; // the pod may have been replaced: look again on the next connection
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const daemon = path.join(here, 'port-forward-daemon.ts');

/** Starts the detached forwarder, records it, and returns its local port once it listens. */
export async function startForwardDaemon(run: Run, spec: ForwardSpec): Promise<{ pid: number; port: number }> {
  fs.rmSync(spec.portFile, { force: true });
  // Tagged with the run like every process of its stack, so a run's leftovers are found through /proc too.
  const { pid } = spawnDetached(
    {
      name: 'port-forward',
      command: process.execPath,
      args: ['--import', 'tsx', daemon, JSON.stringify(spec)],
      env: baseEnv(),
      cwd: path.resolve(here, '..', '..'),
      logFile: run.dirs.path('port-forward.log'),
    },
    run.id,
  );
  run.ledger.record({ kind: 'port-forward', pid });
  const port = await waitFor(async () => (fs.existsSync(spec.portFile) ? Number(fs.readFileSync(spec.portFile, 'utf8')) || undefined : undefined), {
    what: "port-forward to the hub's proxy",
    timeoutMs: 30_000,
    intervalMs: 200,
    failFast: () => {
      if (!isAlive(pid))
        throw new HarnessError('port-forward', 'the forwarding process exited', fs.readFileSync(run.dirs.path('port-forward.log'), 'utf8').slice(-2000));
    },
  });
  return { pid, port };
}

/** Stops the forwarder of run `runId` (a pid that now belongs to another process is left alone). */
export function stopForwardDaemon(pid: number, runId: string): void {
  if (isAlive(pid) && belongsToRun(pid, runId)) process.kill(pid, 'SIGTERM');
}
