/**
 * The steps of a Kubernetes install and the actions they run, shared by every driver (a driver
 * picks the ones it needs and adds its own): the run's namespace, the values files, the tutorial's
 * Helm install (its chart repositories, ngshare first, then JupyterHub with the files in order),
 * the rollout wait, the port-forward to the hub, the run's users. A redeploy (a troubleshooting fix
 * applied the way a person applies it) runs the same actions again with another variant.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { StackVariant } from '../config.js';
import { HarnessError } from '../errors.js';
import { HubClient } from '../hub-client.js';
import { formatDuration, logger } from '../log.js';
import type { Run } from '../run/index.js';
import { waitFor } from '../wait.js';
import { buildImage, hasImage } from './docker.js';
import { describeSource } from './charts.js';
import { assertChartListed, chartSearchArgv, helm, repoAddArgv, repoUpdateArgv, upgradeInstallArgv } from './helm.js';
import { kindArgv } from './kind.js';
import { Kube } from './kube-api.js';
import { RUN_LABEL, kubeTimeouts, type BakedImage, type HelmRelease, type KubeState, type KubeStep } from './kube-types.js';
import { eventsOf } from './pod-status.js';
import { componentSelectors, layoutOfStack, releaseNames, renderForHelm, type KubeLayout, type RenderedValues } from './layout.js';
import { forwardErrors, proxyForward, startForwardDaemon } from './port-forward.js';
import { runTool } from './tools.js';
import { startUserServers, stopUserServers } from './user-servers.js';
import { layerYaml } from './values.js';

const log = logger('platform');

// --- the actions ---------------------------------------------------------------------------------

/** The images the harness builds itself (baked singleuser, variant ngshare), into the kind cluster. */
export function imagesToLoad(layout: KubeLayout): BakedImage[] {
  return [layout.baked, layout.ngshareImage].filter((i): i is BakedImage => Boolean(i));
}

export async function loadImages(layout: KubeLayout): Promise<void> {
  for (const image of imagesToLoad(layout)) {
    const ref = `${image.name}:${image.tag}`;
    if (await hasImage(image)) log.info(`image ${ref} exists: not rebuilt`);
    else await buildImage(image);
    await runTool('kind', kindArgv.loadImage(layout.kind!.cluster, ref), { timeoutMs: 15 * 60_000, label: `load docker-image ${ref}` });
  }
}

/** Mode 0600: the files hold the run's secrets. */
export function writeValuesFiles(layout: KubeLayout, rendered: RenderedValues): void {
  for (const l of [...rendered.ngshare, ...rendered.jupyterhub]) {
    const dir = path.join(layout.valuesDir, l.chart);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, l.file), layerYaml(l, false), { mode: 0o600 });
  }
  // Files of an earlier deploy that this one does not pass must not linger for the bundle.
  for (const chart of ['ngshare', 'jupyterhub'] as const) {
    const keep = new Set(rendered[chart].map((l) => l.file));
    const dir = path.join(layout.valuesDir, chart);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (!keep.has(f)) fs.rmSync(path.join(dir, f));
  }
}

/** Helm's own bound plus a minute, as the bound of the helm process. */
function helmTimeoutMs(release: HelmRelease): number {
  const m = /^(\d+)m$/.exec(release.timeout);
  return ((m ? Number(m[1]) : 10) + 1) * 60_000;
}

export async function installRelease(run: Run, layout: KubeLayout, release: HelmRelease): Promise<void> {
  run.ledger.recordOnce({ kind: 'helm-release', name: release.name, namespace: release.namespace, context: layout.target.context });
  await helm(upgradeInstallArgv(release, layout.target, layout.cacheDir), {
    ...layout.tools,
    timeoutMs: helmTimeoutMs(release),
    label: `upgrade --install ${release.name}`,
  });
}

const isNgsharePod = (pod: V1Pod) => pod.metadata?.labels?.['app.kubernetes.io/instance'] === releaseNames.ngshare;

/**
 * Every deployment of the namespace rolled out. With ngshare's storage broken on purpose, ngshare
 * is expected to crash-loop: it is left out of the wait and of the early failure.
 */
