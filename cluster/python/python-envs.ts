/**
 * Python environments, one per role as in the real deployment (hub image, ngshare image, user
 * image), built by uv from the committed lock files (requirements/) and cached between runs. The
 * local platform runs its stack in them; the lock script writes their lock files.
 *
 * An environment lives in <cache>/envs/<role>-<key>, where the key hashes the lock file, the
 * Python version and uv's version: change a pin and the next run builds a new one. It is built in
 * a temporary directory and renamed into place only when complete (uv makes it relocatable), so a
 * build killed half-way never looks usable; a cached one that fails its import check is rebuilt.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { HarnessError, PrerequisiteError } from '../errors.js';
import { versions } from '../versions.js';
import type { Logger } from '../log.js';
import { formatDuration } from '../log.js';

/** The three roles of a deployment, plus variants built only when a troubleshooting case needs them. */
export type EnvRole = 'hub' | 'ngshare' | 'user' | 'user-bare' | 'ngshare-sqlalchemy2';
export const envRoles: readonly EnvRole[] = ['hub', 'ngshare', 'user', 'user-bare', 'ngshare-sqlalchemy2'];

export const requirementsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'requirements');

/** Packages each environment must have. Found, not imported: importing them takes seconds. */
const requiredPackages: Record<EnvRole, string[]> = {
  hub: ['jupyterhub', 'sqlalchemy', 'tornado'],
  ngshare: ['ngshare', 'sqlalchemy', 'jupyterhub'],
  user: ['nbgrader', 'ngshare_exchange', 'jupyterhub', 'jupyterlab', 'jupyter_server', 'pip'],
  'user-bare': ['jupyterhub', 'jupyterlab', 'jupyter_server', 'pip'],
  'ngshare-sqlalchemy2': ['ngshare', 'sqlalchemy', 'jupyterhub'],
};

export interface PythonEnv {
  role: EnvRole;
  dir: string;
  bin: string;
  python: string;
  /** Python version actually used (x.y.z). */
  pythonVersion: string;
  /** True when this run built it, false when it came from the cache. */
  built: boolean;
}

const markerName = '.e2e-env.json';

/** How often a build that is still going says so. */
export const progressIntervalMs = 5000;

interface Build {
  what: string;
  started: number;
  /** How far it is, when that can be told ("45 of 180 packages"). */
  detail?: () => string | undefined;
  log: Logger;
}

/** Builds going on in this process; while there are any, one line every progressIntervalMs says how each is doing. */
const builds = new Set<Build>();
let heartbeat: NodeJS.Timeout | undefined;

/** The progress line for these builds at `now`: `still building: the user environment (45 of 180 packages, 12 s), …`. */
export function progressLine(going: Iterable<Pick<Build, 'what' | 'started' | 'detail'>>, now = Date.now()): string {
  const parts = [...going].map((b) => {
    const detail = b.detail?.();
    return `${b.what} (${detail ? `${detail}, ` : ''}${formatDuration(now - b.started)})`;
  });
  return `still building: ${parts.join('; ')}`;
}

