/**
 * The kind and jetstream drivers' cluster side, for real, against the project's control plane,
 * with the real charts and the pinned helm, the hub behind each proxy pod being the local
 * platform's real one: what `up`, a diagnostics bundle and `down` do to a cluster, a pre-semester
 * check of a release installed the tutorial's way (plain `helm`), a cluster that already runs the
 * tutorial's `jhub`, a schema Helm enforces, preflight as a user with namespace rights only, and
 * the reaper. Fakes only where the real thing cannot run here: the kind CLI and the Docker engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import { openClassroom } from '../../classroom.js';
import { HarnessError, PrerequisiteError } from '../../errors.js';
import { HubClient } from '../../hub-client.js';
import { NgshareClient } from '../../ngshare-client.js';
import { shortRunId } from '../../run/index.js';
import { waitFor } from '../../wait.js';
import { fakeServer, tempTree, writeFakeKind, type FakeServer } from '../../../fixtures/fakes.js';
import { mapExec } from '../control-plane/kwok-mappings.js';
import { JetstreamDriver } from '../jetstream-driver.js';
import { KindDriver } from '../kind-driver.js';
import { Kube, isNotFound } from '../kube-api.js';
import { proxyForward, serveForward } from '../port-forward.js';
import { test, expect, type KubeCluster } from './cluster.fixture.js';

test.setTimeout(5 * 60_000);

async function namespaceGone(kc: KubeConfig, name: string): Promise<void> {
  await waitFor(async () => ((await new Kube(kc, name).namespaceExists()) ? undefined : true), {
    what: `namespace ${name} gone`,
    timeoutMs: 120_000,
    intervalMs: 500,
  });
}

async function clusterRoles(kc: KubeConfig): Promise<Map<string, string>> {
  const roles = (await kc.makeApiClient(RbacAuthorizationV1Api).listClusterRole()).items;
  return new Map(roles.filter((r) => /user-scheduler$/.test(r.metadata?.name ?? '')).map((r) => [r.metadata!.name!, r.metadata!.resourceVersion!]));
}

// --- kind -------------------------------------------------------------------------------------------

/** kind (the shared fake) and the docker CLI as small scripts: `kind create cluster` writes a kubeconfig of this control plane. */
function fakeKindAndDocker(kubeconfigText: string): string {
  const bin = tempTree('fake-kind-', {});
  writeFakeKind(bin, bin, kubeconfigText);
  fs.writeFileSync(path.join(bin, 'docker'), "#!/bin/sh\necho 'Docker version 28.2.2, build e6534b4'\n", { mode: 0o755 });
  return bin;
}

/** The control plane's admin kubeconfig under the context name kind gives a cluster. */
function asKindKubeconfig(cluster: KubeCluster, context: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.target.kubeconfig);
  const current = kc.getContextObject(cluster.target.context)!;
  kc.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: [{ ...current, name: context }], currentContext: context });
  return kc.exportConfig();
}

