/**
 * The harness under faults while its platform comes up, each made from outside the product: a
 * port this test holds itself, a copy of the environment cache with a part broken, a run
 * directory that cannot be made. Each runs the real scripts (`npm run e2e`, `up`, `down`) in a
 * child process and checks the error names the part, within its bound, with diagnostics, and
 * that nothing of the run is left running or marked kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findRunProcesses } from '../../cluster/processes.js';
import { test, expect, expectSetupFailure, replaceFile } from './nested-run.js';

// Independent runs, each in directories and on ports of its own: side by side where there are workers.
test.describe.configure({ mode: 'parallel' });
test.setTimeout(15 * 60_000);

test('a corrupted or half-built cached environment is rebuilt, not used', async ({ nested, cacheCopy }) => {
  const cache = await cacheCopy();
  for (const userEnv of cache.envs('user')) {
    const lib = path.join(userEnv, 'lib');
    const site = fs.readdirSync(lib).find((d) => d.startsWith('python'))!;
    fs.rmSync(path.join(lib, site, 'site-packages', 'nbgrader'), { recursive: true });
  }
  for (const hubEnv of cache.envs('hub')) fs.rmSync(path.join(hubEnv, '.e2e-env.json'));

  const up = await nested.run({ script: 'up', env: { E2E_CACHE_DIR: cache.dir } });
  expect(up.exitCode, up.output).toBe(0);
  expect(up.output).toMatch(/cached user environment \S+ is unusable \(missing packages: nbgrader\); rebuilding it/);
  expect(up.output).toMatch(/cached hub environment \S+ is unusable \(not completely built\); rebuilding it/);
  expect(up.output).toMatch(/The local stack of run \S+ is still up/);
  const down = await nested.run({ script: 'down', args: [up.runId] });
  expect(down.exitCode, down.output).toBe(0);
  expect(findRunProcesses(up.runId)).toEqual([]);
});

test('a user server that never becomes ready: a named error at the server bound', async ({ nested, cacheCopy }) => {
  // Every cached user environment's server command, replaced by one that starts and never listens.
  const cache = await cacheCopy();
  const never = '#!/bin/sh\necho "fault server-never-ready: started, never listening"\nexec sleep 600\n';
  for (const userEnv of cache.envs('user')) replaceFile(path.join(userEnv, 'bin', 'jupyterhub-singleuser'), never);

  const run = await nested.run({ env: { E2E_CACHE_DIR: cache.dir, E2E_SERVER_START_TIMEOUT: '15' } });
  expectSetupFailure(run, /server: (instructor1|student1)'s server did not start[\s│]+wait: \1's server not ready after 15 s/);
  expect(run.output).toMatch(/^\d+ passed, 1 failed/m);
  // The server's own log, in the error and in the bundle: what it printed is the first clue.
  expect(run.output).toMatch(/server-(instructor1|student1)\.log:[\s│]+fault server-never-ready: started, never listening/);
  const bundled = path.join(run.outputDir, 'diagnostics', 'setup-failure', 'logs', 'server-instructor1.log');
  expect(fs.readFileSync(bundled, 'utf8')).toContain('fault server-never-ready: started, never listening');
  // Bounded from the moment the servers are asked for, so a slow bring-up on a loaded machine does not count.
  expect(run.secondsAfter(/Create \S+ and \S+ through the Hub API/), 'seconds from asking for the servers to the end of the run').toBeLessThan(120);
});

test('a port already taken: the proxy names the port, and it is not retried', async ({ nested, heldPort }) => {
  const run = await nested.run({ args: ['--port', String(heldPort)] });
  expectSetupFailure(run, new RegExp(`proxy: port ${heldPort} on 127\\.0\\.0\\.1 is already in use by another program`));
  expect(run.output).toMatch(/^\d+ passed, 1 failed/m);
  expect(run.output, 'a port the person chose is not replaced by another').not.toMatch(/new ports \(attempt/);
  expect(run.seconds).toBeLessThan(90);
});

test('npm run up that fails keeps nothing: a failed bring-up is not a stack to attach to', async ({ nested, heldPort }) => {
  const up = await nested.run({ script: 'up', args: ['--port', String(heldPort)] });
  expect(up.exitCode, up.output).toBe(1);
  expect(up.output).toMatch(new RegExp(`proxy: port ${heldPort} on 127\\.0\\.0\\.1 is already in use by another program`));
  // ngshare started beside the proxy before the proxy failed: it is gone, and nothing says "kept".
  expect(fs.existsSync(path.join(up.runDir, 'logs', 'ngshare.log')), 'ngshare had started').toBe(true);
  expect(findRunProcesses(up.runId)).toEqual([]);
  expect(fs.existsSync(path.join(up.runDir, 'kept'))).toBe(false);
  expect(fs.existsSync(path.join(up.outputDir, 'diagnostics', 'setup-failure'))).toBe(true);
  expect(up.output).not.toMatch(/is still up/);
});

test('a run directory that cannot be written: a named error within seconds', async ({ nested }) => {
  const blocker = test.info().outputPath('not-a-directory');
  fs.mkdirSync(path.dirname(blocker), { recursive: true });
  fs.writeFileSync(blocker, '');
  const run = await nested.run({ env: { E2E_STATE_DIR: path.join(blocker, 'state') } });
  expect(run.exitCode, run.output).toBe(1);
  // The one real reason, named, and nothing else: no errno, no stack trace.
  expect(run.output).toMatch(
    /^run: cannot write the directory \S*not-a-directory\/state\/runs\/e2e-\S+: a file is in the way \(\S*not-a-directory is not a directory\)$/m,
  );
  expect(run.output).not.toMatch(/ENOTDIR|ENOENT|^\s+at /m);
  expect(run.output).toMatch(/^0 passed, 1 failed/m);
  expect(run.seconds).toBeLessThan(60);
});
