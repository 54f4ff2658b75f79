/**
 * The drivers' rollout wait (kube-api's awaitRollout, what `up` and a redeploy run) against a real
 * API server, with kwok's pod stages: a rollout that finishes, and three that cannot, each ending
 * in a named error within seconds, with the pod's or the claim's events: a crash loop, an image
 * that cannot be pulled, and ngshare's real chart whose ReadWriteMany claim meets a storage class
 * without ReadWriteMany (what Jetstream's Cinder does to the tutorial's values).
 */
import fs from 'node:fs';
import { AppsV1Api, CoreV1Api, StorageV1Api, type V1Deployment } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { HarnessError } from '../../errors.js';
import { kwokFaultKey } from '../control-plane/kwok-config.js';
import { applyObjects } from '../control-plane/objects.js';
import { addVolumes, storageClassObject } from '../control-plane/storage.js';
import { Kube } from '../kube-api.js';
import { test, expect } from './cluster.fixture.js';

const ns = 'e2e-waits';

function deployment(name: string, pod: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...pod.labels }, annotations: pod.annotations },
        spec: { containers: [{ name: 'main', image: `example.org/${name}:1` }] },
      },
    },
  };
}

/** The wait's error, and how long it took to come. */
async function failure(wait: Promise<unknown>): Promise<{ error: HarnessError; seconds: number }> {
  const started = Date.now();
  const error = await wait.then(
    () => {
      throw new Error('the rollout finished, but it should have failed');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(HarnessError);
  return { error: error as HarnessError, seconds: (Date.now() - started) / 1000 };
}

test.beforeAll(async ({ cluster }) => {
  // The wait looks at every pod of its namespace: the unpullable image gets one of its own.
  for (const name of [ns, `${ns}-pull`]) await cluster.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
});

test('a rollout that can finish finishes', async ({ cluster }) => {
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('fine') });
  const done = await new Kube(cluster.kc, ns).awaitRollout({ names: ['fine'], timeoutMs: 60_000 });
  expect(done.map((d) => d.metadata?.name)).toEqual(['fine']);
});

test('a deployment stopped and started as ServiceControl does it: scaled to 0, its pods gone, scaled to 1, rolled out', async ({ cluster }) => {
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('stoppable') });
  const kube = new Kube(cluster.kc, ns);
  await kube.awaitRollout({ names: ['stoppable'], timeoutMs: 60_000 });
  await kube.scale('stoppable', 0);
  await kube.awaitNoPods('app=stoppable', 60_000, 'stoppable pods gone');
  expect((await apps.readNamespacedDeployment({ name: 'stoppable', namespace: ns })).spec?.replicas).toBe(0);
  await kube.scale('stoppable', 1);
  const done = await kube.awaitRollout({ names: ['stoppable'], timeoutMs: 60_000 });
  expect(done[0]?.status?.readyReplicas).toBe(1);
});

test('a crash loop and an image that cannot be pulled each end the wait in seconds, naming the pod, with its events', async ({ cluster }) => {
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  const kube = new Kube(cluster.kc, ns);
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crashing', { labels: { [kwokFaultKey]: 'CrashLoopBackOff' } }) });
  const crash = await failure(kube.awaitRollout({ names: ['crashing'], timeoutMs: 120_000 }));
  expect(crash.error.message.split('\n')[0]).toMatch(
    /^kube: pod crashing-\S+: container main CrashLoopBackOff \(back-off 10s restarting failed container=main/,
  );
  expect(crash.error.details).toMatch(/^events of pod crashing-\S+:\n/);
  expect(crash.error.details).toContain('  Normal Scheduled: Successfully assigned e2e-waits/crashing-');
  expect(crash.error.details).toContain('  Warning BackOff: Back-off restarting failed container');
  expect(crash.seconds).toBeLessThan(30);

  await apps.createNamespacedDeployment({ namespace: `${ns}-pull`, body: deployment('unpullable', { annotations: { [kwokFaultKey]: 'ImagePullBackOff' } }) });
  const pull = await failure(new Kube(cluster.kc, `${ns}-pull`).awaitRollout({ names: ['unpullable'], timeoutMs: 120_000 }));
  expect(pull.error.message.split('\n')[0]).toMatch(
    /^kube: pod unpullable-\S+: container main ImagePullBackOff \(Back-off pulling image "example\.org\/unpullable:1"\), restarts 0$/,
  );
  expect(pull.error.details).toContain('Warning Failed: Error: ErrImagePull');
  expect(pull.seconds).toBeLessThan(30);
});

test("ngshare's chart on a storage class without ReadWriteMany: the claim is named with its access mode and class, and what to set, in seconds", async ({
  cluster,
}) => {
  // A class as Cinder gives it: volumes of ReadWriteOnce only, bound when the pod is scheduled.
  await applyObjects(cluster.kc, [storageClassObject(cluster.run.id, { name: 'e2e-rwo-only', volumeBindingMode: 'WaitForFirstConsumer' })]);
  await cluster.kc
    .makeApiClient(StorageV1Api)
    .patchStorageClass({ name: 'e2e-rwo-only', body: [{ op: 'remove', path: '/metadata/annotations/storageclass.kubernetes.io~1is-default-class' }] });
  await addVolumes({ ...cluster.storage, storageClassName: 'e2e-rwo-only' }, { count: 1, accessModes: ['ReadWriteOnce'], prefix: 'rwo-only' });
  const values = test.info().outputPath('ngshare-values.yaml');
  // The tutorial's ngshare values leave the chart's default claim (ReadWriteMany); only the class is this cluster's.
  fs.writeFileSync(
    values,
    stringify({ ngshare: { hub_api_token: 'not-a-secret-of-any-run', admins: ['instructor1'] }, pvc: { storageClassName: 'e2e-rwo-only' } }),
  );
  await cluster.helm([
    'upgrade',
    '--install',
    'ngshare',
    `${cluster.charts}/ngshare-0.6.0.tgz`,
    '--namespace',
    'e2e-claims',
    '--create-namespace',
    '--values',
    values,
  ]);
  const claim = await failure(new Kube(cluster.kc, 'e2e-claims').awaitRollout({ timeoutMs: 120_000 }));
  expect(claim.error.message.split('\n')[0]).toBe(
    "kube: volume claim ngshare-pvc (ReadWriteMany, storage class e2e-rwo-only) cannot be bound: FailedScheduling: 0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind. no new claims to deallocate, preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
  );
  expect(claim.error.details).toMatch(
    /^ngshare's chart asks ReadWriteMany by default; storage class e2e-rwo-only gives none .*: set pvc\.accessModes: \[ReadWriteOnce\]/,
  );
  // Pending under WaitForFirstConsumer alone is not a failure: the claim said that first, and the wait went on.
  expect(claim.error.details).toContain('claim: Normal WaitForFirstConsumer: waiting for first consumer to be created before binding');
  expect(claim.error.details).toMatch(/^pod ngshare-\S+: Warning FailedScheduling: /m);
  expect(claim.seconds).toBeLessThan(30);
});
