/**
 * The Kubernetes drivers' folder stays flat enough to read: every file has its layer (see the top
 * of kube-types.ts), imports only from layers below its own (kube-types.ts, the shared vocabulary,
 * from anywhere), no chain of imports is longer than four files, and nothing imports itself back,
 * not even through types. A new file must be given its layer here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));

const layers: Record<string, 0 | 1 | 2 | 3 | 4> = {
  'kube-types.ts': 0,
  // 1: tools and APIs, each on its own
  'tools.ts': 1,
  'kind.ts': 1,
  'kubeconfig.ts': 1,
  'pod-status.ts': 1,
  'exec.ts': 1,
  'values.ts': 1,
  'charts.ts': 1,
  'control-plane/certs.ts': 1,
  'control-plane/components.ts': 1,
  'control-plane/kwok-config.ts': 1,
  'control-plane/objects.ts': 1,
  // 2: clients and decisions
  'helm.ts': 2,
  'docker.ts': 2,
  'kube-api.ts': 2,
  'port-forward.ts': 2,
  'layout.ts': 2,
  'user-servers.ts': 2,
  'control-plane/kwok-mappings.ts': 2,
  'control-plane/storage.ts': 2,
  // 3: install steps, the stack, the control plane
  'install.ts': 3,
  'kube-stack.ts': 3,
  'run-steps.ts': 3,
  'teardown.ts': 3,
  'port-forward-daemon.ts': 3,
  'control-plane/control-plane.ts': 3,
  // 4: drivers
  'kind-driver.ts': 4,
  'jetstream-driver.ts': 4,
  'kwok-driver.ts': 4,
};

/** Every non-test source file of the folder, relative to it. */
function sources(dir = here): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    // values/ holds YAML; on-control-plane/ is the kube project's tests and their fixture.
    if (e.isDirectory()) return e.name === 'values' || e.name === 'on-control-plane' ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.(test|spec)\.ts$/.test(e.name) ? [path.relative(here, p)] : [];
  });
}

/** The files of this folder a file imports (values and types alike). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(here, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)]
    .map((m) => path.relative(here, path.resolve(path.dirname(path.join(here, file)), m[1].replace(/\.js$/, '.ts'))))
    .filter((f) => !f.startsWith('..'));
}

test('every file of cluster/kube has a layer, and imports only from the layers below it', () => {
  const files = sources();
  expect(
    files.filter((f) => !(f in layers)),
    'files without a layer (add them to this test)',
  ).toEqual([]);
  const upward = files.flatMap((f) =>
    importsOf(f)
      .filter((to) => layers[to] !== 0 && layers[to] >= layers[f])
      .map((to) => `${f} (${layers[f]}) → ${to} (${layers[to]})`),
  );
  expect(upward).toEqual([]);
});

test('no chain of imports in cluster/kube is longer than four files, and there is no cycle', () => {
  const depth = new Map<string, string[]>();
  const chain = (f: string, seen: string[]): string[] => {
    if (seen.includes(f)) throw new Error(`import cycle: ${[...seen, f].join(' → ')}`);
    if (layers[f] === 0) return []; // the shared vocabulary does not stack
    const known = depth.get(f);
    if (known) return known;
    const longest = importsOf(f)
      .map((to) => chain(to, [...seen, f]))
      .reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
    depth.set(f, [f, ...longest]);
    return [f, ...longest];
  };
  const longest = sources()
    .map((f) => chain(f, []))
    .reduce((a, b) => (b.length > a.length ? b : a));
  expect(longest.length, longest.join(' → ')).toBeLessThanOrEqual(4);
});