/** Runs `body` as a build that reports its progress every few seconds (`intervalMs`, for tests) until it ends. */
export async function trackBuild<T>(build: Omit<Build, 'started'>, body: () => Promise<T>, intervalMs = progressIntervalMs): Promise<T> {
  const entry: Build = { ...build, started: Date.now() };
  builds.add(entry);
  heartbeat ??= setInterval(() => {
    const first = [...builds][0];
    if (first) first.log.info(progressLine(builds));
  }, intervalMs);
  // A build must never keep the process alive by itself.
  heartbeat.unref();
  try {
    return await body();
  } finally {
    builds.delete(entry);
    if (!builds.size && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }
}

/** The packages a lock file pins (`name==version` lines). */
function lockedPackages(lockText: string): number {
  return lockText.split('\n').filter((l) => /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?==/.test(l)).length;
}

/** How many packages an environment being built has in place (its .dist-info directories). */
function installedPackages(envDir: string): number {
  const lib = path.join(envDir, 'lib');
  if (!fs.existsSync(lib)) return 0;
  let count = 0;
  for (const py of fs.readdirSync(lib)) {
    const site = path.join(lib, py, 'site-packages');
    if (fs.existsSync(site)) count += fs.readdirSync(site).filter((f) => f.endsWith('.dist-info')).length;
  }
  return count;
}

/** The `# python: X.Y` and `# exclude-newer: DATE` headers of a requirements .in file. */
export function readRequirementHeaders(role: EnvRole): { python: string; excludeNewer?: string } {
  const text = fs.readFileSync(path.join(requirementsDir, `${role}.in`), 'utf8');
  const python = /^#\s*python:\s*(\S+)/m.exec(text)?.[1];
  if (!python) throw new HarnessError('python-envs', `${role}.in has no "# python: X.Y" line`);
  const excludeNewer = /^#\s*exclude-newer:\s*(\S+)/m.exec(text)?.[1];
  return { python, excludeNewer };
}

/** uv itself, pip-installed once into the cache from PyPI at the pinned version. */
export async function ensureUv(cacheDir: string, log: Logger): Promise<string> {
  const dir = path.join(cacheDir, 'tools', `uv-${versions.uv}`);
  const uv = path.join(dir, 'bin', 'uv');
  if (fs.existsSync(uv)) return uv;
  const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  log.info(`installing uv ${versions.uv} from PyPI into the cache`);
  const python = await findSystemPython();
  try {
    await trackBuild({ what: `uv ${versions.uv}`, log }, async () => {
      await execa(python, ['-m', 'venv', tmp]);
      await execa(path.join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `uv==${versions.uv}`]);
    });
    fs.mkdirSync(dir, { recursive: true });
    // The venv's own scripts are not relocatable, but the uv binary is: keep just that.
    fs.mkdirSync(path.join(tmp, 'uvbin'), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'bin', 'uv'), path.join(tmp, 'uvbin', 'uv'));
    fs.chmodSync(path.join(tmp, 'uvbin', 'uv'), 0o755);
    renameIntoPlace(path.join(tmp, 'uvbin'), path.join(dir, 'bin'));
  } catch (err) {
    throw new HarnessError('python-envs', `could not install uv ${versions.uv} from PyPI`, tail(err));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return uv;
}

async function findSystemPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      await execa(candidate, ['-c', 'import venv, sys; assert sys.version_info >= (3, 9)']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new PrerequisiteError('python', 'no python3 >= 3.9 on PATH (needed to bootstrap uv)');
}

/** The interpreter of Python `minor` (e.g. "3.13") installed here: pyenv's installs, then PATH; undefined when there is none. */
export function findInstalledPython(minor: string): string | undefined {
  const pyenvRoot = process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  const candidates: string[] = [];
  const versionsDir = path.join(pyenvRoot, 'versions');
  if (fs.existsSync(versionsDir)) {
    for (const v of fs
      .readdirSync(versionsDir)
      .filter((v) => v === minor || v.startsWith(`${minor}.`))
      .sort()
      .reverse()) {
      candidates.push(path.join(versionsDir, v, 'bin', `python${minor}`));
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !d.includes('.pyenv/shims'))) {
    candidates.push(path.join(dir, `python${minor}`));
  }
  return candidates.find((c) => fs.existsSync(c));
}

/**
 * The interpreter for Python `minor` (e.g. "3.13"): pyenv's installs, then PATH. Falls back to the
 * default python3 with a warning, since a missing minor version costs fidelity, not correctness.
 */
export async function findPython(minor: string, log: Logger): Promise<string> {
  const found = findInstalledPython(minor);
  if (found) return found;
  const fallback = await findSystemPython();
  log.warn(`Python ${minor} not found (pyenv or PATH); using ${fallback} instead: versions may differ from the images`);
  return fallback;
}

function envKey(role: EnvRole, lockText: string, pythonVersion: string): string {
  return crypto.createHash('sha256').update(`${role}\n${versions.uv}\n${pythonVersion}\n${lockText}`).digest('hex').slice(0, 16);
}

export async function pythonVersionOf(python: string): Promise<string> {
  const { stdout } = await execa(python, ['-c', 'import platform; print(platform.python_version())']);
  return stdout.trim();
}

/** Undefined when the environment is complete and imports its role's modules; else why not. */
async function healthProblem(dir: string, role: EnvRole): Promise<string | undefined> {
  if (!fs.existsSync(path.join(dir, markerName))) return 'not completely built';
  const code = [
    'import importlib.util, sys',
    `missing = [m for m in ${JSON.stringify(requiredPackages[role])} if importlib.util.find_spec(m) is None]`,
    "sys.exit('missing packages: ' + ', '.join(missing) if missing else 0)",
  ].join('\n');
  try {
    await execa(path.join(dir, 'bin', 'python'), ['-c', code], { timeout: 30_000 });
    return undefined;
  } catch (err) {
    return tail(err, 8);
  }
}

