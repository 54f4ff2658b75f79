/**
 * kind, as argv arrays: the run's cluster is named after the run (its id is a valid cluster name),
 * created from the project's config (values/kind-cluster.yaml, filled in by layout.ts) with a
 * kubeconfig of its own in the run directory, so the user's ~/.kube/config is never changed.
 */
import { isRunId } from '../run/index.js';

export const kindArgv = {
  getClusters: () => ['get', 'clusters'],
  create: (cluster: string, configFile: string, kubeconfig: string) => [
    'create',
    'cluster',
    '--name',
    cluster,
    '--config',
    configFile,
    '--kubeconfig',
    kubeconfig,
    '--wait',
    '120s',
  ],
  /** For a cluster that exists but whose run kubeconfig is gone (reuse). */
  exportKubeconfig: (cluster: string, kubeconfig: string) => ['export', 'kubeconfig', '--name', cluster, '--kubeconfig', kubeconfig],
  loadImage: (cluster: string, image: string) => ['load', 'docker-image', image, '--name', cluster],
  exportLogs: (cluster: string, dir: string) => ['export', 'logs', dir, '--name', cluster],
  delete: (cluster: string, kubeconfig: string) => ['delete', 'cluster', '--name', cluster, '--kubeconfig', kubeconfig],
};

/** `kind get clusters` output → the clusters that belong to harness runs. */
export function runClusters(getClustersOutput: string): string[] {
  return getClustersOutput
    .split('\n')
    .map((l) => l.trim())
    .filter(isRunId);
}
