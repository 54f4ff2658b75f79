/**
 * The `kube` project's one shared cluster: a kwok platform run, brought up once per worker by the
 * real kwok driver (the pinned Go tools, a control plane on loopback, the real charts from the
 * workplace's packaged charts, the local platform's real JupyterHub and ngshare behind the proxy
 * pod's port-forward), and torn down at the end with nothing left (checked). The project runs in
 * one worker, so every spec of it shares this cluster; each installs into namespaces of its own.
 *
 * Pods are simulated by kwok: nothing runs in them. Where a hub must answer, the local platform's
 * answers: a test maps its namespace's proxy pods to it (`mapProxy`). Without `go` on PATH the
 * project is skipped, saying so; with it, a cold build of the tools takes 10-17 min (once).
 */
import fs from 'node:fs';
import path from 'node:path';
import { test as base } from '@playwright/test';
import { execa } from 'execa';
import type { KubeConfig } from '@kubernetes/client-node';
import { readConfig, type HarnessConfig } from '../../config.js';
import { PrerequisiteError } from '../../errors.js';
import { ensureGoTools, goVersion } from '../../go-tools.js';
import { attachStack, bringUp, tearDown } from '../../lifecycle.js';
import type { Stack } from '../../platform.js';
import { findRunProcesses, stopProcesses } from '../../processes.js';
import { createDriver } from '../../platforms.js';
import { findRunIn, openRun, type Run } from '../../run/index.js';
import { controlPlanePaths, killControlPlaneSync, readControlPlaneState } from '../control-plane/control-plane.js';
import { mapPortForward } from '../control-plane/kwok-mappings.js';
import { addVolumes, type StorageContext } from '../control-plane/storage.js';
import { kubeconfigFor } from '../kubeconfig.js';
import type { KubeDetails, KubeState, KubeTarget } from '../kube-types.js';
import { KwokDriver, type KwokStack } from '../kwok-driver.js';
import { listeningPorts } from '../control-plane/components.js';

export interface KubeCluster {
  /** The kwok run that owns the cluster. */
  run: Run;
  state: KubeState;
  stack: KwokStack;
  /** The local platform's stack whose hub answers behind every proxy pod mapped to it. */
  local: Stack;
  target: KubeTarget;
  kc: KubeConfig;
  storage: StorageContext;
  /** The workplace's packaged charts. */
  charts: string;
  /** The tutorial's repository (its values files), test data for --deploy-repo and the tutorial's own release. */
  tutorialRepo: string;
  /** The pinned helm, with the cluster's kubeconfig and context. */
  helm(args: string[]): Promise<string>;
  /** kwok answers port `port` of every pod in `namespace` with the local platform's proxy. */
  mapProxy(namespace: string, port?: number): Promise<void>;
  /** Configuration of a run of another driver against this cluster (kubeconfig, context, charts set). */
  configFor(env: Record<string, string>): HarnessConfig;
  /**
   * A run of another driver against this cluster. The hub behind its proxy pods is the local
   * platform's, so the run's own harness token is made the one that hub knows.
   */
  runAgainst(env: Record<string, string>): Run;
}

interface Unavailable {
  unavailable: string;
}

/** Runs of other drivers made by the tests of this worker (runAgainst), torn down if a test left them up. */
const otherRuns: Run[] = [];

