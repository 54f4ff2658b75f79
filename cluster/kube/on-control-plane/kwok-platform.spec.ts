/**
 * The kwok platform, as `npm run e2e -- --platform kwok` brings it up (the project's cluster is
 * one): both real charts installed from the workplace's packaged charts, rolled out under kwok,
 * the hub answering through the API server's port-forward (the local platform's real hub behind
 * it), users made through the Hub API, a diagnostics bundle of real objects, and a clear refusal
 * of what needs a process inside a pod.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { rush } from '../../../bench/rush/session.js';
import { logger } from '../../log.js';
import { HubClient } from '../../hub-client.js';
import { lacksServers } from '../../platform.js';
import { simulatedPods } from '../kwok-driver.js';
import { test, expect } from './cluster.fixture.js';

test('the charts are installed from the local source and rolled out, and the hub answers through the port-forward', async ({ cluster }) => {
  const { state, run } = cluster;
  const ns = state.details.namespace;
  const releases = JSON.parse(await cluster.helm(['list', '--namespace', ns, '--output', 'json'])) as Array<{ name: string; chart: string; status: string }>;
  expect(releases.map((r) => `${r.name} ${r.chart} ${r.status}`).sort()).toEqual([
    `${state.details.releases.hub} jupyterhub-4.3.3 deployed`,
    'ngshare ngshare-0.6.0 deployed',
  ]);
  expect(state.details.releases.hub).toMatch(/^e2e-[0-9a-f]{10}-jhub$/);
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items;
  expect(claims.map((c) => `${c.metadata?.name} ${c.spec?.accessModes?.join(',')} ${c.status?.phase}`).sort()).toEqual([
    'hub-db-dir ReadWriteOnce Bound',
    'ngshare-pvc ReadWriteMany Bound',
  ]);
  // Through 127.0.0.1 → the forwarder → the API server → kwok → the local proxy → the local hub.
  expect(state.hubApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hub\/api$/);
  const hub = new HubClient(state.hubApiUrl, run.secrets.get(state.details.tokenSecret));
  expect((await hub.info()).version).toBe('5.4.4');
  for (const user of [state.users.instructor, state.users.student]) expect(await hub.getUser(user)).toMatchObject({ name: user });
  expect(run.ledger.list().map((r) => r.kind)).toEqual(expect.arrayContaining(['process', 'run', 'namespace', 'helm-release', 'port-forward', 'hub-user']));
});

test('what needs a process in a pod is refused with the reason, and the stack says so for scenarios to skip', async ({ cluster }) => {
  const { stack, state } = cluster;
  expect(lacksServers(stack)).toBe(true);
  expect(stack.withoutServers).toBe(simulatedPods);
  await expect(stack.exec(state.users.instructor, 'nbgrader list')).rejects.toThrow(`kwok: cannot run \`nbgrader list\` as instructor1: ${simulatedPods}`);
  await expect(stack.addUsers(['kwok-probe-user'])).rejects.toThrow(/users kwok-probe-user made, but not their servers/);
  const versions = await stack.versions();
  expect(versions).toMatchObject({ platform: 'kwok', kubernetes: 'v1.34.4', jupyterhub: '5.4.4', 'chart of hub': 'jupyterhub-4.3.3' });
  expect(versions.ngshare).toMatch(/^0\.6\.0 \(the local platform's, behind the port-forward\)$/);
});

test('a deadline rush is refused before anything is made: the assignment is released from a server kwok cannot have', async ({ cluster }) => {
  const { stack, run } = cluster;
  const outputs = () => (fs.existsSync(run.config.outputDir) ? fs.readdirSync(run.config.outputDir).filter((d) => d.startsWith('rush-')) : []);
  const before = outputs();
  const attempt = rush({
    stack,
    run,
    sizes: [3],
    settings: { phaseBoundMs: 10_000, lateAfterSeconds: 60, sample: 0, pin: false, removeClassrooms: true },
    config: run.config,
    log: logger('rush'),
    command: 'npm run rush -- --platform kwok --students 3',
  });
  await expect(attempt).rejects.toThrow(`rush: cannot rush on the kwok platform: ${simulatedPods}`);
  expect(outputs(), 'no rush report was started').toEqual(before);
});

test('the diagnostics bundle is made of what the API server says: pods, events, describe, logs through kwok, values, with no secret', async ({
  cluster,
}, testInfo) => {
  const dir = testInfo.outputPath('bundle');
  const files = (await cluster.stack.collectDiagnostics(dir)).map((f) => path.relative(dir, f));
  expect(files).toEqual(expect.arrayContaining(['state.json', 'pods.txt', 'events.txt', 'deployments.txt', 'health.json', 'versions.json', 'logs/hub.log']));
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  expect(read('pods.txt')).toMatch(/^hub-\S+\t1\/1\tRunning\t0\tkwok-node-0$/m);
  expect(read('events.txt')).toMatch(/\tNormal\tScheduled\tPod\/proxy-\S+\tSuccessfully assigned/);
  expect(files.some((f) => /^describe\/ngshare-.*\.yaml$/.test(f))).toBe(true);
  // A pod's log, fetched through the API server from kwok (ClusterLogs): the note that it is simulated.
  expect(read('logs/hub.log')).toContain('This pod is simulated by kwok: nothing runs in it');
  expect(JSON.parse(read('health.json'))).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'hub', ok: true })]));
  const everything = files.map(read).join('\n');
  for (const name of ['ngshareApiToken', 'harnessApiToken', 'userPassword', 'adminPassword', 'localHubToken']) {
    expect(everything).not.toContain(cluster.run.secrets.get(name));
  }
});
