/**
 * The deadline rush: a class of N students fetches at once and submits at once with the real
 * nbgrader and ngshare-exchange clients, each with its own identity and token; the instructor
 * collects and autogrades a sample; then every submission is checked against what its student saw.
 *
 * One step is one class on the stack (a classroom of its own: a new course and new students, so
 * steps and reruns never meet). The instructor works in their own server (stack.exec), as in the
 * tutorial; the students are identities only (no servers): their clients run on this machine and
 * reach ngshare through the hub's proxy, as a student's server reaches it (see clients.ts).
 *
 * Everything a step makes it removes when the stack outlives the run (an attached or kept stack):
 * the students' tokens always; the students, the course in ngshare and the instructor's course
 * directory when the stack stays up.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { openClassroom, type Classroom } from '../../cluster/classroom.js';
import { machineLoad } from '../machine.js';
import { HarnessError, errorMessage } from '../../cluster/errors.js';
import { HubClient } from '../../cluster/hub-client.js';
import type { Logger } from '../../cluster/log.js';
import { formatDuration } from '../../cluster/log.js';
import { NgshareClient } from '../../cluster/ngshare-client.js';
import { canRedeploy, type CommandResult, type Stack, type StackService } from '../../cluster/platform.js';
import { STACK_TAG } from '../../cluster/processes.js';
import { memAvailableBytes } from '../../cluster/proc-usage.js';
import type { PythonEnv } from '../../cluster/python/python-envs.js';
import type { Run } from '../../cluster/run/index.js';
import { shellQuote } from '../../cluster/shell.js';
import { tutorial } from '../../cluster/versions.js';
import {
  checkFetched,
  checkSubmissions,
  hasLossOrDuplicate,
  stampOf,
  type CollectedSubmission,
  type FileDigest,
  type StudentSubmit,
  type SubmissionVerdict,
} from './checks.js';
import { runClients, type ClientResult, type PhaseRun } from './clients.js';
import { scanServiceLogs, type LogScan } from './logs.js';
import { barrierSkew, classifyFailure, countKinds, errorLines, summarize, type ErrorKind, type LatencySummary, type Skew } from './stats.js';
import { once, whileRunning } from './undo.js';
import { UsageSampler, meanCoreBusy, memoryCap, type CorePlan, type Sample, type ServiceSummary } from './usage.js';

const assignment = tutorial.assignment;

export interface RushSettings {
  /** Every phase (and every client) ends within this, or the step fails. */
  phaseBoundMs: number;
  /** A stamp more than this after its student ran submit is late. */
  lateAfterSeconds: number;
  /** How many students' submissions the instructor autogrades. */
  sample: number;
  /** Remove each step's students, course and course directory (the stack outlives the run). */
  removeClassrooms: boolean;
  /** Where the clients' homes go (removed after each step). */
  workDir: string;
}

export interface RushContext {
  stack: Stack;
  run: Run;
  userEnv: PythonEnv;
  cores: CorePlan;
  settings: RushSettings;
  log: Logger;
}

export interface ClientPoint {
  student: string;
  /** ms from the phase's barrier to the client's start and end (its kill, for a timeout). */
  startMs?: number;
  endMs?: number;
  latencyMs?: number;
  ok: boolean;
  kind?: ErrorKind;
}

