/**
 * Where the two charts come from. By default the tutorial's public repositories, at the pinned
 * versions. Instead, for an air-gapped cluster, a chart developer or a mirror:
 *
 *   --charts <dir>         a directory holding jupyterhub-<version>.tgz and ngshare-<version>.tgz
 *                          (what `helm package` or `helm pull` writes; the pinned versions), or
 *                          chart directories jupyterhub/ and ngshare/ (their Chart.yaml says which)
 *   --charts <url>         another chart repository holding both (https://…, or oci://… as a registry)
 *   --chart-jupyterhub <x> / --chart-ngshare <x>   one chart from a chart directory, a .tgz, or a
 *                          repository URL; wins over --charts for that chart
 *
 * A local chart is read before anything is created: it must be the chart it is given for (its
 * Chart.yaml's name), and its version is reported (a chart developer's may differ from the pin).
 * Pure apart from reading those files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';
import { UsageError } from '../errors.js';
import type { ChartName, ChartSource } from './kube-types.js';

export interface ChartOptions {
  /** --charts: a directory or a repository URL for both charts. */
  charts?: string;
  /** How `charts` is named in messages when it is a default rather than --charts (kwok's). */
  chartsShownAs?: string;
  /** --chart-<name>: one chart's own source. */
  chart?: Partial<Record<ChartName, string>>;
}

export interface TutorialRepository {
  name: string;
  url: string;
}

const isRepositoryUrl = (s: string) => /^https?:\/\//.test(s);
const isOciUrl = (s: string) => /^oci:\/\//.test(s);

/** The chart source of each chart: the tutorial's repository unless the options say otherwise. */
export function resolveChartSources(
  options: ChartOptions,
  pinned: Record<ChartName, string>,
  tutorialRepos: Record<ChartName, TutorialRepository>,
): Record<ChartName, ChartSource> {
  const one = (chart: ChartName): ChartSource => {
    const own = options.chart?.[chart];
    if (own) return fromSpec(chart, own, `--chart-${chart} ${own}`, pinned[chart]);
    if (options.charts) return fromCollection(chart, options.charts, pinned[chart], options.chartsShownAs ?? `--charts ${options.charts}`);
    const repo = tutorialRepos[chart];
    return {
      chart,
      kind: 'repository',
      repoName: repo.name,
      url: repo.url,
      ref: `${repo.name}/${chart}`,
      version: pinned[chart],
      origin: "the tutorial's repository",
    };
  };
  return { jupyterhub: one('jupyterhub'), ngshare: one('ngshare') };
}

/** One chart given on its own: a repository URL, an OCI reference to the chart, a .tgz or a chart directory. */
function fromSpec(chart: ChartName, spec: string, shownAs: string, pinned: string): ChartSource {
  if (isRepositoryUrl(spec)) return repository(chart, spec, pinned, shownAs);
  if (isOciUrl(spec)) return { chart, kind: 'oci', ref: spec.replace(/\/$/, ''), version: pinned, origin: shownAs };
  return local(chart, path.resolve(spec), shownAs);
}

/** One chart of a collection given for both: a directory, a repository URL, or an OCI registry path. */
function fromCollection(chart: ChartName, spec: string, pinned: string, shownAs: string): ChartSource {
  if (isRepositoryUrl(spec)) return repository(chart, spec, pinned, shownAs);
  if (isOciUrl(spec)) return { chart, kind: 'oci', ref: `${spec.replace(/\/$/, '')}/${chart}`, version: pinned, origin: shownAs };
  const dir = path.resolve(spec);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`${shownAs}: no such directory (give a directory of ${chart}-${pinned}.tgz and the other chart's, or a repository URL)`);
  }
  const packaged = path.join(dir, `${chart}-${pinned}.tgz`);
  if (fs.existsSync(packaged)) return local(chart, packaged, shownAs);
  const unpacked = path.join(dir, chart);
  if (fs.existsSync(path.join(unpacked, 'Chart.yaml'))) return local(chart, unpacked, shownAs);
  const present = fs.readdirSync(dir).filter((f) => /\.tgz$/.test(f) || fs.existsSync(path.join(dir, f, 'Chart.yaml')));
  throw new UsageError(
    `${shownAs}: no ${chart}-${pinned}.tgz (the pinned version) and no ${chart}/ chart directory in ${dir}; it has: ${present.join(', ') || 'no charts'}`,
  );
}

