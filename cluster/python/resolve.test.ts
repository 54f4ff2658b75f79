/**
 * Resolution of a role's packages. The pure parts on captured uv output; the real uv against a
 * package index of tiny wheels made here (no network): pinned as committed, `latest` onto an
 * image (its versions kept where the install allows), an unresolvable combination with uv's
 * reason, the day's cache, and an index that cannot be reached.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { makeFakeIndex, tutorialPackages } from '../../fixtures/fake-index.js';
import { readConfig } from '../config.js';
import { logger } from '../log.js';
import { ensureUv, findInstalledPython, readRequirementHeaders } from './python-envs.js';
import {
  PythonMissingError,
  UnresolvableError,
  compileInput,
  isNetworkFailure,
  lockVersions,
  requirementNames,
  resolveRole,
  resolverReason,
  specProblem,
} from './resolve.js';
import { keyVersions, resolveVersionSet, versionSets } from './version-sets.js';

const log = logger('resolve-test');

/** uv 0.13.9's words for `nbgrader>=0.9 ngshare-exchange==0.5.3` (shortened in the middle). */
const unsatisfiable = `error: No solution found when resolving dependencies
  cause: Because nbgrader>=0.9.0 depends on jupyter-server>=2 and jupyter-server==2.0.7 was yanked (reason: accidental release), we can conclude that nbgrader>=0.9.0 depends on one of:
             jupyter-server>=2,<=2.0.6
             jupyter-server>=2.1.0
          (1)

         And because we know from (2) that all of:
             jupyter-core<4.12
         , nbgrader>=0.9.0 are incompatible, we can conclude that nbgrader>=0.9.0 depends on one of:
             jupyter-core>=4.12,<5.0.dev0
         And because ngshare-exchange==0.5.3 depends on jupyter-core<4.11.2, we can conclude that nbgrader>=0.9.0 and ngshare-exchange==0.5.3 are incompatible.
         And because you require nbgrader>=0.9 and ngshare-exchange==0.5.3, we can conclude that your requirements are unsatisfiable.`;

test('the resolver reason names the conflict, not the derivation', () => {
  const r = resolverReason(unsatisfiable)!;
  expect(r.headline).toBe(
    'Because ngshare-exchange==0.5.3 depends on jupyter-core<4.11.2, we can conclude that nbgrader>=0.9.0 and ngshare-exchange==0.5.3 are incompatible.',
  );
  expect(r.reason.split('\n')[0]).toBe('No solution found when resolving dependencies');
  expect(r.reason).toContain('your requirements are unsatisfiable');
  const simple = resolverReason(
    '  × No solution found when resolving dependencies:\n  ╰─▶ Because there is no version of nbgrader==9.9 and you require nbgrader==9.9, we can conclude that your requirements are unsatisfiable.',
  )!;
  expect(simple.headline).toMatch(/^Because there is no version of nbgrader==9\.9/);
  expect(resolverReason('error: Failed to build `x`')).toBeUndefined();
});

test('a network failure is told apart from a package problem', () => {
  expect(isNetworkFailure('error: Request failed\n  Caused by: error sending request for url (https://pypi.org/simple/nbgrader/)\n  dns error')).toBe(true);
  expect(isNetworkFailure('  cause: tcp connect error\n  cause: Connection refused (os error 111)')).toBe(true);
  expect(isNetworkFailure(unsatisfiable)).toBe(false);
});

test('lock versions, image names, compile input and spec checks', () => {
  expect(lockVersions('Jupyter_Core==5.9.1 \\\n    --hash=sha256:ab\n# via x\nnbgrader==0.9.6\n')).toEqual({ 'jupyter-core': '5.9.1', nbgrader: '0.9.6' });
  expect(requirementNames('# the image\n# python: 3.13\njupyterhub==5.4.4\njupyterlab==4.4.10  # lab\npip==25.3\n')).toEqual([
    'jupyterhub',
    'jupyterlab',
    'pip',
  ]);
  // The postStart's packages, then the image's own by name; a version the install asks for wins.
  const input = compileInput({ install: ['nbgrader', 'jupyterhub>=6'], onto: 'user-bare' });
  expect(input.requirements).toEqual(['nbgrader', 'jupyterhub>=6', 'jupyterlab', 'notebook', 'pip', 'rfc3987']);
  expect(input.preferences).toMatch(/requirements\/user-bare\.txt$/);
  expect(specProblem({ install: ['nbgrader', 'ngshare-exchange==0.5.3', 'jupyterhub>=6,<7'] })).toBeUndefined();
  expect(specProblem({ install: ['nbgrader; rm -rf /'] })).toMatch(/not a requirement/);
  expect(specProblem({ install: [] })).toMatch(/give the packages/);
  expect(specProblem({ install: ['x'], python: '3' })).toMatch(/give X\.Y/);
  expect(specProblem({ lock: 'nope' as never })).toMatch(/unknown lock/);
});

