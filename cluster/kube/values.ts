/**
 * The Helm values of a run, as the layers Helm is given (`--values a.yaml --values b.yaml …`, later
 * files win), in the tutorial's order:
 *
 *   ngshare     ngshare values (project file, or the deployment repository's) · kind-only PVC mode
 *   jupyterhub  base deployment · ngshare service entry · singleuser postStart · the test's own
 *               layer (authenticator, users, harness token and role) · platform-only settings ·
 *               baked image (optional)
 *
 * Either source is a set of YAML files with placeholders. The project's own files (values/) use
 * `${name}`; a deployment repository's (--deploy-repo) use the tutorial's REPLACE_WITH_…, COURSE_ID
 * and admin_username, and name the `jhub` namespace in service URLs. Both are filled after parsing,
 * on strings only, so a value can never change the YAML's structure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { HarnessError, UsageError } from '../errors.js';
import { redactValue } from '../redact.js';
import type { ChartName } from './kube-types.js';

export const valuesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'values');

export type Values = Record<string, unknown>;
export type TemplateVars = Record<string, string | number>;

export interface ValuesLayer {
  chart: ChartName;
  /** File name the layer is written to in the run directory (and passed to Helm). */
  file: string;
  /** Where it came from: "project values/ngshare.yaml", "deploy repo nbgrader/ngshare-config.yaml", "harness values/e2e-test.yaml". */
  origin: string;
  values: Values;
  /** What the harness filled in or rewrote, for the plan. */
  changes: string[];
}

export interface SkippedFile {
  file: string;
  reason: string;
}

// --- reading -------------------------------------------------------------------------------------

/** Parses a YAML file; a file that does not parse is an error naming the file, line and column. */
export function readYamlFile(file: string, shownAs = file): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`values file ${shownAs} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const first = doc.errors[0];
    const where = first.linePos?.[0] ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})` : '';
    const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new HarnessError(
      'values',
      `${shownAs} does not parse${where}: ${reason}`,
      doc.errors.length > 1 ? `${doc.errors.length - 1} more error(s) after this one` : undefined,
    );
  }
  return doc.toJS() as unknown;
}

function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies `fn` to every string in a JSON-like value; `at` is the dotted path, for messages. */
function mapStrings(value: unknown, fn: (s: string, at: string) => unknown, at = ''): unknown {
  if (typeof value === 'string') return fn(value, at);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, fn, `${at}[${i}]`));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn, at ? `${at}.${k}` : k)]));
  }
  return value;
}

function get(values: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), values);
}

// --- the project's own files ---------------------------------------------------------------------

/**
 * Fills `${name}` placeholders. A string that is nothing but one placeholder takes the variable's
 * type (a port stays a number); an unknown name is an error, never left in place.
 */
export function fillTemplate(value: unknown, vars: TemplateVars, shownAs: string): unknown {
  return mapStrings(value, (s, at) => {
    const whole = /^\$\{(\w+)\}$/.exec(s);
    if (whole && whole[1] in vars) return vars[whole[1]];
    return s.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      if (!(name in vars)) throw new HarnessError('values', `${shownAs}: ${at} uses \${${name}}, which the harness does not provide`);
      return String(vars[name]);
    });
  });
}

/** A project file from values/, filled in. */
export function projectFile(name: string, vars: TemplateVars): Values {
  const shownAs = `cluster/kube/values/${name}`;
  const parsed = readYamlFile(path.join(valuesDir, name), shownAs) ?? {};
  if (!isPlainObject(parsed)) throw new HarnessError('values', `${shownAs} is not a mapping of values`);
  return fillTemplate(parsed, vars, shownAs) as Values;
}

// --- a deployment repository ---------------------------------------------------------------------

export interface DeployRepoFill {
  ngshareApiToken: string;
  courseId: string;
  /** Replaces the admin_username placeholder in ngshare's admins. */
  ngshareAdmin: string;
  namespace: string;
}

