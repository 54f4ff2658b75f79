/**
 * The jetstream driver's `up` and `down` really run, against a fake `helm` on PATH and a fake API
 * server on 127.0.0.1: the commands it runs are the ones its plan prints, the namespace carries
 * the run's label, the hub's release has the run's name, the values files hold the secrets (mode
 * 0600), everything is in the ledger as soon as it exists, and `down` removes exactly that. The hub
 * never answers here (no proxy pod behind the port-forward), so `up` stops at that wait, which
 * names why in seconds instead of waiting out its bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { HarnessError } from '../errors.js';
import { openRun, shortRunId } from '../run/index.js';
import { kubeTimeouts } from './kube-types.js';
import { JetstreamDriver } from './jetstream-driver.js';
import type { KubeDetails } from './kube-types.js';
import { fakeServer, kubeconfigFor, tempTree, type FakeServer } from '../../fixtures/fakes.js';
import { formatArgv } from '../shell.js';

/** Namespaces that can be created, read and deleted; three ready deployments; no pods; no events. */
async function fakeCluster(): Promise<FakeServer> {
  const namespaces = new Map<string, unknown>();
  const ready = (name: string) => ({
    metadata: { name, generation: 1 },
    spec: { replicas: 1 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  });
  return fakeServer((method, url, body) => {
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url)?.[1];
    if (url === '/version') return [200, { gitVersion: 'v1.33.1', major: '1', minor: '33' }];
    // The user may do everything (a user with fewer rights meets a real API server in the kube project).
    if (method === 'POST' && url === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      return [201, { ...(JSON.parse(body) as object), status: { allowed: true } }];
    }
    if (method === 'POST' && url === '/api/v1/namespaces') {
      const created = JSON.parse(body) as { metadata: { name: string } };
      namespaces.set(created.metadata.name, created);
      return [201, created];
    }
    if (ns && method === 'GET') return namespaces.has(ns) ? [200, namespaces.get(ns)] : undefined;
    if (ns && method === 'DELETE') {
      namespaces.delete(ns);
      return [200, { kind: 'Status', status: 'Success' }];
    }
    if (/\/deployments$/.test(url)) return [200, { items: [ready('hub'), ready('proxy'), ready('ngshare')] }];
    if (/\/(pods|events)$/.test(url)) return [200, { items: [] }];
    return undefined;
  });
}

/** A helm that records its argv (one JSON line each) and answers as the real one would. */
function fakeHelm(logFile: string): string {
  const dir = tempTree('fake-helm-', {});
  fs.writeFileSync(
    path.join(dir, 'helm'),
    [
      '#!/bin/sh',
      `node -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)) + "\\n")' ${logFile} "$@"`,
      'case "$1 $2" in',
      '  "version --short") echo "v3.18.4+g1234567" ;;',
      '  "search repo") echo "[{\\"name\\":\\"$3\\",\\"version\\":\\"$5\\"}]" ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return dir;
}

test('jetstream up runs what its plan prints, records it all, and down removes exactly that', async () => {
  test.setTimeout(120_000);
  const cluster = await fakeCluster();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jetstream-up-'));
  const helmLog = path.join(root, 'helm-argv.jsonl');
  const savedPath = process.env.PATH;
  const savedHubMs = kubeTimeouts.hubMs;
  process.env.PATH = `${fakeHelm(helmLog)}${path.delimiter}${savedPath}`;
  kubeTimeouts.hubMs = 60_000;
  try {
    const kubeconfig = kubeconfigFor(cluster.url, ['course']);
    const config = readConfig({ E2E_PLATFORM: 'jetstream', E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache'), E2E_KUBECONFIG: kubeconfig });
    const run = openRun(config);
    const driver = new JetstreamDriver();

    const checks = await driver.preflight(run);
    expect(checks.map((c) => `${c.name}: ${c.ok}`)).toEqual(['helm: true', 'kubeconfig: true', 'cluster: true', 'permissions: true']);

    // No proxy pod behind the port-forward: the wait for the hub says so in seconds, not at its bound.
    const started = Date.now();
    const failure = await driver.up(run).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HarnessError);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^port-forward: the hub at http://127\\.0\\.0\\.1:\\d+/hub/api cannot be reached: 3 connections through the port-forward to pod \\(none ready\\) port 8000 failed; the last: no ready pod with component=proxy in ${run.id}`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(30_000);

    // The commands run are the plan's commands, in the plan's order.
    const plan = await driver.plan(run);
    const planned = plan.steps.flatMap((s) => s.commands ?? []).map((c) => formatArgv(c.slice(1)));
    const ran = fs
      .readFileSync(helmLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => formatArgv(JSON.parse(l) as string[]));
    expect(ran.filter((c) => !c.startsWith('version'))).toEqual(planned);

    // Namespace labelled with the run; values files private and unmasked; everything in the ledger.
    expect(cluster.requests).toContain('POST /api/v1/namespaces');
    const valuesFile = path.join(run.dirs.path('values'), 'jupyterhub', '02-jupyterhub-ngshare-service.yaml');
    expect(fs.statSync(valuesFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(valuesFile, 'utf8')).toContain(run.secrets.get('ngshareApiToken'));
    const kinds = run.ledger.list().map((r) => `${r.kind}${'name' in r ? ` ${r.name}` : ''}`);
    const hubRelease = `e2e-${shortRunId(run.id)}-jhub`;
    expect(kinds).toEqual([`namespace ${run.id}`, 'helm-release ngshare', `helm-release ${hubRelease}`, 'port-forward']);
    const state = run.stack.load();
    expect(state.hubUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((state.details as KubeDetails).namespace).toBe(run.id);

    // down: uninstall both, delete the run's namespace, stop the forwarder; nothing left recorded.
    await driver.down(run);
    const uninstalls = fs
      .readFileSync(helmLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[])
      .filter((a) => a[0] === 'uninstall')
      .map((a) => a[1]);
    expect(uninstalls).toEqual([hubRelease, 'ngshare']);
    expect(cluster.requests).toContain(`DELETE /api/v1/namespaces/${run.id}`);
    expect(run.ledger.list()).toEqual([]);
    // Safe to call twice.
    await driver.down(run);
  } finally {
    process.env.PATH = savedPath;
    kubeTimeouts.hubMs = savedHubMs;
    cluster.close();
  }
});
