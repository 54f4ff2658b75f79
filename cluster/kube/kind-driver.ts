/**
 * The `kind` platform: a throwaway cluster per run in Docker (nightly CI, a laptop), the tutorial's
 * Helm install into it, the hub reached on 127.0.0.1 through a NodePort kind publishes. The cluster
 * is named after the run and reused if it exists; its logs are exported before it is deleted.
 *
 * Prerequisites on the machine: kind, helm, and a Docker engine (plus its CLI, which kind calls).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HarnessConfig, StackVariant } from '../config.js';
import { errorMessage } from '../errors.js';
import type { PlanStep, StackPlan } from '../plan.js';
import type { Leftover, PlatformDriver, Planner, PreflightCheck, Reaper, Stack } from '../platform.js';
import { requireChecks } from '../preflight.js';
import type { Run } from '../run/index.js';
import { kindNodeImageDigest, versions } from '../versions.js';
import { dockerPreflight, publishedPort, type ResourceNeed } from './docker.js';
import { helmSteps, imagesToLoad, loadImages, namespaceStep, redeployStack, userSteps } from './install.js';
import { kindArgv, runClusters } from './kind.js';
import { OwnedKubeStack } from './kube-stack.js';
import type { KubeDetails, KubeState, KubeStep } from './kube-types.js';
import { buildLayout, chartsSummary, hubNodePort, kindConfigYaml, renderForHelm, type KubeLayout, type RenderedValues } from './layout.js';
import { detailsOf, kubePlan, log, runKubeSteps } from './run-steps.js';
import { removeCommon, removeRecorded } from './teardown.js';
import { checkTools, runTool } from './tools.js';
import { userServerGuarantees, mergeLayers } from './values.js';

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

export class KindDriver implements PlatformDriver<KubeDetails>, Planner, Reaper {
  readonly name = 'kind' as const;

  private layoutFor(run: Run, variant?: StackVariant): KubeLayout {
    return buildLayout('kind', run, { variant });
  }

  /** Everything `up` does, in order: the cluster and its images, the namespace, the install, the hub, the users. */
  private steps(layout: KubeLayout, rendered: RenderedValues): KubeStep[] {
    const { before, reach } = this.platformSteps(layout);
    return [...before, ...helmSteps(layout, rendered), ...reach, ...userSteps(layout)];
  }

  async plan(run: Run, variant: StackVariant = {}): Promise<StackPlan> {
    const layout = this.layoutFor(run, variant);
    const rendered = renderForHelm(layout, run);
    return kubePlan({
      layout,
      rendered,
      steps: this.steps(layout, rendered),
      summary: this.summaryLines(layout),
      preflight: this.preflightLines(layout, rendered),
      teardown: this.teardownSteps(layout),
      files: [{ path: layout.kind!.configFile, content: kindConfigYaml(layout.kind!.cluster, layout.runId) }],
      notes: this.platformNotes(layout),
    });
  }

  async preflight(run: Run): Promise<PreflightCheck[]> {
    const layout = this.layoutFor(run);
    // Rendering first: a values file that does not parse fails here, before anything exists.
    const rendered = renderForHelm(layout, run);
    const [tools, engine] = await Promise.all([checkTools(['kind', 'helm', 'docker']), dockerPreflight(resourceNeed(rendered))]);
    const checks = [...tools, ...engine];
    for (const c of checks) log.info(`preflight: ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return requireChecks('kind', checks);
  }

  private preflightLines(_layout: KubeLayout, rendered: RenderedValues): string[] {
    const need = resourceNeed(rendered);
    return [
      'kind on PATH, `kind version` >= 0.29.0 (the release of the pinned node image)',
      'helm on PATH, `helm version --short` >= 3.7.0',
      'docker CLI on PATH, `docker --version` >= 20.10.0 (kind calls it)',
      'Docker engine through dockerode (DOCKER_HOST, else unix:///var/run/docker.sock): answers within 5 s; version >= 20.10.0; cgroup version reported',
      `Docker resources: CPUs >= ${need.cpu}, memory >= ${(need.memoryBytes / 2 ** 30).toFixed(1)} GiB (${need.because})`,
      'every values file parses and every placeholder is filled (done for this plan too)',
    ];
  }

  private summaryLines(layout: KubeLayout): string[] {
    return [
      `kind cluster:  ${layout.kind!.cluster} (node image ${versions.kindNodeImage}@${kindNodeImageDigest.slice(0, 19)}…)`,
      `kubeconfig:    ${layout.target.kubeconfig} (${layout.kubeconfigSource}), context ${layout.target.context}`,
      `namespace:     ${layout.namespace}`,
      `releases:      ${layout.releases.ngshare.name} (${layout.releases.ngshare.chart} ${layout.releases.ngshare.version}), ${layout.releases.hub.name} (${layout.releases.hub.chart} ${layout.releases.hub.version})`,
      `charts from:   ${chartsSummary(layout)}`,
      `values from:   ${layout.deployRepo ? `deployment repository ${layout.deployRepo}` : 'the project (cluster/kube/values/)'}`,
      `singleuser:    ${layout.baked ? `baked image ${layout.baked.name}:${layout.baked.tag}, side-loaded` : `${versions.singleuserImage.name}:${versions.singleuserImage.tag}, packages installed by postStart (the tutorial's way)`}`,
      `users:         ${layout.names.instructor} (instructor, ngshare admin), ${layout.names.student} (student); course ${layout.names.courseId}`,
      `hub:           http://127.0.0.1:<port kind publishes for NodePort ${hubNodePort}>`,
    ];
  }

  private platformNotes(layout: KubeLayout): string[] {
    return [
      "kind-only values: ngshare's volume claim is ReadWriteOnce (kind's local-path storage binds nothing else); the hub is a NodePort; user servers may reach private IPs (kind enforces NetworkPolicy, and ngshare's ClusterIP is private)",
      "on kind the tutorial's sqlite error does not appear by itself (local-path makes its directories 0777); the init container is installed as the tutorial's final ngshare-config.yaml has it",
      ...(layout.baked
        ? []
        : [
            "--baked-image builds the singleuser image with nbgrader and ngshare-exchange installed (dockerode) and side-loads it with `kind load docker-image`; the default is the tutorial's postStart pip install",
          ]),
    ];
  }

  private platformSteps(layout: KubeLayout): { before: KubeStep[]; reach: KubeStep[] } {
    const { cluster, configFile } = layout.kind!;
    const kubeconfig = layout.target.kubeconfig;
    const before: KubeStep[] = [
      {
        title: `Create the kind cluster ${cluster}, or reuse it when \`kind get clusters\` lists it`,
        commands: [
          ['kind', ...kindArgv.getClusters()],
          ['kind', ...kindArgv.create(cluster, configFile, kubeconfig)],
        ],
        notes: [`reuse: \`kind ${kindArgv.exportKubeconfig(cluster, kubeconfig).join(' ')}\` when the run's kubeconfig is missing`],
        run: async ({ run }) => {
          fs.writeFileSync(configFile, kindConfigYaml(cluster, layout.runId));
          const { stdout } = await runTool('kind', kindArgv.getClusters(), { timeoutMs: 60_000 });
          if (
            stdout
              .split('\n')
              .map((l) => l.trim())
              .includes(cluster)
          ) {
            log.info(`kind cluster ${cluster} exists: reusing it`);
            if (!fs.existsSync(kubeconfig)) await runTool('kind', kindArgv.exportKubeconfig(cluster, kubeconfig), { timeoutMs: 60_000 });
            if (!run.ledger.list().some((r) => r.kind === 'kind-cluster' && r.name === cluster)) run.ledger.record({ kind: 'kind-cluster', name: cluster });
            return;
          }
          run.ledger.record({ kind: 'kind-cluster', name: cluster });
          await runTool('kind', kindArgv.create(cluster, configFile, kubeconfig), { timeoutMs: 10 * 60_000, label: `create cluster ${cluster}` });
        },
      },
    ];
    const images = imagesToLoad(layout);
    if (images.length) {
      before.push({
        title: `Build the images the harness makes (dockerode, unless Docker has them) and load them into the cluster`,
        notes: images.map(
          (i) =>
            `${i.name}:${i.tag} from cluster/kube/values/${i.dockerfile}, build args ${Object.entries(i.buildArgs)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
        ),
        commands: images.map((i) => ['kind', ...kindArgv.loadImage(cluster, `${i.name}:${i.tag}`)]),
        run: () => loadImages(layout),
      });
    }
    before.push(namespaceStep(layout));
    const reach: KubeStep[] = [
      {
        title: `Find the hub's public URL: the host port kind published for NodePort ${hubNodePort}`,
        notes: [`dockerode: inspect container ${cluster}-control-plane, port ${hubNodePort}/tcp → http://127.0.0.1:<host port>`],
        run: async ({ state }) => {
          const port = await publishedPort(cluster, hubNodePort);
          state.hubUrl = `http://127.0.0.1:${port}`;
          state.hubApiUrl = `${state.hubUrl}/hub/api`;
        },
      },
    ];
    return { before, reach };
  }

  private teardownSteps(layout: KubeLayout): PlanStep[] {
    const { cluster } = layout.kind!;
    return [
      {
        title: "Export kind's logs (node, kubelet, containerd, every container) before the cluster goes",
        commands: [['kind', ...kindArgv.exportLogs(cluster, '<output-dir>/diagnostics/kind-logs')]],
      },
      { title: `Delete the cluster ${cluster} (everything in it goes with it)`, commands: [['kind', ...kindArgv.delete(cluster, layout.target.kubeconfig)]] },
    ];
  }

  async up(run: Run, variant: StackVariant = {}): Promise<KubeState> {
    const layout = this.layoutFor(run, variant);
    const rendered = renderForHelm(layout, run);
    return runKubeSteps(run, layout, this.steps(layout, rendered), 'harnessApiToken');
  }

  async attach(state: KubeState, run: Run): Promise<Stack> {
    const token = run.secrets.get(state.details.tokenSecret);
    return new OwnedKubeStack(state, run, (variant) => redeployStack(run, state, token, variant));
  }

  /** kind clusters named like a run, wherever they came from (`kind get clusters`). */
  async findLeftovers(_config: HarnessConfig): Promise<{ leftovers: Leftover[]; notes: string[] }> {
    let listed: string;
    try {
      listed = (await runTool('kind', kindArgv.getClusters(), { timeoutMs: 60_000 })).stdout;
    } catch (err) {
      return { leftovers: [], notes: [`kind clusters not checked: ${errorMessage(err).split('\n')[0]}`] };
    }
    const leftovers = runClusters(listed).map((cluster) => ({
      description: `kind cluster ${cluster}`,
      runId: cluster,
      remove: async () => {
        await runTool('kind', ['delete', 'cluster', '--name', cluster], { timeoutMs: 5 * 60_000 });
      },
    }));
    return { leftovers, notes: [] };
  }

  async down(run: Run): Promise<void> {
    const details = detailsOf(run);
    await removeRecorded(run, this.name, async (r) => {
      if (r.kind === 'kind-cluster') {
        const { stdout } = await runTool('kind', kindArgv.getClusters(), { timeoutMs: 60_000 });
        if (
          stdout
            .split('\n')
            .map((l) => l.trim())
            .includes(r.name)
        ) {
          const logsDir = path.join(run.dirs.outputDir, 'diagnostics', 'kind-logs');
          await runTool('kind', kindArgv.exportLogs(r.name, logsDir), { timeoutMs: 5 * 60_000 }).then(
            () => log.info(`kind logs exported to ${logsDir}`),
            (err) => log.warn(`kind logs not exported: ${errorMessage(err).split('\n')[0]}`),
          );
          await runTool('kind', kindArgv.delete(r.name, details?.target.kubeconfig ?? run.dirs.path('kubeconfig')), { timeoutMs: 5 * 60_000 });
          log.info(`kind cluster ${r.name} deleted`);
        }
        return true;
      }
      // Everything else of a kind run lives in the cluster and goes with it.
      if (r.kind === 'port-forward') return removeCommon(run, r, details);
      return true;
    });
  }
}
