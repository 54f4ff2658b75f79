/**
 * A rush session: one class, or classes of increasing size until one fails (the knee), on one
 * stack; then the reports. The load generator is capped by free memory before each step, and
 * ngshare gets a core of its own where the machine allows (usage.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HarnessConfig } from '../../cluster/config.js';
import { errorMessage, HarnessError } from '../../cluster/errors.js';
import type { Logger } from '../../cluster/log.js';
import { lacksServers, type Stack } from '../../cluster/platform.js';
import { memAvailableBytes } from '../../cluster/proc-usage.js';
import { ensureEnvs } from '../../cluster/python/python-envs.js';
import type { Run } from '../../cluster/run/index.js';
import { hasLossOrDuplicate } from './checks.js';
import { attributeKnee } from './knee.js';
import { rushLine, writeReports, type RushReport } from './report.js';
import { runStep, uptime, type RushSettings } from './rush.js';
import { once, whileRunning } from './undo.js';
import { memoryCap, planCores } from './usage.js';

export interface RushOutcome {
  passed: boolean;
  report: RushReport;
  outDir: string;
  /** Lines for the console; the last is the one people grep for. */
  summary: string[];
}

/** A client's own memory and the forking process's before a step has measured them: twice what nbgrader 0.9 on Python 3.13 measured here (12 MB the most for one client up to 700, 102 MB), so that a first class of hundreds is not refused on a guess. */
const firstGuess = { perClientMb: 25, forkServerMb: 160 };

function stampOf(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function rush(options: {
  stack: Stack;
  run: Run;
  sizes: number[];
  settings: Omit<RushSettings, 'workDir'> & { pin: boolean };
  config: HarnessConfig;
  log: Logger;
  command: string;
}): Promise<RushOutcome> {
  const { stack, run, sizes, config, log } = options;
  // The assignment is released from the instructor's server: a stack without servers is refused before anything is made.
  if (lacksServers(stack)) throw new HarnessError('rush', `cannot rush on the ${stack.state.platform} platform: ${stack.withoutServers}`);
  const outDir = path.join(config.outputDir, `rush-${stampOf()}`);
  fs.mkdirSync(outDir, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-rush-'));
  const { pin, ...rest } = options.settings;
  const settings: RushSettings = { ...rest, workDir };
  const userEnv = (await ensureEnvs(['user'], config.cacheDir, log)).user;
  const removeWorkDir = once(async () => fs.rmSync(workDir, { recursive: true, force: true }));
  const forgetWorkDir = whileRunning('machine', removeWorkDir);
  const cores = await planCores(stack, pin);
  const restoreCores = once(cores.restore);
  const forgetCores = whileRunning('machine', restoreCores);
  log.info(`cores: ${cores.reason}`);
  const report: RushReport = {
    command: options.command,
    startedAt: new Date().toISOString(),
    platform: stack.state.platform,
    runId: run.id,
    hubUrl: stack.state.hubUrl,
    machine: { cores: os.cpus().length, memTotalMb: Math.round(os.totalmem() / 2 ** 20), uptimeBefore: await uptime() },
    versions: await stack.versions().catch((err: unknown) => ({ error: errorMessage(err) })),
    settings: { ...rest, sizes },
    cores: { pinned: cores.pinned, reason: cores.reason, ngshareCpu: cores.ngshareCpu, clientCpus: cores.clientCpus },
    steps: [],
    passed: false,
  };
  const save = () => writeReports(outDir, report);
  try {
    let perClientMb = firstGuess.perClientMb;
    let forkServerMb = firstGuess.forkServerMb;
    for (const students of sizes) {
      const available = memAvailableBytes();
      const cap = memoryCap(perClientMb * 2 ** 20, forkServerMb * 2 ** 20, available);
      if (students > cap) {
        report.cappedByMemory = { students, cap, perClientMb, availableMb: Math.round(available / 2 ** 20) };
        log.warn(
          `${students} students: not run; free memory holds ${cap} clients (${perClientMb} MB each, half of ${Math.round(available / 2 ** 20)} MB available)`,
        );
        break;
      }
      const stepDir = path.join(outDir, `${students}-students`);
      const step = await runStep({ stack, run, userEnv, cores, settings, log }, students, stepDir);
      report.steps.push(step);
      // Measured now: a client's own memory at its end, with a quarter more for a larger class.
      if (step.memory.perClientMb) perClientMb = Math.ceil(step.memory.perClientMb * 1.25);
      forkServerMb = Math.max(forkServerMb, step.fetch?.forkServerRssMb ?? 0, step.submit?.forkServerRssMb ?? 0);
      log.info(`${rushLine(step)}   [${step.uptime.after}]`);
      for (const f of step.failures) log.info(`  ${f}`);
      save();
      if (!step.passed) break;
    }
  } finally {
    await restoreCores();
    await removeWorkDir();
    forgetCores();
    forgetWorkDir();
  }
  report.endedAt = new Date().toISOString();
  report.machine.uptimeAfter = await uptime();
  const passedSteps = report.steps.filter((s) => s.passed);
  const lossAnywhere = report.steps.some((s) => s.verdict && hasLossOrDuplicate(s.verdict));
  if (sizes.length > 1) report.knee = attributeKnee(report.steps, report.cores, report.cappedByMemory);
  report.passed = !lossAnywhere && (sizes.length > 1 ? passedSteps.length > 0 : report.steps[0]?.passed === true);
  save();

  const rel = path.relative(process.cwd(), outDir);
  const summary = [
    '',
    `Report: ${rel}/report.md  (chart: ${rel}/chart.html, data: ${rel}/report.json)`,
    `Machine: ${report.machine.cores} cores; ${report.cores.reason}; ${report.machine.uptimeAfter}`,
  ];
  if (lossAnywhere) summary.push('LOST OR DUPLICATED SUBMISSIONS: see the report; this run fails whatever else passed.');
  if (sizes.length > 1) {
    for (const step of report.steps) summary.push(rushLine(step));
    const k = report.knee!;
    summary.push(k.line);
  } else if (report.steps[0]) {
    summary.push(rushLine(report.steps[0]));
  } else {
    summary.push(
      `rush: 0/${sizes[0]} collected, not run (${report.cappedByMemory ? `free memory holds ${report.cappedByMemory.cap} clients` : 'no step ran'})`,
    );
  }
  return { passed: report.passed, report, outDir, summary };
}
