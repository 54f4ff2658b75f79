/**
 * The kubeconfig checks and the rollout wait, against files the test writes and a fake API server
 * on 127.0.0.1 that answers what a cluster with a crash-looping ngshare would answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { V1Pod } from '@kubernetes/client-node';
import { readConfig } from '../config.js';
import { HarnessError, PrerequisiteError } from '../errors.js';
import { fakeServer, kubeconfigFor } from '../../fixtures/fakes.js';
import { Kube } from './kube-api.js';
import { assertClusterAnswers, chooseKubeconfig, loadKubeconfig } from './kubeconfig.js';
import { claimProblem, deploymentReady, podProblem, type ClaimFacts } from './pod-status.js';

const kubeconfigFile = kubeconfigFor;

const choice = (file: string) => ({ file, source: '--kubeconfig / KUBECONFIG' });

test('a kubeconfig that does not exist is named, with where the harness looked', () => {
  expect(() => loadKubeconfig(choice('/nonexistent/kubeconfig'), undefined)).toThrow(PrerequisiteError);
  expect(() => loadKubeconfig(choice('/nonexistent/kubeconfig'), undefined)).toThrow(
    'kube: kubeconfig /nonexistent/kubeconfig does not exist (from --kubeconfig / KUBECONFIG); pass --kubeconfig FILE or set KUBECONFIG',
  );
});

test('a context the kubeconfig does not have is an error that lists the ones it has', () => {
  const file = kubeconfigFile('https://127.0.0.1:6443', ['kind-dev', 'jetstream']);
  expect(() => loadKubeconfig(choice(file), 'jetstream-prod')).toThrow(
    `kube: kubeconfig ${file} has no context "jetstream-prod"\ncontexts in it: kind-dev, jetstream`,
  );
  expect(loadKubeconfig(choice(file), 'jetstream').target).toEqual({ kubeconfig: file, context: 'jetstream' });
  expect(loadKubeconfig(choice(file), undefined).target.context).toBe('kind-dev');
});

test('a kubeconfig that does not parse says so', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-')), 'config');
  fs.writeFileSync(file, 'clusters: [unclosed\n');
  expect(() => loadKubeconfig(choice(file), undefined)).toThrow(new RegExp(`^kube: kubeconfig ${file} cannot be read: `));
});

test('the kubeconfig comes from --kubeconfig or KUBECONFIG (first existing file of a list), else ~/.kube/config', () => {
  const file = kubeconfigFile('https://127.0.0.1:6443');
  const cfg = (env: Record<string, string>) => readConfig({ E2E_ROOT_DIR: '/r', ...env });
  expect(chooseKubeconfig(cfg({ E2E_KUBECONFIG: file })).file).toBe(file);
  expect(chooseKubeconfig(cfg({ KUBECONFIG: `/missing/one${path.delimiter}${file}` })).file).toBe(file);
  expect(chooseKubeconfig(cfg({}), '/home/someone').file).toBe('/home/someone/.kube/config');
});

test('a cluster that does not answer fails in seconds, naming the context and the server', async () => {
  const file = kubeconfigFile('https://127.0.0.1:1');
  const { kc, target } = loadKubeconfig(choice(file), undefined);
  const started = Date.now();
  await expect(assertClusterAnswers(kc, target, 5_000)).rejects.toThrow(
    /^kube: the cluster of context "fake" \(https:\/\/127\.0\.0\.1:1\) does not answer: ECONNREFUSED/,
  );
  expect(Date.now() - started).toBeLessThan(5_000);
});

const crashLooping: V1Pod = {
  metadata: { name: 'ngshare-7d9f-abcde', labels: { 'app.kubernetes.io/instance': 'ngshare' } },
  spec: { containers: [{ name: 'ngshare' }] },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'ngshare',
        ready: false,
        restartCount: 3,
        image: 'libretexts/ngshare:v0.6.0',
        imageID: '',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      },
    ],
  },
};

test('pods that will not get ready by themselves are named with the reason', () => {
  expect(podProblem(crashLooping)).toBe('pod ngshare-7d9f-abcde: container ngshare CrashLoopBackOff (back-off 40s restarting failed container), restarts 3');
  const pulling: V1Pod = {
    metadata: { name: 'jupyter-student1' },
    status: {
      initContainerStatuses: [
        { name: 'block-cloud-metadata', ready: false, restartCount: 0, image: '', imageID: '', state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    },
  };
  expect(podProblem(pulling)).toBe('pod jupyter-student1: container block-cloud-metadata ImagePullBackOff, restarts 0');
  const restarted: V1Pod = {
    metadata: { name: 'hub-1' },
    status: {
      containerStatuses: [
        {
          name: 'hub',
          ready: true,
          restartCount: 2,
          image: '',
          imageID: '',
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
    },
  };
  expect(podProblem(restarted)).toBe('pod hub-1: container hub restarted 2 times (last exit 137, OOMKilled)');
  expect(podProblem(restarted, 2)).toBeUndefined();
  expect(podProblem({ metadata: { name: 'p' }, status: { phase: 'Pending' } })).toBeUndefined();
  expect(
    deploymentReady({
      metadata: { generation: 2 },
      spec: { replicas: 1, selector: {}, template: {} },
      status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    }),
  ).toBe(true);
  expect(
    deploymentReady({
      metadata: { generation: 2 },
      spec: { replicas: 1, selector: {}, template: {} },
      status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    }),
  ).toBe(false);
});

/** A fake API server from "METHOD /path" routes. */
const fakeRoutes = (routes: Record<string, (body: string) => [number, unknown]>) => fakeServer((method, url, body) => routes[`${method} ${url}`]?.(body));

