/**
 * Finding kind, helm and docker, and what a failed command says. The tools are fakes: small
 * scripts in a temporary PATH that print what the real ones print.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { HarnessError, PrerequisiteError } from '../errors.js';
import { assertChartListed, explainHelmFailure, helm } from './helm.js';
import { runClusters } from './kind.js';
import { kindConfigYaml } from './layout.js';
import { checkTools, compareVersions, parseToolVersion } from './tools.js';
import { formatArgv } from '../shell.js';
import { requireChecks } from '../preflight.js';
import YAML from 'yaml';

function fakeTools(scripts: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-tools-'));
  for (const [name, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return `${dir}:/usr/bin:/bin`;
}

test('versions compare numerically and are read from what each tool prints', () => {
  expect(compareVersions('0.29.0', '0.29.0')).toBe(0);
  expect(compareVersions('0.30.0', '0.29.1')).toBe(1);
  expect(compareVersions('3.9.0', '3.10.0')).toBe(-1);
  expect(parseToolVersion('kind', 'kind v0.29.0 go1.24.2 linux/amd64')).toBe('0.29.0');
  expect(parseToolVersion('helm', 'v3.18.4+gd80839c')).toBe('3.18.4');
  expect(parseToolVersion('docker', 'Docker version 28.2.2, build e6534b4')).toBe('28.2.2');
  expect(parseToolVersion('docker', 'podman version 5.0.0')).toBeUndefined();
});

test('preflight names what is missing and what is too old, with the version it needs', async () => {
  const PATH = fakeTools({
    kind: 'echo "kind v0.20.0 go1.20.4 linux/amd64"',
    docker: 'echo "Docker version 28.2.2, build e6534b4"',
  });
  const checks = await checkTools(['kind', 'helm', 'docker'], { PATH });
  expect(checks).toEqual([
    { name: 'kind', ok: false, detail: '0.20.0 is too old (need >= 0.29.0; https://kind.sigs.k8s.io/docs/user/quick-start/#installation)' },
    { name: 'helm', ok: false, detail: 'not found on PATH (need >= 3.7.0; https://helm.sh/docs/intro/install/)' },
    { name: 'docker', ok: true, detail: '28.2.2 (need >= 20.10.0)' },
  ]);
  expect(() => requireChecks('kind', checks)).toThrow(PrerequisiteError);
  expect(() => requireChecks('kind', checks)).toThrow(
    /^kind: missing prerequisites \(nothing was created\)\n- kind: 0\.20\.0 is too old[^\n]*\n- helm: not found on PATH/,
  );
});

test('a tool that fails its version command is reported with what it printed', async () => {
  const PATH = fakeTools({ helm: 'echo "Error: unknown flag: --short" >&2; exit 1' });
  const [check] = await checkTools(['helm'], { PATH });
  expect(check).toEqual({ name: 'helm', ok: false, detail: '`helm version --short` failed (exit 1): Error: unknown flag: --short' });
});

test('a missing chart repository fails with the tool, the command and the reason, fast', async () => {
  const PATH = fakeTools({
    helm: 'echo \'Error: looks like "https://libretexts.github.io/ngshare-helm-repo/" is not a valid chart repository or cannot be reached: Get "https://libretexts.github.io/ngshare-helm-repo/index.yaml": dial tcp: lookup libretexts.github.io: no such host\' >&2; exit 1',
  });
  const failure = helm(['repo', 'add', 'ngshare', 'https://libretexts.github.io/ngshare-helm-repo/'], { PATH, label: 'repo add ngshare' });
  await expect(failure).rejects.toThrow(HarnessError);
  await expect(failure).rejects.toThrow(
    /^helm: repo add ngshare failed \(exit 1\): the chart repository cannot be read \(no network, a proxy, or a wrong URL\)\nError: looks like/,
  );
});

test('Helm failures the harness knows get a sentence for a person', () => {
  expect(explainHelmFailure('Error: repo ngshare not found')).toMatch(/missing from the harness's Helm repository list/);
  expect(explainHelmFailure('Error: chart "ngshare" version "9.9.9" not found in https://x repository')).toBe(
    'the pinned chart version is not in the repository',
  );
  expect(
    explainHelmFailure('Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused'),
  ).toBe('the cluster does not answer');
  expect(explainHelmFailure('something new')).toBeUndefined();
});

test('a chart version the repository does not list is an error that says what it does list', () => {
  const ngshareRepo = 'https://libretexts.github.io/ngshare-helm-repo/';
  expect(() => assertChartListed('ngshare/ngshare', '0.6.0', '[]', ngshareRepo)).toThrow(
    'helm: chart ngshare/ngshare 0.6.0 is not in the chart repository ngshare (https://libretexts.github.io/ngshare-helm-repo/)',
  );
  const hubRepo = 'https://hub.jupyter.org/helm-chart/';
  expect(() => assertChartListed('jupyterhub/jupyterhub', '4.3.3', JSON.stringify([{ name: 'jupyterhub/jupyterhub', version: '4.3.2' }]), hubRepo)).toThrow(
    /listed: jupyterhub\/jupyterhub 4\.3\.2/,
  );
  expect(() =>
    assertChartListed('jupyterhub/jupyterhub', '4.3.3', JSON.stringify([{ name: 'jupyterhub/jupyterhub', version: '4.3.3' }]), hubRepo),
  ).not.toThrow();
});

test('commands are shown as a person would type them', () => {
  expect(formatArgv(['helm', 'upgrade', '--install', 'jhub', "it's here", '<output-dir>/logs', 'a b'])).toBe(
    "helm upgrade --install jhub 'it'\\''s here' <output-dir>/logs 'a b'",
  );
});

test('the kind config: named and labelled by the run, pinned node image, everything on 127.0.0.1', () => {
  const config: unknown = YAML.parse(kindConfigYaml('e2e-20261126-112233-ab12', 'e2e-20261126-112233-ab12'));
  expect(config).toEqual({
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: 'e2e-20261126-112233-ab12',
    networking: { apiServerAddress: '127.0.0.1' },
    nodes: [
      {
        role: 'control-plane',
        image: 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f',
        labels: { 'nbgrader-e2e/run': 'e2e-20261126-112233-ab12' },
        extraPortMappings: [{ containerPort: 30080, listenAddress: '127.0.0.1', protocol: 'TCP' }],
      },
    ],
  });
});

test("only clusters named like a run are the harness's", () => {
  expect(runClusters('kind\ne2e-20261126-112233-ab12\nmy-dev\ne2e-20261125-010203-ffff\n')).toEqual(['e2e-20261126-112233-ab12', 'e2e-20261125-010203-ffff']);
});
