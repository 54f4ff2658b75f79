import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import Docker from 'dockerode';
import { dockerPreflight, engineChecks } from './docker.js';
import { bakedImage } from './layout.js';

const need = { cpu: 3, memoryBytes: 4.5 * 2 ** 30, because: 'two user servers and the stack' };

test('no Docker engine: one clear failed check, in seconds, saying where the harness looked', async () => {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'no-docker-')), 'docker.sock');
  const started = Date.now();
  const checks = await dockerPreflight(need, new Docker({ socketPath }), 3_000);
  expect(checks).toHaveLength(1);
  expect(checks[0]).toMatchObject({ name: 'docker engine', ok: false });
  expect(checks[0].detail).toBe(`does not answer at unix://${socketPath}: ENOENT; start Docker, or set DOCKER_HOST`);
  expect(Date.now() - started).toBeLessThan(3_000);
});

test('an engine with too few CPUs or too little memory for the values fails the preflight, saying why', () => {
  const checks = engineChecks({ ServerVersion: '28.2.2', NCPU: 2, MemTotal: 8 * 2 ** 30, CgroupVersion: '2', CgroupDriver: 'systemd' }, need, '20.10.0');
  expect(checks).toEqual([
    { name: 'docker engine', ok: true, detail: '28.2.2 (need >= 20.10.0)' },
    { name: 'docker cpus', ok: false, detail: '2 (need >= 3: two user servers and the stack)' },
    { name: 'docker memory', ok: true, detail: '8.0 GiB (need >= 4.5 GiB: two user servers and the stack)' },
    { name: 'cgroup', ok: true, detail: 'v2, driver systemd' },
  ]);
  expect(engineChecks({ ServerVersion: '19.03.8', NCPU: 8, MemTotal: 16 * 2 ** 30, CgroupVersion: '1' }, need, '20.10.0')[0]).toEqual({
    name: 'docker engine',
    ok: false,
    detail: '19.03.8 (need >= 20.10.0)',
  });
});

test('the baked image is named by what goes into it, never latest', () => {
  const image = bakedImage();
  expect(image.name).toBe('nbgrader-ngshare-e2e/singleuser');
  expect(image.tag).toMatch(/^2025-11-10-nbgrader-0\.9\.5-[0-9a-f]{12}$/);
  expect(image.buildArgs).toEqual({ BASE_IMAGE: 'quay.io/jupyter/scipy-notebook:2025-11-10', NBGRADER_VERSION: '0.9.5', NGSHARE_EXCHANGE_VERSION: '0.5.2' });
  expect(bakedImage().tag).toBe(image.tag);
});
