/** The Python environment of each role of a local stack, under a deployment's variant. */
import { logger } from '../log.js';
import type { StackVariant } from '../config.js';
import { ensureEnvs, type EnvRole } from '../python/python-envs.js';
import type { LocalDetails, StackRole } from './local-details.js';

/** Which environment each role of a deployment uses under a variant. */ export function envRolesFor(variant: StackVariant): Record<StackRole, EnvRole> {
  return {
    hub: 'hub',
    ngshare: variant.ngshareSqlalchemy2 ? 'ngshare-sqlalchemy2' : 'ngshare',
    user: variant.withoutNbgrader ? 'user-bare' : 'user',
  };
}

/** The environments of a deployment's three roles, built or taken from the cache. */
export async function ensureStackEnvs(variant: StackVariant, cacheDir: string): Promise<LocalDetails['envs']> {
  const roles = envRolesFor(variant);
  const envs = await ensureEnvs(Object.values(roles), cacheDir, logger('python-envs'));
  const pick = (r: StackRole) => ({ role: roles[r], dir: envs[roles[r]].dir, pythonVersion: envs[roles[r]].pythonVersion });
  return { hub: pick('hub'), ngshare: pick('ngshare'), user: pick('user') };
}