export async function awaitStackRollout(kube: Kube, layout: KubeLayout): Promise<void> {
  const started = Date.now();
  const broken = Boolean(layout.variant.ngshareStorageNotWritable);
  await kube.awaitRollout({
    timeoutMs: kubeTimeouts.rolloutMs,
    exclude: broken ? ['ngshare'] : [],
    ignorePod: broken ? isNgsharePod : undefined,
  });
  log.info(`rollout done in ${formatDuration(Date.now() - started)}${broken ? ' (ngshare left to fail, as the variant intends)' : ''}`);
}

/**
 * A documented fix applied the way the tutorial applies it: the values change, `helm upgrade`,
 * then restart what the change affects — ngshare's pod (`kubectl delete pod -l
 * app.kubernetes.io/instance=ngshare`), user servers for a new postStart (a running pod keeps the
 * old one). A stack the run installed offers it through its Redeploy ability.
 */
export async function redeployStack(run: Run, state: KubeState, hubToken: string, variant: StackVariant): Promise<void> {
  const details = state.details;
  const before = details.variant ?? {};
  const layout = layoutOfStack(run, state.platform, details, variant);
  const kube = Kube.connect(details.target, details.namespace);
  const rendered = renderForHelm(layout, run);
  if (layout.kind) await loadImages(layout);
  writeValuesFiles(layout, rendered);
  await installRelease(run, layout, layout.releases.ngshare);
  await installRelease(run, layout, layout.releases.hub);
  details.variant = variant;
  run.stack.save(state);

  const ngshareChanged = before.ngshareStorageNotWritable !== variant.ngshareStorageNotWritable || before.ngshareSqlalchemy2 !== variant.ngshareSqlalchemy2;
  if (ngshareChanged) {
    const deleted = await kube.deletePods(componentSelectors.ngshare);
    log.info(`ngshare pods deleted so the new values apply: ${deleted.join(', ') || 'none'}`);
  }
  await awaitStackRollout(kube, layout);
  if (before.withoutNbgrader !== variant.withoutNbgrader) {
    const client = new HubClient(state.hubApiUrl, hubToken);
    const users = [state.users.instructor, state.users.student];
    await stopUserServers(client, kube, users);
    await startUserServers(run.ledger, client, kube, users);
  }
}

// --- the steps -----------------------------------------------------------------------------------

/** Namespace the run owns, labelled with the run; recorded before it is made, so `down` finds it. */
export function namespaceStep(layout: KubeLayout): KubeStep {
  return {
    title: `Create namespace ${layout.namespace} labelled ${RUN_LABEL}=${layout.runId} (refused if it exists and is not this run's)`,
    notes: ['client-node: POST /api/v1/namespaces'],
    run: async ({ run }) => {
      run.ledger.record({ kind: 'namespace', name: layout.namespace, context: layout.target.context });
      log.info(`namespace ${layout.namespace}: ${await Kube.connect(layout.target, layout.namespace).createOwnedNamespace(layout.runId)}`);
    },
  };
}

/** The chart repositories the releases come from, each once (the tutorial adds jupyterhub's first). */
function repositoriesOf(releases: HelmRelease[]): Array<{ name: string; url: string }> {
  const repos = new Map<string, string>();
  for (const { source } of releases) if (source.kind === 'repository') repos.set(source.repoName, source.url);
  return [...repos].map(([name, url]) => ({ name, url }));
}

/** "chart jupyterhub/jupyterhub 4.3.3", or for a local chart its path and the version it says it is. */
function chartWords(release: HelmRelease): string {
  return release.source.kind === 'local' ? `chart ${release.chart} (version ${release.version})` : `chart ${release.chart} ${release.version}`;
}

