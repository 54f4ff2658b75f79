/**
 * Which cluster a run talks to: the kubeconfig from the usual places (--kubeconfig, KUBECONFIG,
 * ~/.kube/config), the context in it, and whether that cluster answers, each checked before
 * anything is created and each failure saying exactly what is wrong.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { HarnessConfig } from '../config.js';
import { PrerequisiteError, errorMessage } from '../errors.js';
import type { KubeTarget } from './kube-types.js';

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
