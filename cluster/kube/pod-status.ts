/**
 * What pods, deployments and events say about themselves, read the way a person reads `kubectl
 * get` and `describe`: why a pod will not become ready by itself, whether a deployment is rolled
 * out, one line per pod or event. Pure, so the unit tests pin it with recorded objects.
 */
import type { CoreV1Event, V1Deployment, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';

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

/** When an event was last (or first) seen, in ms since the epoch; 0 when it says nothing. */
export function eventTime(e: CoreV1Event, which: 'first' | 'last' = 'last'): number {
  const t =
    which === 'first' ? (e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp) : (e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
  return t ? new Date(t).getTime() : 0;
}

/** The events about one object, oldest first, as lines for an error's details. */
export function eventsOf(events: CoreV1Event[], kind: string, name: string, max = 10): string[] {
  return events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
    .sort((a, b) => eventTime(a) - eventTime(b))
    .slice(-max)
    .map((e) => `${e.type ?? ''} ${e.reason ?? ''}: ${(e.message ?? '').trim()}${(e.count ?? 1) > 1 ? ` (${e.count} times)` : ''}`);
}

/** A claim as the error about it names it: its access modes and storage class. */
export interface ClaimFacts {
  name: string;
  accessModes: string[];
  /** Its storage class, or the cluster's default one it gets; undefined when neither is known. */
  storageClass: string | undefined;
  phase: string;
  /** The release whose chart made it (app.kubernetes.io/instance), for the hint. */
  instance?: string;
}

export function claimFacts(claim: V1PersistentVolumeClaim, defaultClass: string | undefined): ClaimFacts {
  return {
    name: claim.metadata?.name ?? '?',
    accessModes: claim.spec?.accessModes ?? [],
    storageClass: claim.spec?.storageClassName ?? defaultClass,
    phase: claim.status?.phase ?? 'Pending',
    instance: claim.metadata?.labels?.['app.kubernetes.io/instance'],
  };
}

/** How long a scheduler's complaint about a claim must last before it counts (it retries while a volume binds). */
export const claimGraceMs = 5_000;

const cannotBind = /persistent ?volume|PersistentVolumeClaim/i;

/**
 * A claim that will stay Pending for ever, and why, from what the cluster said about it: its own
 * Warning events (ProvisioningFailed, FailedBinding), or its pod's FailedScheduling over volumes
 * for longer than `claimGraceMs`. A claim merely waiting for its first consumer
 * (WaitForFirstConsumer, a Normal event) is not a problem. The error names the claim, its access
 * modes and its storage class, and what to set when it asked for ReadWriteMany.
 */
export function claimProblem(claims: ClaimFacts[], pods: V1Pod[], events: CoreV1Event[], now = Date.now()): { message: string; details: string } | undefined {
  const pending = claims.filter((c) => c.phase === 'Pending');
  for (const claim of pending) {
    const own = events.filter(
      (e) =>
        e.type === 'Warning' &&
        e.involvedObject?.kind === 'PersistentVolumeClaim' &&
        e.involvedObject.name === claim.name &&
        /ProvisioningFailed|FailedBinding/.test(e.reason ?? ''),
    );
    const users = pods.filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.name));
    const scheduling = events.filter(
      (e) =>
        e.type === 'Warning' &&
        e.reason === 'FailedScheduling' &&
        e.involvedObject?.kind === 'Pod' &&
        users.some((p) => p.metadata?.name === e.involvedObject.name) &&
        cannotBind.test(e.message ?? '') &&
        now - eventTime(e, 'first') >= claimGraceMs,
    );
    const said = own.at(-1) ?? scheduling.at(-1);
    if (!said) continue;
    const modes = claim.accessModes.join(', ') || 'no access mode';
    const where = claim.storageClass ? `storage class ${claim.storageClass}` : 'no storage class (and no default one)';
    const message = `volume claim ${claim.name} (${modes}, ${where}) cannot be bound: ${said.reason}: ${(said.message ?? '').split('\n')[0].trim()}`;
    const hint = claim.accessModes.includes('ReadWriteMany')
      ? claim.instance === 'ngshare' || /^ngshare/.test(claim.name)
        ? `ngshare's chart asks ReadWriteMany by default; ${where} gives none (Jetstream's Cinder and kind's local-path give ReadWriteOnce only): set pvc.accessModes: [ReadWriteOnce] in ngshare's values (the tutorial's nbgrader/ngshare-config.yaml), or pvc.storageClassName to a class that offers ReadWriteMany`
        : `the claim asks ReadWriteMany, which ${where} may not offer: use a storage class that does, or ReadWriteOnce in the chart's values`
      : `check that ${where} exists and can provision ${modes} volumes of the size asked`;
    const lines = [
      hint,
      ...eventsOf(events, 'PersistentVolumeClaim', claim.name).map((l) => `claim: ${l}`),
      ...users.flatMap((p) => eventsOf(events, 'Pod', p.metadata?.name ?? '').map((l) => `pod ${p.metadata?.name}: ${l}`)),
    ];
    return { message, details: lines.join('\n') };
  }
  return undefined;
}
