/**
 * A command in a user's pod, a pod's log, and a port-forward, through the real API server and the
 * node's side of the protocols (kwok maps them to a local command, file and address): the same
 * code the drivers run against a real cluster. And what the user sees when the API server cannot
 * reach a node: the hub's wait names it in seconds (issue 10, defect 2), instead of a bare
 * socket error at the bound.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import getPort from 'get-port';
import { HarnessError } from '../../errors.js';
import { waitFor } from '../../wait.js';
import { mapExec, mapLogs, writeCriLog } from '../control-plane/kwok-mappings.js';
import { hubStep } from '../install.js';
import { Kube } from '../kube-api.js';
import { KubeStack } from '../kube-stack.js';
import type { KubeState } from '../kube-types.js';
import type { KubeLayout } from '../layout.js';
import { serveForward, startForwardDaemon, stopForwardDaemon, type ForwardError } from '../port-forward.js';
import { test, expect, type KubeCluster } from './cluster.fixture.js';

const ns = 'e2e-exec';

/** A pod the way kubespawner makes a user's server, for `user`. */
function userPod(user: string): V1Pod {
  return {
    metadata: { name: `jupyter-${user}`, labels: { component: 'singleuser-server' }, annotations: { 'hub.jupyter.org/username': user } },
    spec: { containers: [{ name: 'notebook', image: 'quay.io/jupyter/scipy-notebook:2025-11-10' }] },
  };
}

test.beforeAll(async ({ cluster }) => {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({ namespace: ns, body: userPod('probe') });
  await waitFor(async () => ((await core.readNamespacedPod({ name: 'jupyter-probe', namespace: ns })).status?.phase === 'Running' ? true : undefined), {
    what: 'pod jupyter-probe Running',
    timeoutMs: 30_000,
  });
});

/** A stack of the drivers' (KubeStack) on the namespace of this spec. */
function stackIn(cluster: KubeCluster): KubeStack {
  return new KubeStack({ ...cluster.state, details: { ...cluster.state.details, namespace: ns } }, cluster.run);
}

test("a command in a user's pod: its home, stdout and stderr apart, the exit code, a missing directory, a variable unset", async ({ cluster }, testInfo) => {
  const home = testInfo.outputPath('home-of-probe');
  fs.mkdirSync(path.join(home, 'course101'), { recursive: true });
  // kwok runs the command here, in the pod's home, with the variables a server's pod has.
  await mapExec(cluster.kc, {
    name: 'e2e-exec-probe',
    namespaces: [ns],
    pods: ['jupyter-probe'],
    workDir: home,
    env: { HOME: home, JUPYTERHUB_USER: 'probe' },
  });
  const stack = stackIn(cluster);
  const home2 = await waitFor(() => stack.homeOf('probe'), { what: 'the exec mapping in effect', timeoutMs: 20_000, intervalMs: 500 });
  expect(home2).toBe(home);
  const r = await stack.exec('probe', 'pwd; echo "user=$JUPYTERHUB_USER"; echo to-stderr >&2; exit 3', { cwd: 'course101' });
  expect(r).toMatchObject({ exitCode: 3, stdout: `${home}/course101\nuser=probe\n`, stderr: 'to-stderr\n', cwd: `${home}/course101`, timedOut: false });
  expect((await stack.exec('probe', 'true', { cwd: 'no-such-dir' })).exitCode).toBe(1);
  expect((await stack.exec('probe', 'echo "${JUPYTERHUB_USER:-unset}"', { unsetEnv: ['JUPYTERHUB_USER'] })).stdout).toBe('unset\n');
  await expect(stack.exec('nobody', 'true')).rejects.toThrow(`exec: nobody has no running server pod in namespace ${ns} (no pod)`);
});

test("a pod's log through the API server, and the previous container's", async ({ cluster }, testInfo) => {
  const now = writeCriLog(testInfo.outputPath('notebook.log'), ['[I ServerApp] Jupyter Server is running', 'second line']);
  const before = writeCriLog(testInfo.outputPath('notebook.previous.log'), ['Traceback (most recent call last):', 'KeyError: USER'], { stream: 'stderr' });
  await mapLogs(cluster.kc, { name: 'e2e-logs-probe', namespaces: [ns], pods: ['jupyter-probe'], logsFile: now, previousLogsFile: before });
  const api = new Kube(cluster.kc, ns);
  expect(await waitFor(() => api.logs('jupyter-probe', 'notebook'), { what: 'the log mapping', timeoutMs: 20_000, intervalMs: 500 })).toBe(
    '[I ServerApp] Jupyter Server is running\nsecond line\n',
  );
  expect(await api.logs('jupyter-probe', 'notebook', { previous: true })).toBe('Traceback (most recent call last):\nKeyError: USER\n');
});

