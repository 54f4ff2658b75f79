/**
 * Where goldens live: expected-output/<golden-id>.txt in the repository (the drift baseline in
 * expected-output/recorded/<platform>/). Ids are the file names: stable, kebab-case, prefixed
 * with the tutorial step (`step7-student-submit`) or `troubleshoot-`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../cluster/errors.js';
import { parseGolden, type Golden } from './golden.js';

export const defaultGoldenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'expected-output');

export const goldenIdPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function goldenFile(id: string, dir = defaultGoldenDir): string {
  return path.join(dir, `${id}.txt`);
}

/** Every golden id with its file, sorted by id. */
export function listGoldens(dir = defaultGoldenDir): Array<{ id: string; file: string }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.txt'))
    .map((e) => ({ id: e.name.slice(0, -'.txt'.length), file: path.join(dir, e.name) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function loadGolden(id: string, dir = defaultGoldenDir): Golden {
  if (!goldenIdPattern.test(id)) throw new HarnessError('golden', `"${id}" is not a golden id (kebab-case, e.g. step7-student-submit)`);
  const file = goldenFile(id, dir);
  if (!fs.existsSync(file)) {
    const known = listGoldens(dir).map((g) => g.id);
    throw new HarnessError('golden', `no golden "${id}" in ${dir}`, `known ids: ${known.join(', ') || '(none)'}`);
  }
  return parseGolden(id, fs.readFileSync(file, 'utf8'), path.relative(process.cwd(), file) || file);
}
