/**
 * Where a Kubernetes run puts things, decided once from the run and the configuration: cluster,
 * kubeconfig and context, namespace, releases, users and course, and the values layers Helm gets.
 * Pure apart from reading the values files, so the dry-run plan and the unit tests see exactly
 * what `up` does.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { HarnessConfig, StackVariant } from '../config.js';
import { UsageError } from '../errors.js';
import type { StackService } from '../platform.js';
import { shortRunId, type Run } from '../run/index.js';
import { chartRepos, kindNodeImageDigest, ngshareSqlalchemy2, tutorial, versions } from '../versions.js';
import { describeSource, resolveChartSources, type ChartOptions } from './charts.js';
import { chooseKubeconfig } from './kubeconfig.js';
import type { BakedImage, ChartSource, HelmRelease, KubeDetails, KubePlatform, KubeTarget } from './kube-types.js';
import { fillTemplate, projectFile, readDeployRepo, readYamlFile, valuesDir, type SkippedFile, type TemplateVars, type ValuesLayer } from './values.js';

export interface RunNames {
  instructor: string;
  student: string;
  courseId: string;
}

/**
 * kind is the run's own cluster: the tutorial's names, so transcripts read like the tutorial; so
 * is kwok's, whose hub is the local platform's (its instructor1 is that ngshare's admin). A shared
 * cluster gets run-unique names, so runs never meet each other's users or course.
 */
export function runNames(platform: KubePlatform, runId: string): RunNames {
  if (platform !== 'jetstream') return { instructor: tutorial.instructor, student: tutorial.student, courseId: tutorial.courseId };
  const s = shortRunId(runId);
  return { instructor: `e2e-${s}-instructor`, student: `e2e-${s}-student`, courseId: `${tutorial.courseId}-${s}` };
}

/** Release names of the tutorial: `helm install ngshare …` and install_jhub.sh's `jhub`. */
export const releaseNames = { ngshare: 'ngshare', hub: 'jhub' } as const;

/**
 * The hub's release of an install on a shared cluster gets the run's name (e2e-<id>-jhub): z2jh
 * names its cluster-scoped objects after the release (the user scheduler's ClusterRole and
 * ClusterRoleBinding `<release>-user-scheduler`), and a course cluster runs the tutorial's `jhub`,
 * whose objects Helm refuses to adopt ("invalid ownership metadata"). The user scheduler stays, as
 * the tutorial deploys it. ngshare's chart makes nothing cluster-scoped: its release keeps the
 * tutorial's name, so the tutorial's service URLs apply in the run's namespace. kind's cluster is
 * the run's own and keeps the tutorial's names; kwok installs the way jetstream does (a namespace
 * and a release of the run's own), so its control plane can also hold the tutorial's `jhub`.
 */
export function hubReleaseName(platform: KubePlatform, runId: string, existingRelease: boolean): string {
  return platform !== 'kind' && !existingRelease ? `e2e-${shortRunId(runId)}-${releaseNames.hub}` : releaseNames.hub;
}

/** Pods of each component, by the labels the two charts give them (ngshare's is its release name). */
export const componentSelectors: Record<StackService, string> = {
  hub: 'component=hub',
  proxy: 'component=proxy',
  ngshare: `app.kubernetes.io/instance=${releaseNames.ngshare}`,
};

/** The Deployment of each component, as the two charts name them. */
export const componentDeployments: Record<StackService, string> = { hub: 'hub', proxy: 'proxy', ngshare: 'ngshare' };

/** The NodePort of the hub's proxy-public service, published by kind on 127.0.0.1. */
export const hubNodePort = 30080;

export function kindContext(cluster: string): string {
  return `kind-${cluster}`;
}

/** The project's kind config (values/kind-cluster.yaml), filled in for the run. */
export function kindConfigYaml(cluster: string, runId: string): string {
  const template = readYamlFile(path.join(valuesDir, 'kind-cluster.yaml'), 'cluster/kube/values/kind-cluster.yaml');
  const filled = fillTemplate(
    template,
    { clusterName: cluster, runId, nodeImage: `${versions.kindNodeImage}@${kindNodeImageDigest}`, hubNodePort },
    'cluster/kube/values/kind-cluster.yaml',
  );
  return YAML.stringify(filled);
}

