/**
 * A real Kubernetes control plane on 127.0.0.1 for one run, in a directory it is given: etcd,
 * kube-apiserver (RBAC, client certificates, service accounts), kube-controller-manager and
 * kube-scheduler (no serving ports), and kwok faking one node and its pods, all built by
 * go-tools.ts. Every port is a random free port on 127.0.0.1, kwok's kubelet port included, and the
 * pod CIDR is a /24 of 127.0.0.0/8 chosen from the run id, so two control planes can run at once.
 *
 * Pods are simulated by kwok's stages: they become Running (or CrashLoopBackOff/ImagePullBackOff
 * on demand, see kwok-config.ts) but nothing runs in them; exec, logs and port-forward are mapped
 * to local commands, files and addresses (kwok-mappings.ts).
 *
 * Layout of the run directory:
 *   kubeconfig               admin kubeconfig, context `nbgrader-e2e-<run id>`
 *   control-plane.json       ports, paths, run id (no secrets): what stopControlPlane reads
 *   pids                     `<component> <pid>` per started process
 *   logs/<component>.log     each process's stdout and stderr
 *   pki/ kubeconfigs/ etcd-data/ volumes/ kwok/   removed at teardown unless kept
 */
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import http from 'node:http';
import crypto from 'node:crypto';
import getPort from 'get-port';
import { ApiextensionsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { HarnessError, PortInUseError, WaitTimeoutError } from '../../errors.js';
import { formatDuration, logger, type Logger } from '../../log.js';
import { waitFor } from '../../wait.js';
import { ensureGoTools, type GoToolName, type GoToolPaths } from '../../go-tools.js';
import { createPki, pkiPaths, writeKubeconfig, type ControlPlanePki } from './certs.js';
import { writeKwokConfig } from './kwok-config.js';
import { kwokMappingKinds } from './kwok-mappings.js';
import { applyObjects, loadKubeConfig } from './objects.js';
import { belongsToRun, exitedProbe, findRunProcesses, isAlive, logTail, type StartedProcess } from '../../processes.js';
import { listeningPorts, logSaysAddressInUse, readPidFile, startComponent, stopComponents } from './components.js';
import { addVolumes, runLabel, storageClassObject, type StorageContext, type StorageClassOptions, type VolumeSpec } from './storage.js';

/** The Go tools a control plane runs (helm and kubectl are the callers' business). */
export const controlPlaneTools: readonly GoToolName[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

export type ControlPlaneComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface ControlPlaneOptions {
  /** The run directory (created if missing). */
  dir: string;
  /** Tags every process (NBGRADER_E2E_STACK) and names the kubeconfig context. */
  runId: string;
  /** Binaries and kwok stages; default: ensureGoTools(controlPlaneTools, { cacheDir }). */
  tools?: GoToolPaths;
  /** The harness cache, for ensureGoTools when `tools` is not given. */
  cacheDir?: string;
  log?: Logger;
  /** Volumes made at start; default six 10Gi ReadWriteOnce ones. */
  volumes?: VolumeSpec[];
  storageClass?: Partial<StorageClassOptions>;
  /** Default: 127.<a>.<b>.0/24 from a hash of the run id. */
  podCidr?: string;
  nodeName?: string;
  /** Bound of each readiness wait (default 60 s: the machine may be busy). */
  timeoutMs?: number;
}

export interface ControlPlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  /** kwok's kubelet-side server: exec, logs, port-forward, healthz. */
  kwok: number;
}

/** What control-plane.json holds: enough for another process to use or stop the control plane. */
export interface ControlPlaneState {
  runId: string;
  dir: string;
  kubeconfig: string;
  context: string;
  /** https://127.0.0.1:<port> */
  server: string;
  nodeName: string;
  podCidr: string;
  serviceCidr: string;
  storageClassName: string;
  ports: ControlPlanePorts;
  pidFile: string;
  logs: Record<ControlPlaneComponent, string>;
  startedAt: string;
  /** From the first process started to the node Ready. */
  upMs: number;
}

export interface ControlPlane extends ControlPlaneState {
  /** A client-node KubeConfig for the admin kubeconfig. */
  kc: KubeConfig;
  processes: StartedProcess[];
  pki: ControlPlanePki;
  storage: StorageContext;
  /** Binaries used (and helm/kubectl when they were in `tools`). */
  bin: GoToolPaths['bin'];
}

export interface StopReport {
  /** Processes signalled (recorded and tagged ones). */
  stopped: number[];
  /** Processes still alive after SIGKILL (should be none). */
  survivors: number[];
  /** The control plane's ports something still listens on (should be none). */
  listening: number[];
  /** Directories removed. */
  removed: string[];
}

const serviceCidr = '10.96.0.0/16';
const kubernetesServiceIp = '10.96.0.1';
const stateFileName = 'control-plane.json';
const portAttempts = 3;

export function controlPlanePaths(dir: string) {
  return {
    state: path.join(dir, stateFileName),
    pidFile: path.join(dir, 'pids'),
    kubeconfig: path.join(dir, 'kubeconfig'),
    logs: path.join(dir, 'logs'),
    pki: path.join(dir, 'pki'),
    kubeconfigs: path.join(dir, 'kubeconfigs'),
    etcdData: path.join(dir, 'etcd-data'),
    volumes: path.join(dir, 'volumes'),
    kwok: path.join(dir, 'kwok'),
  };
}

/** 127.<a>.<b>.0/24 from the run id: on loopback, and two runs almost never share one. */
export function podCidrFor(runId: string): string {
  const h = crypto.createHash('sha256').update(runId).digest();
  return `127.${1 + (h[0] % 254)}.${h[1]}.0/24`;
}

export function contextNameFor(runId: string): string {
  return `nbgrader-e2e-${runId}`;
}

/**
 * Brings the control plane up: PKI, etcd, kube-apiserver, controller-manager, scheduler, the node,
 * storage, kwok; returns once the node is Ready and the controller-manager has made the default
 * service account. On any failure everything started so far is stopped before the error is thrown.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? logger('control-plane');
  const { runId } = options;
  const dir = path.resolve(options.dir);
  const paths = controlPlanePaths(dir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const tools = options.tools ?? (await ensureGoTools(controlPlaneTools, { cacheDir: requireCacheDir(options), log: logger('go-tools') }));

  // Create is idempotent: a running control plane of the same run in this directory is reused.
  const running = await attachControlPlane(dir, runId, tools);
  if (running) {
    log.info(`reusing control plane ${running.context} (API server ${running.server})`);
    return running;
  }
  if (readPidFile(paths.pidFile).some((p) => belongsToRun(p.pid, runId))) {
    log.warn(`stopping what is left of an earlier control plane of run ${runId} in ${dir}`);
    await stopControlPlane(dir, { runId, quiet: true });
  }
  // Always from a fresh etcd dir, PKI and volumes: nothing of an earlier start leaks into this one.
  for (const d of [paths.etcdData, paths.pki, paths.kubeconfigs, paths.volumes, paths.kwok, paths.state, paths.pidFile])
    fs.rmSync(d, { recursive: true, force: true });
  const earlierLogs = fs.existsSync(paths.logs) ? fs.readdirSync(paths.logs).filter((f) => f.endsWith('.log')) : [];
  if (earlierLogs.length > 0) {
    // Logs of an earlier start move aside, so that a log tail in an error is this start's.
    const aside = path.join(paths.logs, `earlier-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    fs.mkdirSync(aside, { recursive: true });
    for (const f of earlierLogs) fs.renameSync(path.join(paths.logs, f), path.join(aside, f));
  }
  for (const d of [dir, paths.logs, paths.kubeconfigs, paths.etcdData, paths.volumes, paths.kwok]) fs.mkdirSync(d, { recursive: true });
  fs.chmodSync(paths.etcdData, 0o700); // etcd refuses a data dir that others can read

  const bin = (name: GoToolName): string => {
    const p = tools.bin[name];
    if (!p) throw new HarnessError('control-plane', `no ${name} binary in the tools given`);
    return p;
  };
  if (!tools.kwokStages) throw new HarnessError('control-plane', 'no kwok stage files in the tools given (ensureGoTools with kwok)');

  const nodeName = options.nodeName ?? 'kwok-node-0';
  const podCidr = options.podCidr ?? podCidrFor(runId);
  const context = contextNameFor(runId);
  const storageClassName = options.storageClass?.name ?? 'e2e-hostpath';
  const logs = Object.fromEntries(
    (['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const).map((c) => [c, path.join(paths.logs, `${c}.log`)]),
  ) as Record<ControlPlaneComponent, string>;
  const processes: StartedProcess[] = [];
  const spawn = (name: ControlPlaneComponent, command: string, args: string[]) => {
    const proc = startComponent({ name, command, args, env: {}, cwd: dir, logFile: logs[name], runId, pidFile: paths.pidFile });
    processes.push(proc);
    return proc;
  };
  // Any process of ours that dies ends every wait at once, with its log.
  const anyExited = () => {
    for (const proc of processes) exitedProbe(proc)();
  };

  const started = Date.now();
  const step = (what: string, since: number) => log.debug(`${what} in ${formatDuration(Date.now() - since)}`);
  try {
    // PKI while etcd starts: etcd itself talks plain HTTP on loopback.
    const pkiPromise = createPki({ dir: paths.pki, runId, nodeName, kubernetesServiceIp });
    pkiPromise.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile

    let t = Date.now();
    const etcd = await withFreshPorts('etcd', logs.etcd, processes, async () => {
      const ports = { client: await freePort(), peer: await freePort() };
      const proc = spawn('etcd', bin('etcd'), etcdArgs(runId, paths.etcdData, ports));
      await awaitComponent('etcd', proc, anyExited, timeoutMs, async () => {
        const res = await httpGet(`http://127.0.0.1:${ports.client}/health`);
        if (res.status === 200 && /"health":\s*"true"/.test(res.body)) return true;
        throw new Error(`GET /health: ${res.status} ${res.body.slice(0, 200)}`);
      });
      return { proc, ports };
    });
    step('etcd ready', t);

    const pki = await pkiPromise;
    t = Date.now();
    const apiserver = await withFreshPorts('kube-apiserver', logs['kube-apiserver'], processes, async () => {
      const port = await freePort();
      const proc = spawn('kube-apiserver', bin('kube-apiserver'), apiserverArgs(pki, etcd.ports.client, port));
      await awaitComponent('kube-apiserver', proc, anyExited, timeoutMs, async () => {
        const res = await httpGet(`https://127.0.0.1:${port}/readyz`, tlsOf(pki, pki.admin));
        if (res.status === 200) return true;
        throw new Error(
          `GET /readyz: ${res.status} ${res.body
            .split('\n')
            .filter((l) => l.includes('[-]'))
            .join('; ')
            .slice(0, 300)}`,
        );
      });
      return { proc, port };
    });
    step('kube-apiserver ready', t);

    const server = `https://127.0.0.1:${apiserver.port}`;
    const kubeconfigFor = (file: string, user: string, client: ControlPlanePki['admin']) =>
      writeKubeconfig({ file, server, caFile: pki.ca.cert, client, contextName: context, userName: user });
    const kubeconfig = kubeconfigFor(paths.kubeconfig, `nbgrader-e2e-admin-${runId}`, pki.admin);
    const cmKubeconfig = kubeconfigFor(path.join(paths.kubeconfigs, 'controller-manager.kubeconfig'), 'system:kube-controller-manager', pki.controllerManager);
    const schedulerKubeconfig = kubeconfigFor(path.join(paths.kubeconfigs, 'scheduler.kubeconfig'), 'system:kube-scheduler', pki.scheduler);
    const kwokKubeconfig = kubeconfigFor(path.join(paths.kubeconfigs, 'kwok.kubeconfig'), 'kwok-controller', pki.kwok);

    spawn('kube-controller-manager', bin('kube-controller-manager'), controllerManagerArgs(pki, cmKubeconfig, runId));
    spawn('kube-scheduler', bin('kube-scheduler'), ['--kubeconfig', schedulerKubeconfig, '--secure-port=0', '--leader-elect=false']);

    const kc = loadKubeConfig(kubeconfig);
    t = Date.now();
    await applyObjects(kc, [
      kwokRoleBinding(runId),
      nodeObject(nodeName, podCidr, runId),
      storageClassObject(runId, { name: storageClassName, volumeBindingMode: options.storageClass?.volumeBindingMode ?? 'Immediate' }),
      ...kwokCrds(tools.kwokStages.crdDir),
    ]);
    await awaitCrdsEstablished(kc, anyExited, timeoutMs);
    const storage: StorageContext = { kc, runId, volumesDir: paths.volumes, storageClassName };
    for (const spec of options.volumes ?? [{ count: 6, accessModes: ['ReadWriteOnce'] }]) await addVolumes(storage, spec);
    step('node, storage and kwok CRDs applied', t);

    t = Date.now();
    const kwokConfig = writeKwokConfig(path.join(paths.kwok, 'kwok.yaml'), tools.kwokStages);
    const kwok = await withFreshPorts('kwok', logs.kwok, processes, async () => {
      const port = await freePort();
      const proc = spawn('kwok', bin('kwok'), kwokArgs({ pki, kubeconfig: kwokKubeconfig, config: kwokConfig, nodeName, podCidr, port }));
      await awaitComponent('kwok', proc, anyExited, timeoutMs, async () => {
        const res = await httpGet(`https://127.0.0.1:${port}/healthz`, { ca: fs.readFileSync(pki.ca.cert) });
        if (res.status === 200) return true;
        throw new Error(`GET /healthz: ${res.status} ${res.body.slice(0, 200)}`);
      });
      return { proc, port };
    });
    const core = kc.makeApiClient(CoreV1Api);
    await awaitComponent(
      'kwok',
      kwok.proc,
      anyExited,
      timeoutMs,
      async () => {
        const node = await core.readNode({ name: nodeName });
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status === 'True') return true;
        throw new Error(`node ${nodeName}: Ready=${ready?.status ?? 'unknown'}`);
      },
      `node ${nodeName} Ready`,
    );
    step('kwok and node ready', t);

    // The controller-manager's service-account controller makes this: proof it runs with its identity.
    const cm = processes.find((p) => p.name === 'kube-controller-manager')!;
    await awaitComponent(
      'kube-controller-manager',
      cm,
      anyExited,
      timeoutMs,
      async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      },
      'service account default/default',
    );

    const upMs = Date.now() - started;
    const state: ControlPlaneState = {
      runId,
      dir,
      kubeconfig,
      context,
      server,
      nodeName,
      podCidr,
      serviceCidr,
      storageClassName,
      ports: { etcdClient: etcd.ports.client, etcdPeer: etcd.ports.peer, apiserver: apiserver.port, kwok: kwok.port },
      pidFile: paths.pidFile,
      logs,
      startedAt: new Date(started).toISOString(),
      upMs,
    };
    fs.writeFileSync(paths.state, JSON.stringify(state, null, 2));
    log.info(`control plane ${context} up in ${formatDuration(upMs)} (API server ${server}, node ${nodeName}, pods ${podCidr})`);
    return { ...state, kc, processes, pki, storage, bin: tools.bin };
  } catch (err) {
    const report = await stopControlPlane(dir, { runId, keepData: true, log, quiet: true });
    if (report.survivors.length > 0) log.warn(`processes ${report.survivors.join(', ')} survived the cleanup after a failed start`);
    throw err;
  }
}

/**
 * The control plane of `runId` running in `dir`, if every one of its recorded processes is alive
 * and its API server answers /readyz; else undefined.
 */
export async function attachControlPlane(dir: string, runId: string, tools: GoToolPaths): Promise<ControlPlane | undefined> {
  const paths = controlPlanePaths(path.resolve(dir));
  const state = readControlPlaneState(dir);
  if (!state || state.runId !== runId) return undefined;
  const recorded = readPidFile(paths.pidFile);
  const names = new Set(recorded.map((p) => p.name));
  const allAlive = recorded.every((p) => isAlive(p.pid) && belongsToRun(p.pid, runId));
  if (!allAlive || !controlPlaneTools.every((name) => names.has(name))) return undefined;
  const pki = pkiPaths(paths.pki);
  try {
    const res = await httpGet(`https://127.0.0.1:${state.ports.apiserver}/readyz`, tlsOf(pki, pki.admin));
    if (res.status !== 200) return undefined;
  } catch {
    return undefined;
  }
  const kc = loadKubeConfig(state.kubeconfig);
  const processes = recorded.map((p) => ({ name: p.name, pid: p.pid, logFile: state.logs[p.name as ControlPlaneComponent] ?? '' }));
  return { ...state, kc, processes, pki, storage: { kc, runId, volumesDir: paths.volumes, storageClassName: state.storageClassName }, bin: tools.bin };
}

function requireCacheDir(options: ControlPlaneOptions): string {
  if (!options.cacheDir) throw new HarnessError('control-plane', 'give either `tools` or `cacheDir` (readConfig().cacheDir)');
  return options.cacheDir;
}

async function freePort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
}

