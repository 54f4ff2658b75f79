/**
 * Everything after `helm install`, through @kubernetes/client-node: namespaces the run owns,
 * bounded rollout waits that fail early on crash loops, image pull errors, restarts and claims
 * that cannot bind, the pods, logs and events of the diagnostics bundle; and, before anything is
 * made, what the kubeconfig's user may do (SelfSubjectAccessReview); after, what a release made
 * outside its namespace.
 */
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  SchedulingV1Api,
  StorageV1Api,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
  type V1Deployment,
  type V1PersistentVolumeClaim,
  type V1Pod,
} from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import { waitFor } from '../wait.js';
import { kubeconfigFor } from './kubeconfig.js';
import { MANAGED_BY, RUN_LABEL, type KubeTarget } from './kube-types.js';
import { claimFacts, claimProblem, deploymentReady, deploymentSummary, eventsOf, podProblem } from './pod-status.js';

export function isNotFound(err: unknown): boolean {
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

  /** The run label of the namespace ('' when it has none), or undefined when there is no such namespace. */
  async namespaceOwner(): Promise<string | undefined> {
    try {
      const ns = await this.core.readNamespace({ name: this.namespace });
      return ns.metadata?.labels?.[RUN_LABEL] ?? '';
    } catch (err) {
      if (isNotFound(err)) return undefined;
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

  async claims(): Promise<V1PersistentVolumeClaim[]> {
    return (await this.core.listNamespacedPersistentVolumeClaim({ namespace: this.namespace })).items;
  }

  /** The cluster's default storage class, if there is one and this user may read storage classes. */
  async defaultStorageClass(): Promise<string | undefined> {
    try {
      const classes = (await this.kc.makeApiClient(StorageV1Api).listStorageClass()).items;
      return classes.find((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true')?.metadata?.name;
    } catch {
      return undefined; // a user with namespace rights only: the message says "no storage class" instead
    }
  }

  /**
   * Throws the first reason a pod of the namespace will not get ready by itself, with the pod's
   * events and its container's last log lines; or a claim that cannot be bound, with its events.
   */
  async failFastOnBrokenPods(maxRestarts = 1, ignorePod: (pod: V1Pod) => boolean = () => false): Promise<void> {
    const pods = (await this.pods()).filter((p) => !ignorePod(p));
    let events: CoreV1Event[] | undefined;
    for (const pod of pods) {
      const problem = podProblem(pod, maxRestarts);
      if (!problem) continue;
      const name = pod.metadata!.name!;
      const container = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
        (s) => s.restartCount > 0 || s.state?.waiting,
      )?.name;
      const logs = container ? await this.logs(name, container, { previous: true, tailLines: 20 }).catch(() => '') : '';
      events ??= await this.events();
      const said = eventsOf(events, 'Pod', name);
      const details = [
        ...(said.length ? [`events of pod ${name}:`, ...said.map((l) => `  ${l}`)] : []),
        ...(logs ? [`last log lines of ${container}:`, logs.trimEnd()] : []),
      ];
      throw new HarnessError('kube', problem, details.join('\n') || undefined);
    }
    const claims = await this.claims();
    if (!claims.some((c) => (c.status?.phase ?? 'Pending') === 'Pending')) return;
    const defaultClass = claims.some((c) => !c.spec?.storageClassName) ? await this.defaultStorageClass() : undefined;
    const claim = claimProblem(
      claims.map((c) => claimFacts(c, defaultClass)),
      pods,
      events ?? (await this.events()),
    );
    if (claim) throw new HarnessError('kube', claim.message, claim.details);
  }

  /**
   * Waits until the named deployments (all of the namespace's when none are named) are rolled out.
   * Crash loops, image pull errors, more than `maxRestarts` restarts and claims that cannot be
   * bound end the wait at once, with the pod's or the claim's events and the pod's last log lines.
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

  /**
   * Scales a deployment (ServiceControl: stop and start a component). A merge patch of the scale,
   * as `kubectl scale` does: a read-then-replace is refused with 409 when the deployment
   * controller writes its status in between.
   */
  async scale(name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale(
      { name, namespace: this.namespace, body: { spec: { replicas } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
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

/** Namespaces a run made (by the run label), with the run each belongs to: for the reaper. */
export async function listRunNamespaces(kc: KubeConfig): Promise<Array<{ name: string; runId: string }>> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: RUN_LABEL });
  return list.items.map((ns) => ({ name: ns.metadata?.name ?? '', runId: ns.metadata?.labels?.[RUN_LABEL] ?? '' })).filter((n) => n.name && n.runId);
}

// --- what the user of the kubeconfig may do --------------------------------------------------------

/** One permission a run needs, and why (for the message when it is missing). */
export interface AccessNeed {
  verb: string;
  resource: string;
  /** API group: '' for the core group. */
  group?: string;
  subresource?: string;
  /** Absent for a cluster-scoped resource. */
  namespace?: string;
  why: string;
}

/** "create clusterroles.rbac.authorization.k8s.io", "create pods/portforward in namespace x". */
export function describeNeed(n: AccessNeed): string {
  const resource = `${n.resource}${n.group ? `.${n.group}` : ''}${n.subresource ? `/${n.subresource}` : ''}`;
  return `${n.verb} ${resource}${n.namespace ? ` in namespace ${n.namespace}` : ' (cluster-wide)'}`;
}

/**
 * Asks the API server, as the kubeconfig's user, whether each permission is granted
 * (SelfSubjectAccessReview: no object is made or touched); returns the ones that are not.
 */
export async function missingPermissions(kc: KubeConfig, needs: AccessNeed[]): Promise<Array<AccessNeed & { reason: string }>> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const answers = await Promise.all(
    needs.map(async (n) => {
      const review = await api.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: n.verb, resource: n.resource, group: n.group ?? '', subresource: n.subresource, namespace: n.namespace } },
        },
      });
      return { ...n, allowed: review.status?.allowed === true, reason: review.status?.reason ?? review.status?.evaluationError ?? '' };
    }),
  );
  return answers.filter((a) => !a.allowed).map(({ allowed: _allowed, ...rest }) => rest);
}

