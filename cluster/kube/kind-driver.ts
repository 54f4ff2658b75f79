/**
 * The `kind` platform: a throwaway cluster per run in Docker (nightly CI, a laptop), the tutorial's
 * Helm install into it, the hub reached on 127.0.0.1 through a NodePort kind publishes. The cluster
 * is named after the run and reused if it exists; its logs are exported before it is deleted.
 *
 * Prerequisites on the machine: kind, helm, and a Docker engine (plus its CLI, which kind calls).
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { HarnessConfig } from '../config.js';
import type { Leftover, PreflightCheck, Reaper } from '../platform.js';
import type { StackVariant } from '../config.js';
import type { KubeState } from './kube-details.js';
import type { Run } from '../run/index.js';
import { versions, kindNodeImageDigest } from '../versions.js';
import { dockerPreflight, publishedPort } from './docker.js';
import { imagesToLoad, loadImages } from './install.js';
import { hubNodePort, kindArgv, kindConfigYaml, runClusters } from './kind.js';
import { detailsOf, KubeDriverBase, log, resourceNeed, type Step } from './kube-driver.js';
import { buildLayout, type KubeLayout, type RenderedValues } from './layout.js';
import type { PlanStep } from '../plan.js';
import { checkTools, runTool } from './tools.js';
import { requireChecks } from '../preflight.js';

export class KindDriver extends KubeDriverBase implements Reaper {
  readonly name = 'kind' as const;

  protected layoutFor(ctx: Run, variant?: StackVariant): KubeLayout {
    return buildLayout('kind', ctx, { variant });
  }

  async preflight(run: Run): Promise<PreflightCheck[]> {
    const layout = this.layoutFor(run);
    // Rendering first: a values file that does not parse fails here, before anything exists.
    const rendered = this.render(layout, run)!;
    const [tools, engine] = await Promise.all([checkTools(['kind', 'helm', 'docker']), dockerPreflight(resourceNeed(rendered))]);
    const checks = [...tools, ...engine];
    for (const c of checks) log.info(`preflight: ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return requireChecks('kind', checks);
  }

  protected preflightLines(_layout: KubeLayout, rendered: RenderedValues | undefined): string[] {
    const need = resourceNeed(rendered!);
    return [
      'kind on PATH, `kind version` >= 0.29.0 (the release of the pinned node image)',
      'helm on PATH, `helm version --short` >= 3.7.0',
      'docker CLI on PATH, `docker --version` >= 20.10.0 (kind calls it)',
      'Docker engine through dockerode (DOCKER_HOST, else unix:///var/run/docker.sock): answers within 5 s; version >= 20.10.0; cgroup version reported',
      `Docker resources: CPUs >= ${need.cpu}, memory >= ${(need.memoryBytes / 2 ** 30).toFixed(1)} GiB (${need.because})`,
      'every values file parses and every placeholder is filled (done for this plan too)',
    ];
  }

  protected summaryLines(layout: KubeLayout): string[] {
    return [
      `kind cluster:  ${layout.kind!.cluster} (node image ${versions.kindNodeImage}@${kindNodeImageDigest.slice(0, 19)}…)`,
      `kubeconfig:    ${layout.target.kubeconfig} (${layout.kubeconfigSource}), context ${layout.target.context}`,
      `namespace:     ${layout.namespace}`,
      `releases:      ${layout.releases.ngshare.name} (${layout.releases.ngshare.chart} ${layout.releases.ngshare.version}), ${layout.releases.hub.name} (${layout.releases.hub.chart} ${layout.releases.hub.version})`,
      `values from:   ${layout.deployRepo ? `deployment repository ${layout.deployRepo}` : 'the project (cluster/kube/values/)'}`,
      `singleuser:    ${layout.baked ? `baked image ${layout.baked.name}:${layout.baked.tag}, side-loaded` : `${versions.singleuserImage.name}:${versions.singleuserImage.tag}, packages installed by postStart (the tutorial's way)`}`,
      `users:         ${layout.names.instructor} (instructor, ngshare admin), ${layout.names.student} (student); course ${layout.names.courseId}`,
      `hub:           http://127.0.0.1:<port kind publishes for NodePort ${hubNodePort}>`,
    ];
  }

  protected files(layout: KubeLayout) {
    return [{ path: layout.kind!.configFile, content: kindConfigYaml(layout.kind!.cluster, layout.runId) }];
  }

  protected platformNotes(layout: KubeLayout): string[] {
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

  protected platformSteps(layout: KubeLayout): { before: Step[]; reach: Step[] } {
    const { cluster, configFile } = layout.kind!;
    const kubeconfig = layout.target.kubeconfig;
    const before: Step[] = [
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
    before.push(this.namespaceStep(layout));
    const reach: Step[] = [
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

  protected teardownSteps(layout: KubeLayout): PlanStep[] {
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
    const rendered = this.render(layout, run);
    return this.runSteps(run, layout, rendered, 'harnessApiToken');
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
    await this.removeRecorded(run, async (r) => {
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
      if (r.kind === 'port-forward') return this.removeCommon(run, r, details);
      return true;
    });
  }
}