/**
 * Runs `start` (pick ports, spawn, wait) again with new ports when the process could not bind one
 * because another program took it between the choice and the bind.
 */
async function withFreshPorts<T>(component: ControlPlaneComponent, logFile: string, processes: StartedProcess[], start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const before = processes.length;
    try {
      return await start();
    } catch (err) {
      const proc = processes.slice(before).find((p) => p.name === component);
      if (!proc || isAlive(proc.pid) || !logSaysAddressInUse(logFile)) throw err;
      processes.splice(processes.indexOf(proc), 1);
      if (attempt >= portAttempts) throw new PortInUseError(component, 0, logTail(logFile));
      fs.renameSync(logFile, `${logFile}.attempt-${attempt}`); // keep the evidence; the next attempt logs afresh
    }
  }
}

/**
 * One bounded readiness wait whose error starts with the component and carries its log tail:
 * `etcd: not ready after 60 s; last: GET /health: connection refused`.
 */
async function awaitComponent(
  component: ControlPlaneComponent,
  proc: StartedProcess,
  failFast: () => void,
  timeoutMs: number,
  probe: () => Promise<true>,
  what = 'ready',
): Promise<void> {
  try {
    await waitFor(probe, { what: `${component} ${what}`, timeoutMs, intervalMs: 100, failFast });
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      const last = err.details?.replace(/^last: /, '') ?? '';
      throw new HarnessError(
        component,
        `${what === 'ready' ? 'not ready' : `${what}: not reached`} after ${Math.round(timeoutMs / 1000)} s; last: ${last}`,
        `log ${proc.logFile}:\n${logTail(proc.logFile)}`,
      );
    }
    throw err;
  }
}

