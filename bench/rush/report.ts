/**
 * The rush's reports in e2e-output/rush-<stamp>/: report.json (everything, samples included),
 * report.md (what people read: per class and phase the successes, latencies, errors by kind, what
 * the students saw, ngshare's and the clients' CPU and memory, the checks, with `uptime` beside
 * every number) and chart.html (the SVG charts, self-contained).
 */
import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../../cluster/redact.js';
import { kneeChart, stepChart } from './chart.js';
import type { KneeVerdict } from './knee.js';
import type { InstructorPhase, PhaseReport, RushSettings, StepReport } from './rush.js';
import { errorKinds, seconds } from './stats.js';
import type { CorePlan } from './usage.js';

export interface RushReport {
  command: string;
  startedAt: string;
  endedAt?: string;
  platform: string;
  runId: string;
  hubUrl: string;
  machine: { cores: number; memTotalMb: number; uptimeBefore: string; uptimeAfter?: string };
  versions: Record<string, string>;
  settings: Omit<RushSettings, 'workDir'> & { sizes: number[] };
  cores: Omit<CorePlan, 'restore'>;
  steps: StepReport[];
  /** The size not run because free memory would not hold its clients, if any. */
  cappedByMemory?: { students: number; cap: number; perClientMb: number; availableMb: number };
  knee?: KneeVerdict;
  passed: boolean;
}