/** The layout the stack was installed with, from its state rather than this process's flags. */
export function layoutOfStack(run: Run, platform: KubePlatform, details: KubeDetails, variant: StackVariant): KubeLayout {
  const ctx: Run = {
    ...run,
    config: {
      ...run.config,
      kube: {
        ...run.config.kube,
        kubeconfig: details.target.kubeconfig,
        context: details.target.context,
        namespace: details.namespace,
        existingRelease: false,
        deployRepo: details.deployRepo,
        charts: details.chartOptions?.charts,
        chart: { jupyterhub: details.chartOptions?.chart?.jupyterhub, ngshare: details.chartOptions?.chart?.ngshare },
        bakedImage: details.bakedImage,
      },
    },
  };
  return buildLayout(platform, ctx, { variant });
}

// --- images the harness builds and loads into kind ------------------------------------------------

function derived(name: string, dockerfile: string, tagPrefix: string, buildArgs: Record<string, string>): BakedImage {
  const text = fs.readFileSync(path.join(valuesDir, dockerfile), 'utf8');
  const digest = crypto.createHash('sha256').update(text).update(JSON.stringify(buildArgs)).digest('hex').slice(0, 12);
  return { name, tag: `${tagPrefix}-${digest}`, dockerfile, buildArgs };
}

/**
 * --baked-image: the tutorial's singleuser image with nbgrader and ngshare-exchange installed.
 * Named by what goes into it, never `latest`: the same pins give the same tag, so a rebuild is a no-op.
 */
export function bakedImage(): BakedImage {
  return derived('nbgrader-ngshare-e2e/singleuser', 'singleuser.Dockerfile', `${versions.singleuserImage.tag}-nbgrader-${versions.nbgrader}`, {
    BASE_IMAGE: `${versions.singleuserImage.name}:${versions.singleuserImage.tag}`,
    NBGRADER_VERSION: versions.nbgrader,
    NGSHARE_EXCHANGE_VERSION: versions.ngshareExchange,
  });
}

/** The troubleshooting variant's ngshare: its image with SQLAlchemy 2. */
export function ngshareSqlalchemy2Image(): BakedImage {
  return derived('nbgrader-ngshare-e2e/ngshare', 'ngshare-sqlalchemy2.Dockerfile', `${versions.ngshareImage.tag}-sqlalchemy-${ngshareSqlalchemy2}`, {
    BASE_IMAGE: `${versions.ngshareImage.name}:${versions.ngshareImage.tag}`,
    SQLALCHEMY_VERSION: ngshareSqlalchemy2,
  });
}

export interface KubeLayout {
  platform: KubePlatform;
  runId: string;
  target: KubeTarget;
  /** Where the kubeconfig came from, for messages. */
  kubeconfigSource: string;
  namespace: string;
  /** Test a release someone else installed: no Helm, no namespace of our own (pre-semester check). */
  existingRelease: boolean;
  names: RunNames;
  cacheDir: string;
  /** Run directory files. */
  valuesDir: string;
  releases: { ngshare: HelmRelease; hub: HelmRelease };
  kind?: { cluster: string; configFile: string };
  /** --baked-image: the singleuser image the harness builds and side-loads. */
  baked?: BakedImage;
  /** The ngshare image the harness builds and side-loads (variant ngshareSqlalchemy2). */
  ngshareImage?: BakedImage;
  deployRepo?: string;
  /** --ngshare-admin (an existing release only): the release's ngshare admin, the run's instructor. */
  ngshareAdmin?: string;
  /** How the tools are found: kwok puts its pinned helm first on PATH once it is built. */
  tools: { PATH?: string };
  /** --charts and --chart-<name> as given (kept in the state, so a redeploy installs from the same place). */
  chartOptions: ChartOptions;
  /** The troubleshooting variant deployed (the tutorial done right when empty). */
  variant: StackVariant;
}

/** Where the charts come from, for a plan's summary. */
export function chartsSummary(layout: KubeLayout): string {
  const sources = [layout.releases.ngshare.source, layout.releases.hub.source];
  if (sources.every((s) => s.origin === "the tutorial's repository")) return "the tutorial's repositories, at the pinned versions";
  return sources.map(describeSource).join('; ');
}

