/**
 * A port-forward to the hub's proxy on 127.0.0.1, for clusters whose hub has no address this
 * machine reaches (jetstream: a test install is ClusterIP only; an existing release may be behind
 * anything). It must outlive the Playwright process that starts it, so it runs as a small detached
 * process of its own (port-forward-daemon.ts), recorded in the run's ledger and stopped by `down`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, PortForward, type KubeConfig } from '@kubernetes/client-node';
import { HarnessError, errorMessage } from '../errors.js';
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
  /** File the daemon appends each failed connection to, one JSON line (a ForwardError) each. */
  errorFile?: string;
}

/** A connection the forwarder could not carry, with what the API server or the node said. */
export interface ForwardError {
  at: string;
  pod: string | undefined;
  message: string;
}

/** The proxy pods of the chart: port 8000 is the public HTTP port behind proxy-public. */
export const proxyForward = { labelSelector: 'component=proxy', podPort: 8000 };

/**
 * What the API server answers when asked to open a pod's port-forward, read the way a client
 * would ask (a WebSocket upgrade): undefined when it would open it; else its Status message, such
 * as `error dialing backend: dial tcp 127.0.0.1:10250: connect: connection refused` (it cannot
 * reach the node's kubelet). client-node's own error says only "Unexpected server response: 500".
 */
export async function apiServerSays(kc: KubeConfig, namespace: string, pod: string, port: number): Promise<string | undefined> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return 'the kubeconfig names no server';
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = `${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
  return new Promise((resolve) => {
    const req = (url.startsWith('https:') ? https : http).request(url, {
      ...options,
      method: 'GET',
      timeout: 10_000,
      headers: {
        ...options.headers,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(undefined);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let message = body.trim();
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? message;
        } catch {
          // not a Status: the text as it came
        }
        resolve(`${res.statusCode ?? '?'} ${message}`.trim());
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (err) => resolve(`the API server does not answer: ${err.message}`));
    req.end();
  });
}

/** The part of client-node's port-forward socket used here (its type comes from ws, which is not a dependency). */
interface ForwardSocket {
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Serves 127.0.0.1:<free port>, each connection forwarded to a ready pod matching the selector. A
 * connection that cannot be carried is closed at once (never left hanging) and reported to
 * `onError` with what the API server or the node said.
 */
export async function serveForward(
  kc: KubeConfig,
  spec: Omit<ForwardSpec, 'portFile' | 'target' | 'errorFile'>,
  port = 0,
  onError: (error: ForwardError) => void = () => undefined,
): Promise<net.Server> {
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
    let reported = false;
    const fail = (target: string | undefined, message: string) => {
      if (!reported) onError({ at: new Date().toISOString(), pod: target, message });
      reported = true;
      socket.destroy();
    };
    // The node's answer on the port's error channel ("no forward found for port 8000", "connection refused").
    const nodeSays = (target: string) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          const text = chunk.toString('utf8').trim();
          if (text) fail(target, text);
          done();
        },
      });
    let target: string | undefined;
    (async () => {
      target = pod ??= await readyPod();
      const ws = (await forward.portForward(spec.namespace, target, [spec.podPort], socket, nodeSays(target), socket)) as unknown as ForwardSocket;
      ws.on('close', () => socket.destroy());
    })().catch(async (err: unknown) => {
      pod = undefined; // the pod may have been replaced: look again on the next connection
      const said = target ? await apiServerSays(kc, spec.namespace, target, spec.podPort).catch(() => undefined) : undefined;
      fail(target, said ?? errorMessage(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** The errors the forwarder recorded since `since` (ms), oldest first. */
export function forwardErrors(errorFile: string, since = 0): ForwardError[] {
  let text: string;
  try {
    text = fs.readFileSync(errorFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as ForwardError;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is ForwardError => e !== undefined && Date.parse(e.at) >= since);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const daemon = path.join(here, 'port-forward-daemon.ts');

/** Starts the detached forwarder, records it, and returns its local port once it listens. */
export async function startForwardDaemon(run: Run, spec: ForwardSpec): Promise<{ pid: number; port: number }> {
  fs.rmSync(spec.portFile, { force: true });
  if (spec.errorFile) fs.rmSync(spec.errorFile, { force: true });
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
