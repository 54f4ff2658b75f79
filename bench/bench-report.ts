/**
 * The pure half of `npm run bench`: a harness run (its record and wall time) and a floor run (the
 * lines bench/floor.sh prints) turned into the same rows, and the table that compares them.
 */
import { formatDuration } from '../cluster/log.js';
import { percentile, type RunRecord, type TimedCommand } from './run-record.js';

/** Rows every kind of run can have, in print order; tutorial steps go between `servers` and `teardown`. */
export const rowNames = {
  envs: 'Python environments',
  services: 'proxy, ngshare, hub',
  servers: 'user servers',
  teardown: 'teardown',
  setupExtra: 'harness: setup beyond the stack',
  testExtra: 'harness: tutorial test beyond its steps',
  runner: 'harness: npm, tsx, Playwright, reports',
  /** The runner row split, when the spawn time is known. */
  start: 'harness: start (npm, tsx, Playwright, 1st worker)',
  workers: 'harness: new worker per project',
  exit: 'harness: after the last test (reports, exit)',
  total: 'total',
} as const;

/** One measured run: milliseconds per row (a row it does not have is absent), and its commands. */
export interface Timing {
  rows: Record<string, number>;
  /** Tutorial step titles, in order. */
  steps: string[];
  commands: Array<Pick<TimedCommand, 'user' | 'command' | 'durationMs'> & { exitCode?: number }>;
}

/** formatDuration's output back to milliseconds: "402 ms", "5.6 s", "3 min 05 s". */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  let m = /^(\d+(?:\.\d+)?) ms$/.exec(t);
  if (m) return Math.round(Number(m[1]));
  m = /^(\d+(?:\.\d+)?) s$/.exec(t);
  if (m) return Math.round(Number(m[1]) * 1000);
  m = /^(\d+) min (\d+) s$/.exec(t);
  if (m) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  return undefined;
}

/**
 * The local platform's progress lines in the setup test's stderr, in milliseconds: the environments'
 * step and the services' step each their own time, `servers` the whole bring-up's (since `up` began).
 */
export function setupMilestones(stderr: string): { envs?: number; services?: number; servers?: number; builds: Record<string, number> } {
  const find = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? parseDuration(m[1]) : undefined;
  };
  const builds: Record<string, number> = {};
  for (const m of stderr.matchAll(/python-envs: ([\w-]+) environment ready in ([^\n]+)/g)) {
    const ms = parseDuration(m[2]);
    if (ms !== undefined) builds[m[1]] = ms;
  }
  // A duration as formatDuration writes it, whatever follows it on the line.
  const d = '(\\d+(?:\\.\\d+)? m?s|\\d+ min \\d+ s)';
  return {
    envs: find(new RegExp(`platform: Python environments ready in ${d}`)),
    services: find(new RegExp(`platform: hub, proxy and ngshare up at \\S+ in ${d}`)),
    servers: find(new RegExp(`platform: local stack ready (?:at \\S+ )?in ${d}`)),
    builds,
  };
}

/**
 * A harness run as rows. The stack's parts come from the platform's progress lines; what the
 * harness adds is what is left of each Playwright test, and of the wall time, around them.
 */
export function harnessTiming(record: RunRecord, wallMs: number, spawnedAtMs?: number): Timing {
  const test = (project: string) => record.tests.find((t) => t.project === project);
  const setup = test('setup');
  const tutorial = test('tutorial');
  const teardown = test('teardown');
  const marks = setupMilestones(setup?.stderr ?? '');
  const rows: Record<string, number> = {};
  if (marks.envs !== undefined) rows[rowNames.envs] = marks.envs;
  if (marks.services !== undefined) rows[rowNames.services] = marks.services;
  if (marks.envs !== undefined && marks.services !== undefined && marks.servers !== undefined) {
    rows[rowNames.servers] = marks.servers - marks.envs - marks.services;
  }
  const steps = record.steps.filter((s) => !s.name.startsWith('['));
  for (const s of steps) rows[s.name] = s.durationMs;
  if (teardown) rows[rowNames.teardown] = teardown.durationMs;
  if (setup && marks.servers !== undefined) rows[rowNames.setupExtra] = setup.durationMs - marks.servers;
  if (tutorial) rows[rowNames.testExtra] = tutorial.durationMs - steps.reduce((a, s) => a + s.durationMs, 0);
  rows[rowNames.runner] = wallMs - (setup?.durationMs ?? 0) - (tutorial?.durationMs ?? 0) - (teardown?.durationMs ?? 0);
  // Where the runner's time goes: before the first test, between tests (each project gets a new
  // worker process), and after the last one.
  const timed = record.tests.filter((t) => t.startedAtMs !== undefined).sort((a, b) => a.startedAtMs! - b.startedAtMs!);
  if (spawnedAtMs !== undefined && timed.length === record.tests.length && timed.length) {
    const last = timed.at(-1)!;
    rows[rowNames.start] = timed[0].startedAtMs! - spawnedAtMs;
    rows[rowNames.workers] = timed.slice(1).reduce((a, t, i) => a + (t.startedAtMs! - (timed[i].startedAtMs! + timed[i].durationMs)), 0);
    rows[rowNames.exit] = spawnedAtMs + wallMs - (last.startedAtMs! + last.durationMs);
  }
  rows[rowNames.total] = wallMs;
  return {
    rows,
    steps: steps.map((s) => s.name),
    commands: record.commands.map((c) => ({ user: c.user, command: c.command, durationMs: c.durationMs })),
  };
}

