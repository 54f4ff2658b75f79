/**
 * A driver's bring-up as a list of steps: `up` runs them in order, and a dry run prints the same
 * list (titles, commands, notes) without running any, so the plan cannot drift from what happens.
 */
import { formatDuration, type Logger } from './log.js';
import type { PlanStep } from './plan.js';
import { formatArgv } from './shell.js';

export interface Step<Live> extends PlanStep {
  /** What the step does in a real run; a step without one only documents (a note in the plan). */
  run?: (live: Live) => Promise<void>;
}

/** Runs the steps in order, saying which one is running; `after` runs after each (save the state). */
export async function runSteps<Live>(steps: Array<Step<Live>>, live: Live, log: Logger, after?: () => void): Promise<void> {
  for (const [i, step] of steps.entries()) {
    if (!step.run) continue;
    const started = Date.now();
    log.info(`[${i + 1}/${steps.length}] ${step.title}`);
    for (const c of step.commands ?? []) log.debug(`$ ${formatArgv(c)}`);
    await step.run(live);
    after?.();
    log.debug(`step ${i + 1} done in ${formatDuration(Date.now() - started)}`);
  }
}

/** The steps as a plan prints them. */
export function planSteps<Live>(steps: Array<Step<Live>>): PlanStep[] {
  return steps.map(({ title, commands, notes }) => ({ title, commands, notes }));
}
