/**
 * Names and values layers per platform and per troubleshooting variant: what a run installs when
 * it reproduces a mistake of the tutorial, and what the documented fix changes back.
 */
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { planningRun, shortRunId, type Run } from '../run/index.js';
import type { KubeDetails } from './kube-types.js';
import { buildLayout, kubeSecrets, layoutOfStack, renderLayers, runNames } from './layout.js';
import { mergeLayers } from './values.js';

const runId = 'e2e-20261126-112233-ab12';

function context(env: Record<string, string> = {}): Run {
  const config = readConfig({ E2E_ROOT_DIR: '/e2e-root', E2E_CACHE_DIR: '/e2e-cache', ...env });
  const run = planningRun(config, runId);
  for (const name of kubeSecrets) run.secrets.set(name, `${name}-0123456789abcdef`);
  return run;
}

const get = (v: unknown, dotted: string) => dotted.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], v);

test("kind keeps the tutorial's names; a shared cluster gets run-unique ones", () => {
  expect(shortRunId(runId)).toBe('112233ab12');
  expect(runNames('kind', runId)).toEqual({ instructor: 'instructor1', student: 'student1', courseId: 'course101' });
  expect(runNames('jetstream', runId)).toEqual({
    instructor: 'e2e-112233ab12-instructor',
    student: 'e2e-112233ab12-student',
    courseId: 'course101-112233ab12',
  });
  // z2jh names its cluster-scoped objects after the release: on a shared cluster the hub's is the run's own.
  const jetstream = buildLayout('jetstream', context({ E2E_KUBECONFIG: '/nonexistent/kubeconfig' }));
  expect([jetstream.releases.ngshare.name, jetstream.releases.hub.name]).toEqual(['ngshare', 'e2e-112233ab12-jhub']);
  expect(buildLayout('kind', context()).releases.hub.name).toBe('jhub');
  expect(buildLayout('jetstream', context({ E2E_KUBECONFIG: '/nonexistent/kubeconfig', E2E_EXISTING_RELEASE: '1' })).releases.hub.name).toBe('jhub');
});

test("withoutNbgrader: the values file that installs nbgrader is not passed, as in the tutorial's mistake", () => {
  const layout = buildLayout('kind', context({ E2E_BAKED_IMAGE: '1' }), { variant: { withoutNbgrader: true } });
  expect(layout.baked).toBeUndefined(); // nothing to bake: the stock image
  const rendered = renderLayers(layout, context());
  expect(rendered.jupyterhub.map((l) => l.file)).toEqual([
    '01-jupyterhub.yaml',
    '02-jupyterhub-ngshare-service.yaml',
    '90-e2e-test.yaml',
    '91-kind-jupyterhub.yaml',
  ]);
  expect(rendered.skipped).toEqual([
    { file: 'project cluster/kube/values/jupyterhub-singleuser-nbgrader.yaml', reason: 'left out by the variant withoutNbgrader' },
  ]);
  expect(get(mergeLayers(rendered.jupyterhub), 'singleuser.lifecycleHooks')).toBeUndefined();
});

test("ngshareStorageNotWritable: the volume is left root-owned 0755 instead of the tutorial's fix; without the variant the fix is back", () => {
  const broken = mergeLayers(renderLayers(buildLayout('kind', context(), { variant: { ngshareStorageNotWritable: true } }), context()).ngshare);
  const init = get(broken, 'deployment.initContainers') as Array<{ name: string; command: string[] }>;
  expect(init.map((c) => c.name)).toEqual(['storage-ignores-fsgroup']);
  expect(init[0].command[2]).toBe('chown 0:0 /srv/ngshare && chmod 0755 /srv/ngshare');
  const fixed = mergeLayers(renderLayers(buildLayout('kind', context()), context()).ngshare);
  expect((get(fixed, 'deployment.initContainers') as Array<{ name: string; command: string[] }>)[0]).toMatchObject({
    name: 'fix-permissions',
    command: ['sh', '-c', 'chown -R 65535:1000 /srv/ngshare && chmod -R 0770 /srv/ngshare'],
  });
});

test('ngshareSqlalchemy2 (kind only): ngshare runs from the image the harness builds and loads', () => {
  const layout = buildLayout('kind', context(), { variant: { ngshareSqlalchemy2: true } });
  expect(layout.ngshareImage).toMatchObject({
    name: 'nbgrader-ngshare-e2e/ngshare',
    dockerfile: 'ngshare-sqlalchemy2.Dockerfile',
    buildArgs: { BASE_IMAGE: 'libretexts/ngshare:v0.6.0', SQLALCHEMY_VERSION: '2.0.48' },
  });
  const values = mergeLayers(renderLayers(layout, context()).ngshare);
  expect(get(values, 'image')).toEqual({ repository: 'nbgrader-ngshare-e2e/ngshare', tag: layout.ngshareImage!.tag, pullPolicy: 'IfNotPresent' });
  expect(() => buildLayout('jetstream', context({ E2E_KUBECONFIG: '/k' }), { variant: { ngshareSqlalchemy2: true } })).toThrow(/--platform kind/);
});

test("singleuserEgressBlocked: the chart's default egress policy comes back over kind's allowance", () => {
  const values = mergeLayers(renderLayers(buildLayout('kind', context(), { variant: { singleuserEgressBlocked: true } }), context()).jupyterhub);
  expect(get(values, 'singleuser.networkPolicy.egressAllowRules.privateIPs')).toBe(false);
  expect(get(mergeLayers(renderLayers(buildLayout('kind', context()), context()).jupyterhub), 'singleuser.networkPolicy.egressAllowRules.privateIPs')).toBe(
    true,
  );
});

test('an existing release is tested as it is: no variant applies', () => {
  expect(() => buildLayout('jetstream', context({ E2E_KUBECONFIG: '/k', E2E_EXISTING_RELEASE: '1' }), { variant: { withoutNbgrader: true } })).toThrow(
    "usage: an existing release is tested as it is; the variant withoutNbgrader needs an install of the run's own",
  );
});

test("a redeploy renders from the stack's own state, not from the flags of the process that runs it", () => {
  const details: KubeDetails = {
    target: { kubeconfig: '/home/op/.kube/jetstream', context: 'course' },
    namespace: 'e2e-20261126-112233-ab12',
    existingRelease: false,
    releases: { ngshare: 'ngshare', hub: 'jhub' },
    tokenSecret: 'harnessApiToken',
    variant: {},
    bakedImage: false,
  };
  const run = context({ E2E_KUBECONFIG: '/elsewhere', E2E_NAMESPACE: 'other' });
  const layout = layoutOfStack(run, 'jetstream', details, { withoutNbgrader: true });
  expect(layout.target).toEqual(details.target);
  expect(layout.namespace).toBe('e2e-20261126-112233-ab12');
  expect(layout.variant).toEqual({ withoutNbgrader: true });
});
