/**
 * The run's users and their servers, through the Hub API: created (recorded in the run's ledger
 * first, so teardown knows them), servers started and awaited, with the user's pod watched so a
 * server that cannot start (crash loop, image pull error) ends the wait at once instead of at the
 * bound; and stopped again until their pods are gone.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import type { HubClient } from '../hub-client.js';
import { logger } from '../log.js';
import type { Ledger } from '../run/index.js';
import { waitFor } from '../wait.js';
import { kubeTimeouts } from './kube-types.js';
import { podProblem } from './pod-status.js';

const log = logger('platform');

/** Where a user's server pod is found (kube-api's Kube). */
export interface UserPods {
  userPod(user: string): Promise<V1Pod | undefined>;
}

/** Creates the users if need be, starts their servers and waits until each is ready. */
export async function startUserServers(ledger: Ledger, client: HubClient, pods: UserPods, users: string[]): Promise<void> {
  await Promise.all(
    users.map(async (user) => {
      ledger.recordOnce({ kind: 'hub-user', name: user });
      await client.ensureUser(user);
      await client.startServer(user);
      const failFast = async () => {
        const pod = await pods.userPod(user).catch(() => undefined);
        const problem = pod && podProblem(pod, 0);
        if (problem) throw new HarnessError('server', `${user}'s server cannot start: ${problem}`);
      };
      await client.awaitServerReady(user, kubeTimeouts.serverMs, failFast);
      log.info(`${user}'s server ready`);
    }),
  );
}

/** Creates the users if need be, without servers (a user's identity only). */
export async function createUsers(ledger: Ledger, client: HubClient, users: string[]): Promise<void> {
  for (const user of users) {
    ledger.recordOnce({ kind: 'hub-user', name: user });
    await client.ensureUser(user);
  }
}

/** Stops the users' servers and waits until their pods are gone (a new start gets a new pod). */
export async function stopUserServers(client: HubClient, pods: UserPods, users: string[]): Promise<void> {
  await Promise.all(users.map((u) => client.stopServer(u)));
  await waitFor(async () => ((await Promise.all(users.map((u) => pods.userPod(u)))).some(Boolean) ? undefined : true), {
    what: `the servers of ${users.join(', ')} stopped`,
    timeoutMs: 3 * 60_000,
    intervalMs: 1_000,
  });
}
