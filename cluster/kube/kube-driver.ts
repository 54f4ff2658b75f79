/**
 * What the kind and jetstream drivers share: one list of steps that `up` runs and `plan` prints
 * (so a dry run shows exactly what a real run does), the Helm install the way the tutorial does
 * it, the run's users, and `down` from the run's ledger, newest resource first.
 */
import path from 'node:path';
import { HarnessError, errorMessage } from '../errors.js';
import { HubClient } from '../hub-client.js';
import { logger } from '../log.js';
import type { PlatformDriver, Planner, PreflightCheck, Stack } from '../platform.js';
import type { StackVariant } from '../config.js';
import { redactValue } from '../redact.js';
import type { Run, Resource } from '../run/index.js';
import { waitFor } from '../wait.js';
import {
  assertChartListed,
  chartSearchArgv,
  helm,
  isReleaseNotFound,
  repoAddArgv,
  repoUpdateArgv,
  uninstallArgv,
  upgradeInstallArgv,
  type HelmRelease,
} from './helm.js';
import { awaitStackRollout, installRelease, kubeTimeouts, renderForHelm, startUserServers, writeValuesFiles } from './install.js';
import { Kube, RUN_LABEL } from './kube-api.js';
import { KubeStack, OwnedKubeStack } from './kube-stack.js';
import type { KubeDetails, KubePlatform, KubeState } from './kube-details.js';
import { ngshareUrls, variantNames, type KubeLayout, type RenderedValues } from './layout.js';
import type { PlanStep, StackPlan } from '../plan.js';
import { planSteps, runSteps, type Step as GenericStep } from '../steps.js';
import { stopForwardDaemon } from './port-forward.js';
import type { ResourceNeed } from './docker.js';
import { layerYaml, mergeLayers, userServerGuarantees, valuesYaml } from './values.js';

export const log = logger('platform');

/** What the steps of a real run share while they run. */
export interface Live {
  run: Run;
  state: KubeState;
  details: KubeDetails;
  kube: () => Kube;
}

export type Step = GenericStep<Live>;

/** The resources a kind node must offer for what the values guarantee to two user servers. */
export function resourceNeed(rendered: RenderedValues): ResourceNeed {
  const g = userServerGuarantees(mergeLayers(rendered.jupyterhub));
  const GiB = 2 ** 30;
  return {
    cpu: Math.max(2, Math.ceil(2 * g.cpu + 1)),
    memoryBytes: 2 * g.memoryBytes + 2.5 * GiB,
    because: `2 user servers × (${g.cpu} CPU, ${(g.memoryBytes / GiB).toFixed(1)} GiB) guaranteed by singleuser.cpu/memory.guarantee, plus ~1 CPU and 2.5 GiB for kind's control plane, the hub, the proxy and ngshare`,
  };
}

export abstract class KubeDriverBase implements PlatformDriver<KubeDetails>, Planner {
  abstract readonly name: KubePlatform;

  abstract preflight(run: Run): Promise<PreflightCheck[]>;
  abstract up(run: Run, variant?: StackVariant): Promise<KubeState>;
  protected abstract layoutFor(ctx: Run, variant?: StackVariant): KubeLayout;
  /** Steps before the install (cluster, image, namespace), and after the rollout (hub URL). */
  protected abstract platformSteps(layout: KubeLayout, rendered: RenderedValues | undefined): { before: Step[]; reach: Step[] };
  protected abstract preflightLines(layout: KubeLayout, rendered: RenderedValues | undefined): string[];
  protected abstract teardownSteps(layout: KubeLayout): PlanStep[];
  protected abstract summaryLines(layout: KubeLayout): string[];
  protected abstract platformNotes(layout: KubeLayout): string[];
  protected abstract files(layout: KubeLayout): Array<{ path: string; content: string }>;

  protected render(layout: KubeLayout, ctx: Run): RenderedValues | undefined {
    return layout.existingRelease ? undefined : renderForHelm(layout, ctx);
  }

