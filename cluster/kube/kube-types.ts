/**
 * What every part of the Kubernetes drivers shares, and nothing that does anything: the cluster a
 * run talks to, the Helm releases it installs, the state it saves, the steps of a bring-up, the
 * run label, and the bounds of its waits.
 *
 * The folder is four layers; a file imports only from the layers below its own:
 *
 *   1  tools and APIs, each on its own   kube-types, tools, helm argv, kind argv, kubeconfig,
 *                                        pod-status, exec, values, charts, control-plane leaves
 *   2  clients and decisions             kube-api, helm, docker, port-forward, layout, user-servers
 *   3  install steps and the stack       install, kube-stack, run-steps, teardown, control plane
 *   4  drivers                           kind-driver, jetstream-driver, kwok-driver
 *
 * (layers.test.ts checks it.)
 */
import type { PlatformName, StackVariant } from '../config.js';
import type { Run } from '../run/index.js';
import type { StackState } from '../stack-state.js';
import type { Step } from '../steps.js';

export type KubePlatform = Extract<PlatformName, 'kind' | 'jetstream' | 'kwok'>;

/** The label every namespace (and kind node) a run creates carries; the reaper looks for it. */
export const RUN_LABEL = 'nbgrader-e2e/run';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'nbgrader-ngshare-e2e' };

/** Bounds of the waits of a Kubernetes run (a test may shorten one). */
export const kubeTimeouts = {
  commandMs: 300_000,
  rolloutMs: 10 * 60_000,
  serverMs: 15 * 60_000,
  hubMs: 3 * 60_000,
};

/** A cluster as every tool is told it: the kubeconfig file and the context, always both. */
export interface KubeTarget {
  kubeconfig: string;
  context: string;
}

export type ChartName = 'ngshare' | 'jupyterhub';

/** Where a chart comes from (charts.ts): a chart repository, an OCI registry, or a local .tgz or chart directory. */
export type ChartSource = {
  chart: ChartName;
  /** The chart's version: the pin, or what a local chart's Chart.yaml says. */
  version: string;
  /** What Helm is given: repo/chart, oci://…/chart, or the local path. */
  ref: string;
  /** Which setting chose it, for messages: "the tutorial's repository", "--charts ../shared/charts". */
  origin: string;
} & ({ kind: 'repository'; repoName: string; url: string } | { kind: 'oci' } | { kind: 'local'; path: string; packaged: boolean });

export interface HelmRelease {
  name: string;
  /** What Helm installs it from: repo/chart (e.g. jupyterhub/jupyterhub), oci://…, or a local path. */
  chart: string;
  version: string;
  source: ChartSource;
  namespace: string;
  /** In the order Helm layers them: later files win. */
  valuesFiles: string[];
  /** Helm's own bound (hooks such as the image pre-puller run inside it). */
  timeout: string;
}

/** An image the harness builds itself and side-loads into kind. */
export interface BakedImage {
  name: string;
  tag: string;
  /** Dockerfile under values/. */
  dockerfile: string;
  buildArgs: Record<string, string>;
}

/** What a Kubernetes stack's state carries beyond the common fields. */
export interface KubeDetails {
  target: KubeTarget;
  namespace: string;
  existingRelease: boolean;
  releases: { ngshare: string; hub: string };
  kindCluster?: string;
  /** Run directory of the values files Helm was given (none for an existing release). */
  valuesDir?: string;
  /** Name of the run secret holding the hub token the harness uses. */
  tokenSecret: string;
  portForward?: { pid: number; port: number };
  /** What the install was made from, so a redeploy renders the same values with another variant. */
  variant: StackVariant;
  deployRepo?: string;
  /** --ngshare-admin: the release's ngshare admin acting as instructor, and whether the run started its server. */
  ngshareAdmin?: { user: string; startedServer: boolean };
  /** kwok: the local platform's run whose hub answers behind the port-forward. */
  localRun?: { runId: string; stateDir: string };
  /** --charts and --chart-<name> of the install (a redeploy installs from the same place). */
  chartOptions?: { charts?: string; chartsShownAs?: string; chart?: Partial<Record<ChartName, string>> };
  bakedImage: boolean;
}

export type KubeState = StackState<KubeDetails> & { platform: KubePlatform };

/** What the steps of a real bring-up share while they run. */
export interface Live {
  run: Run;
  state: KubeState;
  details: KubeDetails;
}

export type KubeStep = Step<Live>;
