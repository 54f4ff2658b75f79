/**
 * The compatibility matrix's cells, from the committed matrix file (matrix/matrix.yaml): not a
 * cross product, but `pinned`, `latest`, and cells that move one part further than one of them. A
 * cell names the set it starts from and, per role, what it changes (a RoleSpec, as
 * cluster/python/resolve.ts reads it); `proxy` asks for another configurable-http-proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { HarnessError } from '../cluster/errors.js';
import { specProblem, type RoleSpec } from '../cluster/python/resolve.js';
import { deploymentRoles, versionSetNames, versionSets, type DeploymentRole, type VersionSet, type VersionSetName } from '../cluster/python/version-sets.js';

export const matrixDir = path.dirname(fileURLToPath(import.meta.url));
export const defaultMatrixFile = path.join(matrixDir, 'matrix.yaml');
export const defaultBaselineFile = path.join(matrixDir, 'baseline.json');

/** The issue's bound: a matrix stays small enough to run nightly on a small machine. */
export const maxCells = 8;

export interface MatrixCell {
  /** kebab-case, unique: the cell's id in the table, the baseline and the report. */
  name: string;
  /** One line: what deployment the cell stands for. */
  title: string;
  /** The set the cell starts from. */
  from: VersionSetName;
  /** What the cell changes, per role. */
  roles: Partial<Record<DeploymentRole, RoleSpec>>;
  /** Another configurable-http-proxy (npm version) than the one in node_modules. */
  proxy?: string;
}

export interface Matrix {
  file: string;
  cells: MatrixCell[];
}

const cellKeys = new Set(['name', 'title', 'from', 'proxy', ...deploymentRoles]);

function fail(file: string, message: string): never {
  throw new HarnessError('matrix', `${path.relative(process.cwd(), file) || file}: ${message}`);
}

/** Reads and checks a matrix file; every mistake is named with the cell it is in. */
export function loadMatrix(file = defaultMatrixFile): Matrix {
  if (!fs.existsSync(file)) fail(file, 'no such file');
  let data: unknown;
  try {
    data = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const list = (data as { cells?: unknown })?.cells;
  if (!Array.isArray(list) || list.length === 0) fail(file, 'give a list of cells under `cells:`');
  if (list.length > maxCells) fail(file, `${list.length} cells; a matrix has at most ${maxCells}`);
  const seen = new Set<string>();
  const cells = list.map((raw: unknown, i): MatrixCell => {
    const c = (raw ?? {}) as Record<string, unknown>;
    const where = `cell ${i + 1}${typeof c.name === 'string' ? ` (${c.name})` : ''}`;
    if (typeof c.name !== 'string' || !/^[a-z0-9][a-z0-9.-]*$/.test(c.name)) fail(file, `${where}: name must be kebab-case (a-z, 0-9, ., -)`);
    if (seen.has(c.name)) fail(file, `${where}: the name is used twice`);
    seen.add(c.name);
    const unknown = Object.keys(c).filter((k) => !cellKeys.has(k));
    if (unknown.length) fail(file, `${where}: unknown key ${unknown.join(', ')} (known: ${[...cellKeys].join(', ')})`);
    const from = (c.from ?? c.name) as string;
    if (!(versionSetNames as string[]).includes(from)) fail(file, `${where}: from "${from}": choose ${versionSetNames.join(' or ')}`);
    const roles: MatrixCell['roles'] = {};
    for (const role of deploymentRoles) {
      if (c[role] === undefined) continue;
      const problem = specProblem(c[role] as RoleSpec);
      if (problem) fail(file, `${where}: ${role}: ${problem}`);
      roles[role] = c[role] as RoleSpec;
    }
    if (c.proxy !== undefined && (typeof c.proxy !== 'string' || !/^\d+\.\d+\.\d+$/.test(c.proxy)))
      fail(file, `${where}: proxy: give an npm version, e.g. 5.3.0`);
    return {
      name: c.name,
      title: typeof c.title === 'string' ? c.title : versionSets[from as VersionSetName].title,
      from: from as VersionSetName,
      roles,
      proxy: c.proxy,
    };
  });
  return { file, cells };
}

/** The cell as a version set: the set it starts from, with its changes. */
export function cellVersionSet(cell: MatrixCell): VersionSet {
  const base = versionSets[cell.from];
  return { name: cell.name, title: cell.title, roles: { ...base.roles, ...cell.roles } };
}

/** What a cell asks for, in words (for a cell that never resolved): its changes from the set it starts from. */
export function describeCell(cell: MatrixCell): string {
  const changes = deploymentRoles
    .filter((r) => cell.roles[r])
    .map((r) => {
      const spec = cell.roles[r]!;
      if ('lock' in spec) return `${r}: ${spec.lock}.txt`;
      return `${r}: pip install ${spec.install.join(' ')}${spec.python ? ` (Python ${spec.python})` : ''}`;
    });
  if (cell.proxy) changes.push(`proxy: configurable-http-proxy ${cell.proxy}`);
  return changes.length ? `${cell.from} + ${changes.join('; ')}` : cell.from;
}