interface HttpResult {
  status: number;
  body: string;
}

function httpGet(url: string, tls?: https.RequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...tls, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', reject);
  });
}

function tlsOf(pki: ControlPlanePki, client: ControlPlanePki['admin']): https.RequestOptions {
  return { ca: fs.readFileSync(pki.ca.cert), cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) };
}

function etcdArgs(runId: string, dataDir: string, ports: { client: number; peer: number }): string[] {
  const client = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  return [
    `--name=${runId}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${runId}=${peer}`,
    `--initial-cluster-token=${runId}`,
    '--initial-cluster-state=new',
    // A test cluster thrown away after the run: durability is not worth the disk waits.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(pki: ControlPlanePki, etcdPort: number, port: number): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccount.pub}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    // The API server reaches kwok's kubelet port at the node's InternalIP (127.0.0.1), with a
    // client certificate, and checks kwok's serving certificate against our CA.
    `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP',
    // Endpoints of `kubernetes` would be 127.0.0.1, which the API server refuses to store.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
  ];
}

function controllerManagerArgs(pki: ControlPlanePki, kubeconfig: string, runId: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--secure-port=0',
    '--leader-elect=false',
    // Each controller with its own service account, as in a real cluster (RBAC applies to them).
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--cluster-name=${contextNameFor(runId)}`,
    '--profiling=false',
  ];
}

