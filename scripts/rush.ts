// `npm run rush -- --students N`: the deadline rush. A class of N students fetches an assignment at
// once and submits at once with the real nbgrader and ngshare-exchange clients, each student with
// its own identity and token; the instructor collects and autogrades a sample; every submission is
// checked against what its student saw. `--students 10,50,100` steps up until a class fails: the
// knee. The load logic is in bench/rush/ (a measurement built on the provisioning library).
import { readConfig } from '../cluster/config.js';
import { attachStack, bringUp, exportDiagnostics, tearDown } from '../cluster/lifecycle.js';
import { logger } from '../cluster/log.js';
import { findRun, openRun, type Run } from '../cluster/run/index.js';
import { killLiveClients } from '../bench/rush/clients.js';
import { rush, type RushOutcome } from '../bench/rush/session.js';
import { undoAll } from '../bench/rush/undo.js';
import { defineCommand, runCommand, usageError, wholeNumber } from './lib/command.js';
import { clusterTargetOptions, describeKeptRun, harnessEnv, harnessOptions } from './lib/harness-options.js';

const command = defineCommand({
  name: 'rush',
  summary:
    'Deadline rush: N students fetch at once and submit at once with the real nbgrader clients; the instructor collects and autogrades a sample; nothing may be lost or late. Several sizes find the knee.',
  options: {
    students: {
      type: 'string',
      value: '<n[,n...]>',
      description: 'the class size; several, increasing (10,50,100), step up until a class fails and report the largest that passed',
    },
    'phase-timeout': { type: 'string', value: '<s>', description: 'bound of every phase and of every client in it, in seconds (default 120)' },
    'late-after': { type: 'string', value: '<s>', description: 'a stamp more than this after its student ran submit is late (default 60)' },
    sample: { type: 'string', value: '<n>', description: 'submissions the instructor autogrades (default 3; 0 skips autograde and fails the check)' },
    'max-students': {
      type: 'string',
      value: '<n>',
      description:
        "the most students one class may have: the operator's bound (default 1000 locally, 20 on a cluster);\nfree memory caps it further on this machine",
    },
    'no-pin': { type: 'boolean', description: 'leave ngshare and the clients where the scheduler puts them (default: ngshare on a core of its own)' },
    ...harnessOptions('platform', 'keep', 'run-id', 'port', ...clusterTargetOptions, 'baked-image'),
  },
  sections: [
    {
      title: 'What it does',
      lines: [
        'Brings a stack up (or attaches to a kept one with --run-id), opens a classroom of N students (hub users with no',
        "servers, enrolled through ngshare's API), releases ps1 from the instructor's server, then runs each student's",
        'nbgrader fetch_assignment and submit at once through a barrier, each client bounded by --phase-timeout.',
        "Writes e2e-output/rush-<stamp>/ (report.json, report.md, chart.html, every client's output).",
        'Last line: rush: N/N collected, 0 lost, p95 submit X s   (with several sizes: the largest class that passed).',
      ],
    },
    {
      title: 'What stays afterwards',
      lines: [
        'A stack this command brought up is removed (unless --keep). On a kept stack (--run-id) each class is removed',
        "after its step: its students, their tokens, its course in ngshare, the instructor's course directory. The",
        "instructor's ~/.jupyter/nbgrader_config.py keeps naming the last class's course until the next classroom.",
      ],
    },
    { title: 'Exit status', lines: ['0 the class (or the first size) passed and nothing was lost; 1 a failure; 2 a usage error; 130 interrupted'] },
  ],
});

const log = logger('rush');

function parseSizes(text: string | undefined, max: number): number[] {
  if (text === undefined) throw usageError(command, 'give --students <n> (or several: 10,50,100)');
  const sizes = text.split(',').map((s) => wholeNumber(command, 'students', s, 1));
  for (let i = 1; i < sizes.length; i++) {
    if (sizes[i] <= sizes[i - 1]) throw usageError(command, `--students ${text}: give increasing sizes`);
  }
  const over = sizes.filter((n) => n > max);
  if (over.length)
    throw usageError(command, `--students ${over.join(',')}: more than --max-students ${max} (the operator's bound; raise it if the stack can take it)`);
  return sizes;
}

await runCommand(command, async ({ values }) => {
  const { students, 'phase-timeout': phaseTimeout, 'late-after': lateAfter, sample, 'max-students': maxStudents, 'no-pin': noPin, ...stackFlags } = values;
  const env = harnessEnv(stackFlags);
  const config = readConfig({ ...process.env, ...env });
  const max = maxStudents === undefined ? (config.platform === 'local' ? 1000 : 20) : wholeNumber(command, 'max-students', maxStudents, 1);
  const sizes = parseSizes(students, max);
  const settings = {
    phaseBoundMs: (phaseTimeout === undefined ? 120 : wholeNumber(command, 'phase-timeout', phaseTimeout, 5, 3600)) * 1000,
    lateAfterSeconds: lateAfter === undefined ? 60 : wholeNumber(command, 'late-after', lateAfter, 1, 3600),
    sample: sample === undefined ? 3 : wholeNumber(command, 'sample', sample, 0, 50),
    pin: !noPin,
  };

  // A run's stack that exists (kept by `npm run up` or --keep) is attached to and left as it was
  // found; otherwise the rush brings its own up, under the given run id if there is one.
  const existing = config.runId ? findRun(config, config.runId) : undefined;
  const kept = existing?.stack.exists() ? existing : undefined;
  const ownStack = !kept;
  let run: Run | undefined = kept;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    const killed = killLiveClients();
    if (ownStack && config.keep && run?.stack.exists()) run.stack.markKept(true);
    process.stderr.write(`\n${signal}: ${killed ? 'clients killed; ' : ''}removing what the rush made\n`);
    const report = (err: unknown) => process.stderr.write(`${(err as Error).message}\n`);
    // A stack of the rush's own goes whole (its users and course with it); one that stays loses the rush's class.
    const undo = undoAll('machine', report).then(() => (ownStack && !config.keep && run ? tearDown(run) : undoAll('stack', report)));
    void Promise.race([undo, new Promise((resolve) => setTimeout(resolve, 120_000))])
      .catch((err: unknown) => process.stderr.write(`${(err as Error).message}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  let outcome: RushOutcome | undefined;
  try {
    if (!run) {
      run = openRun(config);
      await bringUp(run, config.variant);
    }
    const stack = await attachStack(run);
    outcome = await rush({
      stack,
      run,
      sizes,
      settings: { ...settings, removeClassrooms: !ownStack },
      config,
      log,
      command: `npm run rush -- ${process.argv.slice(2).join(' ')}`.trim(),
    });
  } finally {
    // Interrupted: the signal handler removes what was made and ends the process; this flow, whose
    // clients were just killed under it, says nothing more.
    if (interrupted) await new Promise<never>(() => undefined);
    if (run && ownStack) {
      if (config.keep) {
        run.stack.markKept(true);
        console.log(describeKeptRun(run, run.stack.load()));
      } else {
        if (!outcome?.passed) await exportDiagnostics(run, 'rush').catch(() => undefined);
        await tearDown(run).catch((err: unknown) => log.warn(`removing the stack: ${(err as Error).message}`));
      }
    }
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  for (const line of outcome.summary) console.log(line);
  return outcome.passed ? 0 : 1;
});
