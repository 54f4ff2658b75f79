/**
 * The first line a run prints: which versions it runs, before anything starts. On the local
 * platform the versions are resolved here (for `latest`: from the index, once a day; offline, the
 * run stops now with what to do), and the bring-up then uses the same resolution. On a cluster
 * the pods decide (the postStart's pip install): the versions that ran are read from them after
 * bring-up, into the run's versions.json, summary.json and the report's environment.
 */
import { readConfig } from '../../cluster/config.js';
import { logger } from '../../cluster/log.js';
import { formatResolved, readResolvedVersions, resolveRunVersions } from '../../cluster/python/version-sets.js';
import { versions as pins } from '../../cluster/versions.js';

export async function versionsBanner(env: Record<string, string>): Promise<string> {
  const config = readConfig({ ...process.env, ...env });
  const choice = config.versions;
  if (config.platform === 'local') return `versions: ${formatResolved(await resolveRunVersions(config, logger('versions')))}`;
  if (config.kube.existingRelease) return 'versions: those of the existing release (read from its pods after the run)';
  if (choice.kind === 'file') return `versions: ${readResolvedVersions(choice.file).name} (a resolved versions file applies to the local platform only)`;
  const chart = `chart ${pins.jupyterhubChart} (jupyterhub ${pins.jupyterhub}), ngshare image ${pins.ngshareImage.tag}`;
  return choice.name === 'latest'
    ? `versions: latest — the user pods' postStart runs \`pip install nbgrader ngshare-exchange\` unpinned; ${chart}; what ran is read from the pods after bring-up`
    : `versions: pinned — the postStart installs nbgrader ${pins.nbgrader}, ngshare-exchange ${pins.ngshareExchange}; ${chart}`;
}