/** bench/floor.sh's stdout (`step <ms> <title>`, `command <ms> <exit> <user> <cwd> <command>`; other lines ignored) as rows. */
export function floorTiming(stdout: string, wallMs: number): Timing {
  const rows: Record<string, number> = {};
  const steps: string[] = [];
  const commands: Timing['commands'] = [];
  for (const line of stdout.split('\n')) {
    let m = /^step (\d+) (.+)$/.exec(line);
    if (m) {
      if (m[2] === 'total') continue; // the script's own clock; the wall time below includes starting bash
      rows[m[2]] = Number(m[1]);
      if (m[2].startsWith('Step ')) steps.push(m[2]);
      continue;
    }
    m = /^command (\d+) (\d+) (\S+) (\S+) (.+)$/.exec(line);
    if (m) commands.push({ durationMs: Number(m[1]), exitCode: Number(m[2]), user: m[3], command: m[5] });
  }
  rows[rowNames.total] = wallMs;
  return { rows, steps, commands };
}

/** Row by row median of several runs of one kind (rows do not then add up exactly to the total). */
export function medianTiming(timings: Timing[]): Timing | undefined {
  if (!timings.length) return undefined;
  const names = [...new Set(timings.flatMap((t) => Object.keys(t.rows)))];
  const rows: Record<string, number> = {};
  for (const name of names) {
    const values = timings.flatMap((t) => (name in t.rows ? [t.rows[name]] : []));
    rows[name] = percentile(values, 50)!;
  }
  const first = timings[0];
  const commands = first.commands.map((c, i) => ({
    ...c,
    durationMs: percentile(
      timings.flatMap((t) => (t.commands[i] ? [t.commands[i].durationMs] : [])),
      50,
    )!,
  }));
  return { rows, steps: first.steps, commands };
}

/** Differences between two runs' command lists (user and command, in order); empty when identical. */
export function commandListDifferences(a: Timing, b: Timing): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.commands.length, b.commands.length); i++) {
    const x = a.commands[i];
    const y = b.commands[i];
    if (!x || !y || x.user !== y.user || x.command !== y.command) {
      out.push(`#${i + 1}: ${x ? `${x.user}: ${x.command}` : '(none)'} vs ${y ? `${y.user}: ${y.command}` : '(none)'}`);
    }
  }
  return out;
}

const cell = (ms: number | undefined) => (ms === undefined ? '—' : formatDuration(ms));
const signed = (ms: number | undefined) => (ms === undefined ? '' : `${ms < 0 ? '−' : '+'}${formatDuration(Math.abs(ms))}`);

function table(header: string[], body: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ')}`.trimEnd();
  return [line(header), ...body.map(line)];
}

/** The per-step table of cold, warm and floor, then warm against floor per command. */
export function formatComparison(columns: { cold?: Timing; warm?: Timing; floor?: Timing }): string[] {
  const { cold, warm, floor } = columns;
  const steps = (warm ?? cold ?? floor)?.steps ?? [];
  const names = [
    rowNames.envs,
    rowNames.services,
    rowNames.servers,
    ...steps,
    rowNames.teardown,
    rowNames.setupExtra,
    rowNames.testExtra,
    rowNames.runner,
    rowNames.start,
    rowNames.workers,
    rowNames.exit,
    rowNames.total,
  ];
  const indent = new Set<string>([rowNames.start, rowNames.workers, rowNames.exit]);
  const body = names.map((name) => {
    const w = warm?.rows[name];
    const f = floor?.rows[name];
    return [
      indent.has(name) ? `  of which ${name.replace('harness: ', '')}` : name,
      cell(cold?.rows[name]),
      cell(w),
      cell(f),
      w === undefined ? '' : signed(w - (f ?? 0)),
    ];
  });
  const lines = table(['', 'cold', 'warm', 'floor', 'warm − floor'], body);
  if (warm && floor && warm.commands.length) {
    lines.push(
      '',
      ...table(
        ['command (warm vs floor)', 'warm', 'floor', 'warm − floor'],
        warm.commands.map((c, i) => {
          const f = floor.commands[i];
          return [`${c.user}: ${c.command}`, cell(c.durationMs), cell(f?.durationMs), f ? signed(c.durationMs - f.durationMs) : ''];
        }),
      ),
    );
  }
  return lines;
}

/**
 * What only the harness does (rows the floor has no counterpart for: checking the cached
 * environments, setup and fixtures around the stack, npm/tsx/Playwright), in ms.
 */
export function harnessOwnMs(warm: Timing): number {
  return [rowNames.envs, rowNames.setupExtra, rowNames.testExtra, rowNames.runner].reduce((a, name) => a + (warm.rows[name] ?? 0), 0);
}

/** The last line of the bench: "warm/floor = 1.23". */
export function ratioLine(warm: Timing | undefined, floor: Timing | undefined): string {
  const w = warm?.rows[rowNames.total];
  const f = floor?.rows[rowNames.total];
  if (!w || !f) return 'warm/floor = n/a';
  return `warm/floor = ${(w / f).toFixed(2)}`;
}
