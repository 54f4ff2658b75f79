/**
 * Removing what a Kubernetes run created, from its ledger, newest first: each removal is forgotten
 * as soon as it is done, so a second `down` only retries what failed. What every platform removes
 * the same way is here (the port-forward, a Helm release, a namespace the run owns); a driver
 * handles the rest (a kind cluster, hub users of an existing release, a control plane).
 */
import { HarnessError, errorMessage } from '../errors.js';
import { logger } from '../log.js';
import type { Resource, Run } from '../run/index.js';
import { waitFor } from '../wait.js';
import { helm, isReleaseNotFound, uninstallArgv } from './helm.js';
import { Kube } from './kube-api.js';
import type { KubeDetails } from './kube-types.js';
import { stopForwardDaemon } from './port-forward.js';

const log = logger('platform');

/** Applies `remove` to every resource of the ledger, newest first; one error naming every resource that is left. */
export async function removeRecorded(run: Run, platform: string, remove: (r: Resource) => Promise<boolean>): Promise<void> {
  const failures: string[] = [];
  for (const r of [...run.ledger.list()].reverse()) {
    try {
      if (await remove(r)) run.ledger.forget((x) => JSON.stringify(x) === JSON.stringify(r));
    } catch (err) {
      failures.push(`${r.kind} ${'name' in r ? r.name : 'pid' in r ? r.pid : ''}: ${errorMessage(err).split('\n')[0]}`);
    }
  }
  if (failures.length)
    throw new HarnessError(platform, `teardown left ${failures.length} resource(s); \`npm run down -- ${run.id}\` retries`, failures.join('\n'));
}

/** helm uninstall, namespace deletion (label-checked) and the port-forward; false for a resource of another kind. */
export async function removeCommon(run: Run, r: Resource, details: KubeDetails | undefined): Promise<boolean> {
  switch (r.kind) {
    case 'port-forward':
      stopForwardDaemon(r.pid, run.id);
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