/** The console line of one class: `rush: N/N collected, 0 lost, p95 submit X s`. */
export function rushLine(step: StepReport): string {
  const lost = step.verdict?.lost.length ?? 0;
  const extra = [step.verdict?.duplicated.length ? `${step.verdict.duplicated.length} duplicated` : '', step.passed ? '' : 'FAILED'].filter(Boolean);
  return `rush: ${step.verdict?.collected ?? 0}/${step.students} collected, ${lost} lost, p95 submit ${seconds(step.submit?.latency.p95Ms)} s${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

const fmt = (v: number | undefined, unit = '') => (v === undefined ? '–' : `${v}${unit}`);

function phaseRow(p: PhaseReport): string {
  return `| ${p.phase} | ${p.clients} | ${p.ok} | ${p.failed} | ${seconds(p.latency.p50Ms, 2)} | ${seconds(p.latency.p95Ms, 2)} | ${seconds(p.latency.maxMs, 2)}${p.latency.censored ? ` (${p.latency.censored} killed)` : ''} | ${seconds(p.wallMs, 1)} | ${seconds(p.skew.skewMs, 3)} | ${p.withinBound ? 'yes' : '**no**'} |`;
}

function instructorRow(name: string, p: InstructorPhase | undefined, bound: number): string {
  if (!p) return `| ${name} | – | – | – | – | – | – | – | – | – |`;
  return `| ${name} | 1 | ${p.ok ? 1 : 0} | ${p.ok ? 0 : 1} | | | ${seconds(p.wallMs, 2)} | ${seconds(p.wallMs, 1)} | | ${p.withinBound ? 'yes' : `**no** (${seconds(bound, 0)} s)`} |`;
}

function serviceRows(step: StepReport): string[] {
  const rows: string[] = [];
  for (const [name, services, cores] of [
    ['fetch', step.fetch?.services, step.fetch?.coresBusy],
    ['submit', step.submit?.services, step.submit?.coresBusy],
    ['collect', step.collect?.services, undefined],
  ] as const) {
    if (!services) continue;
    const s = (k: 'ngshare' | 'hub' | 'proxy') => (services[k] ? `${fmt(services[k].cpuPercentMean)} / ${fmt(services[k].cpuPercentMax)}` : 'not available');
    rows.push(
      `| ${name} | ${s('ngshare')} | ${services.ngshare ? fmt(services.ngshare.rssMbMax) : 'not available'} | ${fmt(services.ngshare?.cpuSeconds)} / ${fmt(services.ngshare?.waitSeconds)} / ${fmt(services.ngshare?.blockedSeconds)} | ${s('hub')} | ${s('proxy')} | ${cores ? cores.map((c) => `${c}%`).join(', ') : ''} |`,
    );
  }
  return rows;
}

export function stepMarkdown(step: StepReport, bound: number): string {
  const out: string[] = [];
  out.push(`## ${step.students} students (course ${step.courseId}): ${step.passed ? 'PASSED' : '**FAILED**'}`, '');
  out.push(`\`${rushLine(step)}\``, '');
  out.push(`- uptime before: \`${step.uptime.before}\` (${step.otherRuns} other harness runs on the machine)`, `- uptime after:  \`${step.uptime.after}\``);
  out.push(`- preparation (classroom, release, tokens, homes): ${seconds(step.prepareMs)} s; memory available before: ${step.memory.availableMbBefore} MB`, '');
  if (step.failures.length) out.push('Why it failed:', '', ...step.failures.map((f) => `- ${f}`), '');
  out.push('| phase | clients | ok | failed | p50 s | p95 s | max s | wall s | start skew s | within bound |', '|---|---|---|---|---|---|---|---|---|---|');
  if (step.fetch) out.push(phaseRow(step.fetch));
  if (step.submit) out.push(phaseRow(step.submit));
  out.push(instructorRow('collect', step.collect, bound), instructorRow(`autograde (${step.autograde?.students.length ?? 0})`, step.autograde, bound), '');
  if (step.collect) out.push(`collect: ${step.collect.detail}. autograde: ${step.autograde?.detail ?? 'not run'}.`, '');
  out.push('Errors by kind (clients):', '', `| kind | ${errorKinds.join(' | ')} |`, `|---|${errorKinds.map(() => '---').join('|')}|`);
  for (const p of [step.fetch, step.submit]) if (p) out.push(`| ${p.phase} | ${errorKinds.map((k) => p.errors[k]).join(' | ')} |`);
  out.push('');
  const examples = [step.fetch, step.submit].flatMap((p) => (p ? Object.entries(p.examples).map(([kind, e]) => ({ phase: p.phase, kind, ...e })) : []));
  if (examples.length) {
    out.push('What the students saw:', '');
    for (const e of examples) out.push(`${e.phase}, ${e.kind} (${e.student}):`, '', '```', ...e.lines, '```', '');
  }
  out.push(
    "The stack during each phase (CPU: mean / max % of one core, sampled every 0.5 s; ngshare's time: running, ready but waiting for a core, and blocked (on the hub's token check, the disk); cores: mean busy % of each core):",
    '',
    '| phase | ngshare CPU % | ngshare RSS MB | ngshare ran / waited for a core / blocked s | hub CPU % | proxy CPU % | cores busy |',
    '|---|---|---|---|---|---|---|',
    ...serviceRows(step),
    '',
  );
  out.push('The load generator (the clients: one process each, forked from one that imported nbgrader once):', '');
  for (const p of [step.fetch, step.submit]) {
    if (!p) continue;
    out.push(
      `- ${p.phase}: CPU ${p.clientsCpuSeconds} s in all (${fmt(p.clientCpuSecondsMax)} s the most for one; ${fmt(p.clientsCoreShare, '%')} of the time their core had in the phase); own memory ${fmt(p.clientUssMbMax)} MB the most for one, ${p.clientsUssMbTotal} MB in all, plus the forking process ${p.forkServerRssMb} MB; imports ${p.preloadSeconds} s once; at the barrier after ${seconds(p.readyMs)} s`,
    );
  }
  if (step.memory.capForNextStep !== undefined) out.push(`- free memory would hold ${step.memory.capForNextStep} such clients (half of what is available)`);
  out.push('');
  const v = step.verdict;
  if (v) {
    out.push(
      'Checks (each submission against what its student saw):',
      '',
      `- submitted ${v.submitted}, collected ${v.collected}, lost ${v.lost.length}, duplicated ${v.duplicated.length}, timestamp differs ${v.mismatched.length}, late ${v.late.length}, early ${v.early.length}, damaged files ${v.damaged.length}, unconfirmed ${v.unconfirmed.length}`,
      ...v.problems.map((p) => `- ${p}`),
      '',
    );
  }
  const l = step.logs;
  if (l) {
    out.push(
      "The stack's logs during the class:",
      '',
      `- ngshare: ${l.ngshare.errors5xx} answers 5xx, ${l.ngshare.errors4xx} 4xx, ${l.ngshare.databaseLocked} \`database is locked\`, ${l.ngshare.uncaught} uncaught exceptions`,
      `- hub: ${l.hub.rateLimited} rate-limited (429), ${l.hub.errors5xx} 5xx; ngshare's token checks (/hub/api/user): ${l.hub.tokenChecks}, p50 ${fmt(l.hub.tokenCheckP50Ms, ' ms')}, p95 ${fmt(l.hub.tokenCheckP95Ms, ' ms')}, max ${fmt(l.hub.tokenCheckMaxMs, ' ms')}`,
      `- proxy: ${l.proxy.errors} errors`,
    );
    const ex = [...l.ngshare.examples, ...l.hub.examples, ...l.proxy.examples];
    if (ex.length) out.push('', '```', ...ex, '```');
    out.push('');
  }
  return out.join('\n');
}

