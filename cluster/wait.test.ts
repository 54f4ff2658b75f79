import { test, expect } from '@playwright/test';
import { waitFor } from './wait.js';
import { WaitTimeoutError } from './errors.js';

test('returns the first value the probe gives', async () => {
  let calls = 0;
  const value = await waitFor(async () => (++calls >= 3 ? 'ready' : undefined), { what: 'thing', timeoutMs: 2_000, intervalMs: 10 });
  expect(value).toBe('ready');
  expect(calls).toBe(3);
});

test('times out with the name and the last state seen', async () => {
  const err = await waitFor(
    async () => {
      throw new Error('HTTP 503');
    },
    { what: 'hub API', timeoutMs: 200, intervalMs: 50 },
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WaitTimeoutError);
  expect((err as Error).message).toBe('wait: hub API not ready after 0 s\nlast: HTTP 503');
});

test('failFast ends the wait at once, long before the bound', async () => {
  const started = Date.now();
  const err = await waitFor(async () => undefined, {
    what: 'ngshare',
    timeoutMs: 60_000,
    failFast: () => {
      throw new Error('ngshare: exited while starting');
    },
  }).catch((e: unknown) => e);
  expect((err as Error).message).toBe('ngshare: exited while starting');
  expect(Date.now() - started).toBeLessThan(1_000);
});
