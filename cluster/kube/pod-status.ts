/**
 * What pods, deployments and events say about themselves, read the way a person reads `kubectl
 * get` and `describe`: why a pod will not become ready by itself, whether a deployment is rolled
 * out, one line per pod or event. Pure, so the unit tests pin it with recorded objects.
 */
import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';

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
