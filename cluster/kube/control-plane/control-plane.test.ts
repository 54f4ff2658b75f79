/**
 * The real control plane, for real: built from the Go module proxy (cached after the first run,
 * which takes ~20-25 min), brought up on loopback, used the way the Kubernetes drivers use a
 * cluster (Helm installs of the two real charts, exec, logs, port-forward through client-node and
 * the API server), made to fail on demand (CrashLoopBackOff, ImagePullBackOff), and torn down with
 * nothing left. Pods are simulated by kwok: nothing runs in them.
 */
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { AppsV1Api, CoreV1Api, Exec, PortForward, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { readConfig } from '../../config.js';
import { PrerequisiteError } from '../../errors.js';
import { formatDuration } from '../../log.js';
import { ensureGoTools, goVersion, type GoToolPaths } from '../../go-tools.js';
import { waitFor } from '../../wait.js';
import {
  controlPlaneProcesses,
  controlPlaneTools,
  killControlPlaneSync,
  listeningSockets,
  startControlPlane,
  stopControlPlane,
  type ControlPlane,
} from './control-plane.js';
import { kwokFaultKey } from './kwok-config.js';
import { mapExec, mapLogs, mapPortForward, writeCriLog } from './kwok-mappings.js';
import { exitCodeOf } from '../exec.js';
import { recycleReleasedVolumes } from './storage.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const chartsDir = path.resolve(repoRoot, '../shared/charts');
const namespace = 'jhub-e2e';

test.describe.configure({ mode: 'serial' });

let cp: ControlPlane | undefined;
let tools: GoToolPaths;
let runDir: string;
const runId = `cp-${Date.now().toString(36)}-${crypto.randomBytes(2).toString('hex')}`;
const testStarted = Date.now();
const onExit = () => runDir && killControlPlaneSync(runDir, runId); // Ctrl-C: nothing outlives the worker

test.beforeAll(async () => {
  const testInfo = test.info();
  // A cold build of the tools takes ~20-25 min on 2 cores; cached, this is seconds.
  test.setTimeout(45 * 60_000);
  try {
    await goVersion();
  } catch (err) {
    if (err instanceof PrerequisiteError) test.skip(true, `${err.message} — the real control plane is built from Go modules`);
    throw err;
  }
  const { cacheDir } = readConfig();
  tools = await ensureGoTools([...controlPlaneTools, 'helm'], { cacheDir });
  runDir = path.join(testInfo.project.outputDir, `control-plane-${runId}`);
  process.once('exit', onExit);
  cp = await startControlPlane({
    dir: runDir,
    runId,
    tools,
    volumes: [
      { count: 4, accessModes: ['ReadWriteOnce'] },
      { count: 1, accessModes: ['ReadWriteMany'] },
    ],
  });
  testInfo.annotations.push({ type: 'control plane up', description: formatDuration(cp.upMs) });
});

test.afterAll(async () => {
  // Normally the last test has stopped it already; this is for a failure (or Ctrl-C) before that.
  if (runDir && cp) await stopControlPlane(runDir, { runId });
  process.removeListener('exit', onExit);
});

function controlPlane(): ControlPlane {
  if (!cp) throw new Error('the control plane did not start');
  return cp;
}

async function helm(args: string[]): Promise<string> {
  const c = controlPlane();
  const helmHome = path.join(c.dir, 'helm');
  const result = await execa(tools.bin.helm!, [...args, '--kubeconfig', c.kubeconfig, '--kube-context', c.context], {
    reject: false,
    timeout: 5 * 60_000,
    stdin: 'ignore',
    env: {
      HELM_CACHE_HOME: path.join(helmHome, 'cache'),
      HELM_CONFIG_HOME: path.join(helmHome, 'config'),
      HELM_DATA_HOME: path.join(helmHome, 'data'),
    },
  });
  if (result.failed) throw new Error(`helm: ${args.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${String(result.stderr).slice(-2000)}`);
  return String(result.stdout);
}

const isRunningAndReady = (pod: V1Pod) => pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** The part of client-node's Exec used here (its socket is typed with ws's types, which this project does not install). */
interface ExecApiLike {
  exec(
    namespace: string,
    pod: string,
    container: string,
    command: string[],
    stdout: Writable,
    stderr: Writable,
    stdin: null,
    tty: boolean,
    statusCallback: (status: V1Status) => void,
  ): Promise<{ on(event: 'close', listener: () => void): unknown; on(event: 'error', listener: (err: Error) => void): unknown }>;
}

