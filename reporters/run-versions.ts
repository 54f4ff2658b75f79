/**
 * The versions a run's stack really ran, as `Stack.versions()` reports them (local: each role's
 * environment; a cluster: read from the pods), asked once the stack is up and kept in the run's
 * output as versions.json, with the versions the run asked for (E2E_VERSIONS). summary.json, the
 * console and the Allure environment all read them from here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HarnessConfig } from '../cluster/config.js';

export interface RunVersions {
  /** What the run asked for: pinned, latest, or the name of a resolved set (a matrix cell). */
  asked: string;
  /** What ran, component → version. */
  running: Record<string, string>;
  collectedAt: string;
}

export const runVersionsFile = 'versions.json';

/** The run's choice in words: `pinned`, `latest`, or the file's set name. */
export function askedVersions(choice: HarnessConfig['versions']): string {
  if (choice.kind === 'set') return choice.name;
  try {
    return (JSON.parse(fs.readFileSync(choice.file, 'utf8')) as { name?: string }).name ?? path.basename(choice.file);
  } catch {
    return path.basename(choice.file);
  }
}

export function writeRunVersions(outputDir: string, record: RunVersions): string {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, runVersionsFile);
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

export function readRunVersions(outputDir: string): RunVersions | undefined {
  const file = path.join(outputDir, runVersionsFile);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunVersions;
  } catch {
    return undefined;
  }
}

/** The lines people read first: what was asked, then what runs, grouped by part of the deployment. */
export function formatRunVersions(record: RunVersions): string[] {
  const r = record.running;
  const pick = (...keys: string[]) =>
    keys
      .filter((k) => r[k] !== undefined)
      .map((k) => `${k} ${r[k]}`)
      .join(', ');
  const named = new Set([
    'platform',
    'nbgrader',
    'ngshare-exchange',
    'jupyterlab',
    'user jupyterhub',
    'user python',
    'jupyterhub',
    'hub sqlalchemy',
    'hub python',
    'configurable-http-proxy',
    'ngshare',
    'ngshare sqlalchemy',
    'ngshare python',
  ]);
  const rest = Object.keys(r).filter((k) => !named.has(k));
  return [
    `versions running (${record.asked}, on ${r.platform ?? '?'}):`,
    `  user servers: ${pick('nbgrader', 'ngshare-exchange', 'jupyterlab', 'user jupyterhub', 'user python')}`,
    `  hub:          ${pick('jupyterhub', 'hub sqlalchemy', 'hub python', 'configurable-http-proxy')}`,
    `  ngshare:      ${pick('ngshare', 'ngshare sqlalchemy', 'ngshare python')}`,
    ...(rest.length ? [`  also:         ${pick(...rest)}`] : []),
  ];
}