export interface PhaseReport {
  phase: 'fetch' | 'submit';
  clients: number;
  ok: number;
  failed: number;
  errors: Record<ErrorKind, number>;
  /** What the students saw, per kind of error: the first client's error lines. */
  examples: Partial<Record<ErrorKind, { student: string; lines: string[] }>>;
  latency: LatencySummary;
  skew: Skew;
  /** From the barrier to the last client's end. */
  wallMs: number;
  boundMs: number;
  withinBound: boolean;
  /** How long the clients took to reach the barrier. */
  readyMs: number;
  clientsCpuSeconds: number;
  clientCpuSecondsMax?: number;
  /**
   * The clients' CPU over the time their cores had during the phase (%): near 100, the clients could
   * not all send their requests at once, however sharp the barrier (N pods would each have a CPU).
   */
  clientsCoreShare?: number;
  /** Private memory of one client at its end (largest), and of all together, plus the forking process. */
  clientUssMbMax?: number;
  clientsUssMbTotal: number;
  forkServerRssMb: number;
  preloadSeconds: number;
  services: Partial<Record<StackService, ServiceSummary>>;
  /** Mean busy % of each core during the phase. */
  coresBusy: number[];
  /** ms of this phase's barrier after the step's first barrier (the chart's time axis). */
  offsetMs: number;
  points: ClientPoint[];
}

export interface InstructorPhase {
  ok: boolean;
  wallMs: number;
  withinBound: boolean;
  detail: string;
  offsetMs: number;
  services: Partial<Record<StackService, ServiceSummary>>;
}

export interface StepReport {
  students: number;
  courseId: string;
  passed: boolean;
  /** Why it did not pass, one sentence each. */
  failures: string[];
  /** `uptime` before and after the step: every number of the step was measured under this load. */
  uptime: { before: string; after: string };
  /** Other harness runs on the machine when the step started (stacks and test runs of other people). */
  otherRuns: number;
  prepareMs: number;
  fetch?: PhaseReport;
  submit?: PhaseReport;
  collect?: InstructorPhase & { processed?: number; collected: number };
  autograde?: InstructorPhase & { students: string[] };
  verdict?: SubmissionVerdict;
  logs?: LogScan;
  /** The memory the clients had to work with, and what one of them took. */
  memory: { availableMbBefore: number; perClientMb?: number; capForNextStep?: number };
  samples: Sample[];
}

