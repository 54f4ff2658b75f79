/**
 * The `kwok` platform: the Kubernetes path of the harness on a real control plane of the run's own,
 * on this machine, with nothing but Go, Node and Python: kube-apiserver, etcd, controller-manager,
 * scheduler and kwok built from the Go module proxy (cached), the real charts from a local source
 * (the workplace's packaged charts unless --charts says otherwise), the jetstream install (a
 * namespace and a release of the run's own, values, rollout, a port-forward to the proxy pod).
 *
 * Pods are simulated by kwok: they become Running but nothing runs in them. Behind the proxy pod's
 * port-forward (kwok maps it to a local address) answers the local platform's real JupyterHub,
 * proxy and ngshare, brought up as a run of its own through the registry: everything that goes
 * through the Hub API (readiness, users, tokens) is real. What needs a process inside a pod (user
 * servers, the tutorial's commands) cannot run here and is skipped with that reason.
 *
 *   this machine                       control plane (loopback)          local platform (a run of its own)
 *   127.0.0.1:<port> ── port-forward ─► kube-apiserver ─► kwok ─► proxy pod :8000 ═► proxy ─► hub, ngshare
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HarnessConfig, StackVariant } from '../config.js';
import { HarnessError, PrerequisiteError, errorMessage } from '../errors.js';
import { ensureGoTools, goToolPins, goToolsDir, goToolsStatus, type GoToolName, type GoToolPaths } from '../go-tools.js';
import { HubClient } from '../hub-client.js';
import { bringUp, tearDown, attachStack } from '../lifecycle.js';
import { logger } from '../log.js';
import type { PlanStep, StackPlan } from '../plan.js';
import { createDriver } from '../platforms.js';
import type { AddUsersOptions, CommandResult, PlatformDriver, Planner, PreflightCheck, Preparer, Stack, WithoutServers } from '../platform.js';
import { requireChecks } from '../preflight.js';
import { findRunIn, openRun, type Run } from '../run/index.js';
import {
  controlPlanePaths,
  controlPlaneTools,
  contextNameFor,
  readControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from './control-plane/control-plane.js';
import { mapLogs, mapPortForward, writeCriLog } from './control-plane/kwok-mappings.js';
import { forwardStep, helmSteps, hubStep, namespaceStep } from './install.js';
import { KubeStack } from './kube-stack.js';
import type { KubeDetails, KubeState, KubeStep } from './kube-types.js';
import { kubeconfigFor } from './kubeconfig.js';
import { buildLayout, chartsSummary, renderForHelm, type KubeLayout, type RenderedValues } from './layout.js';
import { proxyForward } from './port-forward.js';
import { detailsOf, kubePlan, log, runKubeSteps } from './run-steps.js';
import { removeCommon, removeRecorded } from './teardown.js';
import { checkTools } from './tools.js';
import { createUsers } from './user-servers.js';

/** The Go tools a kwok run needs: the control plane's and helm. */
const kwokTools: readonly GoToolName[] = [...controlPlaneTools, 'helm'];

/** Why nothing runs in a user's server here: what a scenario that needs one is skipped with. */
export const simulatedPods =
  "kwok simulates pods: nothing runs in them, so a user's server (a pod) cannot run a command; the tutorial's commands need a real cluster (--platform kind or jetstream)";

/** The secret holding the local hub's admin token (the hub behind the port-forward). */
const hubTokenSecret = 'localHubToken';

/** Where the run's control plane lives, in the run directory. */
const controlPlaneDir = (run: Run) => run.dirs.path('control-plane');

/**
 * A kwok stack: everything of a Kubernetes stack that does not need a process in a pod (the
 * objects, events, logs the API server serves, the Hub API behind the port-forward), and a clear
 * refusal for what does.
 */
export class KwokStack extends KubeStack implements WithoutServers {
  readonly withoutServers = simulatedPods;

  async addUsers(users: string[], options: AddUsersOptions = {}): Promise<void> {
    await super.addUsers(users, { servers: false });
    if (options.servers !== false) throw new HarnessError('kwok', `users ${users.join(', ')} made, but not their servers: ${simulatedPods}`);
  }

  async exec(user: string, command: string): Promise<CommandResult> {
    throw new HarnessError('kwok', `cannot run \`${command}\` as ${user}: ${simulatedPods}`);
  }

  async homeOf(user: string): Promise<string> {
    throw new HarnessError('kwok', `${user} has no server: ${simulatedPods}`);
  }