const execApi = (): ExecApiLike => new Exec(controlPlane().kc);

async function podExec(ns: string, pod: string, container: string, argv: string[]): Promise<{ stdout: string; stderr: string; status: V1Status | undefined }> {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        out[key] += chunk.toString('utf8');
        done();
      },
    });
  let status: V1Status | undefined;
  const socket = await execApi().exec(ns, pod, container, argv, sink('stdout'), sink('stderr'), null, false, (s) => {
    status = s;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('exec: no end after 30 s')), 30_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return { ...out, status };
}

test('the node is Ready and every control-plane process listens on 127.0.0.1 only', async () => {
  const c = controlPlane();
  const core = c.kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name: c.nodeName });
  expect(node.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  expect(node.spec?.podCIDR).toBe(c.podCidr);
  expect(fs.readFileSync(c.kubeconfig, 'utf8')).toContain(`current-context: ${c.context}`);
  expect(c.context).toContain(runId);

  const sockets = listeningSockets(controlPlaneProcesses(runId));
  expect(sockets.length).toBeGreaterThanOrEqual(4); // etcd client + peer, apiserver, kwok
  expect(sockets.filter((s) => s.address !== '127.0.0.1')).toEqual([]);
  const ports = sockets.map((s) => s.port);
  for (const port of Object.values(c.ports)) expect(ports).toContain(port);
});

test('a namespace is deleted and finalized, and garbage collection removes dependents', async () => {
  const c = controlPlane();
  const core = c.kc.makeApiClient(CoreV1Api);
  const ns = 'e2e-finalize-check';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' }, data: { a: '1' } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }] },
      data: { b: '2' },
    },
  });
  // A pod too: the namespace controller must wait for kwok to finish deleting it.
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'sleeper' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } });
  await waitFor(async () => (isRunningAndReady(await core.readNamespacedPod({ name: 'sleeper', namespace: ns })) ? true : undefined), {
    what: 'pod sleeper Running',
    timeoutMs: 30_000,
  });

  await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns, propagationPolicy: 'Background' });
  await waitFor(
    async () => {
      const list = await core.listNamespacedConfigMap({ namespace: ns });
      return list.items.some((cm) => cm.metadata?.name === 'dependent') ? undefined : true;
    },
    { what: 'garbage collection of configmap dependent', timeoutMs: 30_000 },
  );

  await core.deleteNamespace({ name: ns });
  await waitFor(
    async () => {
      try {
        const got = await core.readNamespace({ name: ns });
        throw new Error(`phase ${got.status?.phase}; ${got.status?.conditions?.map((x) => `${x.type}=${x.status}`).join(', ')}`);
      } catch (err) {
        if ((err as { code?: number }).code === 404) return true;
        throw err;
      }
    },
    { what: `namespace ${ns} gone`, timeoutMs: 60_000, intervalMs: 250 },
  );
});

