import { test, expect } from '@playwright/test';
import type { Logger } from '../log.js';
import { progressLine, trackBuild } from './python-envs.js';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`WARNING ${m}`), debug: () => undefined };
}

test('a build says how it is doing at every beat while it runs, and stops when it ends', async () => {
  const log = recorder();
  let placed = 0;
  await trackBuild(
    { what: 'the user environment', log, detail: () => `${(placed += 10)} of 180 packages in place` },
    () => new Promise((resolve) => setTimeout(resolve, 260)),
    50,
  );
  const during = log.lines.length;
  expect(during).toBeGreaterThanOrEqual(3);
  expect(log.lines[0]).toMatch(/^still building: the user environment \(10 of 180 packages in place, \d+ ms\)$/);
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(log.lines).toHaveLength(during);
});

test('builds side by side share one line', () => {
  const now = 100_000;
  expect(
    progressLine(
      [
        { what: 'the hub environment', started: now - 12_000, detail: () => '40 of 60 packages in place' },
        { what: 'uv 0.9.9', started: now - 3_000 },
      ],
      now,
    ),
  ).toBe('still building: the hub environment (40 of 60 packages in place, 12.0 s); uv 0.9.9 (3.0 s)');
});