function renameIntoPlace(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    // Another run finished the same environment first: theirs is as good as ours.
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export function tail(err: unknown, lines = 20): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  const text = e.stderr || e.stdout || e.message || String(err);
  return text.split('\n').slice(-lines).join('\n');
}

export async function ensureEnv(role: EnvRole, cacheDir: string, uv: string, log: Logger): Promise<PythonEnv> {
  const lockFile = path.join(requirementsDir, `${role}.txt`);
  if (!fs.existsSync(lockFile)) {
    throw new HarnessError('python-envs', `missing lock file ${lockFile}; run \`npm run lock\``);
  }
  const { python: minor } = readRequirementHeaders(role);
  return ensureEnvFromLock({ role, lockFile, python: await findPython(minor, log) }, cacheDir, uv, log);
}

/** What an environment is built from: a hashed lock file (committed, or resolved today) and an interpreter. */
export interface EnvSource {
  /** The role whose packages the environment must have (its health check), and the first part of its name. */
  role: EnvRole;
  lockFile: string;
  /** The interpreter's path. */
  python: string;
}

/** The environment of a lock file, built or taken from the cache (the key hashes the lock's text). */
export async function ensureEnvFromLock(source: EnvSource, cacheDir: string, uv: string, log: Logger): Promise<PythonEnv> {
  const { role, lockFile, python } = source;
  const lockText = fs.readFileSync(lockFile, 'utf8');
  const pythonVersion = await pythonVersionOf(python);
  const dir = path.join(cacheDir, 'envs', `${role}-${envKey(role, lockText, pythonVersion)}`);
  const env = (built: boolean): PythonEnv => ({
    role,
    dir,
    bin: path.join(dir, 'bin'),
    python: path.join(dir, 'bin', 'python'),
    pythonVersion,
    built,
  });

  const cachedProblem = fs.existsSync(dir) ? await healthProblem(dir, role) : 'absent';
  if (!cachedProblem) return env(false);
  if (fs.existsSync(dir)) {
    log.warn(`cached ${role} environment ${dir} is unusable (${cachedProblem.split('\n')[0]}); rebuilding it`);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const started = Date.now();
  log.info(`building the ${role} environment (Python ${pythonVersion}) from ${path.relative(process.cwd(), lockFile)}`);
  const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const uvEnv = { UV_CACHE_DIR: path.join(cacheDir, 'uv-cache'), UV_PYTHON_DOWNLOADS: 'never', VIRTUAL_ENV: tmp };
  const total = lockedPackages(lockText);
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await trackBuild(
      { what: `the ${role} environment`, log, detail: () => `${Math.min(installedPackages(tmp), total)} of ${total} packages in place` },
      async () => {
        await execa(uv, ['venv', '--quiet', '--relocatable', '--python', python, tmp], { env: uvEnv });
        await execa(uv, ['pip', 'install', '--quiet', '--no-deps', '--require-hashes', '-r', lockFile], { env: uvEnv });
      },
    );
    fs.writeFileSync(
      path.join(tmp, markerName),
      JSON.stringify({ role, pythonVersion, lock: path.basename(lockFile), builtAt: new Date().toISOString() }, null, 2),
    );
    renameIntoPlace(tmp, dir);
  } catch (err) {
    throw new HarnessError('python-envs', `building the ${role} environment failed`, tail(err));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const problem = await healthProblem(dir, role);
  if (problem) throw new HarnessError('python-envs', `the new ${role} environment is unusable`, problem);
  log.info(`${role} environment ready in ${formatDuration(Date.now() - started)}`);
  return env(true);
}

/** The environments of `roles`, built in parallel where needed. */
export async function ensureEnvs<R extends EnvRole>(roles: readonly R[], cacheDir: string, log: Logger): Promise<Record<R, PythonEnv>> {
  const uv = await ensureUv(cacheDir, log);
  const envs = await Promise.all(roles.map((role) => ensureEnv(role, cacheDir, uv, log)));
  return Object.fromEntries(roles.map((role, i) => [role, envs[i]])) as Record<R, PythonEnv>;
}