/** The install, the tutorial's way: the chart sources, ngshare first, then JupyterHub with the files in order, then the rollout. */
export function helmSteps(layout: KubeLayout, rendered: RenderedValues): KubeStep[] {
  const { cacheDir } = layout;
  const { ngshare, hub } = layout.releases;
  const all = [...rendered.ngshare, ...rendered.jupyterhub];
  const fromRepository = [ngshare, hub].filter((r) => r.source.kind === 'repository');
  const repos = repositoriesOf([hub, ngshare]);
  const tutorialsOnly = fromRepository.every((r) => r.source.origin === "the tutorial's repository");
  const elsewhere = [ngshare, hub].filter((r) => r.source.kind !== 'repository');
  const install = (release: HelmRelease, title: string): KubeStep => ({
    title,
    commands: [['helm', ...upgradeInstallArgv(release, layout.target, cacheDir)]],
    run: ({ run }) => installRelease(run, layout, release),
  });
  const steps: KubeStep[] = [
    {
      title: "Write the values files into the run directory (mode 0600: they hold the run's secrets)",
      notes: all.map((l) => `${path.join(layout.valuesDir, l.chart, l.file)} ← ${l.origin}`),
      run: async () => writeValuesFiles(layout, rendered),
    },
  ];
  if (repos.length) {
    steps.push(
      {
        title: `Add the ${tutorialsOnly ? "tutorial's " : ''}chart repositories (to the harness's own Helm repository list, not ~/.config/helm)`,
        commands: [
          ...repos.map((r) => ['helm', ...repoAddArgv(r, cacheDir)]),
          [
            'helm',
            ...repoUpdateArgv(
              repos.map((r) => r.name),
              cacheDir,
            ),
          ],
        ],
        run: async () => {
          for (const r of repos) await helm(repoAddArgv(r, cacheDir), { timeoutMs: 120_000, label: `repo add ${r.name}` });
          await helm(
            repoUpdateArgv(
              repos.map((r) => r.name),
              cacheDir,
            ),
            { timeoutMs: 180_000, label: 'repo update' },
          );
        },
      },
      {
        title: 'Check that the pinned chart versions are in them',
        commands: fromRepository.map((r) => ['helm', ...chartSearchArgv(r.chart, r.version, cacheDir)]),
        run: async () => {
          for (const r of fromRepository) {
            const { stdout } = await helm(chartSearchArgv(r.chart, r.version, cacheDir), {
              ...layout.tools,
              timeoutMs: 60_000,
              label: `search repo ${r.chart}`,
            });
            assertChartListed(r.chart, r.version, stdout, r.source.kind === 'repository' ? r.source.url : '');
          }
        },
      },
    );
  }
  if (elsewhere.length) {
    steps.push({
      title: 'Use the charts given instead of the public repositories (read when the run was planned: each is the chart it is given for)',
      notes: elsewhere.map((r) => describeSource(r.source)),
    });
  }
  steps.push(
    install(ngshare, `Install ngshare (tutorial Step 1): ${chartWords(ngshare)} as release ${ngshare.name}`),
    install(hub, `Install JupyterHub with the ngshare service and the nbgrader postStart (tutorial Steps 2 and 3): ${chartWords(hub)} as release ${hub.name}`),
    {
      title: 'Await the rollouts',
      notes: [
        `client-node: every Deployment in namespace ${layout.namespace} available within ${kubeTimeouts.rolloutMs / 60_000} min`,
        'stops at once on CrashLoopBackOff, image pull errors, more than 1 restart, or a volume claim an event says cannot be provisioned or bound (not one merely waiting for its first consumer), naming the pod or the claim (its access modes and storage class) with its events',
        ...(layout.variant.ngshareStorageNotWritable ? ['ngshare is left out: the variant makes it fail'] : []),
      ],
      run: () => awaitStackRollout(Kube.connect(layout.target, layout.namespace), layout),
    },
  );
  return steps;
}

