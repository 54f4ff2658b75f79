/**
 * The floor of `npm run bench`: the work of a warm `npm run e2e` on the local platform done by hand,
 * with no harness, no checks and no reports. So that it cannot drift from what the local platform
 * does, nothing of the stack is written here: a stack is brought up through the product
 * (`npm run up`), removed again (`npm run down`), and the floor replays by hand what that stack
 * recorded of itself (the StartRecords ability): fresh copies of the files it had before its
 * services started, the same commands with the same arguments, directories and environments, in
 * the same order, each started after what it was started after, and ready when the same addresses
 * answer. bench/floor.sh does the replay, with the tutorial's commands, as a shell script.
 *
 * Paths move from the run directory to the floor's own; the run id becomes the floor's tag; the
 * ports stay the recorded ones (`down` has just freed them). Secrets are the run's, from its
 * secrets file: they go only into the floor's directory (mode 0700) and its 0600 floor.env.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../cluster/errors.js';
import { attachStack } from '../cluster/lifecycle.js';
import { canRecordStarts, type StartRecord } from '../cluster/platform.js';
import { STACK_TAG } from '../cluster/processes.js';
import type { HarnessConfig } from '../cluster/config.js';
import { findRun } from '../cluster/run/index.js';
import { shellQuote } from '../cluster/shell.js';
import { tutorial } from '../cluster/versions.js';
import type { StackInfo } from '../cluster/stack-state.js';
import { interrupts, runHarnessChild } from '../scripts/lib/harness-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const floorScript = path.join(here, 'floor.sh');

/** What the floor needs of a stack besides its start record: where its hub is, its users and course, the hub token. */
export interface FloorStack {
  info: Pick<StackInfo, 'runId' | 'hubApiUrl' | 'users' | 'courseId'>;
  hubToken: string;
  record: StartRecord;
}

/** A word of the record moved from the run to the floor: its directory, then its id (the process tag). */
function mover(record: StartRecord, runId: string, work: string, tag: string): (text: string) => string {
  return (text) => text.split(record.root).join(work).split(runId).join(tag);
}

const words = (argv: string[]) => argv.map(shellQuote).join(' ');
const fn = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Makes the floor's directory from a stack's record: copies of its files (paths and run id
 * moved), its directories, and floor.env, which floor.sh sources: one start_<service> and one
 * ready_<service> function per service, their order, and the hub, users and course.
 */