export function reportMarkdown(r: RushReport): string {
  const out: string[] = [];
  out.push(`# Deadline rush, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`, '');
  out.push(`Command: \`${r.command}\``, '');
  out.push(
    `- platform ${r.platform}, run ${r.runId}, hub ${r.hubUrl}`,
    `- machine: ${r.machine.cores} cores, ${r.machine.memTotalMb} MB; ${r.cores.reason}`,
    `- uptime at the start: \`${r.machine.uptimeBefore}\`; at the end: \`${r.machine.uptimeAfter ?? '–'}\``,
    `- bound of every phase and client: ${seconds(r.settings.phaseBoundMs, 0)} s; a stamp is late after ${r.settings.lateAfterSeconds} s; autograde sample ${r.settings.sample}`,
    `- versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  );
  out.push('## Result', '');
  for (const s of r.steps) out.push(`- \`${rushLine(s)}\` (uptime after: \`${s.uptime.after}\`)`);
  if (r.knee) out.push('', `**${r.knee.line}**`, '', r.knee.why);
  if (r.cappedByMemory && !r.knee) out.push('', `${r.cappedByMemory.students} students not run: free memory holds ${r.cappedByMemory.cap} clients.`);
  out.push('', "Charts: chart.html. Every client's output: <size>-students/clients/<phase>/<student>.log.", '');
  for (const s of r.steps) out.push(stepMarkdown(s, r.settings.phaseBoundMs));
  return out.join('\n');
}

export function reportHtml(r: RushReport): string {
  const sections = r.steps.map(
    (s) =>
      `<h2>${s.students} students (${s.courseId}): ${s.passed ? 'passed' : 'FAILED'}</h2>\n<p><code>${rushLine(s)}</code><br>uptime after: <code>${s.uptime.after.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</code></p>\n${stepChart(s)}`,
  );
  const knee =
    r.steps.length > 1
      ? `<h2>p95 against class size</h2>\n${kneeChart(r.steps)}\n<p>${(r.knee?.why ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`
      : '';
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>Deadline rush ${r.startedAt}</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:1em auto}code{background:#f4f4f4}</style></head>\n<body>\n<h1>Deadline rush</h1>\n<p>Each dot is one student's client, placed at the moment it ended (x) at the height of its latency (y). Lines: ngshare's and the hub's CPU, % of one core. Shaded: the instructor's collect.</p>\n${knee}\n${sections.join('\n')}\n</body></html>\n`;
}

export function writeReports(outDir: string, r: RushReport): void {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), redact(JSON.stringify(r, null, 2)));
  fs.writeFileSync(path.join(outDir, 'report.md'), redact(reportMarkdown(r)));
  fs.writeFileSync(path.join(outDir, 'chart.html'), redact(reportHtml(r)));
}
