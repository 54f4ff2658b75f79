/**
 * The dry-run plans of the kind and jetstream platforms, pinned: every command with its arguments,
 * every values file and the rendered values, secrets masked. The whole text is a committed
 * snapshot (`npx playwright test --project=unit --update-snapshots` after a deliberate change);
 * the checks before it say what matters in it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { clearSecrets } from '../redact.js';
import { KindDriver } from './kind-driver.js';
import { JetstreamDriver } from './jetstream-driver.js';
import { KwokDriver } from './kwok-driver.js';
import { formatPlan } from '../plan.js';
import { planningRun, type Run } from '../run/index.js';
import { tempTree } from '../../fixtures/fakes.js';

const runId = 'e2e-20261126-112233-ab12';
const root = '/e2e-root';
const secrets: Record<string, string> = {
  ngshareApiToken: 'ngshare-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  harnessApiToken: 'harness-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  userPassword: 'user-password-cccccccccccccccccccccccccccccc',
  adminPassword: 'admin-password-dddddddddddddddddddddddddddddd',
};

/** A run that exists only in the test: fixed id, fixed secrets (registered, so they are masked). */
function context(env: Record<string, string> = {}): Run {
  const config = readConfig({ E2E_ROOT_DIR: root, E2E_CACHE_DIR: '/e2e-cache', E2E_RUN_ID: runId, ...env });
  const run = planningRun(config, runId);
  for (const [name, value] of Object.entries(secrets)) run.secrets.set(name, value);
  return run;
}

async function planText(driver: KindDriver | JetstreamDriver | KwokDriver, env: Record<string, string> = {}): Promise<string> {
  return formatPlan(await driver.plan(context(env), readConfig({ E2E_ROOT_DIR: root, ...env }).variant), root);
}

/** A deployment repository laid out like the tutorial's, written by the test (its own content). */
const fakeDeployRepo = (files: Record<string, string>) => tempTree('deploy-repo-', files);

const minimalRepo = {
  'config_standard_storage.yaml': 'singleuser:\n  image:\n    name: example/notebook\n    tag: "2025-01-01"\n',
  'nbgrader/ngshare-config.yaml': 'ngshare:\n  hub_api_token: REPLACE_WITH_A_LONG_RANDOM_TOKEN\n  admins:\n    - admin_username\n',
  'nbgrader/jhub-ngshare-service.yaml':
    'hub:\n  extraConfig:\n    ngshare: |\n      c.JupyterHub.services.append({"name": "ngshare", "api_token": "REPLACE_WITH_THE_SAME_TOKEN", "url": "http://ngshare.jhub.svc.cluster.local:8080"})\n',
  'nbgrader/jhub-singleuser-nbgrader.yaml':
    'singleuser:\n  lifecycleHooks:\n    postStart:\n      exec:\n        command: [sh, -c, "pip install ngshare-exchange && echo \\"c.CourseDirectory.course_id = \'COURSE_ID\'\\" > /etc/jupyter/nbgrader_config.py"]\n',
  'nbgrader/exchange-pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n',
};

test.beforeEach(() => {
  clearSecrets();
  test.info().snapshotSuffix = '';
});

test("kind: the plan creates the run's cluster, installs both charts the tutorial's way, and masks every secret", async () => {
  const text = await planText(new KindDriver());
  expect(text).toContain(
    `$ kind create cluster --name ${runId} --config .e2e/runs/${runId}/kind-config.yaml --kubeconfig .e2e/runs/${runId}/kubeconfig --wait 120s`,
  );
  expect(text).toContain('$ helm repo add ngshare https://libretexts.github.io/ngshare-helm-repo/ --force-update');
  expect(text).toContain(
    `$ helm upgrade --install ngshare ngshare/ngshare --version 0.6.0 --namespace jhub --values .e2e/runs/${runId}/values/ngshare/01-ngshare.yaml --values .e2e/runs/${runId}/values/ngshare/90-kind-ngshare.yaml --timeout 10m --kubeconfig .e2e/runs/${runId}/kubeconfig --kube-context kind-${runId}`,
  );
  expect(text).toMatch(/\$ helm upgrade --install jhub jupyterhub\/jupyterhub --version 4\.3\.3 --namespace jhub( --values \S+){5} --timeout 20m/);
  // ngshare and the hub get the same pinned token; neither it nor any other secret is printed.
  expect(text.match(/hub_api_token: "\[redacted\]"/g)?.length).toBeGreaterThan(0);
  expect(text).toContain('"api_token": "[redacted]"');
  for (const s of Object.values(secrets)) expect(text).not.toContain(s);
  // The tutorial's postStart: packages, then nbgrader_config.py with the course.
  expect(text).toContain("c.CourseDirectory.course_id = 'course101'");
  expect(text).toContain("configureExchange(c, 'http://ngshare.jhub.svc.cluster.local:8080/services/ngshare')");
  // kind-only settings, and the teardown that exports logs before deleting.
  expect(text).toContain('type: NodePort');
  expect(text).toMatch(/accessModes:\n\s+- ReadWriteOnce/);
  expect(text.indexOf('kind export logs')).toBeLessThan(text.indexOf('kind delete cluster'));
  expect(text).toMatchSnapshot('kind-plan.txt');
});