/** A port-forward on 127.0.0.1 to a ready proxy pod, as a detached process recorded for teardown; the hub's URLs become its. */
export function forwardStep(layout: KubeLayout): KubeStep {
  return {
    title: `Port-forward 127.0.0.1:<free port> to a ready proxy pod's port ${proxyForward.podPort} (a detached process, recorded for teardown)`,
    notes: [`client-node PortForward to pods with ${proxyForward.labelSelector} in ${layout.namespace}`],
    run: async ({ run, state, details }) => {
      const forward = await startForwardDaemon(run, {
        target: layout.target,
        namespace: layout.namespace,
        ...proxyForward,
        portFile: run.dirs.path('port-forward.port'),
        errorFile: forwardErrorFile(run),
      });
      details.portForward = forward;
      state.hubUrl = `http://127.0.0.1:${forward.port}`;
      state.hubApiUrl = `${state.hubUrl}/hub/api`;
    },
  };
}

const forwardErrorFile = (run: Run) => run.dirs.path('port-forward.errors.jsonl');

/** Connections through the port-forward that failed the same way this many times end the hub's wait. */
const forwardFailuresToGiveUp = 3;

/**
 * Ends the hub's wait at once when the port-forward itself cannot carry a connection, naming what
 * the API server or the node said (`error dialing backend: …`) and the pod's events, instead of a
 * bare socket error at the bound.
 */
async function failWhenForwardFails(run: Run, state: KubeState, since: number): Promise<void> {
  const errors = forwardErrors(forwardErrorFile(run), since);
  if (errors.length < forwardFailuresToGiveUp) return;
  const last = errors[errors.length - 1];
  const { details } = state;
  const events = last.pod
    ? await Kube.connect(details.target, details.namespace)
        .events()
        .then((all) => eventsOf(all, 'Pod', last.pod!))
        .catch(() => [])
    : [];
  throw new HarnessError(
    'port-forward',
    `the hub at ${state.hubApiUrl} cannot be reached: ${errors.length} connections through the port-forward to pod ${last.pod ?? '(none ready)'} port ${proxyForward.podPort} failed; the last: ${last.message}`,
    [
      /error dialing backend|dial tcp/.test(last.message)
        ? "the API server cannot reach the node's kubelet, which carries a pod's port-forward (and its exec and logs)"
        : '',
      ...(events.length ? [`events of pod ${last.pod}:`, ...events.map((l) => `  ${l}`)] : []),
      `the forwarder's log: ${run.dirs.path('port-forward.log')}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

/** The hub answers through its public URL (a port-forward that cannot carry a connection ends the wait at once). */
export function hubStep(layout: KubeLayout): KubeStep {
  return {
    title: 'Await the hub through its public URL',
    notes: [
      `GET <hub>/hub/api/ until it answers, within ${kubeTimeouts.hubMs / 60_000} min`,
      ...(layout.platform === 'kind'
        ? []
        : [
            `through the port-forward: ${forwardFailuresToGiveUp} connections it cannot carry end the wait, with what the API server said and the pod's events`,
          ]),
    ],
    run: async ({ state, run, details }) => {
      const client = new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret));
      const since = Date.now();
      await waitFor(() => client.info(), {
        what: `hub API at ${state.hubApiUrl}`,
        timeoutMs: kubeTimeouts.hubMs,
        intervalMs: 2_000,
        failFast: details.portForward ? () => failWhenForwardFails(run, state, since) : undefined,
      });
    },
  };
}

/** The hub answers through its public URL; then the run's users and their servers. */
export function userSteps(layout: KubeLayout): KubeStep[] {
  const { instructor, student } = layout.names;
  return [
    hubStep(layout),
    {
      title: `Create the run's users ${instructor} and ${student} and start their servers`,
      notes: [
        `hub REST API with ${layout.existingRelease ? `the operator's admin token (${'E2E_HUB_ADMIN_TOKEN'})` : "the harness's own token"}: POST /hub/api/users/{name}, POST /hub/api/users/{name}/server`,
        `poll GET /hub/api/users/{name} until the server is ready, within ${kubeTimeouts.serverMs / 60_000} min (postStart installs from PyPI); stops at once if the user's pod crash-loops or cannot pull its image`,
      ],
      run: ({ state, run, details }) =>
        startUserServers(run.ledger, new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret)), Kube.connect(details.target, details.namespace), [
          instructor,
          student,
        ]),
    },
  ];
}
