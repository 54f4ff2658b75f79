/**
 * Runs that end from outside, and runs side by side: two real harness runs (`npm run e2e`) at
 * once on one machine, in the same directories, each hung on purpose (ngshare frozen through the
 * fault config, so neither can finish before it is stopped). One is stopped as a terminal's
 * Ctrl-C stops it (SIGINT to its whole process group), the other as a cancelled CI job is
 * (SIGTERM to the wrapper alone). Each must remove its own stack, and only its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findRunProcesses } from '../../cluster/processes.js';
import { runIdPattern } from '../../cluster/run/index.js';
import { test, expect } from './nested-run.js';

test.setTimeout(15 * 60_000);

test('two runs at once do not collide, and Ctrl-C or SIGTERM removes each one’s stack and only its own', async ({ nested }) => {
  const hung = { fault: 'freeze-ngshare@instructor1: nbgrader list' };
  const [a, b] = [nested.start(hung), nested.start(hung)];
  let bEnded = false;
  void b.ended.finally(() => (bEnded = true));
  const ready = /local stack ready at (http:\/\/127\.0\.0\.1:\d+)/;
  const [hubA, hubB] = (await Promise.all([a.printed(ready), b.printed(ready)])).map((m) => m[1]);
  expect(hubA, 'each run has a hub of its own').not.toBe(hubB);
  // Both mid-command (hung on the frozen ngshare): the moment a person or CI gives up on a run.
  const injected = /faults: injecting freeze-ngshare/;
  await Promise.all([a.printed(injected), b.printed(injected)]);

  let sentAt = Date.now();
  process.kill(-a.pid()!, 'SIGINT');
  const endA = await a.ended;
  const secondsA = (Date.now() - sentAt) / 1000;
  expect(endA.exitCode, endA.output).toBe(130);
  expect(findRunProcesses(endA.runId)).toEqual([]);
  expect(fs.readFileSync(path.join(endA.runDir, 'resources.json'), 'utf8')).toBe('[]');
  expect(secondsA).toBeLessThan(60);

  // The other run was not touched by the first one's teardown: still running, its stack still up.
  const [, runIdB] = await b.printed(new RegExp(`\\brun (${runIdPattern}) on local`));
  expect(runIdB).not.toBe(endA.runId);
  expect(bEnded, 'the second run still running').toBe(false);
  expect(findRunProcesses(runIdB).length, 'the second run’s processes after the first one’s teardown').toBeGreaterThan(0);

  sentAt = Date.now();
  process.kill(b.pid()!, 'SIGTERM');
  const endB = await b.ended;
  expect(endB.exitCode, endB.output).toBe(130);
  expect(findRunProcesses(endB.runId)).toEqual([]);
  expect((Date.now() - sentAt) / 1000).toBeLessThan(60);
});