// --- what a release made outside its namespace -------------------------------------------------------

/** The cluster-scoped objects Helm made for releases of `namespace` (z2jh's user scheduler's ClusterRole and binding, priority classes). */
export async function releaseClusterObjects(kc: KubeConfig, namespace: string): Promise<Array<{ kind: string; name: string }>> {
  const ofNamespace = (o: { metadata?: { name?: string; annotations?: Record<string, string> } }) =>
    o.metadata?.annotations?.['meta.helm.sh/release-namespace'] === namespace && Boolean(o.metadata.name);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  const [roles, bindings, priorities] = await Promise.all([rbac.listClusterRole(), rbac.listClusterRoleBinding(), scheduling.listPriorityClass()]);
  return [
    ...roles.items.filter(ofNamespace).map((o) => ({ kind: 'ClusterRole', name: o.metadata!.name! })),
    ...bindings.items.filter(ofNamespace).map((o) => ({ kind: 'ClusterRoleBinding', name: o.metadata!.name! })),
    ...priorities.items.filter(ofNamespace).map((o) => ({ kind: 'PriorityClass', name: o.metadata!.name! })),
  ];
}

/** Deletes what releaseClusterObjects finds (a reaped run's releases were never uninstalled); returns what it deleted. */
export async function deleteReleaseClusterObjects(kc: KubeConfig, namespace: string): Promise<string[]> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  const deleted: string[] = [];
  for (const o of await releaseClusterObjects(kc, namespace)) {
    const remove =
      o.kind === 'ClusterRole'
        ? rbac.deleteClusterRole({ name: o.name })
        : o.kind === 'ClusterRoleBinding'
          ? rbac.deleteClusterRoleBinding({ name: o.name })
          : scheduling.deletePriorityClass({ name: o.name });
    await remove.catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    deleted.push(`${o.kind} ${o.name}`);
  }
  return deleted;
}
