/**
 * kind, as argv arrays: the run's cluster is named after the run (its id is a valid cluster name),
 * created from the project's config (values/kind-cluster.yaml) with a kubeconfig of its own in the
 * run directory, so the user's ~/.kube/config is never changed.
 */
import YAML from 'yaml';
import { isRunId } from '../run/index.js';
import { kindNodeImageDigest, versions } from '../versions.js';
import { fillTemplate, readYamlFile, valuesDir } from './values.js';
import path from 'node:path';

/** The NodePort of the hub's proxy-public service, published by kind on 127.0.0.1. */
export const hubNodePort = 30080;

export function kindContext(cluster: string): string {
  return `kind-${cluster}`;
}

/** The project's kind config, filled in for the run. */
export function kindConfigYaml(cluster: string, runId: string): string {
  const template = readYamlFile(path.join(valuesDir, 'kind-cluster.yaml'), 'cluster/kube/values/kind-cluster.yaml');
  const filled = fillTemplate(
    template,
    {
      clusterName: cluster,
      runId,
      nodeImage: `${versions.kindNodeImage}@${kindNodeImageDigest}`,
      hubNodePort,
    },
    'cluster/kube/values/kind-cluster.yaml',
  );
  return YAML.stringify(filled);
}

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
