/**
 * Everything after `helm install`, through @kubernetes/client-node: the kubeconfig and context
 * (checked before anything is created), namespaces the run owns, bounded rollout waits that fail
 * early on crash loops, image pull errors and restarts, and the pods, logs and events of the
 * diagnostics bundle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, VersionApi, type CoreV1Event, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { HarnessConfig } from '../config.js';
import { HarnessError, PrerequisiteError, errorMessage } from '../errors.js';
import { waitFor } from '../wait.js';
import type { KubeTarget } from './helm.js';

/** The label every namespace (and kind node) a run creates carries; the reaper looks for it. */
export const RUN_LABEL = 'nbgrader-e2e/run';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'nbgrader-ngshare-e2e' };

// --- kubeconfig and context ----------------------------------------------------------------------

export interface KubeconfigChoice {
  file: string;
  /** Which setting named it, for messages: --kubeconfig, KUBECONFIG, or the default. */
  source: string;
}

/**
 * The kubeconfig from the usual places: --kubeconfig (E2E_KUBECONFIG), then KUBECONFIG, then
 * ~/.kube/config. A KUBECONFIG list (a:b) resolves to its first file that exists.
 */
export function chooseKubeconfig(config: HarnessConfig, home = os.homedir()): KubeconfigChoice {
  const given = config.kube.kubeconfig;
  if (given) {
    const files = given.split(path.delimiter).filter(Boolean);
    const file = files.find((f) => fs.existsSync(f)) ?? files[0];
    return { file: path.resolve(file), source: files.length > 1 ? `the list ${given}` : '--kubeconfig / KUBECONFIG' };
  }
  return { file: path.join(home, '.kube', 'config'), source: 'the default ~/.kube/config' };
}

/** Loads the kubeconfig and selects the context, or says exactly what is wrong with them. */
export function loadKubeconfig(choice: KubeconfigChoice, context: string | undefined): { kc: KubeConfig; target: KubeTarget; server: string } {
  if (!fs.existsSync(choice.file)) {
    throw new PrerequisiteError('kube', `kubeconfig ${choice.file} does not exist (from ${choice.source}); pass --kubeconfig FILE or set KUBECONFIG`);
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(choice.file);
  } catch (err) {
    throw new PrerequisiteError('kube', `kubeconfig ${choice.file} cannot be read: ${errorMessage(err).split('\n')[0]}`);
  }
  const names = kc.getContexts().map((c) => c.name);
  const chosen = context ?? kc.getCurrentContext();
  if (!chosen) {
    throw new PrerequisiteError(
      'kube',
      `kubeconfig ${choice.file} has no current context; pass --context NAME`,
      `contexts in it: ${names.join(', ') || 'none'}`,
    );
  }
  if (!names.includes(chosen)) {
    throw new PrerequisiteError('kube', `kubeconfig ${choice.file} has no context "${chosen}"`, `contexts in it: ${names.join(', ') || 'none'}`);
  }
  kc.setCurrentContext(chosen);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new PrerequisiteError('kube', `context "${chosen}" in ${choice.file} names no cluster`);
  return { kc, target: { kubeconfig: choice.file, context: chosen }, server: cluster.server };
}

export function kubeconfigFor(target: KubeTarget): KubeConfig {
  return loadKubeconfig({ file: target.kubeconfig, source: 'the run state' }, target.context).kc;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${Math.round(ms / 1000)} s (${what})`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function causeOf(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** GET /version with a short bound: a cluster that does not answer fails here, in seconds. */
export async function assertClusterAnswers(kc: KubeConfig, target: KubeTarget, timeoutMs = 10_000): Promise<string> {
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  try {
    const info = await withTimeout(kc.makeApiClient(VersionApi).getCode(), timeoutMs, 'GET /version');
    return info.gitVersion;
  } catch (err) {
    throw new PrerequisiteError('kube', `the cluster of context "${target.context}" (${server}) does not answer: ${causeOf(err)}`);
  }
}

/** Namespaces a run made (by the run label), with the run each belongs to: for the reaper. */
export async function listRunNamespaces(kc: KubeConfig): Promise<Array<{ name: string; runId: string }>> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: RUN_LABEL });
  return list.items.map((ns) => ({ name: ns.metadata?.name ?? '', runId: ns.metadata?.labels?.[RUN_LABEL] ?? '' })).filter((n) => n.name && n.runId);
}

// --- what pods say about themselves (pure, unit-tested) ------------------------------------------

const fatalWaiting = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

/** Why a pod will not become ready without help, or undefined while it may still. */
export function podProblem(pod: V1Pod, maxRestarts = 1): string | undefined {
  const name = pod.metadata?.name ?? '?';
  if (pod.status?.phase === 'Failed') return `pod ${name} failed: ${pod.status.reason ?? ''} ${pod.status.message ?? ''}`.trim();
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && fatalWaiting.has(waiting.reason)) {
      return `pod ${name}: container ${s.name} ${waiting.reason}${waiting.message ? ` (${waiting.message.split('\n')[0]})` : ''}, restarts ${s.restartCount}`;
    }
    if (s.restartCount > maxRestarts) {
      const last = s.lastState?.terminated;
      return `pod ${name}: container ${s.name} restarted ${s.restartCount} times${last ? ` (last exit ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : ''}`;
    }
  }
  return undefined;
}