test('both charts install from ../shared/charts with the built helm and their pods run under kwok', async () => {
  const c = controlPlane();
  expect((await helm(['version', '--short'])).trim()).toMatch(/^v3\.22\.0\b/);
  const hubApiToken = crypto.randomBytes(32).toString('hex');
  // Values files, not --set: a token on a command line shows in `ps`.
  const ngshareValues = path.join(c.dir, 'ngshare-values.yaml');
  fs.writeFileSync(ngshareValues, stringify({ ngshare: { hub_api_token: hubApiToken }, pvc: { accessModes: ['ReadWriteOnce'] } }), { mode: 0o600 });
  const hubValues = path.join(c.dir, 'jupyterhub-values.yaml');
  fs.writeFileSync(
    hubValues,
    stringify({
      proxy: { service: { type: 'ClusterIP' } },
      scheduling: { userScheduler: { enabled: false }, userPlaceholder: { enabled: false }, podPriority: { enabled: false } },
      prePuller: { hook: { enabled: false }, continuous: { enabled: false } },
      hub: { services: { ngshare: { url: `http://ngshare.${namespace}.svc.cluster.local:8080`, api_token: hubApiToken } } },
    }),
    { mode: 0o600 },
  );
  try {
    await helm([
      'upgrade',
      '--install',
      'ngshare',
      path.join(chartsDir, 'ngshare-0.6.0.tgz'),
      '--namespace',
      namespace,
      '--create-namespace',
      '--values',
      ngshareValues,
    ]);
    await helm(['upgrade', '--install', 'jhub', path.join(chartsDir, 'jupyterhub-4.3.3.tgz'), '--namespace', namespace, '--values', hubValues]);
  } finally {
    // The run directory outlives the run (its logs are evidence): the token must not.
    fs.rmSync(ngshareValues, { force: true });
    fs.rmSync(hubValues, { force: true });
  }

  const core = c.kc.makeApiClient(CoreV1Api);
  const pods = await waitFor(
    async () => {
      const list = (await core.listNamespacedPod({ namespace })).items;
      const components = ['hub', 'proxy'].map((comp) => list.find((p) => p.metadata?.labels?.component === comp));
      const ngshare = list.find((p) => p.metadata?.name?.startsWith('ngshare-'));
      const wanted = [...components, ngshare];
      const notReady = wanted.filter((p) => !p || !isRunningAndReady(p));
      if (notReady.length > 0) {
        throw new Error(list.map((p) => `${p.metadata?.name}=${p.status?.phase}`).join(', ') || 'no pods yet');
      }
      return wanted as V1Pod[];
    },
    { what: 'hub, proxy and ngshare pods Running and Ready', timeoutMs: 120_000, intervalMs: 500 },
  );
  expect(pods).toHaveLength(3);
  for (const pod of pods) expect(pod.status?.podIP?.startsWith(c.podCidr.split('.').slice(0, 3).join('.'))).toBe(true);
  const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
  expect(claims.map((pvc) => `${pvc.metadata?.name}:${pvc.status?.phase}`).sort()).toEqual(['hub-db-dir:Bound', 'ngshare-pvc:Bound']);
});

test("exec, logs and port-forward through the API server reach kwok's local mappings", async () => {
  const c = controlPlane();
  const core = c.kc.makeApiClient(CoreV1Api);
  const hub = (await core.listNamespacedPod({ namespace, labelSelector: 'component=hub' })).items[0];
  const hubName = hub.metadata!.name!;

  // exec: the argv runs here, in the mapped directory, with the mapped environment.
  const workDir = path.join(c.dir, 'pods', hubName);
  fs.mkdirSync(workDir, { recursive: true });
  await mapExec(c.kc, { name: 'hub-exec', namespaces: [namespace], pods: [hubName], workDir, env: { E2E_MAPPED: 'yes' } });
  const result = await waitFor(
    async () => {
      const r = await podExec(namespace, hubName, 'hub', ['bash', '-c', 'pwd; echo "mapped=$E2E_MAPPED"; echo to-stderr >&2']);
      if (r.status?.message?.includes('no exec found')) throw new Error(r.status.message); // kwok has not seen the mapping yet
      return r;
    },
    { what: 'exec through kwok', timeoutMs: 20_000, intervalMs: 500 },
  );
  expect(result.stdout).toBe(`${workDir}\nmapped=yes\n`);
  expect(result.stderr).toBe('to-stderr\n');
  expect(result.status?.status).toBe('Success');
  // kwok reports a non-zero exit as an InternalError, not NonZeroExitCode: exitCodeOf reads both.
  const failing = await podExec(namespace, hubName, 'hub', ['bash', '-c', 'echo partial; exit 3']);
  expect(failing.stdout).toBe('partial\n');
  expect(failing.status?.reason).toBe('InternalError');
  expect(exitCodeOf(failing.status!)).toBe(3);

  // logs: a CRI-format file stands for the container's log.
  const logsFile = writeCriLog(path.join(c.dir, 'pods', hubName, 'hub.log'), ['[I hub] JupyterHub is now running', '[I hub] second line']);
  await mapLogs(c.kc, { name: 'hub-logs', namespaces: [namespace], pods: [hubName], logsFile });
  const logText = await waitFor(async () => core.readNamespacedPodLog({ name: hubName, namespace, container: 'hub' }), {
    what: 'pod log through kwok',
    timeoutMs: 20_000,
    intervalMs: 500,
  });
  expect(logText).toBe('[I hub] JupyterHub is now running\n[I hub] second line\n');

  // port-forward: the hub pod's port 8081 goes to a local HTTP server.
  const target = http.createServer((_req, res) => res.end(`hello from ${hubName}'s mapped port`));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as net.AddressInfo).port;
  await mapPortForward(c.kc, { name: 'hub-port', namespaces: [namespace], pods: [hubName], ports: [8081], target: { address: '127.0.0.1', port: targetPort } });
  const forward = new PortForward(c.kc);
  const local = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    forward.portForward(namespace, hubName, [8081], socket, null, socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  const localPort = (local.address() as net.AddressInfo).port;
  try {
    const body = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${localPort}/hub/api`, { signal: AbortSignal.timeout(5_000) });
        return res.text();
      },
      { what: 'HTTP through the port-forward', timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(body).toBe(`hello from ${hubName}'s mapped port`);
  } finally {
    local.close();
    target.close();
  }
});

