import path from 'node:path';
import { test, expect } from '@playwright/test';
import YAML from 'yaml';
import { HarnessError, UsageError } from '../errors.js';
import {
  fillDeployRepoFile,
  fillTemplate,
  mergeValues,
  parseQuantity,
  readDeployRepo,
  readYamlFile,
  userServerGuarantees,
  valuesYaml,
  type Values,
} from './values.js';
import { tempTree } from '../../fixtures/fakes.js';

const fill = { ngshareApiToken: 'tok-0123456789', courseId: 'course101', ngshareAdmin: 'instructor1', namespace: 'jhub' };

const tempRepo = (files: Record<string, string>) => tempTree('values-test-', files);

const ngshareValues = 'ngshare:\n  hub_api_token: REPLACE_WITH_A_LONG_RANDOM_TOKEN\n  admins: [admin_username]\n';
const serviceValues = 'hub:\n  extraConfig:\n    s: |\n      c.JupyterHub.services.append({"name": "ngshare", "api_token": "REPLACE_WITH_THE_SAME_TOKEN"})\n';
const postStartValues = 'singleuser:\n  lifecycleHooks:\n    postStart:\n      exec:\n        command: [sh, -c, "pip install ngshare-exchange"]\n';

test('layers merge as Helm merges values files: maps key by key, lists replaced, null removes', () => {
  const base = { singleuser: { image: { name: 'a', tag: '1' }, cmd: ['x', 'y'], storage: { type: 'dynamic' } }, hub: { db: { type: 'sqlite-pvc' } } };
  const over = { singleuser: { image: { tag: '2' }, cmd: ['z'], storage: null } };
  expect(mergeValues(base, over)).toEqual({ singleuser: { image: { name: 'a', tag: '2' }, cmd: ['z'] }, hub: { db: { type: 'sqlite-pvc' } } });
  expect(base.singleuser.image.tag).toBe('1'); // inputs are not changed
});

test('project templates: a whole-string placeholder keeps its type; an unknown one is an error, never left in', () => {
  expect(fillTemplate({ port: '${p}', url: 'http://x:${p}/', list: ['${u}'] }, { p: 30080, u: 'instructor1' }, 'f.yaml')).toEqual({
    port: 30080,
    url: 'http://x:30080/',
    list: ['instructor1'],
  });
  expect(() => fillTemplate({ a: { b: 'x ${nope}' } }, {}, 'f.yaml')).toThrow('values: f.yaml: a.b uses ${nope}, which the harness does not provide');
});

test("the deployment repository's placeholders are filled, and the namespace of its URLs follows the install", () => {
  const values = YAML.parse(
    `${ngshareValues}${serviceValues.replace('"api_token"', '"url": "http://ngshare.jhub.svc.cluster.local:8080", "api_token"')}${postStartValues.replace('ngshare-exchange', 'ngshare-exchange; echo COURSE_ID')}`,
  ) as Values;
  const { values: out, changes } = fillDeployRepoFile(values, { ...fill, namespace: 'e2e-ns' }, 'x.yaml');
  const text = JSON.stringify(out);
  expect(text).not.toMatch(/REPLACE_WITH|COURSE_ID|admin_username|\.jhub\./);
  expect((out.ngshare as { hub_api_token: string }).hub_api_token).toBe('tok-0123456789');
  expect(text).toContain('ngshare.e2e-ns.svc.cluster.local');
  expect(changes).toContain('admin_username at ngshare.admins → instructor1');
  expect(changes.some((c) => c.startsWith('COURSE_ID at singleuser.lifecycleHooks.postStart.exec.command[2]'))).toBe(true);
});

test('a placeholder the harness does not know is an error naming the file and the key', () => {
  expect(() => fillDeployRepoFile({ hub: { cookieSecret: 'REPLACE_WITH_A_COOKIE_SECRET' } }, fill, 'secrets.yaml')).toThrow(
    'values: secrets.yaml: hub.cookieSecret has the placeholder REPLACE_WITH_A_COOKIE_SECRET, which the harness does not know how to fill',
  );
});