function kwokArgs(o: { pki: ControlPlanePki; kubeconfig: string; config: string; nodeName: string; podCidr: string; port: number }): string[] {
  return [
    `--kubeconfig=${o.kubeconfig}`,
    `--config=${o.config}`,
    `--manage-single-node=${o.nodeName}`,
    `--node-name=${o.nodeName}`,
    '--node-ip=127.0.0.1',
    `--node-port=${o.port}`,
    `--server-address=127.0.0.1:${o.port}`,
    `--tls-cert-file=${o.pki.kwokServing.cert}`,
    `--tls-private-key-file=${o.pki.kwokServing.key}`,
    `--cidr=${o.podCidr}`,
    // Leases keep the node Ready between the heartbeat stage's rare status updates.
    '--node-lease-duration-seconds=40',
    `--enable-crds=${kwokMappingKinds.join(',')}`,
  ];
}

function kwokRoleBinding(runId: string): KubernetesObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'nbgrader-e2e:kwok-controller', labels: { [runLabel]: runId } },
    // kwok patches node and pod status, leases, events, and watches its CRDs: broad rights, its own identity.
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kwok-controller' }],
  } as KubernetesObject;
}

function nodeObject(name: string, podCidr: string, runId: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        [runLabel]: runId,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
  } as KubernetesObject;
}