test('a pod labelled for the fault stage goes CrashLoopBackOff and keeps restarting; an annotated one ImagePullBackOff', async () => {
  const c = controlPlane();
  const core = c.kc.makeApiClient(CoreV1Api);
  const apps = c.kc.makeApiClient(AppsV1Api);
  // The ngshare Deployment's pod template gets the label, as a test would do to a real workload.
  await apps.patchNamespacedDeployment({
    name: 'ngshare',
    namespace,
    body: [{ op: 'add', path: `/spec/template/metadata/labels/${kwokFaultKey.replace('/', '~1')}`, value: 'CrashLoopBackOff' }],
  });
  const crashing = await waitFor(
    async () => {
      const list = (await core.listNamespacedPod({ namespace, labelSelector: `${kwokFaultKey}=CrashLoopBackOff` })).items;
      const pod = list.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2);
      if (!pod)
        throw new Error(list.map((p) => `${p.metadata?.name}: ${JSON.stringify(p.status?.containerStatuses?.[0]?.state)}`).join('; ') || 'no labelled pod yet');
      return pod;
    },
    { what: 'ngshare pod in CrashLoopBackOff with 2 restarts', timeoutMs: 60_000, intervalMs: 500 },
  );
  const status = crashing.status!.containerStatuses![0];
  expect(crashing.status?.phase).toBe('Running');
  expect(status.state?.waiting?.reason).toBe('CrashLoopBackOff');
  expect(status.lastState?.terminated?.exitCode).toBe(1);
  expect(status.ready).toBe(false);
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${crashing.metadata!.name}` });
  expect(events.items.map((e) => e.reason)).toContain('BackOff');

  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'pull-fails', annotations: { [kwokFaultKey]: 'ImagePullBackOff' } },
      spec: { containers: [{ name: 'c', image: 'example.invalid/nothing:1' }] },
    },
  });
  const pulling = await waitFor(
    async () => {
      const pod = await core.readNamespacedPod({ name: 'pull-fails', namespace });
      const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason !== 'ImagePullBackOff') throw new Error(`phase ${pod.status?.phase}, waiting ${reason}`);
      return pod;
    },
    { what: 'pod pull-fails in ImagePullBackOff', timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(pulling.status?.phase).toBe('Pending');
  const pullEvents = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=pull-fails' });
  expect(pullEvents.items.map((e) => e.message)).toContain('Error: ErrImagePull');
});

test('uninstall frees the volumes, and teardown stops every process and frees every port', async () => {
  const c = controlPlane();
  await helm(['uninstall', 'jhub', '--namespace', namespace, '--wait']);
  await helm(['uninstall', 'ngshare', '--namespace', namespace, '--wait']);
  const core = c.kc.makeApiClient(CoreV1Api);
  for (const pvc of (await core.listNamespacedPersistentVolumeClaim({ namespace })).items) {
    await core.deleteNamespacedPersistentVolumeClaim({ name: pvc.metadata!.name!, namespace });
  }
  const recycled = await waitFor(
    async () => {
      const names = await recycleReleasedVolumes(c.storage);
      return names.length >= 2 ? names : undefined;
    },
    { what: "the two claims' volumes Released", timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(recycled).toHaveLength(2);

  const pids = controlPlaneProcesses(runId);
  expect(pids.length).toBeGreaterThanOrEqual(5);
  const report = await stopControlPlane(c.dir);
  expect(report.survivors).toEqual([]);
  expect(report.listening).toEqual([]);
  expect(controlPlaneProcesses(runId)).toEqual([]);
  for (const pid of pids) expect(fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
  expect(fs.existsSync(path.join(c.dir, 'etcd-data'))).toBe(false);
  expect(fs.existsSync(path.join(c.dir, 'pki'))).toBe(false);
  expect(fs.existsSync(c.logs['kube-apiserver'])).toBe(true); // logs stay for the report
  cp = undefined;
  test.info().annotations.push({ type: 'whole control-plane test', description: formatDuration(Date.now() - testStarted) });
});