/** The tutorial repository's placeholders, filled; anything else that looks like one is an error. */
export function fillDeployRepoFile(values: Values, fill: DeployRepoFill, shownAs: string): { values: Values; changes: string[] } {
  const changes = new Set<string>();
  const tokenPlaceholder = /REPLACE_WITH_(?:A_LONG_RANDOM|THE_SAME)_TOKEN/;
  let filled = mapStrings(values, (s, at) => {
    let out = s;
    if (tokenPlaceholder.test(out)) {
      out = out.replace(new RegExp(tokenPlaceholder.source, 'g'), fill.ngshareApiToken);
      changes.add(`REPLACE_WITH_…_TOKEN at ${at} → the run's ngshare token (one value for ngshare and the hub)`);
    }
    const unknown = /REPLACE_WITH_[A-Z0-9_]+/.exec(out);
    if (unknown) throw new HarnessError('values', `${shownAs}: ${at} has the placeholder ${unknown[0]}, which the harness does not know how to fill`);
    if (/\bCOURSE_ID\b/.test(out)) {
      out = out.replace(/\bCOURSE_ID\b/g, fill.courseId);
      changes.add(`COURSE_ID at ${at} → ${fill.courseId}`);
    }
    if (fill.namespace !== 'jhub' && /\.jhub\.svc\.cluster\.local\b/.test(out)) {
      out = out.replace(/\.jhub\.svc\.cluster\.local\b/g, `.${fill.namespace}.svc.cluster.local`);
      changes.add(`namespace jhub in service URLs at ${at} → ${fill.namespace}`);
    }
    return out;
  }) as Values;
  const admins = get(filled, 'ngshare.admins');
  if (Array.isArray(admins) && admins.includes('admin_username')) {
    filled = { ...filled, ngshare: { ...(filled.ngshare as Values), admins: admins.map((a: unknown) => (a === 'admin_username' ? fill.ngshareAdmin : a)) } };
    changes.add(`admin_username at ngshare.admins → ${fill.ngshareAdmin}`);
  }
  return { values: filled, changes: [...changes] };
}

export interface DeployRepoValues {
  ngshare: ValuesLayer[];
  jupyterhub: ValuesLayer[];
  skipped: SkippedFile[];
}

const hubKeys = ['hub', 'singleuser', 'proxy', 'scheduling', 'prePuller', 'ingress', 'cull'];
const ngshareKeys = ['ngshare', 'deployment', 'pvc'];

/**
 * Reads a deployment repository laid out like the tutorial's: config_standard_storage.yaml (what
 * install_jhub.sh passes first) and nbgrader/*.yaml, each recognised by what it configures.
 * Kubernetes manifests and the filesystem-exchange alternative are listed as skipped, with why.
 */