test('kind --baked-image: the image is built and side-loaded, and the postStart only writes the config', async () => {
  const text = await planText(new KindDriver(), { E2E_BAKED_IMAGE: '1' });
  expect(text).toMatch(new RegExp(`\\$ kind load docker-image nbgrader-ngshare-e2e/singleuser:2025-11-10-nbgrader-0\\.9\\.5-[0-9a-f]{12} --name ${runId}`));
  expect(text).toContain('92-baked-image.yaml');
  const rendered = text.slice(text.indexOf('=== jupyterhub: rendered values'));
  expect(rendered).toContain('name: nbgrader-ngshare-e2e/singleuser');
  expect(rendered).not.toContain('pip install');
});

test("jetstream: a namespace of the run's own, run-unique users and course, a port-forward, and a teardown of only that", async () => {
  const text = await planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/e2e-root/jetstream.kubeconfig', E2E_KUBE_CONTEXT: 'course-cluster' });
  expect(text).toContain(`Create namespace ${runId} labelled nbgrader-e2e/run=${runId}`);
  expect(text).toContain('users:         e2e-112233ab12-instructor (instructor), e2e-112233ab12-student (student); course course101-112233ab12');
  expect(text).toContain(`--namespace ${runId}`);
  expect(text).toContain('--kubeconfig jetstream.kubeconfig --kube-context course-cluster');
  expect(text).toContain(`configureExchange(c, 'http://ngshare.${runId}.svc.cluster.local:8080/services/ngshare')`);
  expect(text).toContain('type: ClusterIP');
  // The hub's release has the run's name: z2jh names its cluster-scoped objects after it (defect 1).
  expect(text).toContain(`$ helm upgrade --install e2e-112233ab12-jhub jupyterhub/jupyterhub --version 4.3.3 --namespace ${runId}`);
  expect(text).toContain(`$ helm uninstall e2e-112233ab12-jhub --namespace ${runId}`);
  expect(text).toContain(`Delete namespace ${runId}, only if it carries this run's label`);
  // The kubeconfig of this test does not exist: the plan says where a real run would stop.
  expect(text).toContain('on this machine a real run would stop at preflight: kube: kubeconfig jetstream.kubeconfig does not exist');
  for (const s of Object.values(secrets)) expect(text).not.toContain(s);
  expect(text).toMatchSnapshot('jetstream-plan.txt');
});

