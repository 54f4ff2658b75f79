/**
 * A cell made ready to run, before anything runs: its versions resolved (dated, as a deployment
 * made today would get them), what this machine cannot run found out, and its environments built
 * or taken from the cache. A cell that cannot be installed is `unresolvable`, with the resolver's
 * reason; one this machine cannot run as asked is `unrunnable`, with why. Neither is ever run with
 * something else instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';
import { HarnessError, errorMessage } from '../cluster/errors.js';
import type { Logger } from '../cluster/log.js';
import { ensureEnvFromLock } from '../cluster/python/python-envs.js';
import { PythonMissingError, UnresolvableError } from '../cluster/python/resolve.js';
import { deploymentRoles, resolveVersionSet, writeResolvedVersions, type ResolvedVersions } from '../cluster/python/version-sets.js';
import { cellVersionSet, type MatrixCell } from './cells.js';

export type Prepared =
  | { status: 'ready'; cell: MatrixCell; resolved: ResolvedVersions; versionsFile: string; prepareMs: number }
  | { status: 'unresolvable'; cell: MatrixCell; headline: string; reason: string; resolved?: ResolvedVersions; prepareMs: number }
  | { status: 'unrunnable'; cell: MatrixCell; reason: string; resolved?: ResolvedVersions; prepareMs: number };

export interface PrepareOptions {
  cacheDir: string;
  uv: string;
  log: Logger;
  /** PyPI as it stands at this moment: one moment for every cell of a matrix run. */
  asOf: Date;
  /** Where the cell's resolved versions file goes. */
  cellDir: string;
  /** Build the environments too (not for a dry run). */
  build: boolean;
  /** The proxy's engines check (tests give their own); default: npm's. */
  proxyProblem?: (version: string) => Promise<string | undefined>;
}

/** The configurable-http-proxy the local platform runs: this project's own, from node_modules. */
export function installedProxyVersion(): string {
  return (createRequire(import.meta.url)('configurable-http-proxy/package.json') as { version: string }).version;
}

/** npm's EBADENGINE complaint in one line: which package needs which Node. */
export function engineProblem(npmOutput: string, nodeVersion = process.version): string | undefined {
  if (!/EBADENGINE|Unsupported engine/.test(npmOutput)) return undefined;
  const pkg = /Not compatible with your version of node\/npm: (\S+)/.exec(npmOutput)?.[1];
  const required = /Required: \{"node":"([^"]+)"/.exec(npmOutput)?.[1];
  return `needs node ${required ?? '(another version)'}${pkg ? ` (through ${pkg})` : ''}; this machine has ${nodeVersion}`;
}

/**
 * Whether a configurable-http-proxy version would install on this Node, dependencies included:
 * `npm install --dry-run --engine-strict` resolves the whole tree and checks every package's
 * engines (5.3.0's own says node >= 20, but its commander 15 needs 22.12). Nothing is installed.
 */
export async function npmProxyProblem(version: string): Promise<string | undefined> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-proxy-'));
  try {
    const r = await execa(
      'npm',
      // Its own log level: under `npm run -s` the inherited one is silent, and the reason would be lost.
      [
        'install',
        '--dry-run',
        '--engine-strict',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--loglevel',
        'error',
        '--prefix',
        prefix,
        `configurable-http-proxy@${version}`,
      ],
      {
        all: true,
        reject: false,
        timeout: 120_000,
      },
    );
    const engines = engineProblem(r.all ?? '');
    if (engines) return `configurable-http-proxy ${version} ${engines}`;
    if (r.exitCode !== 0)
      return `configurable-http-proxy ${version}: npm could not check it (${(r.all ?? '').split('\n').find((l) => /npm error/.test(l)) ?? `exit ${r.exitCode}`})`;
    return undefined;
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
}

export async function prepareCell(cell: MatrixCell, options: PrepareOptions): Promise<Prepared> {
  const started = Date.now();
  const took = () => Date.now() - started;
  let resolved: ResolvedVersions;
  try {
    resolved = await resolveVersionSet(cellVersionSet(cell), { cacheDir: options.cacheDir, uv: options.uv, log: options.log, asOf: options.asOf });
  } catch (err) {
    if (err instanceof UnresolvableError)
      return { status: 'unresolvable', cell, headline: `${err.role}: ${err.headline}`, reason: err.reason, prepareMs: took() };
    if (err instanceof PythonMissingError) return { status: 'unrunnable', cell, reason: err.message.replace(/^python: /, ''), prepareMs: took() };
    throw err;
  }

  if (cell.proxy && cell.proxy !== installedProxyVersion()) {
    const problem = await (options.proxyProblem ?? npmProxyProblem)(cell.proxy);
    const reason =
      problem ??
      `configurable-http-proxy ${cell.proxy} would install on this Node, but the local platform runs the proxy of node_modules (${installedProxyVersion()}) and cannot swap it yet`;
    return { status: 'unrunnable', cell, reason, resolved, prepareMs: took() };
  }

  if (options.build) {
    for (const role of deploymentRoles) {
      const r = resolved.roles[role];
      try {
        await ensureEnvFromLock({ role: r.role, lockFile: r.lockFile, python: r.interpreter }, options.cacheDir, options.uv, options.log);
      } catch (err) {
        if (!(err instanceof HarnessError)) throw err;
        // uv's own words ("Failed to download and build `y-py==0.6.2`") say more than the harness's first line.
        const uvError = /^error: (.+)$/m.exec(errorMessage(err))?.[1];
        return {
          status: 'unresolvable',
          cell,
          headline: `${role}: resolved, but it cannot be installed on Python ${r.pythonVersion}: ${uvError ?? errorMessage(err).split('\n')[0]}`,
          reason: errorMessage(err),
          resolved,
          prepareMs: took(),
        };
      }
    }
  }
  fs.mkdirSync(options.cellDir, { recursive: true });
  const versionsFile = path.join(options.cellDir, 'versions.json');
  writeResolvedVersions(versionsFile, resolved);
  return { status: 'ready', cell, resolved, versionsFile, prepareMs: took() };
}
