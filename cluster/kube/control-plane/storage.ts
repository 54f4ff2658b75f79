/**
 * Storage that claims bind to: one default StorageClass with no provisioner, and static hostPath
 * PersistentVolumes under the run directory (ReadWriteOnce; ReadWriteMany only where a caller asks,
 * so that a chart defaulting to RWX shows the same Pending claim as on kind). The volume binder of
 * the controller-manager binds them; nothing mounts them (pods are simulated), but the directories
 * exist so a test can look at or prepare what a pod would see.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { applyObjects } from './objects.js';

export const runLabel = 'nbgrader-e2e.local/run';

export type AccessMode = 'ReadWriteOnce' | 'ReadWriteMany' | 'ReadOnlyMany' | 'ReadWriteOncePod';

export interface StorageClassOptions {
  name: string;
  /** Immediate binds a claim as soon as a volume fits; WaitForFirstConsumer when its pod is scheduled (kind's default). */
  volumeBindingMode: 'Immediate' | 'WaitForFirstConsumer';
}

export interface VolumeSpec {
  /** How many volumes of this kind. */
  count: number;
  accessModes: AccessMode[];
  /** Default 10Gi: more than any claim of the two charts asks for. */
  capacity?: string;
  /** Directory mode, default 0777 (as kind's local-path provisioner makes them). */
  mode?: number;
  /** Name prefix, default derived from the access mode. */
  prefix?: string;
}

export interface StorageContext {
  kc: KubeConfig;
  runId: string;
  /** Where the hostPath directories go. */
  volumesDir: string;
  storageClassName: string;
}

export function storageClassObject(runId: string, options: StorageClassOptions): KubernetesObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: options.name,
      labels: { [runLabel]: runId },
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: 'kubernetes.io/no-provisioner',
    reclaimPolicy: 'Retain',
    volumeBindingMode: options.volumeBindingMode,
  } as KubernetesObject;
}

const shortMode: Record<AccessMode, string> = {
  ReadWriteOnce: 'rwo',
  ReadWriteMany: 'rwx',
  ReadOnlyMany: 'rox',
  ReadWriteOncePod: 'rwop',
};

/**
 * Adds `spec.count` hostPath volumes (names continue after the existing ones of the same prefix).
 * Returns the volumes' names.
 */
export async function addVolumes(ctx: StorageContext, spec: VolumeSpec): Promise<string[]> {
  const prefix = spec.prefix ?? `pv-${spec.accessModes.map((m) => shortMode[m]).join('-')}`;
  fs.mkdirSync(ctx.volumesDir, { recursive: true });
  const taken = new Set(fs.readdirSync(ctx.volumesDir));
  const names: string[] = [];
  for (let i = 0; names.length < spec.count; i += 1) {
    const name = `${prefix}-${i}`;
    if (!taken.has(name)) names.push(name);
  }
  const objects = names.map((name) => {
    const dir = path.join(ctx.volumesDir, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, spec.mode ?? 0o777); // mkdir's mode is masked by the umask
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, labels: { [runLabel]: ctx.runId } },
      spec: {
        capacity: { storage: spec.capacity ?? '10Gi' },
        accessModes: spec.accessModes,
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: ctx.storageClassName,
        volumeMode: 'Filesystem',
        hostPath: { path: dir, type: 'Directory' },
      },
    } as KubernetesObject;
  });
  await applyObjects(ctx.kc, objects, 'storage');
  return names;
}

/**
 * Makes Released volumes (their claim deleted; Retain keeps them) Available again by dropping their
 * claimRef, and empties their directories: a namespace deleted and made again then gets volumes.
 */
export async function recycleReleasedVolumes(ctx: StorageContext): Promise<string[]> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const list = await core.listPersistentVolume({ labelSelector: `${runLabel}=${ctx.runId}` });
  const recycled: string[] = [];
  for (const pv of list.items) {
    if (pv.status?.phase !== 'Released' || !pv.metadata?.name) continue;
    const dir = pv.spec?.hostPath?.path;
    if (dir && dir.startsWith(ctx.volumesDir + path.sep)) {
      for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    await core.patchPersistentVolume({ name: pv.metadata.name, body: [{ op: 'remove', path: '/spec/claimRef' }] });
    recycled.push(pv.metadata.name);
  }
  return recycled;
}