  /** The install, the tutorial's way: the two repos, ngshare first, then JupyterHub with the files in order. */
  protected helmSteps(layout: KubeLayout, rendered: RenderedValues): Step[] {
    const { cacheDir, target } = layout;
    const { ngshare, hub } = layout.releases;
    const all = [...rendered.ngshare, ...rendered.jupyterhub];
    const install = (release: HelmRelease, title: string): Step => ({
      title,
      commands: [['helm', ...upgradeInstallArgv(release, target, cacheDir)]],
      run: ({ run }) => installRelease(run, layout, release),
    });
    return [
      {
        title: "Write the values files into the run directory (mode 0600: they hold the run's secrets)",
        notes: all.map((l) => `${path.join(layout.valuesDir, l.chart, l.file)} ← ${l.origin}`),
        run: async () => writeValuesFiles(layout, rendered),
      },
      {
        title: "Add the tutorial's chart repositories (to the harness's own Helm repository list, not ~/.config/helm)",
        commands: [
          ['helm', ...repoAddArgv('jupyterhub', cacheDir)],
          ['helm', ...repoAddArgv('ngshare', cacheDir)],
          ['helm', ...repoUpdateArgv(['jupyterhub', 'ngshare'], cacheDir)],
        ],
        run: async () => {
          await helm(repoAddArgv('jupyterhub', cacheDir), { timeoutMs: 120_000, label: 'repo add jupyterhub' });
          await helm(repoAddArgv('ngshare', cacheDir), { timeoutMs: 120_000, label: 'repo add ngshare' });
          await helm(repoUpdateArgv(['jupyterhub', 'ngshare'], cacheDir), { timeoutMs: 180_000, label: 'repo update' });
        },
      },
      {
        title: 'Check that the pinned chart versions are in them',
        commands: [
          ['helm', ...chartSearchArgv(ngshare.chart, ngshare.version, cacheDir)],
          ['helm', ...chartSearchArgv(hub.chart, hub.version, cacheDir)],
        ],
        run: async () => {
          for (const r of [ngshare, hub]) {
            const { stdout } = await helm(chartSearchArgv(r.chart, r.version, cacheDir), { timeoutMs: 60_000, label: `search repo ${r.chart}` });
            assertChartListed(r.chart, r.version, stdout);
          }
        },
      },
      install(ngshare, `Install ngshare (tutorial Step 1): chart ${ngshare.chart} ${ngshare.version} as release ${ngshare.name}`),
      install(
        hub,
        `Install JupyterHub with the ngshare service and the nbgrader postStart (tutorial Steps 2 and 3): chart ${hub.chart} ${hub.version} as release ${hub.name}`,
      ),
      {
        title: 'Await the rollouts',
        notes: [
          `client-node: every Deployment in namespace ${layout.namespace} available within ${kubeTimeouts.rolloutMs / 60_000} min`,
          "stops at once on CrashLoopBackOff, image pull errors, more than 1 restart or failed volume provisioning, with the pod's last log lines",
          ...(layout.variant.ngshareStorageNotWritable ? ['ngshare is left out: the variant makes it fail'] : []),
        ],
        run: ({ kube }) => awaitStackRollout(kube(), layout),
      },
    ];
  }

  /** Namespace the run owns, labelled with the run; recorded before it is made, so `down` finds it. */
  protected namespaceStep(layout: KubeLayout): Step {
    return {
      title: `Create namespace ${layout.namespace} labelled ${RUN_LABEL}=${layout.runId} (refused if it exists and is not this run's)`,
      notes: ['client-node: POST /api/v1/namespaces'],
      run: async ({ run, kube }) => {
        run.ledger.record({ kind: 'namespace', name: layout.namespace, context: layout.target.context });
        log.info(`namespace ${layout.namespace}: ${await kube().createOwnedNamespace(layout.runId)}`);
      },
    };
  }

