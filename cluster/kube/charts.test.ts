/**
 * Where the charts come from: the tutorial's repositories by default; a directory of packaged
 * charts or chart directories, another repository, or one chart of a developer's own instead; and
 * every wrong input named before anything is created.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { UsageError } from '../errors.js';
import { chartRepos } from '../versions.js';
import { chartYamlInTgz, describeSource, resolveChartSources } from './charts.js';
import { tempTree } from '../../fixtures/fakes.js';

const pinned = { jupyterhub: '4.3.3', ngshare: '0.6.0' };
const chartYaml = (name: string, version: string) => `apiVersion: v2\nname: ${name}\nversion: ${version}\n`;

/** A directory with the two charts packaged the way `helm package` writes them (<name>/Chart.yaml inside). */
function packagedCharts(versions = pinned): string {
  const src = tempTree('chart-src-', {
    'jupyterhub/Chart.yaml': chartYaml('jupyterhub', versions.jupyterhub),
    'jupyterhub/values.yaml': 'hub: {}\n',
    'ngshare/Chart.yaml': chartYaml('ngshare', versions.ngshare),
  });
  const out = tempTree('charts-', {});
  for (const [name, version] of Object.entries(versions)) execFileSync('tar', ['czf', path.join(out, `${name}-${version}.tgz`), '-C', src, name]);
  return out;
}

test('by default both charts come from the tutorial repositories at the pinned versions', () => {
  const s = resolveChartSources({}, pinned, chartRepos);
  expect(s.jupyterhub).toMatchObject({ kind: 'repository', ref: 'jupyterhub/jupyterhub', version: '4.3.3', url: 'https://hub.jupyter.org/helm-chart/' });
  expect(s.ngshare).toMatchObject({ kind: 'repository', ref: 'ngshare/ngshare', version: '0.6.0' });
});

test('--charts <dir> takes the pinned .tgz of each chart, read without unpacking', () => {
  const dir = packagedCharts();
  const s = resolveChartSources({ charts: dir }, pinned, chartRepos);
  expect(s.jupyterhub).toMatchObject({ kind: 'local', packaged: true, ref: path.join(dir, 'jupyterhub-4.3.3.tgz'), version: '4.3.3' });
  expect(s.ngshare).toMatchObject({ kind: 'local', packaged: true, ref: path.join(dir, 'ngshare-0.6.0.tgz'), version: '0.6.0' });
  expect(describeSource(s.ngshare)).toBe(`ngshare 0.6.0 from ${path.join(dir, 'ngshare-0.6.0.tgz')} (--charts ${dir})`);
  expect(chartYamlInTgz(path.join(dir, 'jupyterhub-4.3.3.tgz'))).toEqual({ name: 'jupyterhub', version: '4.3.3' });
});

test('--charts <dir> without the pinned versions says what it has', () => {
  const dir = packagedCharts({ jupyterhub: '4.2.0', ngshare: '0.6.0' });
  expect(() => resolveChartSources({ charts: dir }, pinned, chartRepos)).toThrow(UsageError);
  expect(() => resolveChartSources({ charts: dir }, pinned, chartRepos)).toThrow(
    `--charts ${dir}: no jupyterhub-4.3.3.tgz (the pinned version) and no jupyterhub/ chart directory in ${dir}; it has: jupyterhub-4.2.0.tgz, ngshare-0.6.0.tgz`,
  );
  expect(() => resolveChartSources({ charts: '/nonexistent/charts' }, pinned, chartRepos)).toThrow(/^usage: --charts \/nonexistent\/charts: no such directory/);
});

test("a chart developer's chart directory is used as it is, whatever its version, but only as the chart it is", () => {
  const dev = tempTree('z2jh-checkout-', {
    'jupyterhub/Chart.yaml': chartYaml('jupyterhub', '4.4.0-0.dev.git.7081'),
    'ngshare/Chart.yaml': chartYaml('ngshare', '0.7.0'),
  });
  const s = resolveChartSources({ chart: { jupyterhub: path.join(dev, 'jupyterhub') } }, pinned, chartRepos);
  expect(s.jupyterhub).toMatchObject({
    kind: 'local',
    packaged: false,
    version: '4.4.0-0.dev.git.7081',
    origin: `--chart-jupyterhub ${path.join(dev, 'jupyterhub')}`,
  });
  expect(s.ngshare.kind).toBe('repository');
  expect(() => resolveChartSources({ chart: { jupyterhub: path.join(dev, 'ngshare') } }, pinned, chartRepos)).toThrow(
    `--chart-jupyterhub ${path.join(dev, 'ngshare')}: ${path.join(dev, 'ngshare')} is the chart "ngshare", not jupyterhub`,
  );
  expect(() => resolveChartSources({ chart: { ngshare: dev } }, pinned, chartRepos)).toThrow(`is not a chart directory (no Chart.yaml) nor a .tgz`);
});

test('another repository or an OCI registry: a name of the harness own, never the tutorial repository entry', () => {
  const mirror = resolveChartSources({ charts: 'https://charts.example.edu/mirror/' }, pinned, chartRepos);
  expect(mirror.jupyterhub).toMatchObject({ kind: 'repository', url: 'https://charts.example.edu/mirror/', version: '4.3.3' });
  expect(mirror.jupyterhub.kind === 'repository' && mirror.jupyterhub.repoName).toMatch(/^e2e-jupyterhub-[0-9a-f]{8}$/);
  expect(mirror.jupyterhub.ref).toMatch(/^e2e-jupyterhub-[0-9a-f]{8}\/jupyterhub$/);
  const oci = resolveChartSources({ charts: 'oci://registry.example.edu/charts', chart: { ngshare: 'oci://other.example.edu/x/ngshare' } }, pinned, chartRepos);
  expect(oci.jupyterhub).toMatchObject({ kind: 'oci', ref: 'oci://registry.example.edu/charts/jupyterhub', version: '4.3.3' });
  expect(oci.ngshare).toMatchObject({ kind: 'oci', ref: 'oci://other.example.edu/x/ngshare', version: '0.6.0' });
});

test('a file that is not a gzipped chart is named as such', () => {
  const dir = tempTree('not-a-chart-', { 'jupyterhub-4.3.3.tgz': 'plain text', 'ngshare-0.6.0.tgz': 'x' });
  expect(() => resolveChartSources({ charts: dir }, pinned, chartRepos)).toThrow(/jupyterhub-4\.3\.3\.tgz is not a gzipped chart archive/);
  fs.rmSync(dir, { recursive: true });
});