test("a port the node does not forward: the connection is closed at once, with the node's words", async ({ cluster }) => {
  const errors: ForwardError[] = [];
  const server = await serveForward(cluster.kc, { namespace: ns, labelSelector: 'component=singleuser-server', podPort: 8888 }, 0, (e) => errors.push(e));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const started = Date.now();
    const outcome = await fetch(`http://127.0.0.1:${port}/hub/api/`, { signal: AbortSignal.timeout(20_000) }).then(
      (res) => `answered ${res.status}`,
      (err: unknown) => (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name,
    );
    expect(outcome).toBe('UND_ERR_SOCKET');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errors.map((e) => `${e.pod}: ${e.message}`)).toEqual([
      expect.stringMatching(/^jupyter-probe: error forwarding port 8888 to pod .*no forward found for port 8888/),
    ]);
  } finally {
    server.close();
  }
});

test('when the API server cannot reach the node, the wait for the hub says so in seconds, with the pod and its events', async ({ cluster }) => {
  // A node whose kubelet nobody answers (a stopped kubelet, a firewall): the API server is told 127.0.0.1:<closed port>.
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const closed = await getPort({ host: '127.0.0.1' });
  await core.createNode({ body: { metadata: { name: 'e2e-ghost-node', labels: { type: 'ghost' } } } });
  // A merge patch, not read-then-replace: the node controller touches a new node too (taints,
  // annotations), and a replace made from an older read is refused with 409 Conflict.
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  await core.patchNodeStatus(
    {
      name: 'e2e-ghost-node',
      body: {
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: closed } },
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'what a kubelet said before it went away' }],
        },
      },
    },
    mergePatch,
  );
  try {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'proxy-on-ghost', labels: { component: 'ghost-proxy' } },
        spec: { nodeName: 'e2e-ghost-node', containers: [{ name: 'chp', image: 'x' }] },
      },
    });
    const at = new Date();
    await core.patchNamespacedPodStatus(
      {
        name: 'proxy-on-ghost',
        namespace: ns,
        body: {
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }],
            containerStatuses: [{ name: 'chp', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: at } } }],
          },
        },
      },
      mergePatch,
    );
    // The run's forwarder and the hub's wait, as `up` runs them (install.ts's step, on a run of its own).
    const run = cluster.runAgainst({ E2E_PLATFORM: 'jetstream' });
    run.secrets.set('probeToken', 'not-a-token-of-any-hub');
    const forward = await startForwardDaemon(run, {
      target: cluster.target,
      namespace: ns,
      labelSelector: 'component=ghost-proxy',
      podPort: 8000,
      portFile: run.dirs.path('port-forward.port'),
      errorFile: run.dirs.path('port-forward.errors.jsonl'),
    });
    try {
      const hubUrl = `http://127.0.0.1:${forward.port}`;
      const state: KubeState = {
        ...cluster.state,
        hubUrl,
        hubApiUrl: `${hubUrl}/hub/api`,
        details: { ...cluster.state.details, namespace: ns, portForward: forward, tokenSecret: 'probeToken' },
      };
      const started = Date.now();
      const failure = await hubStep({ platform: 'jetstream' } as KubeLayout).run!({ run, state, details: state.details }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(HarnessError);
      const message = (failure as HarnessError).message;
      expect(message.split('\n')[0]).toBe(
        `port-forward: the hub at ${hubUrl}/hub/api cannot be reached: 3 connections through the port-forward to pod proxy-on-ghost port 8000 failed; the last: 500 error dialing backend: dial tcp 127.0.0.1:${closed}: connect: connection refused`,
      );
      expect(message).toContain("the API server cannot reach the node's kubelet, which carries a pod's port-forward (and its exec and logs)");
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      stopForwardDaemon(forward.pid, run.id);
    }
  } finally {
    await core.deleteNamespacedPod({ name: 'proxy-on-ghost', namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    await core.deleteNode({ name: 'e2e-ghost-node' });
  }
});
