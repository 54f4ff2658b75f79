import { setTimeout as sleep } from 'node:timers/promises';
import { WaitTimeoutError, errorMessage } from './errors.js';

export interface WaitOptions {
  /** What is awaited, for the error: "hub API", "student1's server". */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /**
   * Checked before every attempt; throwing ends the wait at once (a process that exited, a pod in
   * CrashLoopBackOff), so a broken stack fails in seconds instead of at the bound.
   */
  failFast?: () => void | Promise<void>;
}

/**
 * The one polling loop of the harness. `probe` returns a value when ready, or `undefined` to keep
 * waiting; a thrown error counts as "not ready yet" and its message becomes the last state seen,
 * which the timeout error reports.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const { what, timeoutMs, intervalMs = 250, failFast } = options;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    if (failFast) await failFast();
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'not ready';
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(what, Math.round(timeoutMs / 1000), last);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