  /** The hub answers through its public URL; then the run's users and their servers. */
  protected userSteps(layout: KubeLayout): Step[] {
    const { instructor, student } = layout.names;
    return [
      {
        title: 'Await the hub through its public URL',
        notes: [`GET <hub>/hub/api/ until it answers, within ${kubeTimeouts.hubMs / 60_000} min`],
        run: async ({ state, run, details }) => {
          const client = new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret));
          await waitFor(() => client.info(), { what: `hub API at ${state.hubApiUrl}`, timeoutMs: kubeTimeouts.hubMs, intervalMs: 2_000 });
        },
      },
      {
        title: `Create the run's users ${instructor} and ${student} and start their servers`,
        notes: [
          `hub REST API with ${layout.existingRelease ? `the operator's admin token (${'E2E_HUB_ADMIN_TOKEN'})` : "the harness's own token"}: POST /hub/api/users/{name}, POST /hub/api/users/{name}/server`,
          `poll GET /hub/api/users/{name} until the server is ready, within ${kubeTimeouts.serverMs / 60_000} min (postStart installs from PyPI); stops at once if the user's pod crash-loops or cannot pull its image`,
        ],
        run: ({ state, run, details, kube }) =>
          startUserServers(run, new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret)), kube(), [instructor, student]),
      },
    ];
  }

  protected allSteps(layout: KubeLayout, rendered: RenderedValues | undefined): Step[] {
    const { before, reach } = this.platformSteps(layout, rendered);
    return [...before, ...(rendered ? this.helmSteps(layout, rendered) : []), ...reach, ...this.userSteps(layout), ...this.afterUsers(layout)];
  }

  /** Steps after the users exist (an existing release's course override). */
  protected afterUsers(_layout: KubeLayout): Step[] {
    return [];
  }

  protected initialState(layout: KubeLayout, tokenSecret: string): KubeState {
    const details: KubeDetails = {
      target: layout.target,
      namespace: layout.namespace,
      existingRelease: layout.existingRelease,
      releases: { ngshare: layout.releases.ngshare.name, hub: layout.releases.hub.name },
      kindCluster: layout.kind?.cluster,
      valuesDir: layout.existingRelease ? undefined : layout.valuesDir,
      tokenSecret,
      variant: layout.variant,
      deployRepo: layout.deployRepo,
      bakedImage: Boolean(layout.baked),
    };
    return {
      platform: layout.platform,
      runId: layout.runId,
      hubUrl: '',
      hubApiUrl: '',
      ngshareUrl: ngshareUrls(layout.namespace).exchange,
      users: { instructor: layout.names.instructor, student: layout.names.student },
      courseId: layout.names.courseId,
      deploymentNamesCourse: !layout.existingRelease,
      details,
    };
  }

  /** Runs the steps in order, saving the state as it learns more (a failed setup can still be diagnosed). */
  protected async runSteps(run: Run, layout: KubeLayout, rendered: RenderedValues | undefined, tokenSecret: string): Promise<KubeState> {
    const state = this.initialState(layout, tokenSecret);
    let kube: Kube | undefined;
    const live: Live = { run, state, details: state.details, kube: () => (kube ??= Kube.connect(layout.target, layout.namespace)) };
    const save = () => run.stack.save(state);
    save();
    await runSteps(this.allSteps(layout, rendered), live, log, save);
    return state;
  }

  async plan(ctx: Run, variant: StackVariant = {}): Promise<StackPlan> {
    const layout = this.layoutFor(ctx, variant);
    const rendered = this.render(layout, ctx);
    const files = [...this.files(layout)];
    const notes = [...this.platformNotes(layout)];
    if (variantNames(layout.variant).length) notes.push(`variant: ${variantNames(layout.variant).join(', ')}`);
    if (rendered) {
      for (const l of [...rendered.ngshare, ...rendered.jupyterhub])
        files.push({ path: path.join(layout.valuesDir, l.chart, l.file), content: layerYaml(l, true) });
      for (const s of rendered.skipped) notes.push(`${/^(project|deploy repo) /.test(s.file) ? s.file : `deploy repo ${s.file}`} not used: ${s.reason}`);
    }
    return {
      platform: this.name,
      runId: layout.runId,
      summary: this.summaryLines(layout),
      preflight: this.preflightLines(layout, rendered),
      steps: planSteps(this.allSteps(layout, rendered)),
      teardown: this.teardownSteps(layout),
      files,
      rendered: rendered ? (['ngshare', 'jupyterhub'] as const).map((chart) => ({ chart, yaml: valuesYaml(redactValue(mergeLayers(rendered[chart]))) })) : [],
      notes,
    };
  }

  async attach(state: KubeState, run: Run): Promise<Stack> {
    return state.details.existingRelease ? new KubeStack(state, run) : new OwnedKubeStack(state, run);
  }

  abstract down(run: Run): Promise<void>;

  /**
   * Removes what the ledger lists that this platform handles, newest first; each removal is
   * forgotten as soon as it is done, so a second `down` only retries what failed.
   */
  protected async removeRecorded(run: Run, remove: (r: Resource) => Promise<boolean>): Promise<void> {
    const failures: string[] = [];
    for (const r of [...run.ledger.list()].reverse()) {
      try {
        if (await remove(r)) run.ledger.forget((x) => JSON.stringify(x) === JSON.stringify(r));
      } catch (err) {
        failures.push(`${r.kind} ${'name' in r ? r.name : 'pid' in r ? r.pid : ''}: ${errorMessage(err).split('\n')[0]}`);
      }
    }
    if (failures.length)
      throw new HarnessError(this.name, `teardown left ${failures.length} resource(s); \`npm run down -- ${run.id}\` retries`, failures.join('\n'));
  }

  /** helm uninstall, namespace deletion (label-checked) and the port-forward: shared by both platforms. */
  protected async removeCommon(run: Run, r: Resource, details: KubeDetails | undefined): Promise<boolean> {
    switch (r.kind) {
      case 'port-forward':
        stopForwardDaemon(r.pid);
        return true;
      case 'helm-release': {
        if (!details) return false;
        try {
          await helm(uninstallArgv(r.name, r.namespace, details.target), { timeoutMs: 6 * 60_000, label: `uninstall ${r.name}` });
        } catch (err) {
          if (!isReleaseNotFound(err)) throw err;
        }
        log.info(`helm release ${r.name} uninstalled`);
        return true;
      }
      case 'namespace': {
        if (!details) return false;
        const kube = Kube.connect(details.target, r.name);
        if (await kube.deleteOwnedNamespace(run.id)) {
          await waitFor(async () => ((await kube.namespaceExists()) ? undefined : true), {
            what: `namespace ${r.name} deleted`,
            timeoutMs: 5 * 60_000,
            intervalMs: 2_000,
          }).catch((err) => log.warn(`${errorMessage(err)}; it is being deleted and will go on its own`));
          log.info(`namespace ${r.name} deleted`);
        }
        return true;
      }
      default:
        return false;
    }
  }
}

export function detailsOf(run: Run): KubeDetails | undefined {
  return run.stack.exists() ? run.stack.load<KubeDetails>().details : undefined;
}