export const test = base.extend<{ cluster: KubeCluster; leftRuns: void }, { sharedCluster: KubeCluster | Unavailable }>({
  sharedCluster: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
    async ({}, use) => {
      try {
        await goVersion();
      } catch (err) {
        if (!(err instanceof PrerequisiteError)) throw err;
        await use({ unavailable: `${err.message} — the control plane is built from Go modules (npm run kube-tools)` });
        return;
      }
      const config = readConfig({ ...process.env, E2E_PLATFORM: 'kwok', E2E_RUN_ID: '', E2E_NAMESPACE: '', E2E_KEEP: '' });
      const run = openRun(config);
      const cpDir = run.dirs.path('control-plane');
      const onExit = () => killControlPlaneSync(cpDir, run.id); // Ctrl-C: no control plane outlives the worker
      process.once('exit', onExit);
      const driver = new KwokDriver();
      let leftBehind: string | undefined;
      try {
        await bringUp(run, {}, driver);
        const state = run.stack.load<KubeDetails>() as KubeState;
        const stack = (await driver.attach(state, run)) as KwokStack;
        const localRun = findRunIn(run.config, state.details.localRun!.stateDir, state.details.localRun!.runId)!;
        const local = await attachStack(localRun);
        const target = state.details.target;
        const kc = kubeconfigFor(target);
        const cp = readControlPlaneState(cpDir)!;
        const storage: StorageContext = { kc, runId: run.id, volumesDir: controlPlanePaths(cpDir).volumes, storageClassName: cp.storageClassName };
        // Room for every claim of the project's installs (each hub's database, each ngshare).
        await addVolumes(storage, { count: 8, accessModes: ['ReadWriteOnce'] });
        await addVolumes(storage, { count: 4, accessModes: ['ReadWriteMany'] });
        const helm = (await ensureGoTools(['helm'], { cacheDir: config.cacheDir })).bin.helm!;
        // Every driver of this worker runs the pinned helm.
        process.env.PATH = `${path.dirname(helm)}${path.delimiter}${process.env.PATH ?? ''}`;
        const localProxyPort = Number(new URL(local.state.hubUrl).port);
        const configFor = (env: Record<string, string>): HarnessConfig =>
          readConfig({
            ...process.env,
            E2E_RUN_ID: '',
            E2E_KEEP: '',
            E2E_KUBECONFIG: target.kubeconfig,
            E2E_KUBE_CONTEXT: target.context,
            E2E_CHARTS: path.join(config.sharedDir, 'charts'),
            ...env,
          });
        await use({
          run,
          state,
          stack,
          local,
          target,
          kc,
          storage,
          charts: path.join(config.sharedDir, 'charts'),
          tutorialRepo: path.join(config.sharedDir, 'upstream', 'jupyterhub-deploy-kubernetes-jetstream'),
          helm: async (args) => {
            const result = await execa(helm, [...args, '--kubeconfig', target.kubeconfig, '--kube-context', target.context], {
              reject: false,
              timeout: 5 * 60_000,
              stdin: 'ignore',
              env: {
                HELM_CACHE_HOME: run.dirs.path('helm', 'cache'),
                HELM_CONFIG_HOME: run.dirs.path('helm', 'config'),
                HELM_DATA_HOME: run.dirs.path('helm', 'data'),
              },
            });
            if (result.failed) throw new Error(`helm ${args.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${String(result.stderr).slice(-2000)}`);
            return String(result.stdout);
          },
          mapProxy: (namespace, port = 8000) =>
            mapPortForward(kc, {
              name: `e2e-proxy-${namespace}-${port}`,
              namespaces: [namespace],
              ports: [port],
              target: { address: '127.0.0.1', port: localProxyPort },
            }),
          configFor,
          runAgainst: (env) => {
            const other = openRun(configFor(env));
            other.secrets.set('harnessApiToken', local.hubToken);
            otherRuns.push(other);
            return other;
          },
        });
      } finally {
        // Whatever a test's own run left running (its port-forward), before the cluster goes.
        for (const other of otherRuns) await stopProcesses(findRunProcesses(other.id), { group: false, graceMs: 3_000 });
        const ports = Object.values(readControlPlaneState(cpDir)?.ports ?? {});
        const localRun = run.stack.exists() ? run.stack.load<KubeDetails>().details.localRun : undefined;
        await tearDown(run);
        process.removeListener('exit', onExit);
        // Teardown leaves nothing: no process of either run, no port of the control plane.
        const left = [...findRunProcesses(run.id), ...(localRun ? findRunProcesses(localRun.runId) : [])];
        const listening = listeningPorts().filter((p) => ports.includes(p));
        if (left.length || listening.length) leftBehind = `teardown left processes ${left.join(', ') || 'none'}, ports ${listening.join(', ') || 'none'}`;
        else if (fs.existsSync(path.join(cpDir, 'etcd-data'))) leftBehind = `teardown left the control plane's data in ${cpDir}`;
      }
      if (leftBehind) throw new Error(leftBehind);
    },
    { scope: 'worker', timeout: 45 * 60_000 },
  ],
  // A test that fails half-way leaves its run up: its driver's down removes it, as `npm run down` would.
  leftRuns: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
    async ({}, use) => {
      const before = otherRuns.length;
      await use();
      for (const other of otherRuns.slice(before)) {
        if (other.ledger.isEmpty()) continue;
        await (
          await createDriver(other.config.platform)
        )
          .down(other)
          .catch((err: unknown) => console.warn(`leftover run ${other.id}: ${(err as Error).message}`));
      }
    },
    { auto: true },
  ],
  cluster: async ({ sharedCluster }, use, testInfo) => {
    if ('unavailable' in sharedCluster) testInfo.skip(true, sharedCluster.unavailable);
    await use(sharedCluster as KubeCluster);
  },
});

export { expect } from '@playwright/test';
