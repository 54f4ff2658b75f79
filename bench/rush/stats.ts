/**
 * The numbers of a rush, as pure functions: latency percentiles, the barrier's skew, and what
 * kind of error a client's output shows. Unit-tested in stats.test.ts.
 */

/** Nearest-rank percentile (p in 0..100) of the values; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile ${p}: give 0 to 100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface LatencySummary {
  count: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
  /** Some values are the time at which a client was killed (a lower bound), not when it ended. */
  censored: number;
}

/** p50/p95/max of the latencies; `censored` counts those that are lower bounds (clients killed at the bound). */
export function summarize(latenciesMs: number[], censored = 0): LatencySummary {
  return {
    count: latenciesMs.length,
    p50Ms: percentile(latenciesMs, 50),
    p95Ms: percentile(latenciesMs, 95),
    maxMs: latenciesMs.length ? Math.max(...latenciesMs) : undefined,
    censored,
  };
}

export interface Skew {
  /** How many clients noted their start. */
  started: number;
  /** Latest start minus earliest start. */
  skewMs?: number;
  firstMs?: number;
  lastMs?: number;
}

/** The barrier's skew: the spread of the moments the clients started (ms since the epoch). */
export function barrierSkew(startsMs: Array<number | undefined>): Skew {
  const known = startsMs.filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  if (known.length === 0) return { started: 0 };
  const firstMs = Math.min(...known);
  const lastMs = Math.max(...known);
  return { started: known.length, skewMs: lastMs - firstMs, firstMs, lastMs };
}

/**
 * The kinds of failure a student can meet in a rush, as the client's own output (or the bound)
 * shows them. `hub rate limit` is the hub's 429 (JupyterHub answers 429 to spawns and logins past
 * its concurrency limits; ngshare passes the hub's answer on as its own status).
 */
export const errorKinds = ['timeout', 'database is locked', 'hub rate limit', 'ngshare 5xx', 'connection', 'not JSON', 'ngshare 4xx', 'other'] as const;
export type ErrorKind = (typeof errorKinds)[number];

/**
 * What kind of failure a client's output shows; the first that applies, in the order of
 * `errorKinds` (a 500 whose page says "database is locked" is the lock, not just a 5xx).
 */
export function classifyFailure(output: string, timedOut: boolean): ErrorKind {
  if (timedOut) return 'timeout';
  if (/database is locked/i.test(output)) return 'database is locked';
  if (/status code 429\b|\b429 Too Many Requests|Too many users trying|Active user limit exceeded/i.test(output)) return 'hub rate limit';
  if (/status code 5\d\d\b/.test(output)) return 'ngshare 5xx';
  if (/ConnectionError|Connection refused|Connection aborted|RemoteDisconnected|Max retries exceeded|ConnectionResetError|Read timed out/.test(output)) {
    return 'connection';
  }
  if (/returned non-JSON content/.test(output)) return 'not JSON';
  if (/status code 4\d\d\b/.test(output)) return 'ngshare 4xx';
  return 'other';
}

/** The lines of a client's output that say what went wrong, as the student would read them (at most `max`). */
export function errorLines(output: string, max = 4): string[] {
  const lines = output.split('\n').filter((l) => /\| (ERROR|CRITICAL|WARNING)\]|Error:|Traceback|status code/.test(l));
  return lines.slice(0, max).map((l) => l.trim().slice(0, 300));
}

/** Counts per kind, with every kind present (zeros included), in the order of `errorKinds`. */
export function countKinds(kinds: ErrorKind[]): Record<ErrorKind, number> {
  const counts = Object.fromEntries(errorKinds.map((k) => [k, 0])) as Record<ErrorKind, number>;
  for (const k of kinds) counts[k] += 1;
  return counts;
}

/** Mean and maximum of a series (CPU %, MB); undefined for none. */
export function meanMax(values: number[]): { mean?: number; max?: number } {
  if (!values.length) return {};
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}

/** Seconds with one decimal, for lines and tables: 1234 → "1.2". */
export function seconds(ms: number | undefined, digits = 1): string {
  return ms === undefined ? '–' : (ms / 1000).toFixed(digits);
}
