/**
 * The actions of an install, shared by `up` (as steps of its plan) and by a redeploy (a
 * troubleshooting fix applied the way a person applies it): images into kind, the values files,
 * `helm upgrade --install`, the rollout wait, and the run's users with their servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import { HubClient } from '../hub-client.js';
import { formatDuration, logger } from '../log.js';
import type { Run } from '../run/index.js';
import { buildImage, hasImage, type BakedImage } from './docker.js';
import { helm, upgradeInstallArgv, type HelmRelease } from './helm.js';
import { kindArgv } from './kind.js';
import { Kube, podProblem } from './kube-api.js';
import { valuesFilePaths, renderLayers, type KubeLayout, type RenderedValues } from './layout.js';
import { runTool } from './tools.js';
import { waitFor } from '../wait.js';
import { layerYaml } from './values.js';

const log = logger('platform');

export const kubeTimeouts = {
  commandMs: 300_000,
  rolloutMs: 10 * 60_000,
  serverMs: 15 * 60_000,
  hubMs: 3 * 60_000,
};

/** The values layers of the layout, with the file paths Helm gets set on its releases. */
export function renderForHelm(layout: KubeLayout, ctx: Run): RenderedValues {
  const rendered = renderLayers(layout, ctx);
  const files = valuesFilePaths(layout, rendered);
  layout.releases.ngshare.valuesFiles = files.ngshare;
  layout.releases.hub.valuesFiles = files.jupyterhub;
  return rendered;
}

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
    // Files of an earlier deploy that this one does not pass must not linger for the bundle.
    fs.writeFileSync(path.join(dir, l.file), layerYaml(l, false), { mode: 0o600 });
  }
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
  if (!run.ledger.list().some((r) => r.kind === 'helm-release' && r.name === release.name && r.namespace === release.namespace)) {
    run.ledger.record({ kind: 'helm-release', name: release.name, namespace: release.namespace, context: layout.target.context });
  }
  await helm(upgradeInstallArgv(release, layout.target, layout.cacheDir), { timeoutMs: helmTimeoutMs(release), label: `upgrade --install ${release.name}` });
}

const isNgsharePod = (pod: V1Pod) => pod.metadata?.labels?.['app.kubernetes.io/instance'] === 'ngshare';

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

/** Creates the users if need be, starts their servers and waits until each is ready. */
export async function startUserServers(run: Run, client: HubClient, kube: Kube, users: string[]): Promise<void> {
  await Promise.all(
    users.map(async (user) => {
      if (!run.ledger.list().some((r) => r.kind === 'hub-user' && r.name === user)) run.ledger.record({ kind: 'hub-user', name: user });
      await client.ensureUser(user);
      await client.startServer(user);
      const failFast = async () => {
        const pod = await kube.userPod(user).catch(() => undefined);
        const problem = pod && podProblem(pod, 0);
        if (problem) throw new HarnessError('server', `${user}'s server cannot start: ${problem}`);
      };
      await client.awaitServerReady(user, kubeTimeouts.serverMs, failFast);
      log.info(`${user}'s server ready`);
    }),
  );
}

/** Stops the users' servers and waits until their pods are gone (a new start gets a new pod). */
export async function stopUserServers(client: HubClient, kube: Kube, users: string[]): Promise<void> {
  await Promise.all(users.map((u) => client.stopServer(u)));
  await waitFor(async () => ((await Promise.all(users.map((u) => kube.userPod(u)))).some(Boolean) ? undefined : true), {
    what: `the servers of ${users.join(', ')} stopped`,
    timeoutMs: 3 * 60_000,
    intervalMs: 1_000,
  });
}
