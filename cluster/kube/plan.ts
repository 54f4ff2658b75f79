/**
 * Optional ability of a driver: say everything it would do, without doing any of it
 * (`npm run e2e -- --platform kind --dry-run`). The kind and jetstream drivers build their plan
 * from the same step list their `up` runs, so the printed plan cannot drift from what happens.
 *
 * A dry run makes no run directory: its context generates the run's secrets in memory only (they
 * are registered for redaction, so the printed values show them masked, as a real run would).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { HarnessConfig } from '../config.js';
import type { PlatformDriver, PlatformName } from '../platform.js';
import { redact, registerSecret } from '../redact.js';
import { newRunId } from '../run.js';
import { formatArgv } from './tools.js';

/** What a plan needs of a run; a RunContext is one, and so is a dry run's `dryRunContext`. */
export interface PlanContext {
  readonly runId: string;
  readonly config: HarnessConfig;
  secret(name: string): string;
  path(...parts: string[]): string;
}

export interface PlanStep {
  title: string;
  /** Commands run by the harness, each an argv array starting with the tool. */
  commands?: string[][];
  /** What happens through an API rather than a command, and why. */
  notes?: string[];
}

export interface PlanFile {
  path: string;
  /** With secrets masked. */
  content: string;
}

export interface StackPlan {
  platform: PlatformName;
  runId: string;
  /** Where and with what: cluster, context, namespace, users, course. */
  summary: string[];
  preflight: string[];
  steps: PlanStep[];
  teardown: PlanStep[];
  files: PlanFile[];
  /** The values Helm ends up with per chart after layering every file, secrets masked. */
  rendered: Array<{ chart: string; yaml: string }>;
  notes: string[];
}

export interface Planner {
  plan(ctx: PlanContext): Promise<StackPlan>;
}

export function canPlan(driver: PlatformDriver): driver is PlatformDriver & Planner {
  return typeof (driver as Partial<Planner>).plan === 'function';
}

/** A run that exists only in memory: same names and layout as a real run would get, nothing written. */
export function dryRunContext(config: HarnessConfig, runId = config.runId ?? newRunId()): PlanContext {
  const secrets = new Map<string, string>();
  return {
    runId,
    config,
    secret(name) {
      if (!secrets.has(name)) secrets.set(name, crypto.randomBytes(32).toString('hex'));
      const value = secrets.get(name)!;
      registerSecret(value);
      return value;
    },
    path: (...parts) => path.join(config.stateDir, 'runs', runId, ...parts),
  };
}

/** The plan as text; paths inside the project are shown relative to it. */
export function formatPlan(plan: StackPlan, rootDir: string): string {
  const rel = (s: string) => s.split(`${rootDir}${path.sep}`).join('');
  const out: string[] = [];
  const steps = (list: PlanStep[]) =>
    list.forEach((s, i) => {
      out.push(`  ${i + 1}. ${s.title}`);
      for (const c of s.commands ?? []) out.push(`     $ ${rel(formatArgv(c))}`);
      for (const n of s.notes ?? []) out.push(`     - ${rel(n)}`);
    });
  out.push(`Plan for run ${plan.runId} on ${plan.platform} (dry run: nothing was created, nothing was contacted)`, '');
  out.push(...plan.summary.map((l) => `  ${rel(l)}`), '');
  out.push('Preflight (before anything is created):');
  out.push(...plan.preflight.map((l) => `  - ${rel(l)}`), '');
  out.push('Steps:');
  steps(plan.steps);
  out.push('', 'Teardown (after diagnostics are exported; skipped with --keep):');
  steps(plan.teardown);
  for (const f of plan.files) out.push('', `--- ${rel(f.path)}`, f.content.trimEnd());
  for (const r of plan.rendered) out.push('', `=== ${r.chart}: rendered values (every file above, layered as Helm does; secrets masked)`, r.yaml.trimEnd());
  if (plan.notes.length) out.push('', 'Notes:', ...plan.notes.map((n) => `  - ${rel(n)}`));
  return redact(`${out.join('\n')}\n`);
}
