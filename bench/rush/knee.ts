/**
 * The knee: the largest class that passed, the first that did not and why, and whose limit that
 * was: ngshare's (its one core busy, or its one-request-at-a-time wait on the hub's token check),
 * the hub's, the load generator's (the clients' cores busy, their start spread past a second, or
 * free memory), or the machine's (ngshare ready to run but waiting for a core that others hold:
 * starved, not busy). Pure; unit-tested in knee.test.ts.
 */
import type { CorePlan } from './usage.js';
import type { PhaseReport, StepReport } from './rush.js';
import { seconds } from './stats.js';

export type KneeOwner = 'ngshare' | 'hub' | 'load generator' | 'machine' | 'none reached' | 'unclear';

export interface KneeVerdict {
  largestPassed?: number;
  firstFailed?: number;
  owner: KneeOwner;
  /** In words, with the numbers it rests on. */
  why: string;
  /** The console's last line. */
  line: string;
}

/** Busy thresholds (% of one core) above which a part counts as the limit. */
const busy = 80;

function worstPhase(step: StepReport): PhaseReport | undefined {
  const phases = [step.submit, step.fetch].filter((p): p is PhaseReport => p !== undefined);
  return phases.find((p) => p.failed > 0 || !p.withinBound || (p.skew.skewMs ?? 0) > 1000) ?? phases[0];
}

/** Whose limit a failed (or the last) step shows, from its worst phase's numbers. */
export function ownerOf(step: StepReport, cores: Omit<CorePlan, 'restore'>): { owner: KneeOwner; why: string } {
  const p = worstPhase(step);
  if (!p) return { owner: 'unclear', why: 'no phase ran' };
  const ng = p.services.ngshare?.cpuPercentMean;
  const ngRan = p.services.ngshare?.cpuSeconds;
  const ngWaited = p.services.ngshare?.waitSeconds;
  const ngBlocked = p.services.ngshare?.blockedSeconds;
  const hub = p.services.hub?.cpuPercentMean;
  const clientCores = cores.clientCpus ?? p.coresBusy.map((_, i) => i);
  const clientBusy = clientCores.length ? clientCores.reduce((a, c) => a + (p.coresBusy[c] ?? 0), 0) / clientCores.length : undefined;
  const numbers = [
    `${p.phase}: ngshare ${ng === undefined ? 'not available' : `${ng}% of a core`}`,
    ...(ngWaited === undefined
      ? []
      : [`ngshare waited ${ngWaited} s for a core and ran ${ngRan ?? '?'} s${ngBlocked === undefined ? '' : `, blocked ${ngBlocked} s`}`]),
    `hub ${hub === undefined ? 'not available' : `${hub}%`}`,
    `clients' core${clientCores.length > 1 ? 's' : ''} ${clientBusy === undefined ? '?' : `${Math.round(clientBusy)}%`} busy`,
    `start skew ${seconds(p.skew.skewMs, 2)} s`,
    `p95 ${seconds(p.latency.p95Ms)} s`,
  ].join(', ');
  if ((p.skew.skewMs ?? 0) > 1000) return { owner: 'load generator', why: `the clients could not all start within a second (${numbers})` };
  if ((p.clientsCoreShare ?? 0) >= 70) {
    return {
      owner: 'load generator',
      why: `the clients' own work took ${p.clientsCoreShare}% of their core's time in the phase: they could not send their requests at once (${numbers})`,
    };
  }
  if (ng !== undefined && ng >= busy) return { owner: 'ngshare', why: `ngshare's one core was busy (${numbers})` };
  if (ngWaited !== undefined && ngRan !== undefined && ngWaited > ngRan) {
    return {
      owner: 'machine',
      why: `ngshare was starved, not busy: it waited longer for a core than it ran, behind other processes on the machine (${numbers})`,
    };
  }
  if (hub !== undefined && hub >= busy) return { owner: 'hub', why: `the hub was busy answering ngshare's token checks (${numbers})` };
  if (clientBusy !== undefined && clientBusy >= 90)
    return { owner: 'load generator', why: `the clients' core was saturated while ngshare was not (${numbers})` };
  if (ng !== undefined && hub !== undefined && ng + hub >= busy) {
    return {
      owner: 'ngshare',
      why: `ngshare serves one request at a time and waits for the hub's token check inside each, so ngshare and the hub together make one serial line (${numbers})`,
    };
  }
  return { owner: 'unclear', why: `no part was saturated (${numbers}); see the report's logs section` };
}

/** Why a class failed, in a few words for the console's last line (the report has the whole sentences). */
export function shortReason(step: StepReport): string {
  const v = step.verdict;
  const parts: string[] = [];
  if (v?.lost.length) parts.push(`${v.lost.length} lost`);
  if (v?.duplicated.length) parts.push(`${v.duplicated.length} duplicated`);
  for (const p of [step.fetch, step.submit]) {
    if (p?.failed) parts.push(`${p.failed} of ${p.clients} ${p.phase}es failed`.replace('submites', 'submits'));
    if (p && (p.skew.skewMs ?? 0) > 1000) parts.push(`${p.phase} clients started over ${seconds(p.skew.skewMs)} s`);
  }
  if (v?.late.length) parts.push(`${v.late.length} of ${step.students} stamps late`);
  if (step.collect && !step.collect.withinBound) parts.push('collect over the bound');
  return parts.join(', ') || (step.failures[0] ?? 'failed').split(' (')[0];
}

export function attributeKnee(
  steps: StepReport[],
  cores: Omit<CorePlan, 'restore'>,
  cappedByMemory?: { students: number; cap: number; perClientMb: number; availableMb: number },
): KneeVerdict {
  const passed = steps.filter((s) => s.passed);
  const largestPassed = passed.length ? Math.max(...passed.map((s) => s.students)) : undefined;
  const failed = steps.find((s) => !s.passed);
  const largest = largestPassed === undefined ? 'no class passed' : `largest class that passed: ${largestPassed}`;
  if (failed) {
    const { owner, why } = ownerOf(failed, cores);
    const reason = failed.failures[0] ?? 'failed';
    return {
      largestPassed,
      firstFailed: failed.students,
      owner,
      why: `${failed.students} students failed: ${reason}. The limit is ${owner === 'unclear' ? 'unclear' : `the ${owner}'s`}: ${why}.`,
      line: `rush: ${largest}; ${failed.students} failed (${shortReason(failed)}); knee: ${owner}`,
    };
  }
  if (cappedByMemory) {
    return {
      largestPassed,
      owner: 'load generator',
      why: `${cappedByMemory.students} students were not run: free memory holds ${cappedByMemory.cap} clients of ${cappedByMemory.perClientMb} MB (half of ${cappedByMemory.availableMb} MB available). ngshare did not fail up to ${largestPassed ?? 0}.`,
      line: `rush: ${largest}; ${cappedByMemory.students} not run (free memory holds ${cappedByMemory.cap} clients); knee not reached: load generator's memory`,
    };
  }
  return {
    largestPassed,
    owner: 'none reached',
    why: `every size passed; ngshare's knee is above ${largestPassed ?? 0} students on this machine`,
    line: `rush: ${largest}; every size passed, knee not reached`,
  };
}
