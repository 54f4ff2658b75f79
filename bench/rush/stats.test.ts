import { test, expect } from '@playwright/test';
import { barrierSkew, classifyFailure, countKinds, errorLines, percentile, summarize } from './stats.js';

test('percentiles are nearest-rank: p50 and p95 of 1..20, of one value, of none', () => {
  const values = Array.from({ length: 20 }, (_, i) => 20 - i); // unsorted on purpose
  expect(percentile(values, 50)).toBe(10);
  expect(percentile(values, 95)).toBe(19);
  expect(percentile(values, 100)).toBe(20);
  expect(percentile(values, 0)).toBe(1);
  expect(percentile([7], 95)).toBe(7);
  expect(percentile([], 50)).toBeUndefined();
  expect(() => percentile([1], 101)).toThrow(/0 to 100/);
});

test('a summary gives p50, p95 and max, and says how many values are only lower bounds', () => {
  expect(summarize([300, 100, 200, 120_000], 1)).toEqual({ count: 4, p50Ms: 200, p95Ms: 120_000, maxMs: 120_000, censored: 1 });
  expect(summarize([])).toEqual({ count: 0, p50Ms: undefined, p95Ms: undefined, maxMs: undefined, censored: 0 });
});

test("the barrier's skew is the spread of the clients' starts; a client that never started is not counted", () => {
  expect(barrierSkew([1000, 1250, 1100, undefined])).toEqual({ started: 3, skewMs: 250, firstMs: 1000, lastMs: 1250 });
  expect(barrierSkew([5]).skewMs).toBe(0);
  expect(barrierSkew([undefined, NaN])).toEqual({ started: 0 });
});

test('a client that failed is classified by what its output shows', () => {
  const status = (code: number) =>
    `[SubmitApp | ERROR] ngshare service returned invalid status code ${code}.\n[SubmitApp | ERROR] ngshare endpoint /submission/c/ps1 returned failure: x`;
  expect(classifyFailure('', true)).toBe('timeout');
  expect(classifyFailure(status(500), false)).toBe('ngshare 5xx');
  expect(classifyFailure(status(502), false)).toBe('ngshare 5xx');
  expect(classifyFailure(status(429), false)).toBe('hub rate limit');
  expect(classifyFailure(`${status(500)}\nsqlite3.OperationalError: database is locked`, false)).toBe('database is locked');
  expect(classifyFailure(status(404), false)).toBe('ngshare 4xx');
  expect(
    classifyFailure(
      "[FetchAssignmentApp | ERROR] An error occurred when querying the ngshare endpoint /assignment/c/ps1\nrequests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded",
      false,
    ),
  ).toBe('connection');
  expect(classifyFailure(`${status(200)}\n[SubmitApp | ERROR] ngshare service returned non-JSON content: "<html>"`, false)).toBe('not JSON');
  expect(classifyFailure('[SubmitApp | ERROR] something new', false)).toBe('other');
  // A timeout wins over whatever the client printed before it was killed.
  expect(classifyFailure(status(500), true)).toBe('timeout');
});

test("what a student saw is the client's error lines, not its info lines", () => {
  const output =
    '[SubmitApp | INFO] Source: /h/ps1\n[SubmitApp | ERROR] ngshare service returned invalid status code 503.\n[SubmitApp | ERROR] Failed to submit.\n';
  expect(errorLines(output)).toEqual(['[SubmitApp | ERROR] ngshare service returned invalid status code 503.', '[SubmitApp | ERROR] Failed to submit.']);
  expect(countKinds(['timeout', 'timeout', 'other'])).toMatchObject({ timeout: 2, other: 1, 'ngshare 5xx': 0 });
});
