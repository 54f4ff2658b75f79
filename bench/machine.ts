/**
 * How busy the machine is, written next to every number bench and soak record: a run's time on a
 * 2-core machine means little without the load and the other harness runs beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import { STACK_TAG } from '../cluster/processes.js';

export interface MachineLoad {
  at: string;
  cores: number;
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number];
  /** Runs of the harness on this machine that are not ours: stacks (by tag) and Playwright runs (by E2E_RUN_ID). */
  otherRuns: string[];
}

/** The run ids of every live harness process on the machine (its stack tag or its E2E_RUN_ID). */
function liveRunIds(): Set<string> {
  const ids = new Set<string>();
  const pattern = new RegExp(`(?:^|\\0)(?:${STACK_TAG}|E2E_RUN_ID)=([^\\0]+)`, 'g');
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    for (const m of environ.matchAll(pattern)) ids.add(m[1]);
  }
  return ids;
}

export function machineLoad(ownRunIds: Iterable<string> = []): MachineLoad {
  const own = new Set(ownRunIds);
  const load = os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number];
  return {
    at: new Date().toISOString(),
    cores: os.cpus().length,
    load,
    otherRuns: [...liveRunIds()].filter((id) => !own.has(id)).sort(),
  };
}

/** "load 2.31 1.80 1.52 on 2 cores, 1 other harness run" */
export function describeLoad(m: MachineLoad): string {
  const others = m.otherRuns.length === 0 ? 'no other harness run' : `${m.otherRuns.length} other harness run${m.otherRuns.length > 1 ? 's' : ''}`;
  return `load ${m.load.map((l) => l.toFixed(2)).join(' ')} on ${m.cores} cores, ${others}`;
}

/** A UTC time stamp for an output directory's name (bench-<stamp>, soak-<stamp>): 20261126-132501. */
export function outputStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