  /**
   * The cluster's versions (Kubernetes, charts, images, from the API server), the hub's from the
   * Hub API, and ngshare's as the local platform behind the port-forward runs it; no nbgrader, as
   * there is no user server to ask.
   */
  async versions(): Promise<Record<string, string>> {
    const out = await super.versions();
    for (const key of ['nbgrader', 'ngshare-exchange', 'jupyterlab', 'user sqlalchemy', 'user python', 'ngshare', 'ngshare sqlalchemy', 'ngshare python'])
      delete out[key];
    out.nbgrader = `none: ${simulatedPods.split(':')[0]}, so there is no user server to ask`;
    const localRun = this.details.localRun;
    const local = localRun && findRunIn(this.run.config, localRun.stateDir, localRun.runId);
    if (local?.stack.exists()) {
      const unknown = (err: unknown): Record<string, string> => ({ ngshare: `unknown (${errorMessage(err).split('\n')[0]})` });
      const theirs = await (await attachStack(local)).versions().catch(unknown);
      for (const key of ['ngshare', 'ngshare sqlalchemy', 'ngshare python'])
        if (theirs[key]) out[key] = `${theirs[key]} (the local platform's, behind the port-forward)`;
    }
    return out;
  }
}

/** Local platforms being brought up beside a kwok run's cluster, by kwok run id (in this process). */
const localBringUps = new Map<string, Promise<void>>();

function startLocal(kwokRun: Run, local: Run): void {
  const up = createDriver('local').then(async (driver) => {
    await bringUp(local, {}, driver);
  });
  up.catch(() => undefined); // reported where it is awaited
  localBringUps.set(kwokRun.id, up);
}

/** The local platform's bring-up of this run, awaited; it fails the step with its own error. */
async function localUp(kwokRun: Run): Promise<void> {
  const up = localBringUps.get(kwokRun.id);
  if (!up) throw new HarnessError('kwok', "the local platform's bring-up was not started");
  await up;
}

export class KwokDriver implements PlatformDriver<KubeDetails>, Planner, Preparer {
  readonly name = 'kwok' as const;
  private readonly log = logger('platform');

  private layoutFor(run: Run, variant: StackVariant = {}): KubeLayout {
    const paths = controlPlanePaths(controlPlaneDir(run));
    return buildLayout('kwok', run, { variant, target: { kubeconfig: paths.kubeconfig, context: contextNameFor(run.id) } });
  }

  /** The Go tools, built now (with progress) unless cached: ~20 min the first time on 2 cores. */
  async prepare(config: HarnessConfig): Promise<void> {
    await ensureGoTools(kwokTools, { cacheDir: config.cacheDir, log: logger('go-tools') });
  }

