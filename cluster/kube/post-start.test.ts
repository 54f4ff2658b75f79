/**
 * The singleuser postStart the project's values give the user pods: the tutorial's recorded pins,
 * or with --versions latest the tutorial's own unpinned `pip install nbgrader ngshare-exchange`,
 * so a cluster run gets what a deployment made today gets.
 */
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { planningRun } from '../run/index.js';
import { versions } from '../versions.js';
import { buildLayout, kubeSecrets, renderLayers } from './layout.js';
import { mergeLayers } from './values.js';

function postStart(env: Record<string, string>): string {
  const run = planningRun(readConfig({ E2E_ROOT_DIR: '/e2e-root', E2E_CACHE_DIR: '/e2e-cache', ...env }), 'e2e-20261202-070000-ab12');
  for (const name of kubeSecrets) run.secrets.set(name, `${name}-0123456789abcdef`);
  const values = mergeLayers(renderLayers(buildLayout('kind', run), run).jupyterhub) as {
    singleuser: { lifecycleHooks: { postStart: { exec: { command: string[] } } } };
  };
  return values.singleuser.lifecycleHooks.postStart.exec.command[2];
}

test('pinned: the postStart installs the versions the tutorial recorded', () => {
  expect(postStart({})).toContain(`pip install --no-cache-dir nbgrader==${versions.nbgrader} ngshare-exchange==${versions.ngshareExchange} && `);
});

test('latest: the postStart pins nothing, as the tutorial writes it', () => {
  const script = postStart({ E2E_VERSIONS: 'latest' });
  expect(script).toContain('pip install --no-cache-dir nbgrader ngshare-exchange && ');
  expect(script).not.toMatch(/==/);
});
