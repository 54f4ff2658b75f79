/**
 * The Allure report's environment: the versions really running in the run's stack, as
 * `Stack.versions()` reported them into the diagnostics bundle (the teardown exports one at the
 * end of every run with a stack, and each failure exports one) or, for a rerun against a kept
 * stack (`--no-deps`, no teardown), asked of the stack itself; plus the run, the platform and the
 * tutorial's pins. Written into allure-results/environment.properties at the end of the run by
 * the reporter below, and again by `npm run report`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Reporter } from '@playwright/test/reporter';
import { readConfig } from '../cluster/config.js';
import { errorMessage } from '../cluster/errors.js';
import { attachStack } from '../cluster/lifecycle.js';
import { findRun } from '../cluster/run/index.js';
import { versions as pins } from '../cluster/versions.js';
import { readRunVersions } from './run-versions.js';

/** The newest versions.json of the run's diagnostics that holds versions (not an error). */
export function findRunningVersions(outputDir: string): { file: string; versions: Record<string, string> } | undefined {
  const root = path.join(outputDir, 'diagnostics');
  if (!fs.existsSync(root)) return undefined;
  const found = fs
    .readdirSync(root)
    .map((label) => path.join(root, label, 'versions.json'))
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ file, mtime: fs.statSync(file).mtimeMs, versions: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string> }))
    .filter((v) => !('error' in v.versions))
    // The end of the run is the last word; otherwise the newest bundle.
    .sort(
      (a, b) => Number(b.file.includes(`${path.sep}end-of-run${path.sep}`)) - Number(a.file.includes(`${path.sep}end-of-run${path.sep}`)) || b.mtime - a.mtime,
    );
  return found[0] && { file: found[0].file, versions: found[0].versions };
}

/** The environment entries, in the order the report lists them. */
export function runEnvironment(
  outputDir: string,
  runId: string,
  platform: string,
  live?: { versions?: Record<string, string>; error?: string },
): Record<string, string> {
  const exported = findRunningVersions(outputDir);
  const running = exported?.versions ?? live?.versions;
  const env: Record<string, string> = { run: runId, platform: running?.platform ?? platform };
  // pinned, latest, or a matrix cell's resolved set (reporters/run-versions.ts).
  const asked = readRunVersions(outputDir)?.asked;
  if (asked) env.versions = asked;
  for (const [key, value] of Object.entries(running ?? {})) env[key] = String(value);
  env['versions from'] = exported
    ? path.relative(outputDir, exported.file)
    : live?.versions
      ? 'the running stack, at the end of the run'
      : `not collected: ${live?.error ?? 'no stack was up, or its diagnostics failed'}`;
  // What the tutorial ran with, to read the running versions against.
  env['tutorial pin: JupyterHub chart'] = pins.jupyterhubChart;
  env['tutorial pin: singleuser image'] = `${pins.singleuserImage.name}:${pins.singleuserImage.tag}`;
  env['tutorial pin: ngshare image'] = `${pins.ngshareImage.name}:${pins.ngshareImage.tag}`;
  env['tutorial pin: nbgrader'] = pins.nbgrader;
  env['tutorial pin: ngshare-exchange'] = pins.ngshareExchange;
  env['harness: node'] = process.version;
  return env;
}

/** Java properties: keys escape separators and spaces, values escape leading spaces; both escape \ and line ends. */
export function toProperties(entries: Record<string, string>): string {
  const escape = (text: string, key: boolean) =>
    text
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(key ? /([=: #!])/g : /^( )/, '\\$1');
  return `${Object.entries(entries)
    .map(([k, v]) => `${escape(k, true)}=${escape(v, false)}`)
    .join('\n')}\n`;
}

/** Ask the run's stack, if it has one, for its versions (bounded: a stack that is gone says so). */
export async function askStackVersions(runId: string): Promise<{ versions?: Record<string, string>; error?: string }> {
  const run = findRun(readConfig(), runId);
  if (!run?.stack.exists()) return { error: 'the run has no stack' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the stack did not answer within 30 s')), 30_000);
  });
  try {
    return { versions: await Promise.race([attachStack(run).then((stack) => stack.versions()), timeout]) };
  } catch (err) {
    return { error: errorMessage(err).split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/** Which run and rerun an output directory is of, from its invocation.json (cluster/run/run-output.ts). */
export function invocationOf(outputDir: string): { runId?: string; rerun?: number } {
  try {
    return JSON.parse(fs.readFileSync(path.join(outputDir, 'invocation.json'), 'utf8')) as { runId?: string; rerun?: number };
  } catch {
    return {};
  }
}

/**
 * Writes environment.properties for the output directory of one invocation: a rerun's own versions
 * (its own diagnostics, else its stack asked now), never the first run's. `runId` is only a hint: a
 * rerun's folder says which run it is of (`npm run report -- <id>/reruns/2` names the folder).
 */
export async function writeAllureEnvironment(resultsDir: string, outputDir: string, runId: string, platform: string): Promise<string> {
  const invocation = invocationOf(outputDir);
  const id = invocation.runId ?? runId;
  const live = findRunningVersions(outputDir) ? undefined : await askStackVersions(id);
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, 'environment.properties');
  const env = runEnvironment(outputDir, id, platform, live);
  const entries = invocation.rerun ? { run: id, rerun: `${invocation.rerun} (against the run's kept stack)`, ...env } : env;
  fs.writeFileSync(file, toProperties(entries));
  return file;
}

export interface AllureEnvironmentOptions {
  resultsDir: string;
  outputDir: string;
  runId: string;
  platform: string;
}

/** At the end of the run (after the teardown exported its diagnostics), write the environment. */
export default class AllureEnvironmentReporter implements Reporter {
  constructor(private readonly options: AllureEnvironmentOptions) {}

  printsToStdio(): boolean {
    return false;
  }

  async onEnd(): Promise<void> {
    const { resultsDir, outputDir, runId, platform } = this.options;
    await writeAllureEnvironment(resultsDir, outputDir, runId, platform);
  }
}
