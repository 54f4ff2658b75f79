/**
 * Small helpers for the objects the control plane creates for itself (the node, storage, kwok's
 * CRDs and mappings): server-side apply through @kubernetes/client-node, so that creating twice is
 * harmless, and deletes that do not mind a missing object.
 */
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { HarnessError } from '../../errors.js';

/** The field manager of everything the control plane applies. */
export const fieldManager = 'nbgrader-e2e-control-plane';

export function loadKubeConfig(kubeconfigFile: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  return kc;
}

/** Server-side apply of each object, in order. */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[], component = 'control-plane'): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    try {
      applied.push(await api.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
    } catch (err) {
      throw new HarnessError(component, `could not apply ${describe(object)}`, apiErrorText(err));
    }
  }
  return applied;
}

/** Deletes the object; a missing one counts as deleted. */
export async function deleteObject(kc: KubeConfig, object: KubernetesObject, component = 'control-plane'): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  try {
    await api.delete(object);
  } catch (err) {
    if (statusCode(err) === 404) return;
    throw new HarnessError(component, `could not delete ${describe(object)}`, apiErrorText(err));
  }
}

export function describe(object: KubernetesObject): string {
  const ns = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind ?? 'object'} ${ns}${object.metadata?.name ?? '?'}`;
}

export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's message from a client-node ApiException, else the error's own. */
export function apiErrorText(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 2000);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String(body.message);
  return err instanceof Error ? err.message : String(err);
}
