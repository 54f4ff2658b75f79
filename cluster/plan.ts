/**
 * What a driver would do, said without doing it (`npm run e2e -- --dry-run`): the optional
 * Planner ability of a driver. A driver builds its plan from the same list of steps its `up` runs,
 * so the printed plan cannot drift from what happens. A dry run uses `planningRun` (cluster/run):
 * its secrets exist in memory only, registered for redaction, so the plan shows them masked.
 */
import path from 'node:path';
import { redact } from './redact.js';
import { formatArgv } from './shell.js';
import type { PlatformName } from './config.js';

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
  /**
   * What would stop a real run on this machine (a kubeconfig that does not exist or does not
   * parse): also among the notes, and printed on stderr after the plan, where a person sees it.
   */
  warnings?: string[];
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