test('pinned is the committed lock files, with no resolver and no network', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resolve-pinned-'));
  // Any interpreter stands in for each X.Y here: pinned reads its versions from the lock files.
  const resolved = await resolveVersionSet(versionSets.pinned, {
    cacheDir,
    uv: '/nonexistent/uv',
    log,
    findPython: () => process.env.PYTHON ?? '/usr/bin/python3',
  });
  expect(resolved.roles.user.source).toBe('lock');
  expect(resolved.roles.user.lockFile).toMatch(/requirements\/user\.txt$/);
  expect(resolved.roles.user.python).toBe(readRequirementHeaders('user').python);
  const v = keyVersions(resolved);
  expect([v.nbgrader, v['ngshare-exchange'], v['hub jupyterhub'], v.ngshare]).toEqual(['0.9.5', '0.5.2', '5.4.4', '0.6.0']);
  expect(v['ngshare sqlalchemy']).toMatch(/^1\.4\./);
  expect(fs.existsSync(path.join(cacheDir, 'resolutions'))).toBe(false);
});

test('a Python that is not installed is named, never replaced', async () => {
  const options = { cacheDir: os.tmpdir(), uv: '/nonexistent/uv', log, findPython: () => undefined };
  await expect(resolveRole('user', { install: ['nbgrader'], onto: 'user-bare', python: '3.14' }, options)).rejects.toThrow(PythonMissingError);
  await expect(resolveRole('user', { install: ['nbgrader'], onto: 'user-bare', python: '3.14' }, options)).rejects.toThrow(
    /Python 3\.14 is not installed here/,
  );
});

test.describe('uv against a local index (no network)', () => {
  test.describe.configure({ timeout: 180_000 });
  let index: string;
  let cacheDir: string;
  let uv: string;
  const python = () => findInstalledPython(readRequirementHeaders('user-bare').python) ?? 'python3';

  test.beforeAll(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resolve-index-'));
    index = await makeFakeIndex(tutorialPackages, path.join(root, 'index'));
    cacheDir = path.join(root, 'cache');
    // uv itself comes from the shared cache (installed from PyPI once per machine).
    uv = await ensureUv(readConfig().cacheDir, log);
  });

  const options = () => ({ cacheDir, uv, log, indexArgs: ['--no-index', '--find-links', index], findPython: () => python() });

  test('latest: the postStart unpinned gets the newest that fits, and the image keeps its own versions', async () => {
    const r = await resolveRole('user', { install: ['nbgrader', 'ngshare-exchange'], onto: 'user-bare' }, options());
    expect(r.source).toBe('resolved');
    expect(r.packages).toMatchObject({ nbgrader: '0.9.6', 'ngshare-exchange': '0.5.2', 'jupyter-core': '5.9.1', jupyterhub: '5.4.4', jupyterlab: '4.4.10' });
    expect(fs.readFileSync(r.lockFile, 'utf8')).toMatch(/--hash=sha256:/);
    // Asked for, the newer JupyterHub replaces the image's.
    const hub6 = await resolveRole('user', { install: ['nbgrader', 'ngshare-exchange', 'jupyterhub>=6'], onto: 'user-bare' }, options());
    expect(hub6.packages.jupyterhub).toBe('6.1.1');
    // Forcing ngshare-exchange 0.5.3 drags nbgrader back: a different world, but installable.
    const old = await resolveRole('user', { install: ['nbgrader', 'ngshare-exchange==0.5.3'], onto: 'user-bare' }, options());
    expect(old.packages).toMatchObject({ nbgrader: '0.8.5', 'jupyter-core': '4.11.1' });
  });

  test('a resolution is kept for its day: the same lock file, uv not asked again', async () => {
    const spec = { install: ['nbgrader'], onto: 'user-bare' as const };
    const first = await resolveRole('user', spec, options());
    // A uv that would fail proves the second answer came from the day's cache.
    const again = await resolveRole('user', spec, { ...options(), uv: '/nonexistent/uv' });
    expect(again.lockFile).toBe(first.lockFile);
    expect(again.resolvedAt).toBe(first.resolvedAt);
    // Another day resolves again.
    const tomorrow = new Date(Date.now() + 86_400_000);
    await expect(resolveRole('user', spec, { ...options(), uv: '/nonexistent/uv', asOf: tomorrow })).rejects.toThrow();
  });

  test('an unresolvable combination is a result with the resolver reason, not a crash', async () => {
    const error = await resolveRole('user', { install: ['nbgrader>=0.9', 'ngshare-exchange==0.5.3'], onto: 'user-bare' }, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnresolvableError);
    const e = error as UnresolvableError;
    expect(e.role).toBe('user');
    expect(e.headline).toMatch(/ngshare-exchange[>=]=0\.5\.3 depends on jupyter-core<4\.11\.2/);
    expect(e.headline).toMatch(/are incompatible\.$/);
    expect(e.reason).toMatch(/unsatisfiable/);
  });

  test('an index that cannot be reached says what to do offline', async () => {
    const error = await resolveRole(
      'user',
      { install: ['nbgrader'], onto: 'user-bare' },
      { ...options(), cacheDir: path.join(cacheDir, 'offline'), indexArgs: ['--index-url', 'http://127.0.0.1:9/simple'] },
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/needs the package index, and uv could not reach it/);
    expect((error as Error).message).toMatch(/--versions pinned/);
    expect((error as Error).message).not.toMatch(/\n\s+at /);
  });
});
