/**
 * The control plane the kube project runs on is a real one: its node is Ready, every process of
 * it listens on 127.0.0.1 only, a deleted namespace really finalizes (its pods deleted through
 * kwok), and garbage collection removes dependents. (That teardown leaves no process, port or data
 * is checked when the project's cluster goes: cluster.fixture.ts.)
 */
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../wait.js';
import { controlPlaneProcesses, readControlPlaneState } from '../control-plane/control-plane.js';
import { listeningSockets } from '../control-plane/components.js';
import { test, expect } from './cluster.fixture.js';

const isRunningAndReady = (pod: V1Pod) => pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

test('the node is Ready and every control-plane process listens on 127.0.0.1 only', async ({ cluster }) => {
  const cp = readControlPlaneState(cluster.run.dirs.path('control-plane'))!;
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name: cp.nodeName });
  expect(node.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  expect(node.spec?.podCIDR).toBe(cp.podCidr);
  expect(cp.context).toContain(cluster.run.id);
  const sockets = listeningSockets(controlPlaneProcesses(cluster.run.id));
  expect(sockets.length).toBeGreaterThanOrEqual(4); // etcd client + peer, apiserver, kwok (and the port-forward)
  expect(sockets.filter((s) => s.address !== '127.0.0.1')).toEqual([]);
  const ports = sockets.map((s) => s.port);
  for (const port of Object.values(cp.ports)) expect(ports).toContain(port);
});

test('a namespace is deleted and finalized, and garbage collection removes dependents', async ({ cluster }) => {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const ns = 'e2e-finalize-check';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' }, data: { a: '1' } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }] },
      data: { b: '2' },
    },
  });
  // A pod too: the namespace controller must wait for kwok to finish deleting it.
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'sleeper' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } });
  await waitFor(async () => (isRunningAndReady(await core.readNamespacedPod({ name: 'sleeper', namespace: ns })) ? true : undefined), {
    what: 'pod sleeper Running',
    timeoutMs: 30_000,
  });
  await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns, propagationPolicy: 'Background' });
  await waitFor(
    async () => ((await core.listNamespacedConfigMap({ namespace: ns })).items.some((cm) => cm.metadata?.name === 'dependent') ? undefined : true),
    { what: 'garbage collection of configmap dependent', timeoutMs: 30_000 },
  );
  await core.deleteNamespace({ name: ns });
  await waitFor(
    async () => {
      try {
        const got = await core.readNamespace({ name: ns });
        throw new Error(`phase ${got.status?.phase}; ${got.status?.conditions?.map((x) => `${x.type}=${x.status}`).join(', ')}`);
      } catch (err) {
        if ((err as { code?: number }).code === 404) return true;
        throw err;
      }
    },
    { what: `namespace ${ns} gone`, timeoutMs: 60_000, intervalMs: 250 },
  );
});