/** The plural (resource) name of each mapping kind, as in kwok's CRD file names. */
const kwokPlurals: Record<(typeof kwokMappingKinds)[number], string> = {
  ClusterExec: 'clusterexecs',
  ClusterLogs: 'clusterlogs',
  ClusterPortForward: 'clusterportforwards',
};

/** kwok's CRDs for the mapping kinds, from the files go-tools copied (kwok.x-k8s.io_<plural>.yaml). */
function kwokCrds(crdDir: string): KubernetesObject[] {
  return kwokMappingKinds.map((kind) => {
    const file = path.join(crdDir, `kwok.x-k8s.io_${kwokPlurals[kind]}.yaml`);
    if (!fs.existsSync(file)) throw new HarnessError('kwok', `no CRD file for ${kind}: ${file}`);
    return parseYaml(fs.readFileSync(file, 'utf8')) as KubernetesObject;
  });
}

async function awaitCrdsEstablished(kc: KubeConfig, failFast: () => void, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const kind of kwokMappingKinds) {
    const name = `${kwokPlurals[kind]}.kwok.x-k8s.io`;
    await waitFor(
      async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      { what: `kwok CRD ${name} established`, timeoutMs, intervalMs: 100, failFast },
    );
  }
}

/** control-plane.json of a run directory, or undefined when there is none. */
export function readControlPlaneState(dir: string): ControlPlaneState | undefined {
  try {
    return JSON.parse(fs.readFileSync(controlPlanePaths(dir).state, 'utf8')) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

export interface StopOptions {
  /** Needed when control-plane.json was never written (a failed start); else read from it. */
  runId?: string;
  /** Keep etcd's data, the PKI, the volumes (default: remove them). Logs are always kept. */
  keepData?: boolean;
  log?: Logger;
  /** No progress line (used while cleaning up after a failed start). */
  quiet?: boolean;
}

/**
 * Stops every process of the control plane in `dir` (SIGTERM to each process group, SIGKILL after
 * 5 s), including anything tagged with the run id that they started, checks that nothing listens
 * on its ports, and removes its data unless asked to keep it. Works from any process: it needs
 * only the directory.
 */
export async function stopControlPlane(dir: string, options: StopOptions = {}): Promise<StopReport> {
  const log = options.log ?? logger('control-plane');
  const paths = controlPlanePaths(path.resolve(dir));
  const state = readControlPlaneState(dir);
  const runId = options.runId ?? state?.runId;
  if (!runId) throw new HarnessError('control-plane', `no ${stateFileName} in ${dir} and no run id given: cannot tell which processes are its own`);
  const t = Date.now();
  const stopped = [
    ...new Set([
      ...readPidFile(paths.pidFile)
        .map((p) => p.pid)
        .filter((pid) => belongsToRun(pid, runId)),
      ...findRunProcesses(runId),
    ]),
  ];
  const survivors = await stopComponents(runId, paths.pidFile, [['kwok', 'kube-scheduler', 'kube-controller-manager'], ['kube-apiserver'], ['etcd']]);
  const ports = state ? Object.values(state.ports) : [];
  const listening = listeningPorts().filter((p) => ports.includes(p));
  const removed: string[] = [];
  if (!options.keepData) {
    for (const d of [paths.etcdData, paths.pki, paths.kubeconfigs, paths.volumes, paths.kwok]) {
      if (fs.existsSync(d)) {
        fs.rmSync(d, { recursive: true, force: true });
        removed.push(d);
      }
    }
  }
  if (!options.quiet) {
    log.info(
      `control plane ${contextNameFor(runId)} stopped in ${formatDuration(Date.now() - t)} (${stopped.length} processes${options.keepData ? ', data kept' : ''})`,
    );
  }
  if (survivors.length > 0 || listening.length > 0) {
    log.warn(
      `control plane ${runId}: ${survivors.length} processes survived SIGKILL (${survivors.join(', ')}); ports still listening: ${listening.join(', ') || 'none'}`,
    );
  }
  return { stopped, survivors, listening, removed };
}

/**
 * For a process 'exit' handler (which cannot wait): SIGKILL to every recorded and tagged process
 * group of the run, at once. Data stays; stopControlPlane later removes it.
 */
export function killControlPlaneSync(dir: string, runId?: string): void {
  const id = runId ?? readControlPlaneState(dir)?.runId;
  if (!id) return;
  const pids = [...readPidFile(controlPlanePaths(dir).pidFile).map((p) => p.pid), ...findRunProcesses(id)];
  for (const pid of new Set(pids)) {
    if (!belongsToRun(pid, id)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

/** Every live process of the run, for a test's "nothing survived" check. */
export function controlPlaneProcesses(runId: string): number[] {
  return findRunProcesses(runId);
}

export { listeningSockets, type ListeningSocket } from './components.js';