test.describe('kind', () => {
  const namespace = 'e2e-kind';
  let forward: net.Server | undefined;
  let docker: FakeServer | undefined;

  test.afterAll(async ({ cluster }) => {
    forward?.close();
    docker?.close();
    // A kind cluster goes with everything in it; here the cluster is shared, so its release goes by hand.
    await cluster.helm(['uninstall', 'jhub', '--namespace', namespace, '--wait']).catch(() => undefined);
    await cluster.helm(['uninstall', 'ngshare', '--namespace', namespace, '--wait']).catch(() => undefined);
    await cluster.kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    await namespaceGone(cluster.kc, namespace);
  });

  test("up with the project's values: the charts from the local source, the rollout, the hub at the port kind publishes, the users; a bundle; down", async ({
    cluster,
  }) => {
    const run = cluster.runAgainst({ E2E_PLATFORM: 'kind', E2E_NAMESPACE: namespace });
    // The hub's NodePort as kind would publish it: here a forward to the proxy pod, which kwok maps to the local hub.
    await cluster.mapProxy(namespace);
    forward = await serveForward(cluster.kc, { namespace, ...proxyForward });
    const hubPort = (forward.address() as net.AddressInfo).port;
    const socket = path.join(tempTree('docker-', {}), 'docker.sock');
    docker = await fakeServer((_method, url) => {
      if (url === '/_ping') return [200, 'OK'];
      if (url === '/info') return [200, { ServerVersion: '28.2.2', NCPU: 4, MemTotal: 16 * 2 ** 30, CgroupVersion: '2', CgroupDriver: 'systemd' }];
      if (url === `/containers/${run.id}-control-plane/json`)
        return [200, { NetworkSettings: { Ports: { '30080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hubPort) }] } } }];
      return undefined;
    }, socket);
    const saved = { PATH: process.env.PATH, DOCKER_HOST: process.env.DOCKER_HOST };
    process.env.PATH = `${fakeKindAndDocker(asKindKubeconfig(cluster, `kind-${run.id}`))}${path.delimiter}${saved.PATH}`;
    process.env.DOCKER_HOST = `unix://${socket}`;
    try {
      const driver = new KindDriver();
      const checks = await driver.preflight(run);
      expect(checks.find((c) => c.name === 'helm')?.detail).toMatch(/^3\.22\.0 /); // the pinned build, not a fake
      const s = await driver.up(run, {});
      expect(s.hubUrl).toBe(`http://127.0.0.1:${hubPort}`);
      expect(s.details.releases.hub).toBe('jhub'); // kind's cluster is the run's own: the tutorial's name
      const deployments = (await cluster.kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace })).items;
      expect(deployments.map((d) => `${d.metadata?.name} ${d.status?.availableReplicas}`).sort()).toEqual([
        'hub 1',
        'ngshare 1',
        'proxy 1',
        'user-scheduler 2',
      ]);
      const service = await cluster.kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'proxy-public', namespace });
      expect(service.spec?.ports?.find((p) => p.name === 'http')?.nodePort).toBe(30080); // kind-jupyterhub.yaml
      const claims = (await cluster.kc.makeApiClient(CoreV1Api).listNamespacedPersistentVolumeClaim({ namespace })).items;
      expect(claims.find((c) => c.metadata?.name === 'ngshare-pvc')?.spec?.accessModes).toEqual(['ReadWriteOnce']); // kind-ngshare.yaml

      const stack = await driver.attach(s, run);
      const bundle = test.info().outputPath('kind-bundle');
      const files = (await stack.collectDiagnostics(bundle)).map((f) => path.relative(bundle, f));
      expect(files).toEqual(expect.arrayContaining(['pods.txt', 'events.txt', 'values/jupyterhub/91-kind-jupyterhub.yaml', 'hub-users.json']));
      expect(fs.readFileSync(path.join(bundle, 'hub-users.json'), 'utf8')).toContain('"name": "student1"');

      await driver.down(run);
      expect(run.ledger.list()).toEqual([]);
      expect(fs.existsSync(path.join(run.dirs.outputDir, 'diagnostics', 'kind-logs', 'kind-version.txt'))).toBe(true);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.DOCKER_HOST === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved.DOCKER_HOST;
    }
  });
});

// --- a cluster that runs the tutorial ---------------------------------------------------------------

/** The tutorial's values files, with its placeholders filled the way a person fills them. */
function tutorialValues(cluster: KubeCluster, admin: string): Record<string, string> {
  const dir = tempTree('tutorial-values-', {});
  const token = 'tutorial-deployment-token-not-of-any-run';
  const out: Record<string, string> = {};
  for (const rel of [
    'config_standard_storage.yaml',
    'nbgrader/ngshare-config.yaml',
    'nbgrader/jhub-ngshare-service.yaml',
    'nbgrader/jhub-singleuser-nbgrader.yaml',
  ]) {
    const text = fs
      .readFileSync(path.join(cluster.tutorialRepo, rel), 'utf8')
      .replace(/REPLACE_WITH_(A_LONG_RANDOM|THE_SAME)_TOKEN/g, token)
      .replace(/\badmin_username\b/g, admin)
      .replace(/\bCOURSE_ID\b/g, 'course101');
    out[rel] = path.join(dir, rel.replace('/', '-'));
    fs.writeFileSync(out[rel], text);
  }
  return out;
}

interface ReleaseSnapshot {
  revisions: number;
  objects: Record<string, string>;
}

/** The tutorial's release as it is: its Helm history and the resourceVersion of each of its objects. */
async function snapshot(cluster: KubeCluster): Promise<ReleaseSnapshot> {
  const history = JSON.parse(await cluster.helm(['history', 'jhub', '--namespace', 'jhub', '--output', 'json'])) as unknown[];
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const objects: Record<string, string> = {};
  for (const d of (await apps.listNamespacedDeployment({ namespace: 'jhub' })).items) objects[`deployment ${d.metadata!.name}`] = d.metadata!.resourceVersion!;
  for (const s of (await core.listNamespacedSecret({ namespace: 'jhub' })).items) objects[`secret ${s.metadata!.name}`] = s.metadata!.resourceVersion!;
  for (const [name, rv] of await clusterRoles(cluster.kc)) if (name === 'jhub-user-scheduler') objects[`clusterrole ${name}`] = rv;
  return { revisions: history.length, objects };
}

