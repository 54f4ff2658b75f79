/**
 * `npm run matrix -- --dry-run` end to end, as a person types it, but against a package index of
 * tiny wheels (uv's own UV_NO_INDEX / UV_FIND_LINKS) and a cache of its own, so it needs no
 * network and touches nothing of the real cache: every cell resolved (pinned from the lock files,
 * latest onto the image, one unresolvable with the resolver's reason, one on a Python that is not
 * installed), the table and matrix.json written, nothing run, nothing built. Seconds, not minutes:
 * the cost of a real cell (a whole tutorial run) is the nightly's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import { makeFakeIndex } from '../fixtures/fake-index.js';
import { readConfig } from '../cluster/config.js';
import { logger } from '../cluster/log.js';
import { ensureUv, findInstalledPython } from '../cluster/python/python-envs.js';
import { versions } from '../cluster/versions.js';
import type { MatrixReport } from './table.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test.describe.configure({ timeout: 180_000 });

test('npm run matrix --dry-run: each cell resolved or told why not, the table written, nothing run', async () => {
  // The lock files' Pythons (hub 3.12, ngshare 3.10, user 3.13): the matrix never runs a cell on another one.
  const missing = ['3.10', '3.12', '3.13'].filter((minor) => !findInstalledPython(minor));
  test.skip(missing.length > 0, `Python ${missing.join(', ')} not installed here (pyenv or PATH): every cell would be unrunnable`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-smoke-'));
  const index = await makeFakeIndex(undefined, path.join(work, 'index'));
  // A cache of its own, with uv taken from the machine's (installed from PyPI once).
  const cache = path.join(work, 'cache');
  const uv = await ensureUv(readConfig().cacheDir, logger('matrix-smoke'));
  fs.mkdirSync(path.join(cache, 'tools', `uv-${versions.uv}`, 'bin'), { recursive: true });
  fs.symlinkSync(uv, path.join(cache, 'tools', `uv-${versions.uv}`, 'bin', 'uv'));
  const matrixFile = path.join(work, 'matrix.yaml');
  fs.writeFileSync(
    matrixFile,
    `cells:
  - name: pinned
  - name: latest
  - name: both-newest
    from: latest
    user: { install: ["nbgrader>=0.9", "ngshare-exchange==0.5.3"], onto: user-bare }
  - name: python-3.99
    from: latest
    user: { install: [nbgrader, ngshare-exchange], onto: user-bare, python: "3.99" }
`,
  );
  const baseline = path.join(work, 'baseline.json');
  fs.writeFileSync(baseline, JSON.stringify({ recordedAt: '', cells: { pinned: { result: 'passed', versions: {} } } }));
  const env = { E2E_CACHE_DIR: cache, E2E_OUTPUT_DIR: path.join(work, 'out'), UV_NO_INDEX: '1', UV_FIND_LINKS: index, CI: '' };
  const run = (...args: string[]) =>
    execa(process.execPath, ['--import', 'tsx', 'scripts/matrix.ts', '--matrix', matrixFile, '--baseline', baseline, ...args], {
      cwd: root,
      env,
      all: true,
      reject: false,
    });

  const r = await run('--dry-run');
  expect(r.exitCode, r.all).toBe(0);
  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(work, 'out', `matrix-${date}-dry-run`);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'matrix.json'), 'utf8')) as MatrixReport;
  const byName = Object.fromEntries(report.cells.map((c) => [c.name, c]));
  expect(report.cells.map((c) => c.name)).toEqual(['pinned', 'latest', 'both-newest', 'python-3.99']);
  expect(byName.pinned).toMatchObject({ result: 'not run', versions: { nbgrader: '0.9.5', 'ngshare-exchange': '0.5.2', 'hub jupyterhub': '5.4.4' } });
  expect(byName.latest).toMatchObject({ result: 'not run', versions: { nbgrader: '0.9.6', 'ngshare-exchange': '0.5.2', 'user jupyterhub': '5.4.4' } });
  expect(byName['both-newest'].result).toBe('unresolvable');
  expect(byName['both-newest'].reason).toMatch(/^user: Because .*ngshare-exchange[>=]=0\.5\.3 depends on jupyter-core<4\.11\.2.*are incompatible\.$/);
  expect(byName['python-3.99']).toMatchObject({ result: 'unrunnable', reason: expect.stringMatching(/Python 3\.99 is not installed here/) });
  expect(fs.readFileSync(path.join(dir, 'matrix.md'), 'utf8')).toContain('| **both-newest** | ⛔ unresolvable |');
  // A dry run builds no environment and runs nothing.
  expect(fs.existsSync(path.join(cache, 'envs'))).toBe(false);
  expect(fs.existsSync(path.join(dir, 'runs'))).toBe(false);

  const limited = await run('--dry-run', '--limit', '1');
  expect(limited.exitCode, limited.all).toBe(0);
  expect((JSON.parse(fs.readFileSync(path.join(dir, 'matrix.json'), 'utf8')) as MatrixReport).cells.map((c) => c.name)).toEqual(['pinned']);

  const ci = await execa(process.execPath, ['--import', 'tsx', 'scripts/matrix.ts', '--update-baseline', '--matrix', matrixFile], {
    cwd: root,
    env: { ...env, CI: 'true' },
    all: true,
    reject: false,
  });
  expect(ci.exitCode).toBe(2);
  expect(ci.all).toMatch(/refused in CI/);
  // Another matrix still writing the directory (this test's own process stands for it): refused, nothing wiped.
  fs.writeFileSync(path.join(dir, 'matrix.pid'), `${process.pid}\n`);
  const busy = await run('--dry-run');
  expect(busy.exitCode).toBe(1);
  expect(busy.all).toMatch(/another matrix run \(pid \d+\) is writing/);
  expect(fs.existsSync(path.join(dir, 'matrix.json'))).toBe(true);
});
