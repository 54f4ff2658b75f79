/**
 * Which versions a deployment's three Python roles run: a version set names a RoleSpec
 * (resolve.ts) for the hub, ngshare and the user servers. Two sets are the product's own:
 *
 *   pinned  every role from its committed lock file: what the tutorial ran with (the default)
 *   latest  what a deployment made today with the tutorial's files gets: the user servers float
 *           (the postStart's unpinned `pip install nbgrader ngshare-exchange`, resolved today in
 *           the singleuser image); the hub as chart 4.3.3 pins it and ngshare as its v0.6.0 image
 *           has it, since a deployment made today still gets exactly those
 *
 * A resolved set (every role's lock file and interpreter found, every version known) can be written
 * to a file and given to a run (E2E_VERSIONS=<file>): the run then uses exactly those environments.
 * That is how something outside the product (the matrix) runs a stack with other versions.
 */
import fs from 'node:fs';
import type { VersionsChoice } from '../config.js';
import { HarnessError } from '../errors.js';
import type { Logger } from '../log.js';
import { ensureUv, envRoles, findPython } from './python-envs.js';
import { resolveRole, specProblem, type ResolveOptions, type ResolvedRole, type RoleSpec } from './resolve.js';

/** The three parts of a deployment that run Python. */
export type DeploymentRole = 'hub' | 'ngshare' | 'user';
export const deploymentRoles: readonly DeploymentRole[] = ['hub', 'ngshare', 'user'];

export interface VersionSet {
  name: string;
  /** One line: what a deployment with these versions is. */
  title: string;
  roles: Record<DeploymentRole, RoleSpec>;
}

/** The user servers' packages as the tutorial's postStart installs them: unpinned, in the singleuser image. */
export const postStartInstall: RoleSpec = { install: ['nbgrader', 'ngshare-exchange'], onto: 'user-bare' };

export const versionSets = {
  pinned: {
    name: 'pinned',
    title: "the tutorial's recorded versions (the committed lock files)",
    roles: { hub: { lock: 'hub' }, ngshare: { lock: 'ngshare' }, user: { lock: 'user' } },
  },
  latest: {
    name: 'latest',
    title:
      'a deployment made today: `pip install nbgrader ngshare-exchange` resolved today in the singleuser image; hub as chart 4.3.3 pins it, ngshare as its v0.6.0 image has it',
    roles: { hub: { lock: 'hub' }, ngshare: { lock: 'ngshare' }, user: postStartInstall },
  },
} as const satisfies Record<string, VersionSet>;

export type VersionSetName = keyof typeof versionSets;
export const versionSetNames = Object.keys(versionSets) as VersionSetName[];

export interface ResolvedVersions {
  name: string;
  title: string;
  /** When the set was resolved (a run of `latest` resolves at its start). */
  resolvedAt: string;
  roles: Record<DeploymentRole, ResolvedRole>;
}

/** Every role of a set resolved (in parallel); the first error (unresolvable, Python missing, offline) is thrown. */
export async function resolveVersionSet(set: VersionSet, options: ResolveOptions): Promise<ResolvedVersions> {
  const resolved = await Promise.all(deploymentRoles.map((role) => resolveRole(role, set.roles[role], options)));
  return {
    name: set.name,
    title: set.title,
    resolvedAt: new Date().toISOString(),
    roles: Object.fromEntries(deploymentRoles.map((role, i) => [role, resolved[i]])) as Record<DeploymentRole, ResolvedRole>,
  };
}

/**
 * The versions a run asked for (E2E_VERSIONS): a named set resolved now (`latest` asks the index,
 * at most once a day), or a resolved set's file as it was written.
 */
export async function resolveVersionsChoice(choice: VersionsChoice, options: ResolveOptions): Promise<ResolvedVersions> {
  if (choice.kind === 'file') return readResolvedVersions(choice.file);
  return resolveVersionSet(versionSets[choice.name], options);
}

