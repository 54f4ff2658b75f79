// The barrier of rush_clients.py with stand-in entry points of Python's own standard library (the
// real one is nbgrader's, run by `npm run rush`): every client starts within a second of the
// others, a client past the bound is killed and counted as a timeout, one that dies before the
// barrier does not hold the others up, and a preload that would import a client's own module is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { runClients, type ClientJob } from './clients.js';
import { barrierSkew } from './stats.js';

function job(dir: string, n: number, entry: string, extra: Partial<ClientJob> = {}): ClientJob {
  return {
    python: 'python3',
    entry,
    argv0: 'stand-in',
    args: [],
    preload: ['json'],
    importedByEachClient: [],
    boundMs: 10_000,
    readyTimeoutMs: 30_000,
    serverEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    clients: Array.from({ length: n }, (_, i) => ({
      name: `s${i + 1}`,
      env: { PATH: '/usr/bin:/bin', HOME: dir, WHO: `s${i + 1}` },
      cwd: dir,
      log: path.join(dir, 'logs', `s${i + 1}.log`),
    })),
    ...extra,
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rush-barrier-'));

test('thirty clients leave the barrier within a second of each other, each writing its own log', async () => {
  const dir = tmp();
  const run = await runClients(job(dir, 30, 'builtins:print'));
  expect(run.results).toHaveLength(30);
  for (const r of run.results) {
    expect(r, r.name).toMatchObject({ exitCode: 0, timedOut: false });
    expect(r.startedMs).toBeGreaterThanOrEqual(run.goAtMs - 50);
    expect(r.endedMs).toBeGreaterThanOrEqual(r.startedMs!);
    expect(r.output, `${r.name}'s log holds what its print() wrote`).toBe('\n');
  }
  const skew = barrierSkew(run.results.map((r) => r.startedMs));
  expect(skew.started).toBe(30);
  expect(skew.skewMs).toBeLessThan(1000);
  expect(run.endedAtMs).toBeGreaterThanOrEqual(run.goAtMs);
});

test('a client past the bound is killed and counted as a timeout; the others end normally', async () => {
  const dir = tmp();
  const j = job(dir, 2, 'signal:pause', { boundMs: 1500 });
  const run = await runClients(j);
  for (const r of run.results) {
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe(9);
    expect(r.startedMs).toBeDefined();
    expect(r.endedMs).toBeUndefined();
  }
  expect(run.endedAtMs - run.goAtMs).toBeGreaterThanOrEqual(1400);
  expect(run.endedAtMs - run.goAtMs).toBeLessThan(10_000);
});

test('a client that cannot start does not hold the barrier for the others', async () => {
  const dir = tmp();
  const j = job(dir, 3, 'builtins:print');
  j.clients[1].cwd = path.join(dir, 'no-such-directory');
  const run = await runClients(j);
  expect(run.results.map((r) => r.neverStarted ?? false)).toEqual([false, true, false]);
  expect(run.results[0].exitCode).toBe(0);
  expect(run.results[2].exitCode).toBe(0);
});

test('a preload that imports what each client must import itself is refused (the clients would carry the wrong user)', async () => {
  const dir = tmp();
  await expect(runClients(job(dir, 1, 'builtins:print', { preload: ['json'], importedByEachClient: ['json'] }))).rejects.toThrow(
    /each client must import itself/,
  );
});