export function readDeployRepo(repoDir: string, fill: DeployRepoFill): DeployRepoValues {
  const repo = path.resolve(repoDir);
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) {
    throw new UsageError(`--deploy-repo ${repoDir}: no such directory`);
  }
  const base = path.join(repo, 'config_standard_storage.yaml');
  if (!fs.existsSync(base)) {
    throw new UsageError(`--deploy-repo ${repoDir}: no config_standard_storage.yaml (the values file install_jhub.sh passes first)`);
  }
  const nbgraderDir = path.join(repo, 'nbgrader');
  const nbgraderFiles = fs.existsSync(nbgraderDir)
    ? fs
        .readdirSync(nbgraderDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => `nbgrader/${f}`)
    : [];
  const result: DeployRepoValues = { ngshare: [], jupyterhub: [], skipped: [] };
  for (const rel of ['config_standard_storage.yaml', ...nbgraderFiles]) {
    const parsed = readYamlFile(path.join(repo, rel), `${path.basename(repo)}/${rel}`);
    if (parsed === null || parsed === undefined) {
      result.skipped.push({ file: rel, reason: 'empty' });
      continue;
    }
    if (!isPlainObject(parsed)) {
      result.skipped.push({ file: rel, reason: 'not a mapping of values' });
      continue;
    }
    if ('apiVersion' in parsed && 'kind' in parsed) {
      result.skipped.push({ file: rel, reason: `a Kubernetes manifest (${String(parsed.kind)}), not Helm values` });
      continue;
    }
    const keys = Object.keys(parsed);
    const chart: ChartName | undefined =
      keys.some((k) => ngshareKeys.includes(k)) && !keys.some((k) => hubKeys.includes(k))
        ? 'ngshare'
        : keys.some((k) => hubKeys.includes(k))
          ? 'jupyterhub'
          : undefined;
    if (!chart) {
      result.skipped.push({ file: rel, reason: `configures neither chart (keys: ${keys.join(', ')})` });
      continue;
    }
    const postStart = JSON.stringify(get(parsed, 'singleuser.lifecycleHooks.postStart') ?? '');
    if (
      chart === 'jupyterhub' &&
      rel !== 'config_standard_storage.yaml' &&
      /nbgrader/.test(postStart) &&
      !/ngshare_exchange|ngshare-exchange/.test(postStart)
    ) {
      result.skipped.push({ file: rel, reason: "installs nbgrader with another exchange (not ngshare), an alternative to the tutorial's" });
      continue;
    }
    const { values, changes } = fillDeployRepoFile(parsed, fill, rel);
    const index = result[chart].length + 1;
    result[chart].push({
      chart,
      file: `${String(index).padStart(2, '0')}-${rel.replace(/\//g, '-')}`,
      origin: `deploy repo ${rel}`,
      values,
      changes,
    });
  }
  if (!result.ngshare.length) {
    throw new UsageError(`--deploy-repo ${repoDir}: no ngshare values (a nbgrader/*.yaml with an \`ngshare:\` section)`);
  }
  const hubText = JSON.stringify(result.jupyterhub.map((l) => l.values));
  if (!/ngshare/.test(JSON.stringify(result.jupyterhub.map((l) => get(l.values, 'hub'))))) {
    throw new UsageError(`--deploy-repo ${repoDir}: no values file registers the ngshare service with the hub (hub.extraConfig or hub.services)`);
  }
  if (!/ngshare_exchange|ngshare-exchange/.test(hubText)) {
    throw new UsageError(`--deploy-repo ${repoDir}: no values file installs ngshare-exchange in the user servers (singleuser)`);
  }
  return result;
}

// --- layering ------------------------------------------------------------------------------------

/** Helm's rule for several values files: mappings merge key by key, anything else is replaced, null removes. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = mergeValues(out[k], v);
    else out[k] = v;
  }
  return out;
}

export function mergeLayers(layers: ValuesLayer[]): Values {
  return layers.reduce<Values>((acc, l) => mergeValues(acc, l.values), {});
}

/**
 * Values as YAML for Helm. Helm's YAML reader follows YAML 1.1, where an unquoted 2025-11-10, yes
 * or on is not a string: writing with 1.1's rules quotes them, so Helm reads the strings we mean.
 */
export function valuesYaml(values: unknown): string {
  return YAML.stringify(values, { version: '1.1', lineWidth: 0 });
}

/** A layer as YAML, for the file Helm reads (`masked` for anything a person sees). */
export function layerYaml(layer: ValuesLayer, masked: boolean): string {
  const header = `# ${layer.origin}${layer.changes.length ? `\n# filled in by the harness:\n${layer.changes.map((c) => `#   ${c}`).join('\n')}` : ''}\n`;
  return header + valuesYaml(masked ? redactValue(layer.values) : layer.values);
}

/** Quantity strings as Kubernetes reads them ("1G", "512Mi", "2") in bytes; CPU in cores. */
export function parseQuantity(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !value.trim()) return 0;
  const m = /^([0-9.]+)\s*(m|k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit: Record<string, number> = { m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return n * (m[2] ? unit[m[2]] : 1);
}

/** What the rendered hub values guarantee to each user server (what the scheduler must find). */
export function userServerGuarantees(hubValues: Values): { cpu: number; memoryBytes: number } {
  const memory = get(hubValues, 'singleuser.memory.guarantee');
  return {
    cpu: parseQuantity(get(hubValues, 'singleuser.cpu.guarantee')),
    // The chart's own default when the values say nothing.
    memoryBytes: memory === undefined ? parseQuantity('1G') : parseQuantity(memory),
  };
}