/**
 * The versions a run's configuration asks for, resolved the way the local stack uses them: a
 * committed lock whose Python is missing falls back to python3 with a warning, as it always has; a
 * resolution made today never does (it would be another resolution).
 */
export async function resolveRunVersions(config: { cacheDir: string; versions: VersionsChoice }, log: Logger): Promise<ResolvedVersions> {
  const uv = await ensureUv(config.cacheDir, log);
  return resolveVersionsChoice(config.versions, { cacheDir: config.cacheDir, uv, log, lenientLockPython: (minor) => findPython(minor, log) });
}

/** The resolved versions in one line: what people look for first. */
export function formatResolved(resolved: ResolvedVersions): string {
  const v = keyVersions(resolved);
  return [
    `${describeResolved(resolved)}:`,
    `nbgrader ${v.nbgrader}, ngshare-exchange ${v['ngshare-exchange']}, jupyterlab ${v.jupyterlab}, jupyterhub ${v['user jupyterhub']} (user, Python ${v['user python']})`,
    `· jupyterhub ${v['hub jupyterhub']} (hub, SQLAlchemy ${v['hub sqlalchemy']})`,
    `· ngshare ${v.ngshare} (SQLAlchemy ${v['ngshare sqlalchemy']}, Python ${v['ngshare python']})`,
  ].join(' ');
}

/** One line for people: the set, and for a resolution made today, when. */
export function describeResolved(resolved: ResolvedVersions): string {
  const dates = Object.values(resolved.roles)
    .map((r) => r.resolvedAt)
    .filter((d): d is string => Boolean(d))
    .sort();
  return `${resolved.name}${dates.length ? ` (resolved ${dates[0].slice(0, 16).replace('T', ' ')} UTC)` : ''}`;
}

/** The versions people ask about, per role, from a resolved set (the table's columns). */
export function keyVersions(resolved: ResolvedVersions): Record<string, string> {
  const of = (role: DeploymentRole, name: string) => resolved.roles[role].packages[name] ?? 'not installed';
  return {
    'hub jupyterhub': of('hub', 'jupyterhub'),
    'hub sqlalchemy': of('hub', 'sqlalchemy'),
    'hub python': resolved.roles.hub.pythonVersion,
    ngshare: of('ngshare', 'ngshare'),
    'ngshare sqlalchemy': of('ngshare', 'sqlalchemy'),
    'ngshare python': resolved.roles.ngshare.pythonVersion,
    nbgrader: of('user', 'nbgrader'),
    'ngshare-exchange': of('user', 'ngshare-exchange'),
    'user jupyterhub': of('user', 'jupyterhub'),
    jupyterlab: of('user', 'jupyterlab'),
    'user python': resolved.roles.user.pythonVersion,
  };
}

export function writeResolvedVersions(file: string, resolved: ResolvedVersions): void {
  fs.writeFileSync(file, `${JSON.stringify(resolved, null, 2)}\n`);
}

/** A resolved set from its file, checked: every role's lock file and interpreter must still be there. */
export function readResolvedVersions(file: string): ResolvedVersions {
  let data: ResolvedVersions;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as ResolvedVersions;
  } catch (err) {
    throw new HarnessError('versions', `cannot read the versions file ${file}: ${(err as Error).message}`);
  }
  for (const role of deploymentRoles) {
    const r = data.roles?.[role];
    const problem = !r
      ? `has no ${role} role`
      : !envRoles.includes(r.role)
        ? `${role}: unknown environment kind "${String(r.role)}"`
        : specProblem(r.spec)
          ? `${role}: ${specProblem(r.spec)}`
          : !fs.existsSync(r.lockFile)
            ? `${role}: its lock file ${r.lockFile} is gone`
            : !fs.existsSync(r.interpreter)
              ? `${role}: its interpreter ${r.interpreter} is gone`
              : undefined;
    if (problem) throw new HarnessError('versions', `the versions file ${file} ${problem}`);
  }
  return data;
}

export type { ResolveOptions, ResolvedRole, RoleSpec };