test('the rollout wait stops at once on a crash-looping pod, with its last log lines, not at its bound', async () => {
  const api = await fakeRoutes({
    'GET /apis/apps/v1/namespaces/jhub/deployments': () => [
      200,
      { items: [{ metadata: { name: 'ngshare', generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, replicas: 1 } }] },
    ],
    'GET /api/v1/namespaces/jhub/pods': () => [200, { items: [crashLooping] }],
    'GET /api/v1/namespaces/jhub/pods/ngshare-7d9f-abcde/log': () => [200, 'sqlite3.OperationalError: unable to open database file\n'],
    'GET /api/v1/namespaces/jhub/events': () => [200, { items: [] }],
  });
  try {
    const { kc } = loadKubeconfig(choice(kubeconfigFile(api.url)), undefined);
    const started = Date.now();
    const error = await new Kube(kc, 'jhub').awaitRollout({ timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as Error).message).toBe(
      'kube: pod ngshare-7d9f-abcde: container ngshare CrashLoopBackOff (back-off 40s restarting failed container), restarts 3\nlast log lines of ngshare:\nsqlite3.OperationalError: unable to open database file',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    api.close();
  }
});

test("a namespace of that name that is not the run's is refused; a new one is created with the run's label", async () => {
  const created: unknown[] = [];
  const api = await fakeRoutes({
    'GET /api/v1/namespaces/jhub': () => [200, { metadata: { name: 'jhub', labels: { team: 'course' } } }],
    'POST /api/v1/namespaces': (body) => {
      created.push(JSON.parse(body));
      return [201, JSON.parse(body)];
    },
  });
  try {
    const { kc } = loadKubeconfig(choice(kubeconfigFile(api.url)), undefined);
    await expect(new Kube(kc, 'jhub').createOwnedNamespace('e2e-20261126-112233-ab12')).rejects.toThrow(
      "kube: namespace jhub already exists and is not this run's (label nbgrader-e2e/run=none); choose another --namespace, or test it with --existing-release",
    );
    expect(await new Kube(kc, 'e2e-20261126-112233-ab12').createOwnedNamespace('e2e-20261126-112233-ab12')).toBe('created');
    expect(created).toEqual([
      {
        metadata: {
          name: 'e2e-20261126-112233-ab12',
          labels: { 'nbgrader-e2e/run': 'e2e-20261126-112233-ab12', 'app.kubernetes.io/managed-by': 'nbgrader-ngshare-e2e' },
        },
      },
    ]);
    // Deleting is label-checked too: someone else's namespace is left alone.
    expect(await new Kube(kc, 'jhub').deleteOwnedNamespace('e2e-20261126-112233-ab12')).toBe(false);
    expect(api.requests).not.toContain('DELETE /api/v1/namespaces/jhub');
  } finally {
    api.close();
  }
});

test('a claim that cannot be bound is named with its access modes and storage class; one waiting for its first consumer is not', () => {
  const ngshare: ClaimFacts = { name: 'ngshare-pvc', accessModes: ['ReadWriteMany'], storageClass: 'default', phase: 'Pending', instance: 'ngshare' };
  const now = Date.parse('2026-12-02T10:00:30Z');
  const at = (s: number) => new Date(Date.parse('2026-12-02T10:00:00Z') + s * 1000);
  const pod = {
    metadata: { name: 'ngshare-7d9-abc' },
    spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'ngshare-pvc' } }] },
  };
  const waiting = {
    metadata: {},
    involvedObject: { kind: 'PersistentVolumeClaim', name: 'ngshare-pvc' },
    type: 'Normal',
    reason: 'WaitForFirstConsumer',
    message: 'waiting for first consumer to be created before binding',
  };
  expect(claimProblem([ngshare], [pod], [waiting], now)).toBeUndefined();

  // Cinder or kind's local-path: the provisioner refuses the access mode.
  const refused = claimProblem(
    [ngshare],
    [pod],
    [
      waiting,
      {
        metadata: {},
        involvedObject: { kind: 'PersistentVolumeClaim', name: 'ngshare-pvc' },
        type: 'Warning',
        reason: 'ProvisioningFailed',
        message: 'NodePath only supports ReadWriteOnce and ReadWriteOncePod access modes',
        firstTimestamp: at(29),
      },
    ],
    now,
  );
  expect(refused?.message).toBe(
    'volume claim ngshare-pvc (ReadWriteMany, storage class default) cannot be bound: ProvisioningFailed: NodePath only supports ReadWriteOnce and ReadWriteOncePod access modes',
  );
  expect(refused?.details).toContain("set pvc.accessModes: [ReadWriteOnce] in ngshare's values");
  expect(refused?.details).toContain('claim: Normal WaitForFirstConsumer: waiting for first consumer to be created before binding');

  // Static volumes, none of them ReadWriteMany: the scheduler says so; counted once it has said it for a few seconds.
  const unschedulable = (first: Date) => ({
    metadata: {},
    involvedObject: { kind: 'Pod', name: 'ngshare-7d9-abc' },
    type: 'Warning',
    reason: 'FailedScheduling',
    message: "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind.",
    firstTimestamp: first,
  });
  expect(claimProblem([ngshare], [pod], [waiting, unschedulable(at(28))], now)).toBeUndefined();
  expect(claimProblem([ngshare], [pod], [waiting, unschedulable(at(20))], now)?.message).toBe(
    "volume claim ngshare-pvc (ReadWriteMany, storage class default) cannot be bound: FailedScheduling: 0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind.",
  );
  expect(claimProblem([{ ...ngshare, phase: 'Bound' }], [pod], [unschedulable(at(0))], now)).toBeUndefined();
  expect(claimProblem([{ ...ngshare, storageClass: undefined }], [pod], [unschedulable(at(0))], now)?.message).toContain(
    '(ReadWriteMany, no storage class (and no default one))',
  );
});
