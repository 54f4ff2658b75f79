import { test, expect } from '@playwright/test';
import { coreBusy, memAvailableBytes, parseCoreTicks, parseSchedstat, parseStat, processUsage } from './proc-usage.js';

test('a process stat line is read past a command name with spaces and parentheses', () => {
  const stat = '4242 (python (ngshare) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 3 0 100 0 0';
  expect(parseStat(stat)).toEqual({ state: 'S', utimeTicks: 150, stimeTicks: 25 });
});

test('this process has CPU time and memory; a process that does not exist has none', () => {
  const own = processUsage(process.pid);
  expect(own?.pid).toBe(process.pid);
  expect(own!.rssBytes).toBeGreaterThan(10 * 2 ** 20);
  expect(own!.cpuSeconds).toBeGreaterThan(0);
  expect(processUsage(2 ** 22 + 1)).toBeUndefined();
  expect(memAvailableBytes()).toBeGreaterThan(0);
});

test("each core's busy share comes from two readings of /proc/stat", () => {
  const before = parseCoreTicks('cpu  10 0 10 80 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40 0 0 0 0 0 0\nintr 1\n');
  const after = parseCoreTicks('cpu  70 0 30 100 0 0 0 0\ncpu0 55 0 15 40 0 0 0 0 0 0\ncpu1 10 0 5 55 0 0 0 0 0 0\nintr 1\n');
  expect(before.map((c) => c.core)).toEqual([0, 1]);
  // core 0: 60 busy ticks of 60; core 1: 5 busy of 20
  expect(coreBusy(before, after)).toEqual([1, 0.25]);
});

test('the time a process waited for a core comes from its schedstat, in seconds', () => {
  expect(parseSchedstat('12882648567 57609127747 10904\n')).toBeCloseTo(57.609, 3);
  expect(parseSchedstat('')).toBeUndefined();
  expect(processUsage(process.pid)?.waitSeconds).toBeGreaterThanOrEqual(0);
});