/** Ready when every replica the deployment wants is updated and available. */
export function deploymentReady(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) === want
  );
}

export function deploymentSummary(d: V1Deployment): string {
  const s = d.status ?? {};
  return `${d.metadata?.name}: ${s.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available, ${s.updatedReplicas ?? 0} updated`;
}

export function podLine(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = `${statuses.filter((s) => s.ready).length}/${pod.spec?.containers.length ?? statuses.length}`;
  const restarts = statuses.reduce((n, s) => n + s.restartCount, 0);
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...statuses].map((s) => s.state?.waiting?.reason).find(Boolean);
  return [pod.metadata?.name ?? '?', ready, waiting ?? pod.status?.phase ?? '?', String(restarts), pod.spec?.nodeName ?? '-'].join('\t');
}

export function eventLine(e: CoreV1Event): string {
  const when = (e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '') as unknown;
  const stamp = when instanceof Date ? when.toISOString() : String(when);
  return [stamp, e.type ?? '', e.reason ?? '', `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`, (e.message ?? '').trim()].join('\t');
}

/** PVCs whose provisioning failed stay Pending for ever: name them instead of waiting out the bound. */
export function provisioningProblem(events: CoreV1Event[]): string | undefined {
  const e = events.find((x) => x.reason === 'ProvisioningFailed' && x.involvedObject?.kind === 'PersistentVolumeClaim');
  return e ? `volume claim ${e.involvedObject?.name}: ${e.reason}: ${(e.message ?? '').split('\n')[0]}` : undefined;
}

// --- the client -----------------------------------------------------------------------------------

function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

export class Kube {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;

  constructor(
    readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
  }

  static connect(target: KubeTarget, namespace: string): Kube {
    return new Kube(kubeconfigFor(target), namespace);
  }

