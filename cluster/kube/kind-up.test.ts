/**
 * The kind driver from preflight to down, for real, against fakes that answer as the real things
 * do, all on this machine: `kind`, `helm` and `docker` on PATH (they record their argv), a Docker
 * engine on a unix socket, an API server and a hub on 127.0.0.1. What it checks: the commands run
 * are the plan's; the hub URL is the port Docker published; users are made and their servers
 * started; the diagnostics bundle has secrets masked; kind's logs are exported before the cluster
 * is deleted; nothing recorded is left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { openRun } from '../run/index.js';
import { canRedeploy, type Redeploy, type Stack } from '../platform.js';
import { KindDriver } from './kind-driver.js';
import type { KubeDetails, KubeState } from './kube-types.js';
import { fakeServer, kubeconfigFor, tempTree, writeFakeKind } from '../../fixtures/fakes.js';
import { formatArgv } from '../shell.js';

/** kind (the shared fake), helm and docker as small node scripts: argv to a log, answers from a state directory. */
function fakeTools(stateDir: string, apiServer: string): string {
  const bin = tempTree('fake-kube-tools-', {});
  const log = `require('fs').appendFileSync(${JSON.stringify(path.join(stateDir, 'argv.jsonl'))}, JSON.stringify([require('path').basename(process.argv[1]), ...process.argv.slice(2)]) + '\\n');`;
  // kind's clusters get the fake API server under the context kind names them by.
  writeFakeKind(bin, stateDir, fs.readFileSync(kubeconfigFor(apiServer, ['kind-__CLUSTER__']), 'utf8'), log);
  const scripts: Record<string, string> = {
    helm: `
      const a = process.argv.slice(2);
      if (a[0] === 'version') console.log('v3.18.4+g1234567');
      if (a[0] === 'search') console.log(JSON.stringify([{ name: a[2], version: a[4] }]));`,
    docker: `console.log('Docker version 28.2.2, build e6534b4');`,
  };
  for (const [name, body] of Object.entries(scripts)) fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env node\n${log}\n${body}\n`, { mode: 0o755 });
  return bin;
}

test('kind: preflight, up, diagnostics and down, against fakes of kind, helm, Docker, the API server and the hub', async () => {
  test.setTimeout(120_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kind-up-'));
  const ready = (name: string) => ({
    metadata: { name, generation: 1, labels: { chart: name === 'ngshare' ? 'ngshare-0.6.0' : 'jupyterhub-4.3.3' } },
    spec: { replicas: 1 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  });
  const namespaces = new Map<string, unknown>();
  const ngsharePod = {
    metadata: { name: 'ngshare-5d8-x2x', labels: { 'app.kubernetes.io/instance': 'ngshare' } },
    spec: { containers: [{ name: 'ngshare' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'ngshare', ready: true, restartCount: 0, image: 'libretexts/ngshare:v0.6.0', imageID: '', state: { running: {} } }],
    },
  };
  const api = await fakeServer((method, url, body) => {
    if (url === '/version') return [200, { gitVersion: 'v1.33.1' }];
    if (method === 'POST' && url === '/api/v1/namespaces') {
      const ns = JSON.parse(body) as { metadata: { name: string } };
      namespaces.set(ns.metadata.name, ns);
      return [201, ns];
    }
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url)?.[1];
    if (ns) return namespaces.has(ns) ? [200, namespaces.get(ns)] : [404, { kind: 'Status', code: 404 }];
    if (url.endsWith('/deployments')) return [200, { items: [ready('hub'), ready('proxy'), ready('ngshare'), ready('user-scheduler')] }];
    if (url.endsWith('/pods')) return [200, { items: [ngsharePod] }];
    if (method === 'DELETE' && url.endsWith(`/pods/${ngsharePod.metadata.name}`)) return [200, ngsharePod];
    if (url.endsWith('/events')) return [200, { items: [] }];
    return undefined;
  });
  const users = new Map<string, { started: boolean }>();
  const hub = await fakeServer((method, url) => {
    if (url === '/hub/api/' || url === '/hub/api') return [200, { version: '5.4.4' }];
    const m = /^\/hub\/api\/users\/([^/]+)(\/server)?$/.exec(url);
    if (!m) return undefined;
    const name = decodeURIComponent(m[1]);
    if (m[2] && method === 'POST') {
      users.get(name)!.started = true;
      return [201, {}];
    }
    if (m[2] && method === 'DELETE') {
      users.get(name)!.started = false;
      return [204, ''];
    }
    if (method === 'POST') {
      users.set(name, { started: false });
      return [201, { name, admin: false }];
    }
    const u = users.get(name);
    return u
      ? [200, { name, admin: false, servers: u.started ? { '': { name: '', ready: true, pending: null, url: `/user/${name}/` } } : {} }]
      : [404, { message: 'no such user' }];
  });
  const runId = 'e2e-20261126-120000-beef';
  const dockerSocket = path.join(root, 'docker.sock');
  const docker = await fakeServer((method, url) => {
    if (url === '/_ping') return [200, 'OK'];
    if (url === '/info') return [200, { ServerVersion: '28.2.2', NCPU: 4, MemTotal: 16 * 2 ** 30, CgroupVersion: '2', CgroupDriver: 'systemd' }];
    if (url === `/containers/${runId}-control-plane/json`)
      return [200, { NetworkSettings: { Ports: { '30080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hub.port) }] } } }];
    return undefined;
  }, dockerSocket);
  const toolState = fs.mkdtempSync(path.join(root, 'tools-'));
  const saved = { PATH: process.env.PATH, DOCKER_HOST: process.env.DOCKER_HOST };
  process.env.PATH = `${fakeTools(toolState, `http://127.0.0.1:${api.port}`)}${path.delimiter}${saved.PATH}`;
  process.env.DOCKER_HOST = `unix://${dockerSocket}`;
  try {
    const run = openRun(readConfig({ E2E_PLATFORM: 'kind', E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache') }), runId);
    const driver = new KindDriver();
    const checks = await driver.preflight(run);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['kind', 'helm', 'docker', 'docker engine', 'docker cpus', 'docker memory', 'cgroup']);

    const state = await driver.up(run);
    expect(state.hubUrl).toBe(`http://127.0.0.1:${hub.port}`);
    expect(state.users).toEqual({ instructor: 'instructor1', student: 'student1' });
    expect([...users.entries()]).toEqual([
      ['instructor1', { started: true }],
      ['student1', { started: true }],
    ]);
    expect(run.ledger.list().map((r) => `${r.kind} ${'name' in r ? r.name : ''}`.trim())).toEqual([
      `kind-cluster ${runId}`,
      'namespace jhub',
      'helm-release ngshare',
      'helm-release jhub',
      'hub-user instructor1',
      'hub-user student1',
    ]);
    expect(fs.readFileSync(run.dirs.path('kind-config.yaml'), 'utf8')).toContain(`name: ${runId}`);

    // What ran is what the plan says, in order (the version checks of preflight aside).
    const argv = () =>
      fs
        .readFileSync(path.join(toolState, 'argv.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
    const planned = (await driver.plan(run, {})).steps.flatMap((s) => s.commands ?? []).map(formatArgv);
    expect(
      argv()
        .map(formatArgv)
        .filter((c) => !/ (version|--version)( --short)?$/.test(c)),
    ).toEqual(planned);

    // The bundle: what the API server says, the values as Helm got them, with every secret masked.
    const stack = await driver.attach(run.stack.load<KubeDetails>() as KubeState, run);
    const bundle = path.join(run.dirs.outputDir, 'diagnostics', 'test');
    const files = await stack.collectDiagnostics(bundle);
    expect(files.map((f) => path.relative(bundle, f))).toEqual(
      expect.arrayContaining([
        'state.json',
        'pods.txt',
        'events.txt',
        'deployments.txt',
        'logs/hub.log',
        'logs/ngshare.log',
        'health.json',
        'values/jupyterhub/90-e2e-test.yaml',
        'hub-users.json',
        'versions.json',
      ]),
    );
    const everything = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    for (const name of ['ngshareApiToken', 'harnessApiToken', 'userPassword', 'adminPassword']) expect(everything).not.toContain(run.secrets.get(name));
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'versions.json'), 'utf8'))).toMatchObject({
      kubernetes: 'v1.33.1',
      jupyterhub: '5.4.4',
      'chart of hub': 'jupyterhub-4.3.3',
    });

    // A documented fix, applied as the tutorial applies it: helm upgrade with the changed values,
    // then ngshare's pods deleted so they restart; a user-server change restarts the servers.
    expect(canRedeploy(stack)).toBe(true);
    const helmValues = () =>
      argv()
        .filter((a) => a[0] === 'helm' && a[1] === 'upgrade')
        .at(-2)!
        .filter((x) => x.includes('/values/ngshare/'))
        .map((f) => path.basename(f));
    await (stack as Stack & Redeploy).redeploy({ ngshareStorageNotWritable: true, withoutNbgrader: true });
    expect(helmValues()).toEqual(['01-ngshare.yaml', '90-kind-ngshare.yaml', '93-variant-ngshare-storage-not-writable.yaml']);
    expect(api.requests).toContain(`DELETE /api/v1/namespaces/jhub/pods/${ngsharePod.metadata.name}`);
    expect(fs.readdirSync(path.join(run.dirs.path('values'), 'jupyterhub'))).not.toContain('03-jupyterhub-singleuser-nbgrader.yaml');
    expect(hub.requests.filter((r) => r.startsWith('DELETE'))).toEqual(['DELETE /hub/api/users/instructor1/server', 'DELETE /hub/api/users/student1/server']);
    expect([...users.values()].every((u) => u.started)).toBe(true);
    await (stack as Stack & Redeploy).redeploy({});
    expect(helmValues()).toEqual(['01-ngshare.yaml', '90-kind-ngshare.yaml']);
    expect((run.stack.load().details as { variant: unknown }).variant).toEqual({});

    // down: kind's logs first, then the cluster; the ledger is empty; a second down is a no-op.
    await driver.down(run);
    const kindCalls = argv()
      .filter((a) => a[0] === 'kind')
      .map((a) => a.slice(1, 3).join(' '));
    expect(kindCalls.slice(-3)).toEqual(['get clusters', 'export logs', 'delete cluster']);
    expect(fs.existsSync(path.join(run.dirs.outputDir, 'diagnostics', 'kind-logs', 'kind-version.txt'))).toBe(true);
    expect(run.ledger.list()).toEqual([]);
    await driver.down(run);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.DOCKER_HOST === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved.DOCKER_HOST;
    for (const s of [api, hub, docker]) s.close();
  }
});
