/**
 * A documented fix applied the way the tutorial applies it: the values change, `helm upgrade`,
 * then restart what the change affects — ngshare's pod (`kubectl delete pod -l
 * app.kubernetes.io/instance=ngshare`), user servers for a new postStart (a running pod keeps the
 * old one). Used by the troubleshooting scenarios through the stack's Redeploy ability.
 */
import { HubClient } from '../hub-client.js';
import { logger } from '../log.js';
import type { StackVariant } from '../config.js';
import type { Run } from '../run/index.js';
import { awaitStackRollout, installRelease, loadImages, renderForHelm, startUserServers, stopUserServers, writeValuesFiles } from './install.js';
import type { Kube } from './kube-api.js';
import type { KubeDetails, KubeState } from './kube-details.js';
import { buildLayout, type KubeLayout } from './layout.js';
import type { KubePlatform } from './kube-details.js';

const log = logger('platform');

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
        bakedImage: details.bakedImage,
      },
    },
  };
  return buildLayout(platform, ctx, { variant });
}

export async function redeployStack(run: Run, state: KubeState, kube: Kube, hubToken: string, variant: StackVariant): Promise<void> {
  const details = state.details;
  const before = details.variant ?? {};
  const layout = layoutOfStack(run, state.platform, details, variant);
  const rendered = renderForHelm(layout, run);
  if (layout.kind) await loadImages(layout);
  writeValuesFiles(layout, rendered);
  await installRelease(run, layout, layout.releases.ngshare);
  await installRelease(run, layout, layout.releases.hub);
  details.variant = variant;
  run.stack.save(state);

  const ngshareChanged = before.ngshareStorageNotWritable !== variant.ngshareStorageNotWritable || before.ngshareSqlalchemy2 !== variant.ngshareSqlalchemy2;
  if (ngshareChanged) {
    const deleted = await kube.deletePods('app.kubernetes.io/instance=ngshare');
    log.info(`ngshare pods deleted so the new values apply: ${deleted.join(', ') || 'none'}`);
  }
  await awaitStackRollout(kube, layout);
  if (before.withoutNbgrader !== variant.withoutNbgrader) {
    const client = new HubClient(state.hubApiUrl, hubToken);
    const users = [state.users.instructor, state.users.student];
    await stopUserServers(client, kube, users);
    await startUserServers(run, client, kube, users);
  }
}
