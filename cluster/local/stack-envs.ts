/**
 * The Python environment of each role of a local stack, under a deployment's variant and the run's
 * versions (E2E_VERSIONS: the lock files, `latest` resolved today, or a resolved set's file given
 * from outside, e.g. by the matrix). A variant that swaps a role's environment (a troubleshooting
 * case) keeps its committed lock: the case is about that deployment, whatever the versions.
 */
import path from 'node:path';
import type { HarnessConfig, StackVariant } from '../config.js';
import { logger } from '../log.js';
import { ensureEnvFromLock, ensureUv, findPython, readRequirementHeaders, requirementsDir, type EnvRole, type EnvSource } from '../python/python-envs.js';
import { deploymentRoles, resolveRunVersions } from '../python/version-sets.js';
import type { LocalDetails, StackRole } from './local-details.js';

/** Which environment each role of a deployment uses under a variant. */
export function envRolesFor(variant: StackVariant): Record<StackRole, EnvRole> {
  return {
    hub: 'hub',
    ngshare: variant.ngshareSqlalchemy2 ? 'ngshare-sqlalchemy2' : 'ngshare',
    user: variant.withoutNbgrader ? 'user-bare' : 'user',
  };
}

/** What the plan says about the versions (E2E_VERSIONS), beside the lock files. */
export function describeVersionsChoice(choice: HarnessConfig['versions']): string[] {
  if (choice.kind === 'file') return [`versions: the resolved set in ${choice.file} (each role's lock file as it names it)`];
  if (choice.name === 'pinned') return [];
  return [
    'versions: latest — the user environment is `pip install nbgrader ngshare-exchange` resolved today by uv onto the singleuser image (user-bare.txt kept where it fits), cached for the day in <cache>/resolutions/; hub and ngshare from their lock files',
  ];
}

/** The environments of a deployment's three roles, built or taken from the cache. */
export async function ensureStackEnvs(variant: StackVariant, config: Pick<HarnessConfig, 'cacheDir' | 'versions'>): Promise<LocalDetails['envs']> {
  const log = logger('python-envs');
  const roles = envRolesFor(variant);
  const versions = await resolveRunVersions(config, log);
  const uv = await ensureUv(config.cacheDir, log);
  const sources = await Promise.all(
    deploymentRoles.map(async (r): Promise<EnvSource> => {
      const resolved = versions.roles[r];
      if (roles[r] === r) return { role: resolved.role, lockFile: resolved.lockFile, python: resolved.interpreter };
      const python = await findPython(readRequirementHeaders(roles[r]).python, log);
      return { role: roles[r], lockFile: path.join(requirementsDir, `${roles[r]}.txt`), python };
    }),
  );
  const envs = await Promise.all(sources.map((source) => ensureEnvFromLock(source, config.cacheDir, uv, log)));
  const pick = (i: number) => ({ role: envs[i].role, dir: envs[i].dir, pythonVersion: envs[i].pythonVersion });
  return { hub: pick(0), ngshare: pick(1), user: pick(2) };
}