/** `uptime`'s own line, as people know it. */
export async function uptime(): Promise<string> {
  const { stdout } = await execa('uptime').catch(() => ({
    stdout: `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  }));
  return stdout.trim();
}

/** A Python program the instructor's server runs to describe files by content (see checks.ts FileDigest). */
const digestProgram = `
import hashlib, json, os, sys
def digest(p):
    b = open(p, 'rb').read()
    d = {'sha256': hashlib.sha256(b).hexdigest(), 'bytes': len(b)}
    if p.endswith('.ipynb'):
        try:
            d['validNotebook'] = isinstance(json.loads(b).get('cells'), list)
        except Exception:
            d['validNotebook'] = False
    return d
def tree(top):
    out = {}
    for dp, dn, fn in os.walk(top):
        dn[:] = [d for d in dn if d != '.ipynb_checkpoints']
        for f in fn:
            p = os.path.join(dp, f)
            out[os.path.relpath(p, top)] = digest(p)
    return out
mode, root = sys.argv[1], sys.argv[2]
if mode == 'tree':
    print(json.dumps(tree(root)))
else:
    out = {}
    for student in (sorted(os.listdir(root)) if os.path.isdir(root) else []):
        d = os.path.join(root, student, sys.argv[3])
        if not os.path.isdir(d):
            continue
        files = tree(d)
        stamp = None
        if files.pop('timestamp.txt', None) is not None:
            stamp = open(os.path.join(d, 'timestamp.txt')).read().strip()
        out[student] = {'timestamp': stamp, 'files': files}
    print(json.dumps(out))
`;

/** The same digest as digestProgram, of a file on this machine. */
export function digestFile(file: string): FileDigest {
  const bytes = fs.readFileSync(file);
  const d: FileDigest = { sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  if (file.endsWith('.ipynb')) {
    try {
      d.validNotebook = Array.isArray((JSON.parse(bytes.toString('utf8')) as { cells?: unknown }).cells);
    } catch {
      d.validNotebook = false;
    }
  }
  return d;
}

/** Every file below `dir` by relative path (checkpoints left out, as the digest program does). */
export function digestTree(dir: string): Record<string, FileDigest> {
  const out: Record<string, FileDigest> = {};
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    if (rel.split(path.sep).includes('.ipynb_checkpoints')) continue;
    out[rel] = digestFile(full);
  }
  return out;
}

/**
 * The student's work: a code cell of their own at the end of each notebook (its text names the
 * student and the step), so that what is collected can be told apart from what was released.
 */
export function addStudentCell(file: string, marker: string): void {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { nbformat: number; nbformat_minor: number; cells: Array<Record<string, unknown>> };
  const cell: Record<string, unknown> = { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: [`# ${marker}\n`, 'answer = 42\n'] };
  if (nb.nbformat > 4 || (nb.nbformat === 4 && nb.nbformat_minor >= 5)) cell.id = crypto.createHash('sha256').update(marker).digest('hex').slice(0, 12);
  nb.cells.push(cell);
  fs.writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
}

/** Runs `fn` over the items, at most `limit` at a time. */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** One class of `students`: prepare, fetch, modify, submit, collect, autograde a sample, check. */
export async function runStep(ctx: RushContext, students: number, stepDir: string): Promise<StepReport> {
  const { stack, run, settings, log } = ctx;
  const bound = settings.phaseBoundMs;
  const before = await uptime();
  const otherRuns = machineLoad([run.id]).otherRuns.length;
  const availableMbBefore = Math.round(memAvailableBytes() / 2 ** 20);
  const failures: string[] = [];
  const prepareStart = Date.now();
  const hub = new HubClient(stack.state.hubApiUrl, stack.hubToken);
  const tokens: Array<{ user: string; id: string }> = [];
  const homes = path.join(settings.workDir, `step-${students}`);
  let classroom: Classroom | undefined;

  // Undone when the step ends, or by Ctrl-C: the clients' homes here; the tokens, and the classroom
  // of a stack that stays up, on the stack.
  const removeHomes = once(async () => fs.rmSync(homes, { recursive: true, force: true }));
  const removeFromStack = once(async () => {
    await inBatches(tokens.splice(0), 8, (t) => hub.deleteToken(t.user, t.id).catch(() => undefined));
    if (classroom && settings.removeClassrooms)
      await removeClassroom(ctx, classroom).catch((err: unknown) => log.warn(`removing ${classroom!.courseId}: ${errorMessage(err)}`));
  });
  const forget = [whileRunning('machine', removeHomes), whileRunning('stack', removeFromStack)];
  try {
    log.info(`${students} students: opening a classroom (a course of its own, students enrolled through ngshare's API)`);
    classroom = await openClassroom(stack, run, { course: 'created', students, servers: false, enrol: true });
    const course = classroom.courseId;
    const instructor = classroom.instructor;
    const exec = async (command: string, cwd?: string, timeoutMs = bound): Promise<CommandResult> => stack.exec(instructor, command, { cwd, timeoutMs });
    // Preparation is not measured: bounded by the run's command bound, not the phase bound.
    const must = async (command: string, expect: RegExp, cwd?: string) => {
      const r = await exec(command, cwd, run.config.timeouts.commandMs);
      if (r.exitCode !== 0 || !expect.test(r.output))
        throw new HarnessError(
          'rush',
          `instructor: \`${command}\` failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''})`,
          r.output.trim().split('\n').slice(-15).join('\n'),
        );
      return r;
    };
    log.info(`${students} students: the instructor releases ${assignment} in course ${course} (quickstart, generate, release)`);
    await must(`nbgrader quickstart ${shellQuote(course)}`, /Done!/);
    await must(`nbgrader generate_assignment ${assignment}`, /Converting notebook/, course);
    await must(`nbgrader release_assignment ${assignment}`, new RegExp(`Successfully released ${assignment}`), course);
    const released = await digestsOf(ctx, instructor, 'tree', `${course}/release/${assignment}`);
    if (!Object.keys(released).some((f) => f.endsWith('.ipynb'))) throw new HarnessError('rush', `instructor: release/${assignment} has no notebook`);

    log.info(`${students} students: minting each student's token`);
    const minted = await inBatches(classroom.students, 8, async (student) => {
      const t = await hub.createToken(student, `e2e ${run.id}: rush ${course}`, Math.ceil((4 * bound) / 1000) + 3600);
      tokens.push({ user: student, id: t.id });
      return t.token;
    });
    const exchangeUrl = `${stack.state.hubUrl.replace(/\/$/, '')}/services/ngshare`;
    const clientSpecs = (phase: string, names: string[]) =>
      names.map((student) => {
        const home = path.join(homes, student);
        return {
          name: student,
          cwd: home,
          log: path.join(stepDir, 'clients', phase, `${student}.log`),
          env: {
            // What a student's server gives nbgrader: who they are, their token, their home.
            JUPYTERHUB_USER: student,
            JUPYTERHUB_API_TOKEN: minted[classroom!.students.indexOf(student)],
            HOME: home,
            PATH: `${ctx.userEnv.bin}:/usr/local/bin:/usr/bin:/bin`,
            LANG: 'C.UTF-8',
            [STACK_TAG]: run.id,
          },
        };
      });
    for (const student of classroom.students) {
      const home = path.join(homes, student);
      fs.mkdirSync(path.join(home, '.jupyter'), { recursive: true });
      fs.writeFileSync(
        path.join(home, '.jupyter', 'nbgrader_config.py'),
        `from ngshare_exchange import configureExchange\nc = get_config()\nconfigureExchange(c, '${exchangeUrl}')\nc.CourseDirectory.course_id = '${course}'\n`,
      );
    }
    const prepareMs = Date.now() - prepareStart;

    const sampler = new UsageSampler(stack);
    const logsBefore = await logSizes(stack);
    await sampler.start();
    let firstGo: number | undefined;
    const phase = async (name: 'fetch' | 'submit', names: string[]): Promise<PhaseRun> => {
      log.info(`${students} students: ${names.length} clients ${name === 'fetch' ? 'fetch' : 'submit'} ${assignment} at once (bound ${formatDuration(bound)})`);
      return runClients({
        python: ctx.userEnv.python,
        entry: 'nbgrader.apps.nbgraderapp:main',
        argv0: path.join(ctx.userEnv.bin, 'nbgrader'),
        args: [name === 'fetch' ? 'fetch_assignment' : 'submit', assignment],
        preload: ['nbgrader.apps.nbgraderapp', 'nbgrader.exchange', 'requests', 'rapidfuzz'],
        importedByEachClient: ['ngshare_exchange'],
        boundMs: bound,
        readyTimeoutMs: 60_000 + names.length * 500,
        clients: clientSpecs(name, names),
        cpus: ctx.cores.clientCpus,
        serverEnv: { PATH: `${ctx.userEnv.bin}:/usr/bin:/bin`, LANG: 'C.UTF-8', HOME: homes, [STACK_TAG]: run.id },
        onGo: () => {
          firstGo ??= Date.now();
          if (name === 'fetch') sampler.markOrigin(firstGo);
          void sampler.sampleNow();
        },
      }).finally(() => sampler.sampleNow());
    };

    // Fetch, all at once.
    const fetchRun = await phase('fetch', classroom.students);
    const fetchOk = new Set<string>();
    const fetchKinds = new Map<string, ErrorKind>();
    for (const r of fetchRun.results) {
      const printed = new RegExp(`Successfully fetched ${assignment}`).test(r.output) && new RegExp(`Successfully decoded ${assignment}`).test(r.output);
      const problems = printed ? checkFetched(released, digestTree(path.join(homes, r.name, assignment))) : [];
      if (printed && problems.length === 0 && !r.timedOut) fetchOk.add(r.name);
      else if (printed && problems.length) fetchKinds.set(r.name, 'other');
      else fetchKinds.set(r.name, classifyFailure(r.output, r.timedOut));
      if (printed && problems.length)
        r.output += `\n[rush] fetched files differ from the release: ${problems.map((p) => `${p.file} ${p.problem}`).join(', ')}\n`;
    }

    // Each student who has the assignment does some work, then all of them submit at once.
    const marker = (student: string) => `rush ${student} ${course}`;
    const submitted = new Map<string, Record<string, FileDigest>>();
    for (const student of fetchOk) {
      const dir = path.join(homes, student, assignment);
      for (const nb of Object.keys(released).filter((f) => f.endsWith('.ipynb'))) addStudentCell(path.join(dir, nb), marker(student));
      submitted.set(student, digestTree(dir));
    }
    const submitRun = fetchOk.size ? await phase('submit', [...fetchOk]) : undefined;
    const stamps = new Map<string, string>();
    const submitKinds = new Map<string, ErrorKind>();
    for (const r of submitRun?.results ?? []) {
      const stamp = r.timedOut ? undefined : stampOf(r.output, course, assignment);
      if (stamp) stamps.set(r.name, stamp);
      else submitKinds.set(r.name, classifyFailure(r.output, r.timedOut));
    }

    // The instructor collects, in their server.
    log.info(`${students} students: the instructor collects`);
    const collectStart = Date.now();
    await sampler.sampleNow();
    const collectRun = await exec(`nbgrader collect ${assignment}`, course);
    const collectWall = Date.now() - collectStart;
    await sampler.sampleNow();
    const processed = Number(/Processing (\d+) submissions/.exec(collectRun.output)?.[1] ?? 0);
    const collectedLines = (collectRun.output.match(/Collecting submission: /g) ?? []).length;
    const collectedRaw = JSON.parse(
      (
        await exec(
          `python -c ${shellQuote(digestProgram)} submitted ${shellQuote(`${course}/submitted`)} ${assignment}`,
          undefined,
          run.config.timeouts.commandMs,
        )
      ).stdout || '{}',
    ) as Record<string, { timestamp: string | null; files: Record<string, FileDigest> }>;
    const collected: CollectedSubmission[] = Object.entries(collectedRaw).map(([student, c]) => ({
      student,
      timestamp: c.timestamp ?? undefined,
      files: c.files,
    }));
    const stored = await listSubmissions(ctx, classroom);

    // A sample autograded: the submission graded is the one its student saw accepted.
    const sample = pickSample(
      [...stamps.keys()].filter((s) => collectedRaw[s]),
      settings.sample,
    );
    log.info(`${students} students: the instructor autogrades ${sample.length} of them (${sample.join(', ') || 'none'})`);
    const autogradeStart = Date.now();
    const autogradeProblems: string[] = [];
    for (const student of sample) {
      const r = await exec(`nbgrader autograde ${assignment} --student ${shellQuote(student)}`, course);
      const saw = `SubmittedAssignment<${assignment} for ${student}> submitted at ${stamps.get(student)}`;
      if (r.exitCode !== 0 || r.timedOut || !r.output.includes(saw)) {
        autogradeProblems.push(
          `${student}: autograde did not grade the submission its student saw (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}): ${r.output.trim().split('\n').slice(-3).join(' | ')}`,
        );
        continue;
      }
      const graded = await exec(`grep -l ${shellQuote(marker(student))} autograded/${shellQuote(student)}/${assignment}/*.ipynb | wc -l`, course);
      const notebooks = Object.keys(released).filter((f) => f.endsWith('.ipynb')).length;
      if (Number(graded.stdout.trim()) !== notebooks)
        autogradeProblems.push(`${student}: ${graded.stdout.trim()} of ${notebooks} autograded notebooks carry the student's own cell`);
    }
    const autogradeWall = Date.now() - autogradeStart;
    const samples = await sampler.stop();
    const logs = scanServiceLogs(await logsSince(stack, logsBefore));

    // The verdict.
    const studentsSubmits: StudentSubmit[] = classroom.students.map((student) => {
      const r = submitRun?.results.find((x) => x.name === student);
      return { student, ranAtMs: r?.startedMs, stampSeen: stamps.get(student), files: submitted.get(student) ?? {} };
    });
    const verdict = checkSubmissions(studentsSubmits, stored, collected, { lateAfterSeconds: settings.lateAfterSeconds });
    const origin = firstGo ?? fetchRun.goAtMs;
    const clientCores = ctx.cores.clientCpus?.length ?? os.cpus().length;
    const fetch = phaseReport(clientCores, 'fetch', fetchRun, fetchOk, fetchKinds, bound, sampler, samples, origin);
    const submit = submitRun ? phaseReport(clientCores, 'submit', submitRun, new Set(stamps.keys()), submitKinds, bound, sampler, samples, origin) : undefined;
    const collect = {
      ok: collectRun.exitCode === 0 && !collectRun.timedOut && processed === stored.length,
      wallMs: collectWall,
      withinBound: collectWall <= bound && !collectRun.timedOut,
      detail: `processed ${processed} submissions, collected ${collectedLines}${collectRun.timedOut ? ', timed out' : ''}`,
      offsetMs: collectStart - origin,
      services: sampler.summarize(samples, collectStart - origin, collectStart + collectWall - origin),
      processed,
      collected: verdict.collected,
    };
    const autograde = {
      ok: autogradeProblems.length === 0 && sample.length > 0,
      wallMs: autogradeWall,
      withinBound: autogradeWall <= bound * Math.max(1, sample.length),
      detail: autogradeProblems.join('\n') || `${sample.length} graded, each the submission its student saw, with the student's own cell`,
      offsetMs: autogradeStart - origin,
      services: {},
      students: sample,
    };

    if (fetch.failed) failures.push(`fetch: ${fetch.failed} of ${fetch.clients} failed (${kindsText(fetch.errors)})`);
    if (!fetch.withinBound) failures.push(`fetch: did not end within ${formatDuration(bound)} (${formatDuration(fetch.wallMs)})`);
    if (submit?.failed) failures.push(`submit: ${submit.failed} of ${submit.clients} failed (${kindsText(submit.errors)})`);
    if (submit && !submit.withinBound) failures.push(`submit: did not end within ${formatDuration(bound)} (${formatDuration(submit.wallMs)})`);
    for (const p of [fetch, submit]) {
      if (p && (p.skew.skewMs ?? 0) > 1000)
        failures.push(`${p.phase}: the clients started over ${formatDuration(p.skew.skewMs!)}, not within a second (the load generator)`);
    }
    if (!collect.ok) failures.push(`collect: ${collect.detail} (exit ${collectRun.exitCode}); ngshare lists ${stored.length}`);
    if (!collect.withinBound) failures.push(`collect: did not end within ${formatDuration(bound)} (${formatDuration(collectWall)})`);
    if (verdict.collected !== students || verdict.submitted !== students)
      failures.push(`${verdict.collected} collected, ${verdict.submitted} submitted, of ${students}`);
    failures.push(...verdict.problems);
    if (!autograde.ok) failures.push(`autograde: ${sample.length ? autograde.detail : 'nothing to grade'}`);
    if (hasLossOrDuplicate(verdict)) log.warn(`${verdict.problems.filter((p) => /^(LOST|DUPLICATED)/.test(p)).join('; ')}`);

    const perClientMb = submit?.clientUssMbMax ?? fetch.clientUssMbMax;
    const forkMb = Math.max(fetch.forkServerRssMb, submit?.forkServerRssMb ?? 0);
    return {
      students,
      courseId: course,
      passed: failures.length === 0,
      failures,
      uptime: { before, after: await uptime() },
      otherRuns,
      prepareMs,
      fetch,
      submit,
      collect,
      autograde,
      verdict,
      logs,
      memory: {
        availableMbBefore,
        perClientMb,
        capForNextStep: perClientMb ? memoryCap(perClientMb * 2 ** 20, forkMb * 2 ** 20) : undefined,
      },
      samples,
    };
  } finally {
    await removeHomes();
    await removeFromStack();
    for (const f of forget) f();
  }
}

function kindsText(errors: Record<ErrorKind, number>): string {
  return (
    Object.entries(errors)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'no error text'
  );
}

/** First, last and evenly between: a sample that is not only the first students to arrive. */
export function pickSample(names: string[], k: number): string[] {
  if (k <= 0 || names.length === 0) return [];
  if (names.length <= k) return [...names];
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const picks = new Set<string>();
  for (let i = 0; i < k; i++) picks.add(sorted[Math.round((i * (sorted.length - 1)) / Math.max(1, k - 1))]);
  return [...picks];
}

function phaseReport(
  clientCores: number,
  phase: 'fetch' | 'submit',
  r: PhaseRun,
  ok: Set<string>,
  kinds: Map<string, ErrorKind>,
  boundMs: number,
  sampler: UsageSampler,
  samples: Sample[],
  origin: number,
): PhaseReport {
  const points: ClientPoint[] = r.results.map((c: ClientResult) => {
    const end = c.endedMs ?? (c.timedOut && c.startedMs !== undefined ? c.startedMs + boundMs : undefined);
    return {
      student: c.name,
      startMs: c.startedMs === undefined ? undefined : c.startedMs - r.goAtMs,
      endMs: end === undefined ? undefined : end - r.goAtMs,
      latencyMs: end !== undefined && c.startedMs !== undefined ? end - c.startedMs : undefined,
      ok: ok.has(c.name),
      kind: ok.has(c.name) ? undefined : kinds.get(c.name),
    };
  });
  const examples: PhaseReport['examples'] = {};
  for (const c of r.results) {
    const kind = kinds.get(c.name);
    if (!kind || ok.has(c.name) || examples[kind]) continue;
    // A client past the bound printed no error: what the student saw is what it printed last, then nothing.
    const lines =
      kind === 'timeout'
        ? [...c.output.trimEnd().split('\n').filter(Boolean).slice(-4), `(nothing more for ${Math.round(boundMs / 1000)} s: killed at the bound)`]
        : errorLines(c.output);
    examples[kind] = { student: c.name, lines: lines.length ? lines : c.output.trim().split('\n').slice(-3) };
  }
  const latencies = points.flatMap((p) => (p.latencyMs === undefined ? [] : [p.latencyMs]));
  const uss = r.results.flatMap((c) => (c.ussKb ? [c.ussKb / 1024] : []));
  const cpu = r.results.flatMap((c) => (c.cpuSeconds === undefined ? [] : [c.cpuSeconds]));
  const wallMs = r.endedAtMs - r.goAtMs;
  const timeouts = r.results.filter((c) => c.timedOut).length;
  const from = r.goAtMs - origin;
  const to = r.endedAtMs - origin;
  return {
    phase,
    clients: r.results.length,
    ok: ok.size,
    failed: r.results.length - ok.size,
    errors: countKinds(r.results.filter((c) => !ok.has(c.name)).map((c) => kinds.get(c.name) ?? 'other')),
    examples,
    latency: summarize(latencies, timeouts),
    skew: barrierSkew(r.results.map((c) => c.startedMs)),
    wallMs,
    boundMs,
    withinBound: timeouts === 0 && wallMs <= boundMs + 2_000,
    readyMs: r.readyMs,
    clientsCpuSeconds: Math.round(cpu.reduce((a, b) => a + b, 0) * 100) / 100,
    clientCpuSecondsMax: cpu.length ? Math.round(Math.max(...cpu) * 100) / 100 : undefined,
    clientsCoreShare: wallMs > 0 ? Math.round((cpu.reduce((a, b) => a + b, 0) / clientCores / (wallMs / 1000)) * 1000) / 10 : undefined,
    clientUssMbMax: uss.length ? Math.round(Math.max(...uss) * 10) / 10 : undefined,
    clientsUssMbTotal: Math.round(uss.reduce((a, b) => a + b, 0)),
    forkServerRssMb: Math.round(r.serverRssKb / 1024),
    preloadSeconds: Math.round(r.preloadSeconds * 100) / 100,
    services: sampler.summarize(samples, from, to),
    coresBusy: meanCoreBusy(samples.filter((s) => s.t >= from && s.t <= to)),
    offsetMs: from,
    points,
  };
}

async function digestsOf(ctx: RushContext, user: string, mode: 'tree', dir: string): Promise<Record<string, FileDigest>> {
  const r = await ctx.stack.exec(user, `python -c ${shellQuote(digestProgram)} ${mode} ${shellQuote(dir)}`, { timeoutMs: ctx.run.config.timeouts.commandMs });
  if (r.exitCode !== 0) throw new HarnessError('rush', `instructor: could not read ${dir} (exit ${r.exitCode})`, r.output.trim());
  return JSON.parse(r.stdout) as Record<string, FileDigest>;
}

/** What ngshare holds for the assignment, asked as the instructor (their own token, minted for this and deleted). */
async function listSubmissions(ctx: RushContext, classroom: Classroom): Promise<Array<{ student: string; timestamp: string }>> {
  const hub = new HubClient(ctx.stack.state.hubApiUrl, ctx.stack.hubToken);
  const t = await hub.createToken(classroom.instructor, `e2e ${ctx.run.id}: rush list ${classroom.courseId}`, 600);
  try {
    return await new NgshareClient(ctx.stack.state.hubUrl, t.token, ctx.settings.phaseBoundMs).submissions(classroom.courseId, assignment);
  } finally {
    await hub.deleteToken(classroom.instructor, t.id).catch(() => undefined);
  }
}

/** The classroom's students (hub users), its course in ngshare and the instructor's course directory: gone. */
export async function removeClassroom(ctx: RushContext, classroom: Classroom): Promise<void> {
  const hub = new HubClient(ctx.stack.state.hubApiUrl, ctx.stack.hubToken);
  const t = await hub.createToken(classroom.instructor, `e2e ${ctx.run.id}: rush cleanup ${classroom.courseId}`, 600);
  try {
    await new NgshareClient(ctx.stack.state.hubUrl, t.token).deleteCourse(classroom.courseId);
    ctx.run.ledger.forget((r) => r.kind === 'ngshare-course' && r.courseId === classroom.courseId);
  } finally {
    await hub.deleteToken(classroom.instructor, t.id).catch(() => undefined);
  }
  await inBatches(classroom.students, 8, (s) => hub.deleteUser(s));
  const gone = new Set(classroom.students);
  ctx.run.ledger.forget((r) => r.kind === 'hub-user' && gone.has(r.name));
  await ctx.stack.exec(classroom.instructor, `rm -rf -- ${shellQuote(classroom.courseId)}`, { timeoutMs: 60_000 });
}

/** The length of each service log now, to read only what a step adds. */
async function logSizes(stack: Stack): Promise<Partial<Record<StackService, number>>> {
  if (!canRedeploy(stack)) return {};
  const out: Partial<Record<StackService, number>> = {};
  for (const s of ['ngshare', 'hub', 'proxy'] as const) out[s] = (await stack.serviceLog(s).catch(() => '')).length;
  return out;
}

async function logsSince(stack: Stack, sizes: Partial<Record<StackService, number>>): Promise<Partial<Record<StackService, string>>> {
  if (!canRedeploy(stack)) return {};
  const out: Partial<Record<StackService, string>> = {};
  for (const s of ['ngshare', 'hub', 'proxy'] as const) out[s] = (await stack.serviceLog(s).catch(() => '')).slice(sizes[s] ?? 0);
  return out;
}