  async preflight(run: Run): Promise<PreflightCheck[]> {
    const layout = this.layoutFor(run); // charts that cannot be read, a bad namespace: named here
    renderForHelm(layout, run); // a values file that does not parse fails here too
    const checks: PreflightCheck[] = [];
    try {
      const status = (await goToolsStatus({ cacheDir: run.config.cacheDir })).filter((t) => kwokTools.includes(t.name));
      const missing = status.filter((t) => !t.cached).map((t) => t.name);
      checks.push({
        name: 'go tools',
        ok: true,
        detail: missing.length
          ? `to build from the Go module proxy into ${goToolsDir(run.config.cacheDir)}: ${missing.join(', ')} (once: about 20 min on 2 cores)`
          : `cached in ${goToolsDir(run.config.cacheDir)}`,
      });
    } catch (err) {
      checks.push({ name: 'go', ok: false, detail: errorMessage(err).replace(/^go-tools: /, '') });
    }
    checks.push(...(await checkTools(['openssl'])));
    checks.push({ name: 'charts', ok: true, detail: chartsSummary(layout) });
    // The hub behind the port-forward is the local platform's: its prerequisites are this run's.
    try {
      const local = await (await createDriver('local')).preflight(run);
      checks.push({ name: 'local platform', ok: true, detail: local.map((c) => `${c.name} ${c.detail}`).join('; ') });
    } catch (err) {
      if (!(err instanceof PrerequisiteError)) throw err;
      checks.push({ name: 'local platform', ok: false, detail: (err.details ?? err.message).replace(/\n/g, '; ') });
    }
    for (const c of checks) log.info(`preflight: ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return requireChecks('kwok', checks);
  }

  /** Everything `up` does, in order. */
  private steps(run: Run, layout: KubeLayout, rendered: RenderedValues): KubeStep[] {
    const dir = controlPlaneDir(run);
    let tools: GoToolPaths | undefined;
    const toolList = kwokTools.map((t) => `${t} ${goToolPins[t].version}`).join(', ');
    return [
      {
        title: `Build or reuse the pinned Go tools: ${toolList}`,
        notes: [
          `cached in ${goToolsDir(layout.cacheDir)}/<name>-<version>-go<Go version>/ (built from the Go module proxy the first time, about 20 min on 2 cores, with progress)`,
        ],
        run: async () => {
          tools = await ensureGoTools(kwokTools, { cacheDir: layout.cacheDir, log: logger('go-tools') });
          // Every helm command of the run is the pinned build's.
          layout.tools.PATH = `${path.dirname(tools.bin.helm!)}${path.delimiter}${process.env.PATH ?? ''}`;
        },
      },
      {
        title: "Start bringing up the local platform's real JupyterHub, proxy and ngshare (a run of its own), while the control plane and the charts come up",
        notes: ['awaited after the rollout; a failure of either is reported, and the other is torn down with the run'],
        run: async ({ run: r, details }) => {
          const config = { ...r.config, platform: 'local' as const, runId: undefined, hubPort: undefined, outputDir: path.join(r.dirs.outputDir, 'local') };
          const local = openRun(config);
          r.ledger.record({ kind: 'run', runId: local.id, stateDir: config.stateDir });
          // It belongs to this run and goes with it: never reaped or kept on its own.
          local.stack.markKept(true);
          details.localRun = { runId: local.id, stateDir: config.stateDir };
          startLocal(r, local);
        },
      },
      {
        title: `Start the run's control plane on 127.0.0.1 (etcd, kube-apiserver with RBAC, controller-manager, scheduler, kwok and its node)`,
        notes: [
          `in ${dir}: kubeconfig ${layout.target.kubeconfig}, context ${layout.target.context}; every process tagged with the run and recorded`,
          'storage: a default class with static hostPath volumes (ReadWriteOnce and ReadWriteMany) that the claims bind to',
          'pods are simulated by kwok: they become Running, nothing runs in them',
        ],
        run: async ({ run: r }) => {
          if (!tools) throw new HarnessError('kwok', 'the Go tools step did not run');
          const cp = await startControlPlane({
            dir,
            runId: r.id,
            tools,
            log: this.log,
            volumes: [
              { count: 4, accessModes: ['ReadWriteOnce'] },
              { count: 2, accessModes: ['ReadWriteMany'] },
            ],
          });
          for (const p of cp.processes) r.ledger.recordOnce({ kind: 'process', name: `control-plane ${p.name}`, pid: p.pid, pgid: p.pid });
        },
      },
      namespaceStep(layout),
      ...helmSteps(layout, rendered),
      {
        title:
          "Await the local platform's real JupyterHub, proxy and ngshare, brought up beside the control plane (a run of its own) to answer behind the proxy pod",
        notes: ['through the registry, as `npm run up -- --platform local` would; recorded in this run, torn down with it'],
        run: async ({ run: r }) => {
          await localUp(r);
          const hub = await attachStack(
            findRunIn(r.config, r.stack.load<KubeDetails>().details.localRun!.stateDir, r.stack.load<KubeDetails>().details.localRun!.runId)!,
          );
          r.secrets.set(hubTokenSecret, hub.hubToken);
        },
      },
      {
        title: `Map the proxy pod's port ${proxyForward.podPort} to the local proxy, and every pod's log to a note saying it is simulated (kwok ClusterPortForward, ClusterLogs)`,
        notes: ["the API server's port-forward and log requests reach kwok, which answers with these"],
        run: async ({ run: r, details }) => {
          const local = await attachStack(findRunIn(r.config, details.localRun!.stateDir, details.localRun!.runId)!);
          const proxyPort = Number(new URL(local.state.hubUrl).port);
          const kc = kubeconfigFor(layout.target);
          await mapPortForward(kc, {
            name: `e2e-proxy-${layout.namespace}`,
            namespaces: [layout.namespace],
            ports: [proxyForward.podPort],
            target: { address: '127.0.0.1', port: proxyPort },
          });
          const note = writeCriLog(path.join(dir, 'simulated-pod.log'), [
            'This pod is simulated by kwok: nothing runs in it, so it has no log of its own.',
            `The hub, proxy and ngshare behind the port-forward are the local platform's, run ${local.state.runId}: their logs are in its diagnostics.`,
          ]);
          await mapLogs(kc, { name: `e2e-logs-${layout.namespace}`, namespaces: [layout.namespace], logsFile: note, previousLogsFile: note });
        },
      },
      forwardStep(layout),
      hubStep(layout),
      {
        title: `Create the users ${layout.names.instructor} and ${layout.names.student} through the Hub API (their servers are not started: pods are simulated)`,
        notes: ['POST /hub/api/users/{name} through the port-forward; users that exist are left as they are', simulatedPods],
        run: async ({ run: r, state }) => {
          await createUsers(r.ledger, new HubClient(state.hubApiUrl, r.secrets.get(hubTokenSecret)), [layout.names.instructor, layout.names.student]);
          this.log.info(`users ${layout.names.instructor} and ${layout.names.student} exist; servers skipped: ${simulatedPods}`);
        },
      },
    ];
  }

  async plan(run: Run, variant: StackVariant = {}): Promise<StackPlan> {
    const layout = this.layoutFor(run, variant);
    const rendered = renderForHelm(layout, run);
    return kubePlan({
      layout,
      rendered,
      steps: this.steps(run, layout, rendered),
      summary: [
        `control plane: the run's own on 127.0.0.1, in ${controlPlaneDir(run)} (kubeconfig ${layout.target.kubeconfig}, context ${layout.target.context})`,
        `namespace:     ${layout.namespace} (created and owned by this run)`,
        `releases:      ${layout.releases.ngshare.name}, ${layout.releases.hub.name}`,
        `charts from:   ${chartsSummary(layout)}`,
        `values from:   ${layout.deployRepo ? `deployment repository ${layout.deployRepo}` : 'the project (cluster/kube/values/)'}`,
        `hub:           http://127.0.0.1:<free port>, a port-forward to the proxy pod, which kwok maps to the local platform's proxy`,
        `users:         ${layout.names.instructor} (instructor, ngshare admin), ${layout.names.student} (student): the local platform's; no servers`,
      ],
      preflight: [
        'go on PATH (>= 1.24), to build the pinned tools unless they are cached',
        "openssl on PATH (the control plane's certificates)",
        'the charts can be read and are the charts they are given for (done for this plan too)',
        "the local platform's prerequisites (node >= 20.5, python3, configurable-http-proxy)",
      ],
      teardown: this.teardownSteps(run),
      files: [],
      notes: [simulatedPods, 'variants are refused: with simulated pods a deployment gone wrong looks like one gone right'],
    });
  }

  private teardownSteps(run: Run): PlanStep[] {
    return [
      { title: 'Stop the port-forward process (by the pid the ledger recorded)' },
      { title: "Tear down the local platform's run (its processes, by their run tag)" },
      {
        title: `Stop the control plane (kwok, scheduler, controller-manager, then kube-apiserver, then etcd) and remove its data in ${controlPlaneDir(run)}; everything in the cluster goes with it`,
      },
    ];
  }

  async up(run: Run, variant: StackVariant = {}): Promise<KubeState> {
    const layout = this.layoutFor(run, variant);
    const rendered = renderForHelm(layout, run);
    return runKubeSteps(run, layout, this.steps(run, layout, rendered), hubTokenSecret);
  }

  async attach(state: KubeState, run: Run): Promise<Stack> {
    return new KwokStack(state, run);
  }

  async down(run: Run): Promise<void> {
    // A failed bring-up is torn down in the process that ran it: let a local platform still coming up finish first.
    await localBringUps.get(run.id)?.catch(() => undefined);
    localBringUps.delete(run.id);
    const details = detailsOf(run);
    const dir = controlPlaneDir(run);
    let stopped = false;
    const stopControlPlaneOnce = async () => {
      if (stopped) return;
      stopped = true;
      const report = await stopControlPlane(dir, { runId: run.id, log: this.log });
      if (report.survivors.length) throw new HarnessError('kwok', `control plane processes ${report.survivors.join(', ')} survived SIGKILL`);
    };
    await removeRecorded(run, this.name, async (r) => {
      switch (r.kind) {
        case 'run': {
          const local = findRunIn(run.config, r.stateDir, r.runId);
          if (local) await tearDown(local);
          return true;
        }
        case 'port-forward':
          return removeCommon(run, r, details);
        case 'process':
          await stopControlPlaneOnce();
          return true;
        default:
          // Users, releases, the namespace: they live in the control plane and go with it.
          return true;
      }
    });
    // A start that crashed before it recorded its processes: they carry the run's tag all the same.
    if (!stopped && (readControlPlaneState(dir) || fs.existsSync(path.join(dir, 'pids')))) await stopControlPlaneOnce();
  }
}