function repository(chart: ChartName, url: string, pinned: string, origin: string): ChartSource {
  // A name of the harness's own for another repository, so it never replaces the tutorial's entry.
  const repoName = `e2e-${chart}-${crypto.createHash('sha256').update(url).digest('hex').slice(0, 8)}`;
  return { chart, kind: 'repository', repoName, url, ref: `${repoName}/${chart}`, version: pinned, origin };
}

function local(chart: ChartName, file: string, shownAs: string): ChartSource {
  if (!fs.existsSync(file)) throw new UsageError(`${shownAs}: ${file} does not exist (give a chart directory, a .tgz, or a repository URL)`);
  const packaged = fs.statSync(file).isFile();
  const meta = packaged ? chartYamlInTgz(file, shownAs) : chartYamlInDir(file, shownAs);
  if (meta.name !== chart) throw new UsageError(`${shownAs}: ${file} is the chart "${meta.name}", not ${chart}`);
  return { chart, kind: 'local', path: file, packaged, ref: file, version: meta.version, origin: shownAs };
}

interface ChartMeta {
  name: string;
  version: string;
}

function parseChartYaml(text: string, where: string, shownAs: string): ChartMeta {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UsageError(`${shownAs}: ${where} does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const { name, version } = (doc ?? {}) as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || (typeof version !== 'string' && typeof version !== 'number')) {
    throw new UsageError(`${shownAs}: ${where} has no chart name and version`);
  }
  return { name, version: String(version) };
}

function chartYamlInDir(dir: string, shownAs: string): ChartMeta {
  const file = path.join(dir, 'Chart.yaml');
  if (!fs.existsSync(file)) throw new UsageError(`${shownAs}: ${dir} is not a chart directory (no Chart.yaml) nor a .tgz`);
  return parseChartYaml(fs.readFileSync(file, 'utf8'), file, shownAs);
}

/** Chart.yaml of a packaged chart (`<name>/Chart.yaml` in the gzipped tar), read without unpacking it. */
export function chartYamlInTgz(file: string, shownAs = file): ChartMeta {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(fs.readFileSync(file));
  } catch (err) {
    throw new UsageError(`${shownAs}: ${file} is not a gzipped chart archive: ${(err as Error).message}`);
  }
  const field = (at: number, length: number) => tar.toString('utf8', at, at + length).replace(/\0.*$/s, '');
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const name = field(at, 100);
    if (!name) break;
    const size = parseInt(field(at + 124, 12).trim() || '0', 8);
    const type = field(at + 156, 1);
    const prefix = field(at + 345, 155);
    const body = tar.subarray(at + 512, at + 512 + size);
    const fullName = longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = undefined;
    if (type === 'L')
      longName = body.toString('utf8').replace(/\0.*$/s, ''); // GNU long name for the next entry
    else if (/^[^/]+\/Chart\.yaml$/.test(fullName)) return parseChartYaml(body.toString('utf8'), `${file}:${fullName}`, shownAs);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new UsageError(`${shownAs}: ${file} has no <chart>/Chart.yaml: not a packaged chart`);
}

/** How a person reads a source: "jupyterhub 4.3.3 from /charts/jupyterhub-4.3.3.tgz (--charts /charts)". */
export function describeSource(source: ChartSource): string {
  const where = source.kind === 'repository' ? `repository ${source.url}` : source.ref;
  return `${source.chart} ${source.version} from ${where} (${source.origin})`;
}