test('charts from a local directory: no repository is added, Helm installs the packaged charts, and the plan says where they come from', async () => {
  const charts = tempTree('charts-', {});
  for (const [name, version] of [
    ['jupyterhub', '4.3.3'],
    ['ngshare', '0.6.0'],
  ]) {
    const src = tempTree('chart-src-', { [`${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: ${version}\n` });
    execFileSync('tar', ['czf', path.join(charts, `${name}-${version}.tgz`), '-C', src, name]);
  }
  const text = await planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/k', E2E_KUBE_CONTEXT: 'c', E2E_CHARTS: charts });
  expect(text).not.toContain('helm repo add');
  expect(text).not.toContain('helm search');
  expect(text).toContain(`$ helm upgrade --install ngshare ${charts}/ngshare-0.6.0.tgz --namespace ${runId}`);
  expect(text).toContain(`$ helm upgrade --install e2e-112233ab12-jhub ${charts}/jupyterhub-4.3.3.tgz --namespace ${runId}`);
  expect(text).toContain(
    `charts from:   ngshare 0.6.0 from ${charts}/ngshare-0.6.0.tgz (--charts ${charts}); jupyterhub 4.3.3 from ${charts}/jupyterhub-4.3.3.tgz (--charts ${charts})`,
  );
  // One chart from a repository, the other local: only that repository is added.
  const mixed = await planText(new KindDriver(), { E2E_CHARTS: charts, E2E_CHART_NGSHARE: 'https://charts.example.edu/ngshare/' });
  expect(mixed).toMatch(/\$ helm repo add e2e-ngshare-[0-9a-f]{8} https:\/\/charts\.example\.edu\/ngshare\/ --force-update/);
  expect(mixed).toMatch(/\$ helm upgrade --install ngshare e2e-ngshare-[0-9a-f]{8}\/ngshare --version 0\.6\.0/);
  expect(mixed).toContain(`$ helm upgrade --install jhub ${charts}/jupyterhub-4.3.3.tgz --namespace jhub`);
  // An existing release is tested as it is.
  await expect(planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/k', E2E_KUBE_CONTEXT: 'c', E2E_EXISTING_RELEASE: '1', E2E_CHARTS: charts })).rejects.toThrow(
    'an existing release is tested as it is; --charts and --chart-<name> apply to an install',
  );
});

test("kwok: the run's own control plane, the workplace's packaged charts, the jetstream install, and the local hub behind the port-forward", async () => {
  const shared = tempTree('shared-', {});
  fs.mkdirSync(path.join(shared, 'charts'));
  for (const [name, version] of [
    ['jupyterhub', '4.3.3'],
    ['ngshare', '0.6.0'],
  ]) {
    const src = tempTree('chart-src-', { [`${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: ${version}\n` });
    execFileSync('tar', ['czf', path.join(shared, 'charts', `${name}-${version}.tgz`), '-C', src, name]);
  }
  const text = await planText(new KwokDriver(), { E2E_SHARED_DIR: shared });
  expect(text).toContain('Plan for run e2e-20261126-112233-ab12 on kwok');
  expect(text).toContain(`Start the run's control plane on 127.0.0.1`);
  expect(text).toContain(`--kubeconfig .e2e/runs/${runId}/control-plane/kubeconfig --kube-context nbgrader-e2e-${runId}`);
  expect(text).not.toContain('helm repo add');
  expect(text).toContain(`$ helm upgrade --install e2e-112233ab12-jhub ${shared}/charts/jupyterhub-4.3.3.tgz --namespace ${runId}`);
  expect(text).toContain("(kwok's default: the workplace's packaged charts; --charts to change)");
  expect(text).toContain("Bring up the local platform's real JupyterHub".replace('Bring up', 'Start bringing up'));
  expect(text).toContain('their servers are not started: pods are simulated');
  for (const s of Object.values(secrets)) expect(text).not.toContain(s);
  // Pods are simulated: a deployment gone wrong on purpose would look right, so it is refused.
  await expect(planText(new KwokDriver(), { E2E_SHARED_DIR: shared, E2E_VARIANT: 'without-nbgrader' })).rejects.toThrow(
    /kwok simulates pods \(nothing runs in them\), so a deployment gone wrong \(withoutNbgrader\) looks like one gone right/,
  );
  await expect(planText(new KwokDriver(), { E2E_SHARED_DIR: path.join(shared, 'nothing') })).rejects.toThrow(/no such directory/);
});

test("jetstream --existing-release: no Helm at all, and teardown touches only the run's users", async () => {
  const text = await planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/e2e-root/k', E2E_KUBE_CONTEXT: 'c', E2E_EXISTING_RELEASE: '1' });
  expect(text).not.toContain('$ helm');
  expect(text).toContain('namespace:     jhub (existing; nothing in it is installed or changed)');
  expect(text).toContain('E2E_HUB_ADMIN_TOKEN is set');
  expect(text).toContain('~/.jupyter/nbgrader_config.py');
  const teardown = text.slice(text.indexOf('Teardown'));
  expect(teardown).toContain('delete the users');
  expect(teardown).not.toMatch(/uninstall|Delete namespace/);
});

test('--existing-release --ngshare-admin: the admin is the instructor, never created or deleted; what the run makes in ngshare is said, and removed through it', async () => {
  const env = { E2E_KUBECONFIG: '/e2e-root/k', E2E_KUBE_CONTEXT: 'c', E2E_EXISTING_RELEASE: '1', E2E_NGSHARE_ADMIN: 'e2e-course-admin' };
  const text = await planText(new JetstreamDriver(), env);
  expect(text).toContain(
    "users:         e2e-course-admin (instructor: the release's ngshare admin, --ngshare-admin), e2e-112233ab12-student (student, the run's own); course course101-112233ab12",
  );
  expect(text).toContain(
    "Use the ngshare admin e2e-course-admin as the run's instructor: its server (started only if it is not running), and a token of its own",
  );
  expect(text).toContain("in the course's production ngshare the run creates its course course101-112233ab12");
  const teardown = text.slice(text.indexOf('Teardown'));
  expect(teardown).toContain(
    "Delete the run's courses (course101-112233ab12 and its classrooms' course101-112233ab12-c<n>) through the ngshare admin e2e-course-admin",
  );
  expect(teardown).toContain('the user e2e-course-admin is never deleted');
  expect(teardown).not.toMatch(/delete the users|uninstall/i);
  await expect(planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/k', E2E_KUBE_CONTEXT: 'c', E2E_NGSHARE_ADMIN: 'x' })).rejects.toThrow(
    '--ngshare-admin applies to --existing-release',
  );
});

test("--deploy-repo: the repository's files in the tutorial's order, placeholders filled, the rest listed as not used", async () => {
  const repo = fakeDeployRepo(minimalRepo);
  const text = await planText(new JetstreamDriver(), { E2E_KUBECONFIG: '/k', E2E_KUBE_CONTEXT: 'c', E2E_DEPLOY_REPO: repo });
  const files = [...text.matchAll(/^--- \S+\/values\/(\S+)$/gm)].map((m) => m[1]);
  expect(files).toEqual([
    'ngshare/01-nbgrader-ngshare-config.yaml',
    'jupyterhub/01-config_standard_storage.yaml',
    'jupyterhub/02-nbgrader-jhub-ngshare-service.yaml',
    'jupyterhub/03-nbgrader-jhub-singleuser-nbgrader.yaml',
    'jupyterhub/90-e2e-test.yaml',
    'jupyterhub/91-jetstream-jupyterhub.yaml',
  ]);
  expect(text).toContain('admin_username at ngshare.admins → e2e-112233ab12-instructor');
  expect(text).toContain("c.CourseDirectory.course_id = 'course101-112233ab12'");
  expect(text).toContain(`http://ngshare.${runId}.svc.cluster.local:8080`);
  expect(text).not.toMatch(/REPLACE_WITH_[A-Z_]+TOKEN"|COURSE_ID'|admin_username\n/);
  expect(text).toContain('deploy repo nbgrader/exchange-pod.yaml not used: a Kubernetes manifest (Pod), not Helm values');
  for (const s of Object.values(secrets)) expect(text).not.toContain(s);
});

test("--deploy-repo with the tutorial repository's own files (the workplace's shared folder, when present)", async () => {
  // Where the config says the shared folder is (E2E_SHARED_DIR on a clean clone), not only ../shared.
  const upstream = path.join(readConfig().sharedDir, 'upstream', 'jupyterhub-deploy-kubernetes-jetstream');
  test.skip(!fs.existsSync(upstream), `the tutorial repository's files are not at ${upstream} (set E2E_SHARED_DIR)`);
  const text = await planText(new KindDriver(), { E2E_DEPLOY_REPO: upstream });
  expect(text).toContain('deploy repo nbgrader/jhub-singleuser-nbgrader-filesystem.yaml not used: installs nbgrader with another exchange');
  expect(text).toContain('deploy repo nbgrader/manila-exchange-permissions-pod.yaml not used: a Kubernetes manifest (Pod)');
  // On kind the namespace is the tutorial's, so its URLs stand as written; only placeholders change.
  expect(text).toContain("configureExchange(c, 'http://ngshare.jhub.svc.cluster.local:8080/services/ngshare')");
  expect(text).toContain("c.CourseDirectory.course_id = 'course101'");
  expect(text).toContain('pip install --no-cache-dir nbgrader ngshare-exchange');
  // The repository's resource guarantees reach the preflight's Docker check.
  expect(text).toContain('CPUs >= 3');
  for (const s of Object.values(secrets)) expect(text).not.toContain(s);
});

test('flags that do not fit the platform are usage errors, not surprises', async () => {
  await expect(new KindDriver().plan(context({ E2E_EXISTING_RELEASE: '1' }))).rejects.toThrow(UsageError);
  await expect(new JetstreamDriver().plan(context({ E2E_KUBECONFIG: '/k', E2E_BAKED_IMAGE: '1' }))).rejects.toThrow(/--baked-image applies to --platform kind/);
  await expect(new JetstreamDriver().plan(context({ E2E_KUBECONFIG: '/k', E2E_NAMESPACE: 'Not_A_Namespace' }))).rejects.toThrow(
    /is not a valid namespace name/,
  );
});