/** Names of the variant's switches that are on, for messages. */
export function variantNames(variant: StackVariant): string[] {
  return Object.entries(variant)
    .filter(([, on]) => on)
    .map(([name]) => name);
}

export interface LayoutOptions {
  currentContext?: string;
  variant?: StackVariant;
  /** kwok: the run's own control plane (its kubeconfig and context). */
  target?: KubeTarget;
}

export function buildLayout(platform: KubePlatform, ctx: Run, options: LayoutOptions = {}): KubeLayout {
  const { kube, cacheDir } = ctx.config;
  const variant = options.variant ?? {};
  if (kube.existingRelease && variantNames(variant).length) {
    throw new UsageError(`an existing release is tested as it is; the variant ${variantNames(variant).join(', ')} needs an install of the run's own`);
  }
  if (platform !== 'kind' && variant.ngshareSqlalchemy2) {
    throw new UsageError('the variant ngshareSqlalchemy2 needs an ngshare image side-loaded into the cluster: --platform kind');
  }
  if (kube.ngshareAdmin && !kube.existingRelease) {
    throw new UsageError("--ngshare-admin applies to --existing-release: an install of the run's own makes its instructor an ngshare admin");
  }
  // --ngshare-admin: the release's ngshare admin (a dedicated test account) is the run's instructor.
  const names = { ...runNames(platform, ctx.id), ...(kube.ngshareAdmin ? { instructor: kube.ngshareAdmin } : {}) };
  let target: KubeTarget;
  let kubeconfigSource: string;
  let namespace: string;
  let kind: KubeLayout['kind'];
  if (platform === 'kind') {
    if (kube.existingRelease) throw new UsageError('--existing-release applies to --platform jetstream (an existing cluster), not kind');
    kind = { cluster: ctx.id, configFile: ctx.dirs.path('kind-config.yaml') };
    target = { kubeconfig: ctx.dirs.path('kubeconfig'), context: kindContext(ctx.id) };
    kubeconfigSource = "the run's own kubeconfig, written by kind";
    // The run's own cluster: the tutorial's namespace, so its service URLs apply as written.
    namespace = kube.namespace ?? 'jhub';
  } else if (platform === 'kwok') {
    if (kube.existingRelease) throw new UsageError('--existing-release applies to --platform jetstream (an existing cluster), not kwok');
    if (kube.bakedImage) throw new UsageError('--baked-image applies to --platform kind: kwok runs no image');
    if (variantNames(variant).length) {
      throw new UsageError(
        `kwok simulates pods (nothing runs in them), so a deployment gone wrong (${variantNames(variant).join(', ')}) looks like one gone right`,
      );
    }
    if (!options.target) throw new UsageError("kwok: the layout needs the run's control plane (its kubeconfig and context)");
    target = options.target;
    kubeconfigSource = "the run's own control plane";
    namespace = kube.namespace ?? ctx.id;
  } else {
    if (kube.bakedImage) throw new UsageError("--baked-image applies to --platform kind (an image is side-loaded into the run's cluster)");
    const choice = chooseKubeconfig(ctx.config);
    target = { kubeconfig: choice.file, context: kube.context ?? options.currentContext ?? '<current-context>' };
    kubeconfigSource = choice.source;
    namespace = kube.namespace ?? (kube.existingRelease ? 'jhub' : ctx.id);
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new UsageError(`--namespace ${namespace} is not a valid namespace name`);
  const valuesDir = ctx.dirs.path('values');
  // kwok is for a machine that cannot reach the chart repositories: the packaged charts of the
  // workplace's shared folder, unless told otherwise.
  const packaged = platform === 'kwok' && !kube.charts && !kube.chart.jupyterhub && !kube.chart.ngshare;
  const chartOptions: ChartOptions = packaged
    ? {
        charts: path.join(ctx.config.sharedDir, 'charts'),
        chartsShownAs: "kwok's default: the workplace's packaged charts; --charts to change",
        chart: kube.chart,
      }
    : { charts: kube.charts, chart: kube.chart };
  if (kube.existingRelease && (kube.charts || kube.chart.jupyterhub || kube.chart.ngshare)) {
    throw new UsageError("an existing release is tested as it is; --charts and --chart-<name> apply to an install of the run's own");
  }
  const sources = resolveChartSources(
    kube.existingRelease ? {} : chartOptions,
    { jupyterhub: versions.jupyterhubChart, ngshare: versions.ngshareChart },
    chartRepos,
  );
  const release = (name: string, source: ChartSource, timeout: string): HelmRelease => ({
    name,
    chart: source.ref,
    version: source.version,
    source,
    namespace,
    valuesFiles: [],
    timeout,
  });
  return {
    platform,
    runId: ctx.id,
    target,
    kubeconfigSource,
    namespace,
    existingRelease: kube.existingRelease,
    names,
    cacheDir,
    valuesDir,
    releases: {
      ngshare: release(releaseNames.ngshare, sources.ngshare, '10m'),
      // The chart's image pre-puller runs as a hook inside Helm's bound: the singleuser image is large.
      hub: release(hubReleaseName(platform, ctx.id, kube.existingRelease), sources.jupyterhub, '20m'),
    },
    kind,
    // Without nbgrader (a variant) there is nothing to bake: the stock image, as the tutorial's mistake has it.
    baked: kube.bakedImage && !variant.withoutNbgrader ? bakedImage() : undefined,
    ngshareImage: variant.ngshareSqlalchemy2 ? ngshareSqlalchemy2Image() : undefined,
    deployRepo: kube.deployRepo ? path.resolve(kube.deployRepo) : undefined,
    chartOptions,
    ngshareAdmin: kube.ngshareAdmin,
    tools: {},
    variant,
  };
}

/** ngshare as the user servers reach it (through its ClusterIP service in the namespace). */
export function ngshareUrls(namespace: string): { service: string; exchange: string } {
  const service = `http://${releaseNames.ngshare}.${namespace}.svc.cluster.local:8080`;
  return { service, exchange: `${service}/services/ngshare` };
}

/** The secrets a Kubernetes install of the run's own puts into its values. */
export const kubeSecrets = ['ngshareApiToken', 'harnessApiToken', 'userPassword', 'adminPassword'] as const;

export interface RenderedValues {
  ngshare: ValuesLayer[];
  jupyterhub: ValuesLayer[];
  skipped: SkippedFile[];
}

/**
 * What the postStart pip-installs: the versions the tutorial recorded (pinned), or, with
 * --versions latest, the tutorial's own unpinned words, so the pods get what resolves today.
 */
export function postStartPackages(choice: HarnessConfig['versions']): string {
  if (choice.kind === 'set' && choice.name === 'latest') return 'nbgrader ngshare-exchange';
  return `nbgrader==${versions.nbgrader} ngshare-exchange==${versions.ngshareExchange}`;
}

/** Every values layer of the run, in Helm's order, with file names for the run directory. */
export function renderLayers(layout: KubeLayout, ctx: Run): RenderedValues {
  const urls = ngshareUrls(layout.namespace);
  // The run's secrets are made here, when the deployment's values first need them.
  ctx.secrets.ensure(...kubeSecrets);
  const vars: TemplateVars = {
    runId: layout.runId,
    namespace: layout.namespace,
    instructor: layout.names.instructor,
    student: layout.names.student,
    courseId: layout.names.courseId,
    ngshareApiToken: ctx.secrets.get('ngshareApiToken'),
    harnessApiToken: ctx.secrets.get('harnessApiToken'),
    userPassword: ctx.secrets.get('userPassword'),
    adminPassword: ctx.secrets.get('adminPassword'),
    ngshareImageName: versions.ngshareImage.name,
    ngshareImageTag: versions.ngshareImage.tag,
    busyboxImage: versions.busybox,
    singleuserImageName: versions.singleuserImage.name,
    singleuserImageTag: versions.singleuserImage.tag,
    postStartPackages: postStartPackages(ctx.config.versions),
    ngshareUrl: urls.service,
    ngshareServiceUrl: urls.exchange,
    hubNodePort,
    bakedImageName: layout.baked?.name ?? '',
    bakedImageTag: layout.baked?.tag ?? '',
    derivedNgshareImageName: layout.ngshareImage?.name ?? '',
    derivedNgshareImageTag: layout.ngshareImage?.tag ?? '',
  };
  const project = (chart: ValuesLayer['chart'], name: string, n: number, origin = 'project'): ValuesLayer => ({
    chart,
    file: `${String(n).padStart(2, '0')}-${name}`,
    origin: `${origin} cluster/kube/values/${name}`,
    values: projectFile(name, vars),
    changes: [],
  });
  let ngshare: ValuesLayer[];
  let jupyterhub: ValuesLayer[];
  let skipped: SkippedFile[] = [];
  if (layout.deployRepo) {
    const repo = readDeployRepo(layout.deployRepo, {
      ngshareApiToken: vars.ngshareApiToken as string,
      courseId: layout.names.courseId,
      ngshareAdmin: layout.names.instructor,
      namespace: layout.namespace,
    });
    ({ ngshare, jupyterhub, skipped } = repo);
  } else {
    ngshare = [project('ngshare', 'ngshare.yaml', 1)];
    jupyterhub = [
      project('jupyterhub', 'jupyterhub.yaml', 1),
      project('jupyterhub', 'jupyterhub-ngshare-service.yaml', 2),
      project('jupyterhub', 'jupyterhub-singleuser-nbgrader.yaml', 3),
    ];
  }
  const { variant } = layout;
  if (variant.withoutNbgrader) {
    // The tutorial's mistake: the values file that installs nbgrader is not passed to Helm.
    const installsNbgrader = (l: ValuesLayer) => /ngshare_exchange|ngshare-exchange/.test(JSON.stringify(l.values));
    skipped = [...skipped, ...jupyterhub.filter(installsNbgrader).map((l) => ({ file: l.origin, reason: 'left out by the variant withoutNbgrader' }))];
    jupyterhub = jupyterhub.filter((l) => !installsNbgrader(l));
  }
  // The harness's own layers: only what the test needs, last, so they win.
  if (layout.platform === 'kind') ngshare.push(project('ngshare', 'kind-ngshare.yaml', 90, 'harness (kind only)'));
  jupyterhub.push(project('jupyterhub', 'e2e-test.yaml', 90, 'harness'));
  if (layout.platform === 'kind') jupyterhub.push(project('jupyterhub', 'kind-jupyterhub.yaml', 91, 'harness (kind only)'));
  else if (layout.platform === 'kwok')
    jupyterhub.push(project('jupyterhub', 'jetstream-jupyterhub.yaml', 91, 'harness (kwok: reached through a port-forward)'));
  else jupyterhub.push(project('jupyterhub', 'jetstream-jupyterhub.yaml', 91, 'harness (shared cluster only)'));
  if (layout.baked) jupyterhub.push(project('jupyterhub', 'baked-image.yaml', 92, 'harness (--baked-image)'));
  if (variant.ngshareStorageNotWritable) ngshare.push(project('ngshare', 'variant-ngshare-storage-not-writable.yaml', 93, 'variant'));
  if (layout.ngshareImage) ngshare.push(project('ngshare', 'variant-ngshare-image.yaml', 94, 'variant'));
  if (variant.singleuserEgressBlocked) jupyterhub.push(project('jupyterhub', 'variant-singleuser-egress-blocked.yaml', 93, 'variant'));
  return { ngshare, jupyterhub, skipped };
}

/** The values layers of the layout, with the file paths Helm gets set on its releases. */
export function renderForHelm(layout: KubeLayout, run: Run): RenderedValues {
  const rendered = renderLayers(layout, run);
  const files = valuesFilePaths(layout, rendered);
  layout.releases.ngshare.valuesFiles = files.ngshare;
  layout.releases.hub.valuesFiles = files.jupyterhub;
  return rendered;
}

/** The values files Helm gets for each release, in order (paths in the run directory). */
export function valuesFilePaths(layout: KubeLayout, rendered: RenderedValues): { ngshare: string[]; jupyterhub: string[] } {
  return {
    ngshare: rendered.ngshare.map((l) => path.join(layout.valuesDir, 'ngshare', l.file)),
    jupyterhub: rendered.jupyterhub.map((l) => path.join(layout.valuesDir, 'jupyterhub', l.file)),
  };
}