test('a values file that does not parse is a clear error with the file, line and column', () => {
  const repo = tempRepo({
    'config_standard_storage.yaml': 'hub:\n  db:\n    type: sqlite-pvc\n',
    'nbgrader/ngshare-config.yaml': 'ngshare:\n  admins: [admin_username\n  hub_api_token: x\n',
  });
  let error: unknown;
  try {
    readDeployRepo(repo, fill);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(HarnessError);
  expect((error as Error).message).toMatch(
    new RegExp(`^values: ${path.basename(repo)}/nbgrader/ngshare-config\\.yaml does not parse \\(line \\d+, column \\d+\\): `),
  );
  expect(() => readYamlFile(path.join(repo, 'missing.yaml'), 'missing.yaml')).toThrow('usage: values file missing.yaml cannot be read: ENOENT');
});

test('a deployment repository without what the tutorial needs is refused with what is missing', () => {
  expect(() => readDeployRepo('/no/such/repo', fill)).toThrow(UsageError);
  expect(() => readDeployRepo(tempRepo({ 'README.md': 'x' }), fill)).toThrow(/no config_standard_storage\.yaml/);
  expect(() => readDeployRepo(tempRepo({ 'config_standard_storage.yaml': 'hub: {}\n' }), fill)).toThrow(/no ngshare values/);
  expect(() => readDeployRepo(tempRepo({ 'config_standard_storage.yaml': 'hub: {}\n', 'nbgrader/n.yaml': ngshareValues }), fill)).toThrow(
    /no values file registers the ngshare service/,
  );
  expect(() =>
    readDeployRepo(tempRepo({ 'config_standard_storage.yaml': 'hub: {}\n', 'nbgrader/n.yaml': ngshareValues, 'nbgrader/s.yaml': serviceValues }), fill),
  ).toThrow(/no values file installs ngshare-exchange/);
  const ok = readDeployRepo(
    tempRepo({
      'config_standard_storage.yaml': 'hub: {}\n',
      'nbgrader/n.yaml': ngshareValues,
      'nbgrader/s.yaml': serviceValues,
      'nbgrader/u.yaml': postStartValues,
      'nbgrader/empty.yaml': '',
    }),
    fill,
  );
  expect(ok.ngshare.map((l) => l.file)).toEqual(['01-nbgrader-n.yaml']);
  expect(ok.jupyterhub.map((l) => l.file)).toEqual(['01-config_standard_storage.yaml', '02-nbgrader-s.yaml', '03-nbgrader-u.yaml']);
  expect(ok.skipped).toEqual([{ file: 'nbgrader/empty.yaml', reason: 'empty' }]);
});

test("values are written so that Helm's YAML 1.1 reader gets the strings we mean", () => {
  const text = valuesYaml({ singleuser: { image: { tag: '2025-11-10' } }, flag: 'on', n: 3 });
  expect(text).toContain('tag: "2025-11-10"');
  expect(text).toContain('flag: "on"');
  expect(YAML.parse(text)).toEqual({ singleuser: { image: { tag: '2025-11-10' } }, flag: 'on', n: 3 });
});

test("resource guarantees are read as Kubernetes reads quantities, with the chart's default memory", () => {
  expect(parseQuantity('1G')).toBe(1e9);
  expect(parseQuantity('512Mi')).toBe(512 * 2 ** 20);
  expect(parseQuantity('500m')).toBeCloseTo(0.5);
  expect(parseQuantity(2)).toBe(2);
  expect(userServerGuarantees({ singleuser: { cpu: { guarantee: 1 }, memory: { guarantee: '2G' } } })).toEqual({ cpu: 1, memoryBytes: 2e9 });
  expect(userServerGuarantees({})).toEqual({ cpu: 0, memoryBytes: 1e9 });
});
