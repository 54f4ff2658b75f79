/**
 * The drivers' preflight, end to end on this machine: each wrong input fails fast with every
 * problem named, before anything is created. (Whether helm and kind are installed differs between
 * machines, so those lines are not pinned here; tools.test.ts pins them with fake tools.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { PrerequisiteError } from '../errors.js';
import { openRun, type Run } from '../run/index.js';
import { JetstreamDriver } from './jetstream-driver.js';
import { KindDriver } from './kind-driver.js';
import { kubeconfigFor, tempTree } from '../../fixtures/fakes.js';

function run(env: Record<string, string>): Run {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
  return openRun(readConfig({ E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache'), ...env }));
}

const kubeconfig = (server: string) => kubeconfigFor(server);

const brokenRepo = () =>
  tempTree('broken-deploy-repo-', {
    'config_standard_storage.yaml': 'hub:\n  db:\n    type: sqlite-pvc\n',
    'nbgrader/ngshare-config.yaml': 'ngshare:\n  hub_api_token: REPLACE_WITH_A_LONG_RANDOM_TOKEN\n   admins: [admin_username]\n',
  });

test('jetstream: a context the kubeconfig lacks is named with the ones it has', async () => {
  const r = run({ E2E_KUBECONFIG: kubeconfig('https://127.0.0.1:1'), E2E_KUBE_CONTEXT: 'jetstream-prod' });
  const failure = new JetstreamDriver().preflight(r);
  await expect(failure).rejects.toThrow(PrerequisiteError);
  await expect(failure).rejects.toThrow(
    /^jetstream: missing prerequisites \(nothing was created\)\n[\s\S]*- kubeconfig: kubeconfig \S+ has no context "jetstream-prod"; contexts in it: fake/,
  );
  expect(r.ledger.list()).toEqual([]);
});

test('jetstream: a cluster that does not answer is named, with its server, in seconds', async () => {
  const started = Date.now();
  const failure = new JetstreamDriver().preflight(run({ E2E_KUBECONFIG: kubeconfig('https://127.0.0.1:1') }));
  await expect(failure).rejects.toThrow(/- cluster: the cluster of context "fake" \(https:\/\/127\.0\.0\.1:1\) does not answer: ECONNREFUSED/);
  expect(Date.now() - started).toBeLessThan(15_000);
});

test("jetstream --existing-release: without the operator's token it stops before touching the cluster", async () => {
  test.skip(Boolean(process.env.E2E_HUB_ADMIN_TOKEN), 'this shell has an admin token set');
  await expect(new JetstreamDriver().preflight(run({ E2E_KUBECONFIG: kubeconfig('https://127.0.0.1:1'), E2E_EXISTING_RELEASE: '1' }))).rejects.toThrow(
    /- E2E_HUB_ADMIN_TOKEN: --existing-release needs the hub admin token in E2E_HUB_ADMIN_TOKEN/,
  );
});

test('a values file that does not parse stops both platforms before anything else', async () => {
  const repo = brokenRepo();
  const message = new RegExp(
    `^values: ${path.basename(repo)}/nbgrader/ngshare-config\\.yaml does not parse \\(line 2, column 18\\): Nested mappings are not allowed in compact mappings(\\n|$)`,
  );
  await expect(new KindDriver().preflight(run({ E2E_DEPLOY_REPO: repo }))).rejects.toThrow(message);
  await expect(new JetstreamDriver().preflight(run({ E2E_DEPLOY_REPO: repo, E2E_KUBECONFIG: kubeconfig('https://127.0.0.1:1') }))).rejects.toThrow(message);
});
