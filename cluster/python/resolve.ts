/**
 * A role's Python packages as something other than its committed lock file would give them: what
 * `pip install <packages>` resolves to today, on top of an image's own packages. uv resolves it into
 * a hashed lock file like the committed ones, so the environment is built (and cached) the same way.
 *
 *   { lock: 'user' }                                        the committed lock file, as it is
 *   { install: ['nbgrader', 'ngshare-exchange'],            the tutorial's postStart, unpinned,
 *     onto: 'user-bare' }                                   run in the singleuser image
 *
 * How the image is modelled (`onto`): its lock file lists what the image holds. pip's default
 * (`--upgrade-strategy only-if-needed`) keeps an installed package unless the new requirements need
 * another version, and so does uv with an existing output file: the image's lock is given to uv as
 * that file, so its versions are preferences, not constraints. The image's own requirements (the
 * names in its .in file) are resolved too, so the environment still has the image's server side.
 * Packages the image has but the role never imports (numpy, pandas …) are not modelled.
 *
 * A resolution is dated: PyPI as it stood at `asOf` (uv's --exclude-newer), and kept for the rest of
 * that UTC day under <cache>/resolutions/, so two runs on one day use one resolution (and one
 * environment, whose key hashes the lock's text), a run without network can reuse today's, and a
 * release tomorrow makes a new lock and so a new environment. Versions unchanged make the same text.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execa } from 'execa';
import { HarnessError, PrerequisiteError } from '../errors.js';
import type { Logger } from '../log.js';
import { versions } from '../versions.js';
import { type EnvRole, envRoles, findInstalledPython, pythonVersionOf, readRequirementHeaders, requirementsDir } from './python-envs.js';

/** How a role gets its packages: its committed lock file, or a resolution made today. */
export type RoleSpec = { lock: EnvRole } | { install: string[]; onto?: EnvRole; python?: string };

export interface ResolvedRole {
  /** The environment kind: which packages its health check requires, and the start of its cache name. */
  role: EnvRole;
  spec: RoleSpec;
  source: 'lock' | 'resolved';
  /** The hashed lock file the environment is built from. */
  lockFile: string;
  /** X.Y asked for, and the interpreter found for it (x.y.z). */
  python: string;
  interpreter: string;
  pythonVersion: string;
  /** Every package of the lock, name (normalised) → version. */
  packages: Record<string, string>;
  /** When uv resolved it: PyPI as it stood then. */
  resolvedAt?: string;
}

/** The requirements cannot be installed together; `reason` is uv's explanation, `headline` its conclusion. */
export class UnresolvableError extends HarnessError {
  constructor(
    readonly role: EnvRole,
    readonly headline: string,
    readonly reason: string,
  ) {
    super('versions', `the ${role} packages cannot be installed together: ${headline}`, reason);
    this.name = 'UnresolvableError';
  }
}

/** The Python a spec asks for is not installed here: the role cannot run as asked. */
export class PythonMissingError extends PrerequisiteError {
  constructor(readonly minor: string) {
    super('python', `Python ${minor} is not installed here (looked in pyenv and PATH for python${minor})`);
    this.name = 'PythonMissingError';
  }
}

export interface ResolveOptions {
  cacheDir: string;
  uv: string;
  log: Logger;
  /** PyPI as it stands at this moment (default: now). */
  asOf?: Date;
  /** Index options for uv (tests point it at a local directory); default: uv's own (PyPI, or UV_INDEX_URL). */
  indexArgs?: string[];
  /** Find the interpreter of X.Y (tests give their own); default: pyenv, then PATH. */
  findPython?: (minor: string) => string | undefined;
  /** For a committed lock: fall back to the default python3 when its X.Y is missing (the product's pinned runs do). */
  lenientLockPython?: (minor: string) => Promise<string>;
}

/** PEP 503 name: what pip and uv compare. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `name==version` lines of a lock (or requirements) file, names normalised. */
export function lockVersions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)/gm)) out[normaliseName(m[1])] = m[2];
  return out;
}

/** The package names an .in file requires (its image's own top-level packages). */
export function requirementNames(inText: string): string[] {
  return inText
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(l)?.[1])
    .filter((n): n is string => Boolean(n));
}

const requirementPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?\s*((===?|!=|~=|<=?|>=?)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*$/;

/** A requirement as pip takes it on its command line (`nbgrader`, `jupyterhub>=6`), or a UsageError-worthy reason. */
export function requirementProblem(req: string): string | undefined {
  if (!requirementPattern.test(req.trim())) return `"${req}" is not a requirement pip takes (name, optionally with a version: jupyterhub>=6)`;
  return undefined;
}

/** Whether a spec is valid; the reason when not. */
export function specProblem(spec: RoleSpec): string | undefined {
  if ('lock' in spec) return envRoles.includes(spec.lock) ? undefined : `unknown lock "${String(spec.lock)}"; choose from: ${envRoles.join(', ')}`;
  if (!Array.isArray(spec.install) || spec.install.length === 0) return 'install: give the packages pip installs';
  for (const r of spec.install) {
    const problem = requirementProblem(r);
    if (problem) return problem;
  }
  if (spec.onto !== undefined && !envRoles.includes(spec.onto)) return `unknown image "${String(spec.onto)}" (onto); choose from: ${envRoles.join(', ')}`;
  if (spec.python !== undefined && !/^3\.\d+$/.test(spec.python)) return `python "${spec.python}": give X.Y, e.g. 3.12`;
  return undefined;
}

/** What uv is asked to resolve: the input lines and the preferences (the image's lock), for a spec. */
export function compileInput(spec: { install: string[]; onto?: EnvRole }): { requirements: string[]; preferences?: string } {
  const image = spec.onto ? requirementNames(fs.readFileSync(path.join(requirementsDir, `${spec.onto}.in`), 'utf8')) : [];
  const installed = new Set(spec.install.map((r) => normaliseName(/^[A-Za-z0-9._-]+/.exec(r)![0])));
  // The image's packages by name: a version the install asks for (jupyterhub>=6) wins over the image's.
  const requirements = [...spec.install, ...image.filter((n) => !installed.has(normaliseName(n)))];
  return { requirements, preferences: spec.onto ? path.join(requirementsDir, `${spec.onto}.txt`) : undefined };
}

/** uv's explanation of an unsatisfiable resolution: the statement that names the conflict, and all of it. */
export function resolverReason(stderr: string): { headline: string; reason: string } | undefined {
  if (!/No solution found when resolving dependencies|requirements are unsatisfiable/.test(stderr)) return undefined;
  const lines = stderr
    .replace(/^.*?(?=(error: )?No solution found)/s, '')
    .replace(/^(error: |\s*× )/, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  // uv starts each statement of its derivation on a line of its own: "Because …", "And because …".
  const statements: string[] = [];
  for (const line of lines.slice(1)) {
    const text = line.trim().replace(/^(cause:|╰─▶|×)\s*/, '');
    if (/^(And because|Because|hint:)/.test(text) || statements.length === 0) statements.push(text);
    else statements[statements.length - 1] += ` ${text}`;
  }
  const said = statements.map((s) => s.replace(/\s+/g, ' ').replace(/^And because/, 'Because'));
  const conflict = [...said].reverse().find((s) => /are incompatible\.$/.test(s));
  const last = said.filter((s) => !s.startsWith('hint:')).at(-1);
  return { headline: conflict ?? last ?? lines[0], reason: lines.join('\n') };
}

/** Whether uv failed because it could not reach the index (no network, DNS, a proxy), not because of the packages. */
export function isNetworkFailure(stderr: string): boolean {
  return /error sending request|dns error|failed to lookup address|Connection refused|Network is unreachable|tcp connect error|operation timed out|Could not connect|client error \(Connect\)|Failed to fetch: `https?:/i.test(
    stderr,
  );
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function resolutionsDir(cacheDir: string): string {
  return path.join(cacheDir, 'resolutions');
}

interface ResolutionMeta {
  role: EnvRole;
  spec: RoleSpec;
  pythonVersion: string;
  resolvedAt: string;
  excludeNewer: string;
}

/** The newest resolution of a role kept here, to name in an offline message. */
function lastResolution(cacheDir: string, role: EnvRole): string | undefined {
  const dir = resolutionsDir(cacheDir);
  if (!fs.existsSync(dir)) return undefined;
  const days = fs
    .readdirSync(dir)
    .map((n) => new RegExp(`^${role}-(\\d{4}-\\d{2}-\\d{2})-[0-9a-f]+\\.json$`).exec(n)?.[1])
    .filter((d): d is string => Boolean(d))
    .sort();
  return days.at(-1);
}

/** Resolve one role's spec: a committed lock as it is, or uv's resolution as of today (cached for the day). */
export async function resolveRole(role: EnvRole, spec: RoleSpec, options: ResolveOptions): Promise<ResolvedRole> {
  const problem = specProblem(spec);
  if (problem) throw new HarnessError('versions', `${role}: ${problem}`);
  const find = options.findPython ?? findInstalledPython;
  if ('lock' in spec) {
    const lockFile = path.join(requirementsDir, `${spec.lock}.txt`);
    const python = readRequirementHeaders(spec.lock).python;
    const interpreter = find(python) ?? (options.lenientLockPython ? await options.lenientLockPython(python) : undefined);
    if (!interpreter) throw new PythonMissingError(python);
    return {
      role: spec.lock,
      spec,
      source: 'lock',
      lockFile,
      python,
      interpreter,
      pythonVersion: await pythonVersionOf(interpreter),
      packages: lockVersions(fs.readFileSync(lockFile, 'utf8')),
    };
  }

  const python = spec.python ?? readRequirementHeaders(spec.onto ?? role).python;
  const interpreter = find(python);
  if (!interpreter) throw new PythonMissingError(python);
  const pythonVersion = await pythonVersionOf(interpreter);
  const { requirements, preferences } = compileInput(spec);
  const preferenceText = preferences ? fs.readFileSync(preferences, 'utf8') : '';
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ role, requirements, pythonVersion, uv: versions.uv, index: options.indexArgs ?? [] }))
    .update(preferenceText)
    .digest('hex')
    .slice(0, 16);
  const asOf = options.asOf ?? new Date();
  const base = path.join(resolutionsDir(options.cacheDir), `${role}-${day(asOf)}-${key}`);
  const result = (meta: ResolutionMeta): ResolvedRole => ({
    role,
    spec,
    source: 'resolved',
    lockFile: `${base}.txt`,
    python,
    interpreter,
    pythonVersion,
    packages: lockVersions(fs.readFileSync(`${base}.txt`, 'utf8')),
    resolvedAt: meta.resolvedAt,
  });
  if (fs.existsSync(`${base}.json`) && fs.existsSync(`${base}.txt`)) {
    return result(JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')) as ResolutionMeta);
  }

  fs.mkdirSync(resolutionsDir(options.cacheDir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(resolutionsDir(options.cacheDir), '.resolving-'));
  try {
    fs.writeFileSync(path.join(tmp, 'requirements.in'), `${requirements.join('\n')}\n`);
    // An existing output file is what uv keeps versions from: the image's packages.
    if (preferences) fs.copyFileSync(preferences, path.join(tmp, 'lock.txt'));
    const excludeNewer = asOf.toISOString();
    const args = [
      'pip',
      'compile',
      '--quiet',
      '--generate-hashes',
      '--python',
      interpreter,
      '--exclude-newer',
      excludeNewer,
      // The same text whatever the day: unchanged versions keep the same environment.
      '--custom-compile-command',
      `harness resolution: pip install ${spec.install.join(' ')}${spec.onto ? ` onto the ${spec.onto} image` : ''}`,
      ...(options.indexArgs ?? []),
      'requirements.in',
      '-o',
      'lock.txt',
    ];
    options.log.info(
      `resolving ${role}: pip install ${spec.install.join(' ')}${spec.onto ? ` onto ${spec.onto}` : ''} (Python ${pythonVersion}, PyPI as of ${excludeNewer})`,
    );
    const run = await execa(options.uv, args, {
      cwd: tmp,
      reject: false,
      env: { UV_CACHE_DIR: path.join(options.cacheDir, 'uv-cache'), UV_PYTHON_DOWNLOADS: 'never', NO_COLOR: '1' },
      timeout: 300_000,
    });
    if (run.exitCode !== 0 || run.timedOut) {
      const stderr = `${run.stderr}\n${run.stdout}`.trim();
      const unsatisfiable = resolverReason(stderr);
      if (unsatisfiable) throw new UnresolvableError(role, unsatisfiable.headline, unsatisfiable.reason);
      if (run.timedOut || isNetworkFailure(stderr)) {
        const last = lastResolution(options.cacheDir, role);
        throw new HarnessError(
          'versions',
          `resolving the ${role} packages as of today needs the package index, and uv could not reach it`,
          [
            stderr.split('\n').slice(-4).join('\n'),
            `Without network, run with --versions pinned (the committed lock files need no index once their environments are cached).`,
            last
              ? `The last ${role} resolution here is from ${last}; a resolution is reused only on its own day.`
              : `No ${role} resolution is cached here yet.`,
          ].join('\n'),
        );
      }
      throw new HarnessError('versions', `uv could not resolve the ${role} packages (exit ${run.exitCode})`, stderr.split('\n').slice(-20).join('\n'));
    }
    const meta: ResolutionMeta = { role, spec, pythonVersion, resolvedAt: new Date().toISOString(), excludeNewer };
    fs.writeFileSync(path.join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    // The lock first, its meta last: a resolution is complete when its .json exists.
    fs.renameSync(path.join(tmp, 'lock.txt'), `${base}.txt`);
    fs.renameSync(path.join(tmp, 'meta.json'), `${base}.json`);
    return result(meta);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
