/**
 * Run ids: sortable, readable and unique, e2e-20261126-112233-ab12 (UTC time of the start, then 16
 * random bits). Everything a run creates carries its id, so a reaper can find what was left.
 */
import crypto from 'node:crypto';

/** The pattern of a run id, to embed in other patterns (parsing a child run's console). */
export const runIdPattern = 'e2e-\\d{8}-\\d{6}-[0-9a-f]{4}';
const whole = new RegExp(`^${runIdPattern}$`);

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `e2e-${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

export function isRunId(value: string): boolean {
  return whole.test(value);
}

/** When the run started (ms since the epoch), read from its id. */
export function runStartedAt(runId: string): number | undefined {
  const m = /^e2e-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(runId);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** The part of a run id that differs between runs: e2e-20261126-112233-ab12 → 112233ab12. */
export function shortRunId(runId: string): string {
  const m = /^e2e-\d{8}-(\d{6})-([0-9a-f]{4})$/.exec(runId);
  return m ? `${m[1]}${m[2]}` : runId.replace(/[^a-z0-9]/g, '').slice(-10);
}