/** A pod where kubespawner would put `user`'s server, whose exec kwok runs in that user's home of the local hub. */
async function userPodOf(cluster: KubeCluster, namespace: string, user: string): Promise<void> {
  const home = await cluster.local.homeOf(user);
  const pod: V1Pod = {
    metadata: { name: `jupyter-${user}`, labels: { component: 'singleuser-server' }, annotations: { 'hub.jupyter.org/username': user } },
    spec: { containers: [{ name: 'notebook', image: 'quay.io/jupyter/scipy-notebook:2025-11-10' }] },
  };
  await cluster.kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace, body: pod });
  fs.mkdirSync(home, { recursive: true });
  await mapExec(cluster.kc, {
    name: `e2e-exec-${user}`,
    namespaces: [namespace],
    pods: [pod.metadata!.name!],
    workDir: home,
    env: { HOME: home, JUPYTERHUB_USER: user },
  });
}

test.describe('a cluster that runs the tutorial', () => {
  const admin = 'instructor1'; // the local hub's ngshare admin: the tutorial's release names it too
  let before: ReleaseSnapshot;

  test.beforeAll(async ({ cluster }) => {
    // install_jhub.sh and Step 1, as the tutorial has a person type them (the charts from the local source).
    const v = tutorialValues(cluster, admin);
    await cluster.helm([
      'upgrade',
      '--install',
      'jhub',
      `${cluster.charts}/jupyterhub-4.3.3.tgz`,
      '--namespace',
      'jhub',
      '--create-namespace',
      '--version',
      '4.3.3',
      '--values',
      v['config_standard_storage.yaml'],
      '--values',
      v['nbgrader/jhub-ngshare-service.yaml'],
      '--values',
      v['nbgrader/jhub-singleuser-nbgrader.yaml'],
    ]);
    await cluster.helm(['install', 'ngshare', `${cluster.charts}/ngshare-0.6.0.tgz`, '--namespace', 'jhub', '-f', v['nbgrader/ngshare-config.yaml']]);
    await new Kube(cluster.kc, 'jhub').awaitRollout({ names: ['hub', 'proxy', 'ngshare'], timeoutMs: 120_000 });
    await cluster.mapProxy('jhub');
    before = await snapshot(cluster);
  });

  test('--deploy-repo beside it: a release of the run own name keeps the user scheduler; the bundle; down removes its namespace and cluster-scoped objects, and nothing of jhub', async ({
    cluster,
  }) => {
    const run = cluster.runAgainst({ E2E_PLATFORM: 'jetstream', E2E_DEPLOY_REPO: cluster.tutorialRepo });
    await cluster.mapProxy(run.id);
    const driver = new JetstreamDriver();
    expect((await driver.preflight(run)).filter((c) => !c.ok)).toEqual([]);
    const s = await driver.up(run, {});
    const release = `e2e-${shortRunId(run.id)}-jhub`;
    expect(s.details.releases.hub).toBe(release);
    // Both user schedulers: the tutorial's and the run's (defect 1: the run's no longer collides).
    expect([...(await clusterRoles(cluster.kc)).keys()].sort()).toEqual(expect.arrayContaining(['jhub-user-scheduler', `${release}-user-scheduler`]));
    const hub = new HubClient(s.hubApiUrl, run.secrets.get(s.details.tokenSecret));
    expect((await hub.getUser(s.users.student))?.servers?.['']?.ready).toBe(true);
    const valuesSent = fs.readFileSync(path.join(run.dirs.path('values'), 'ngshare', '01-nbgrader-ngshare-config.yaml'), 'utf8');
    expect(valuesSent).toContain(`- ${s.users.instructor}`); // admin_username filled with the run's instructor

    const bundle = test.info().outputPath('jetstream-bundle');
    const files = (await (await driver.attach(s, run)).collectDiagnostics(bundle)).map((f) => path.relative(bundle, f));
    expect(files).toEqual(expect.arrayContaining(['events.txt', 'values/ngshare/01-nbgrader-ngshare-config.yaml', 'versions.json']));
    expect(fs.readFileSync(path.join(bundle, 'values/ngshare/01-nbgrader-ngshare-config.yaml'), 'utf8')).not.toContain(run.secrets.get('ngshareApiToken'));

    await driver.down(run);
    await namespaceGone(cluster.kc, run.id);
    expect((await clusterRoles(cluster.kc)).has(`${release}-user-scheduler`)).toBe(false);
    expect(run.ledger.list()).toEqual([]);
    expect(await snapshot(cluster)).toEqual(before);
    expect(await new Kube(cluster.kc, cluster.state.details.namespace).namespaceExists()).toBe(true);
  });

  test("--existing-release --ngshare-admin: users added and removed, the run's courses made and deleted through the admin, nothing else of the release touched", async ({
    cluster,
  }) => {
    const run = cluster.runAgainst({
      E2E_PLATFORM: 'jetstream',
      E2E_EXISTING_RELEASE: '1',
      E2E_NAMESPACE: 'jhub',
      E2E_NGSHARE_ADMIN: admin,
      E2E_HUB_ADMIN_TOKEN: cluster.local.hubToken,
      E2E_CHARTS: '',
    });
    const student = `e2e-${shortRunId(run.id)}-student`;
    for (const user of [admin, student]) await userPodOf(cluster, 'jhub', user);
    const hubNow = new HubClient(cluster.local.state.hubApiUrl, cluster.local.hubToken);
    expect((await hubNow.getUser(admin))?.servers?.['']?.ready).toBe(true); // so the run must leave it running

    // A course of someone else's, made by the admin before the run: it must survive the run.
    const adminToken = await hubNow.createToken(admin, 'a course of the semester', 600);
    const theirs = new NgshareClient(cluster.local.state.hubUrl, adminToken.token);
    await theirs.createCourse('physics-101', [admin]);

    const driver = new JetstreamDriver();
    const checks = await driver.preflight(run);
    expect(checks.find((c) => c.name === 'permissions')?.ok).toBe(true);
    const s = await driver.up(run, {});
    expect(s.users).toEqual({ instructor: admin, student });
    expect(s.details.ngshareAdmin).toEqual({ user: admin, startedServer: false });
    // The run's course in the users' own config (exec in their pods, through the API server and kwok).
    const config = fs.readFileSync(path.join(await cluster.local.homeOf(student), '.jupyter', 'nbgrader_config.py'), 'utf8');
    expect(config).toContain(`c.CourseDirectory.course_id = '${s.courseId}'`);

    // Classrooms make courses through the admin (recorded); the tutorial's Step 5 makes one by name (not recorded).
    const stack = await driver.attach(s, run);
    await openClassroom(stack, run, { course: 'created', servers: false });
    await openClassroom(stack, run, { course: 'created', servers: false });
    const minted = run.secrets.get('ngshareAdminToken');
    const asAdmin = new NgshareClient(s.hubUrl, minted);
    await asAdmin.createCourse(`${s.courseId}-c3`, [admin]);
    expect(await asAdmin.courses()).toEqual(expect.arrayContaining([s.courseId, `${s.courseId}-c2`, `${s.courseId}-c3`, 'physics-101']));

    await driver.down(run);
    const left = await theirs.courses();
    expect(left).toContain('physics-101');
    expect(left.filter((c) => c.startsWith(s.courseId))).toEqual([]);
    // The run's token of the admin is gone; the admin is not, and its server still runs.
    const withMinted = await fetch(`${cluster.local.state.hubApiUrl}/user`, { headers: { Authorization: `token ${minted}` } });
    expect(withMinted.status).toBe(403);
    expect((await hubNow.getUser(admin))?.servers?.['']?.ready).toBe(true);
    expect(await hubNow.getUser(student)).toBeUndefined();
    expect(await hubNow.getUser(`${student}-c2`)).toBeUndefined();
    expect(run.ledger.list()).toEqual([]);
    expect(await snapshot(cluster)).toEqual(before);
    await theirs.deleteCourse('physics-101');
    await hubNow.deleteToken(admin, adminToken.id);
  });

  test('a value the chart does not know is refused by the chart schema through Helm, and down removes what the run had made', async ({ cluster }) => {
    const repo = tempTree('deploy-repo-bogus-', {});
    fs.cpSync(cluster.tutorialRepo, repo, { recursive: true });
    fs.appendFileSync(path.join(repo, 'config_standard_storage.yaml'), '\nproxy:\n  bogusKey: 1\n');
    const run = cluster.runAgainst({ E2E_PLATFORM: 'jetstream', E2E_DEPLOY_REPO: repo });
    const driver = new JetstreamDriver();
    const failure = await driver.up(run, {}).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HarnessError);
    expect((failure as Error).message).toMatch(new RegExp(`^helm: upgrade --install e2e-${shortRunId(run.id)}-jhub failed \\(exit 1\\)`));
    expect((failure as Error).message).toContain("at '/proxy': additional properties 'bogusKey' not allowed");
    await driver.down(run);
    await namespaceGone(cluster.kc, run.id);
    expect(run.ledger.list()).toEqual([]);
  });

  test('a user with rights in one namespace only: preflight names each missing permission before anything is made', async ({ cluster }) => {
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const ns = 'e2e-limited';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'tutor' } } });
    await cluster.kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'tutor-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'tutor', namespace: ns }],
      },
    });
    const { status } = await core.createNamespacedServiceAccountToken({
      name: 'tutor',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const admin = new KubeConfig();
    admin.loadFromFile(cluster.target.kubeconfig);
    const limited = new KubeConfig();
    limited.loadFromOptions({
      clusters: [{ ...admin.getCurrentCluster()!, name: 'course' }],
      users: [{ name: 'tutor', token: status!.token }],
      contexts: [{ name: 'tutor', cluster: 'course', user: 'tutor' }],
      currentContext: 'tutor',
    });
    const kubeconfig = path.join(tempTree('limited-', {}), 'kubeconfig');
    fs.writeFileSync(kubeconfig, limited.exportConfig(), { mode: 0o600 });

    const run = cluster.runAgainst({ E2E_PLATFORM: 'jetstream', E2E_KUBECONFIG: kubeconfig, E2E_KUBE_CONTEXT: 'tutor', E2E_NAMESPACE: ns });
    const failure = await new JetstreamDriver().preflight(run).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(PrerequisiteError);
    const message = (failure as Error).message;
    expect(message).toContain("- permissions: the user of context tutor may not: create namespaces (cluster-wide) (the run's namespace)");
    expect(message).toContain("create clusterroles.rbac.authorization.k8s.io (cluster-wide) (z2jh's user scheduler (cluster-scoped))");
    expect(message).not.toContain(`in namespace ${ns}`); // what its role grants is not listed
    expect(message).toContain(`- namespace: ${ns} exists and is not this run's`);
    expect(run.ledger.list()).toEqual([]);
    // The same user can run the pre-semester check of a release in its namespace: it needs nothing more.
    const check = cluster.runAgainst({
      E2E_PLATFORM: 'jetstream',
      E2E_KUBECONFIG: kubeconfig,
      E2E_KUBE_CONTEXT: 'tutor',
      E2E_NAMESPACE: ns,
      E2E_EXISTING_RELEASE: '1',
      E2E_HUB_ADMIN_TOKEN: 'x',
      E2E_CHARTS: '',
    });
    expect((await new JetstreamDriver().preflight(check)).find((c) => c.name === 'permissions')).toMatchObject({ ok: true });
  });

  test("reap by label: a leftover run's namespace and what its releases made outside it go; nothing else", async ({ cluster }) => {
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
    const oldRun = 'e2e-20200101-000000-dead';
    await core.createNamespace({ body: { metadata: { name: 'e2e-leftover', labels: { 'nbgrader-e2e/run': oldRun } } } });
    await core.createNamespace({ body: { metadata: { name: 'e2e-not-a-run' } } });
    await rbac.createClusterRole({
      body: {
        metadata: {
          name: 'e2e-dead-jhub-user-scheduler',
          annotations: { 'meta.helm.sh/release-name': 'e2e-dead-jhub', 'meta.helm.sh/release-namespace': 'e2e-leftover' },
        },
        rules: [],
      },
    });
    const { leftovers } = await new JetstreamDriver().findLeftovers(cluster.configFor({ E2E_PLATFORM: 'jetstream' }));
    const mine = leftovers.filter((l) => l.runId === oldRun);
    expect(mine.map((l) => l.description)).toEqual([`namespace e2e-leftover (context ${cluster.target.context})`]);
    expect(leftovers.map((l) => l.runId)).toContain(cluster.run.id); // the project's own cluster run is found too, and left alone here
    const rolesBefore = await clusterRoles(cluster.kc);
    await mine[0].remove();
    await namespaceGone(cluster.kc, 'e2e-leftover');
    expect(isNotFound(await rbac.readClusterRole({ name: 'e2e-dead-jhub-user-scheduler' }).catch((err: unknown) => err))).toBe(true);
    expect(await new Kube(cluster.kc, 'e2e-not-a-run').namespaceExists()).toBe(true);
    const rolesAfter = await clusterRoles(cluster.kc);
    rolesBefore.delete('e2e-dead-jhub-user-scheduler');
    expect(rolesAfter).toEqual(rolesBefore);
    expect(await snapshot(cluster)).toEqual(before);
  });
});