  /**
   * Creates the namespace with the run's label. A namespace of that name that the run did not make
   * is refused: the run must never install into, or later delete, someone else's.
   */
  async createOwnedNamespace(runId: string): Promise<'created' | 'reused'> {
    try {
      const existing = await this.core.readNamespace({ name: this.namespace });
      if (existing.metadata?.labels?.[RUN_LABEL] === runId) return 'reused';
      throw new HarnessError(
        'kube',
        `namespace ${this.namespace} already exists and is not this run's (label ${RUN_LABEL}=${existing.metadata?.labels?.[RUN_LABEL] ?? 'none'}); choose another --namespace, or test it with --existing-release`,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await this.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { [RUN_LABEL]: runId, ...MANAGED_BY } } } });
    return 'created';
  }

  /** Deletes the namespace only if it carries this run's label; returns whether it asked for deletion. */
  async deleteOwnedNamespace(runId: string): Promise<boolean> {
    try {
      const ns = await this.core.readNamespace({ name: this.namespace });
      if (ns.metadata?.labels?.[RUN_LABEL] !== runId) return false;
      await this.core.deleteNamespace({ name: this.namespace });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async namespaceExists(): Promise<boolean> {
    try {
      await this.core.readNamespace({ name: this.namespace });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async pods(labelSelector?: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector })).items;
  }

  async deployments(labelSelector?: string): Promise<V1Deployment[]> {
    return (await this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector })).items;
  }

  async events(): Promise<CoreV1Event[]> {
    const items = (await this.core.listNamespacedEvent({ namespace: this.namespace })).items;
    const t = (e: CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
    return items.sort((a, b) => t(a) - t(b));
  }

  /** Throws the first reason a pod of the namespace will not get ready by itself. */
  async failFastOnBrokenPods(maxRestarts = 1, ignorePod: (pod: V1Pod) => boolean = () => false): Promise<void> {
    for (const pod of await this.pods()) {
      if (ignorePod(pod)) continue;
      const problem = podProblem(pod, maxRestarts);
      if (problem) {
        const container = (pod.status?.containerStatuses ?? []).find((s) => s.restartCount > 0 || s.state?.waiting)?.name;
        const logs = container ? await this.logs(pod.metadata!.name!, container, { previous: true, tailLines: 20 }).catch(() => '') : '';
        throw new HarnessError('kube', problem, logs ? `last log lines of ${container}:\n${logs.trimEnd()}` : undefined);
      }
    }
    const provisioning = provisioningProblem(await this.events());
    if (provisioning) throw new HarnessError('kube', provisioning);
  }

  /**
   * Waits until the named deployments (all of the namespace's when none are named) are rolled out.
   * Crash loops, image pull errors, more than `maxRestarts` restarts and failed volume provisioning
   * end the wait at once, with the pod's last log lines.
   */
  async awaitRollout(options: {
    names?: string[];
    /** Deployments to leave out (one broken on purpose). */
    exclude?: string[];
    /** Pods whose problems do not end the wait. */
    ignorePod?: (pod: V1Pod) => boolean;
    timeoutMs: number;
    maxRestarts?: number;
    what?: string;
  }): Promise<V1Deployment[]> {
    const what = options.what ?? `rollout in namespace ${this.namespace}`;
    return waitFor(
      async () => {
        const all = (await this.deployments()).filter((d) => !(options.exclude ?? []).includes(d.metadata?.name ?? ''));
        const wanted = options.names ? all.filter((d) => options.names!.includes(d.metadata?.name ?? '')) : all;
        const missing = (options.names ?? []).filter((n) => !all.some((d) => d.metadata?.name === n));
        if (missing.length) throw new Error(`no deployment ${missing.join(', ')} yet`);
        if (!wanted.length) throw new Error('no deployments yet');
        const pending = wanted.filter((d) => !deploymentReady(d));
        if (pending.length) throw new Error(pending.map(deploymentSummary).join('; '));
        return wanted;
      },
      {
        what,
        timeoutMs: options.timeoutMs,
        intervalMs: 2_000,
        failFast: () =>
          this.failFastOnBrokenPods(options.maxRestarts ?? 1, options.ignorePod).catch((err: unknown) => {
            // A broken pod ends the wait; an API hiccup does not (the probe reports it if it lasts).
            if (err instanceof HarnessError) throw err;
          }),
      },
    );
  }

  async logs(pod: string, container: string, options: { previous?: boolean; tailLines?: number } = {}): Promise<string> {
    return this.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, previous: options.previous, tailLines: options.tailLines });
  }

  /** The pod of `user`'s default server: found by kubespawner's username annotation, else by its usual name. */
  async userPod(user: string): Promise<V1Pod | undefined> {
    const pods = await this.pods('component=singleuser-server');
    const byAnnotation = pods.find(
      (p) => p.metadata?.annotations?.['hub.jupyter.org/username'] === user && !p.metadata?.annotations?.['hub.jupyter.org/servername'],
    );
    return byAnnotation ?? pods.find((p) => p.metadata?.name === `jupyter-${user}`);
  }

  /** Scales a deployment (ServiceControl: stop and start a component). */
  async scale(name: string, replicas: number): Promise<void> {
    const scale = await this.apps.readNamespacedDeploymentScale({ name, namespace: this.namespace });
    await this.apps.replaceNamespacedDeploymentScale({ name, namespace: this.namespace, body: { ...scale, spec: { replicas } } });
  }

  async awaitNoPods(labelSelector: string, timeoutMs: number, what: string): Promise<void> {
    await waitFor(async () => ((await this.pods(labelSelector)).length === 0 ? true : undefined), { what, timeoutMs, intervalMs: 1_000 });
  }

  /** Deletes the pods a selector matches (`kubectl delete pod -l …`): their deployment makes new ones. */
  async deletePods(labelSelector: string): Promise<string[]> {
    const pods = await this.pods(labelSelector);
    await Promise.all(pods.map((p) => this.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: this.namespace })));
    return pods.map((p) => p.metadata!.name!);
  }
}

export { isNotFound };
