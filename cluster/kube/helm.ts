/**
 * Helm, as argv arrays: the chart repositories (the tutorial's two, or the ones --charts names),
 * and `helm upgrade --install` of ngshare and JupyterHub, from a repository or a local chart, with
 * the values files in the order the tutorial passes them. Every
 * command names the kubeconfig and context explicitly, and keeps Helm's repository list in the
 * harness's cache instead of the user's own (~/.config/helm is never touched).
 */
import path from 'node:path';
import { HarnessError } from '../errors.js';
import type { HelmRelease, KubeTarget } from './kube-types.js';
import { runTool, type ToolEnv } from './tools.js';

/** Global flags that keep Helm's repository list and cache under the harness's cache directory. */
export function repoStoreArgs(cacheDir: string): string[] {
  return ['--repository-config', path.join(cacheDir, 'helm', 'repositories.yaml'), '--repository-cache', path.join(cacheDir, 'helm', 'cache')];
}

export function targetArgs(target: KubeTarget): string[] {
  return ['--kubeconfig', target.kubeconfig, '--kube-context', target.context];
}

export function repoAddArgv(repo: { name: string; url: string }, cacheDir: string): string[] {
  return ['repo', 'add', repo.name, repo.url, '--force-update', ...repoStoreArgs(cacheDir)];
}

export function repoUpdateArgv(names: string[], cacheDir: string): string[] {
  return ['repo', 'update', ...names, ...repoStoreArgs(cacheDir)];
}

export function chartSearchArgv(chart: string, version: string, cacheDir: string): string[] {
  return ['search', 'repo', chart, '--version', version, '--output', 'json', ...repoStoreArgs(cacheDir)];
}

export function upgradeInstallArgv(release: HelmRelease, target: KubeTarget, cacheDir: string): string[] {
  return [
    'upgrade',
    '--install',
    release.name,
    release.chart,
    // A local chart is the version it is; Helm ignores --version for a path.
    ...(release.source.kind === 'local' ? [] : ['--version', release.version]),
    '--namespace',
    release.namespace,
    ...release.valuesFiles.flatMap((f) => ['--values', f]),
    '--timeout',
    release.timeout,
    ...targetArgs(target),
    ...repoStoreArgs(cacheDir),
  ];
}

export function uninstallArgv(name: string, namespace: string, target: KubeTarget): string[] {
  return ['uninstall', name, '--namespace', namespace, '--timeout', '5m', ...targetArgs(target)];
}

/** `helm uninstall` of a release that is already gone (safe to call twice). */
export function isReleaseNotFound(err: unknown): boolean {
  return err instanceof HarnessError && /release: not found|not found/i.test(err.message);
}

/** What a person should know about a Helm failure the harness has seen before. */
export function explainHelmFailure(stderr: string): string | undefined {
  if (
    /is not a valid chart repository|failed to fetch .*index\.yaml|could not find protocol handler|no such host|connection refused.*index\.yaml/i.test(stderr)
  ) {
    return 'the chart repository cannot be read (no network, a proxy, or a wrong URL)';
  }
  if (/no repo named|repo .* not found|no repositories (found|to show)/i.test(stderr)) {
    return "the chart repository is missing from the harness's Helm repository list (the `helm repo add` step did not run or failed)";
  }
  if (/chart .* (version .* )?not found|failed to download/i.test(stderr)) {
    return 'the pinned chart version is not in the repository';
  }
  if (/Kubernetes cluster unreachable/i.test(stderr)) return 'the cluster does not answer';
  if (/context .* does not exist/i.test(stderr)) return 'the kubeconfig has no such context';
  if (/cannot re-use a name that is still in use|another operation .* is in progress/i.test(stderr)) {
    return 'a release of that name is busy (an earlier run left it mid-operation): `npm run reap`';
  }
  return undefined;
}

export function helm(args: string[], env: ToolEnv & { timeoutMs?: number; label?: string } = {}) {
  return runTool('helm', args, { ...env, explain: explainHelmFailure });
}

/** Fails with a clear message unless `helm search repo` lists the chart at exactly that version. */
export function assertChartListed(chart: string, version: string, searchJson: string, repositoryUrl: string): void {
  let entries: Array<{ name: string; version: string }>;
  try {
    entries = JSON.parse(searchJson || '[]') as Array<{ name: string; version: string }>;
  } catch {
    throw new HarnessError('helm', `search repo ${chart} printed something that is not JSON`, searchJson.slice(0, 500));
  }
  const repo = chart.split('/')[0];
  if (!entries.some((e) => e.name === chart && e.version === version)) {
    throw new HarnessError(
      'helm',
      `chart ${chart} ${version} is not in the chart repository ${repo} (${repositoryUrl})`,
      entries.length ? `listed: ${entries.map((e) => `${e.name} ${e.version}`).join(', ')}` : 'the repository lists no such chart',
    );
  }
}