export function prepareFloor(stack: FloorStack, work: string, tag: string): void {
  const { record, info } = stack;
  const move = mover(record, info.runId, work, tag);
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  for (const dir of record.dirs) fs.mkdirSync(path.join(work, dir), { recursive: true });
  for (const file of record.files) {
    const from = path.join(record.root, file);
    const to = path.join(work, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, move(fs.readFileSync(from, 'utf8')), { mode: fs.statSync(from).mode & 0o777 });
  }
  const secrets = JSON.parse(fs.readFileSync(path.join(record.root, record.secretsFile), 'utf8')) as Record<string, string>;
  const secret = (name: string) => {
    if (!secrets[name]) throw new HarnessError('floor', `the run's secrets file has no "${name}", which its start record names`);
    return secrets[name];
  };
  const lines = [
    `# Written by bench/floor.ts from the start record of run ${info.runId}; sourced by bench/floor.sh. Holds secrets: mode 0600.`,
    `floor_tag=${shellQuote(tag)}`,
    `hub_api=${shellQuote(info.hubApiUrl)}`,
    `api_token=${shellQuote(stack.hubToken)}`,
    `instructor=${shellQuote(info.users.instructor)}`,
    `student=${shellQuote(info.users.student)}`,
    `course=${shellQuote(info.courseId)}`,
    `services=(${record.services.map((s) => shellQuote(s.service)).join(' ')})`,
    'declare -A after log',
  ];
  for (const s of record.services) {
    const env = { ...s.env, ...Object.fromEntries(Object.entries(s.secretEnv).map(([name, key]) => [name, secret(key)])), [STACK_TAG]: info.runId };
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${move(value)}`);
    const probes = s.ready.map((p) => {
      const auth = p.token ? ['-H', `Authorization: token ${secret(p.token)}`] : [];
      // Any HTTP answer: curl exits 0 whatever the status. A 2xx: -f makes any other status a failure.
      return words(['curl', '-s', '-o', '/dev/null', '--max-time', '5', ...(p.anyAnswer ? [] : ['-f']), ...auth, p.url]);
    });
    lines.push(
      `after[${s.service}]=${shellQuote(s.after.join(' '))}`,
      `log[${s.service}]=${shellQuote(move(s.logFile))}`,
      // Its own session (a process group to stop), its own environment only, its output to its log.
      `start_${fn(s.service)}() { cd ${shellQuote(move(s.cwd))} && exec setsid env -i ${words(assignments)} ${words([s.command, ...s.args].map(move))} >>${shellQuote(move(s.logFile))} 2>&1; }`,
      `ready_${fn(s.service)}() { ${probes.join(' && ')}; }`,
    );
  }
  fs.writeFileSync(path.join(work, 'floor.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Brings a local stack up through the product, removes it, and returns what the floor replays of it. */
export async function recordedStack(config: HarnessConfig, env: Record<string, string>, logDir: string): Promise<FloorStack> {
  const up = await runHarnessChild({ script: 'up', env, logFile: path.join(logDir, 'up.log'), ownGroup: true, timeoutMs: 20 * 60_000 });
  const down = await runHarnessChild({ script: 'down', args: [up.runId], env, logFile: path.join(logDir, 'down.log'), timeoutMs: 5 * 60_000 });
  if (up.exitCode !== 0) throw new HarnessError('floor', `npm run up failed (exit ${up.exitCode}); see ${path.join(logDir, 'up.log')}`, tail(up.output));
  if (down.exitCode !== 0) throw new HarnessError('floor', `npm run down ${up.runId} failed (exit ${down.exitCode})`, tail(down.output));
  const run = findRun(config, up.runId);
  if (!run) throw new HarnessError('floor', `npm run up said it made run ${up.runId}, but there is no such run under ${config.stateDir}`);
  const stack = await attachStack(run);
  if (!canRecordStarts(stack)) throw new HarnessError('floor', `the ${run.stack.load().platform} platform records no start record to replay`);
  return { info: stack.state, hubToken: stack.hubToken, record: stack.startRecord() };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface FloorRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Why the floor did not do the work, if it did not. */
  problems: string[];
}

/**
 * One replay by bench/floor.sh in `work` (timed from spawn to exit), then whether it did the
 * work: every command exited 0 and the autograded notebooks are there.
 */
export async function runFloor(stack: FloorStack, work: string): Promise<FloorRun> {
  const tag = `floor-${path.basename(work)}`;
  prepareFloor(stack, work, tag);
  const started = performance.now();
  const child = spawn('bash', [floorScript, work], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Ctrl-C or SIGTERM: the floor stops its services and exits; the caller sees it was interrupted.
  const forward = (signal: NodeJS.Signals) => {
    interrupts.count += 1;
    child.kill(signal);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  process.off('SIGINT', forward).off('SIGTERM', forward);
  const wallMs = Math.round(performance.now() - started);
  const problems: string[] = [];
  if (exitCode !== 0) problems.push(`floor exited ${exitCode}: ${tail(stderr, 3).split('\n').join(' | ')}`);
  for (const m of stdout.matchAll(/^command \d+ (\d+) (\S+) \S+ (.+)$/gm)) if (m[1] !== '0') problems.push(`floor: ${m[2]}: ${m[3]} exited ${m[1]}`);
  // The instructor's home as its server had it (floor.sh prints it), not as this file would guess it.
  const { instructor, student } = stack.info.users;
  const home = new RegExp(`^home ${instructor} (.+)$`, 'm').exec(stdout)?.[1];
  const graded = ['problem1', 'problem2'].map((nb) => path.join(home ?? '?', stack.info.courseId, 'autograded', student, tutorial.assignment, `${nb}.ipynb`));
  if (exitCode === 0 && !graded.every((f) => fs.existsSync(f)))
    problems.push(`floor: the autograded notebooks are missing (${graded[0]}): it did not do the work`);
  return { exitCode, stdout, stderr, wallMs, problems };
}

/** A new directory for one floor run (the caller removes it). */
export function floorWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-e2e-floor-'));
}
