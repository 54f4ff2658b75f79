/**
 * The smoke check of the bench floor (a check, not a timing): a real local stack brought up and
 * removed through the product, then replayed by hand by bench/floor.sh to the end of the tutorial.
 * It fails when the local platform changes in a way the floor cannot replay (the floor broke once
 * on a hub setting it wrote by hand: `KeyError: 'logsDir'`), so that `npm run bench` cannot end in
 * `warm/floor = n/a` again unnoticed.
 *
 * About two minutes (a stack up and down, then the floor): not in the `unit` project. It runs as
 * the `floor` project, `npx playwright test --project=floor` (see playwright.config.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../cluster/config.js';
import { findRunProcesses } from '../cluster/processes.js';
import { floorWorkDir, recordedStack, runFloor } from './floor.js';

test('the floor replays a stack the local platform brought up, and does the tutorial to the end', async () => {
  test.setTimeout(20 * 60_000);
  const dir = test.info().outputPath('floor');
  // A state and output directory of this check's own; the shared cache of Python environments.
  const env = { E2E_PLATFORM: 'local', E2E_STATE_DIR: path.join(dir, 'state'), E2E_OUTPUT_DIR: path.join(dir, 'output') };
  const config = readConfig({ ...process.env, ...env });
  const stack = await recordedStack(config, env, dir);
  expect(findRunProcesses(stack.info.runId), 'npm run down left processes of the stack').toEqual([]);

  // What the floor replays is what the platform recorded: every service, each after what it was started after.
  const services = stack.record.services.map((s) => s.service);
  expect([...services].sort()).toEqual(['hub', 'ngshare', 'proxy']);
  const hub = stack.record.services.find((s) => s.service === 'hub')!;
  expect(hub.after, 'the hub starts once the proxy and ngshare answer').toEqual(expect.arrayContaining(['proxy', 'ngshare']));
  expect(JSON.stringify(stack.record), 'no secret value in the record').not.toMatch(/[0-9a-f]{64}/);

  const work = floorWorkDir();
  try {
    const floor = await runFloor(stack, work);
    await test.info().attach('floor stdout', { body: floor.stdout, contentType: 'text/plain' });
    await test.info().attach('floor stderr', { body: floor.stderr, contentType: 'text/plain' });
    for (const log of fs.existsSync(path.join(work, 'logs')) ? fs.readdirSync(path.join(work, 'logs')) : []) {
      await test.info().attach(`log ${log}`, { path: path.join(work, 'logs', log), contentType: 'text/plain' });
    }
    expect(floor.problems, floor.stderr).toEqual([]);
    expect(floor.exitCode).toBe(0);
    const steps = [...floor.stdout.matchAll(/^step \d+ (.+)$/gm)].map((m) => m[1]);
    expect(steps).toEqual([
      'proxy, ngshare, hub',
      'user servers',
      'Step 4: Validate in JupyterHub',
      'Step 5: Create the course and roster',
      'Step 6: Create and release a first assignment',
      'Step 7: Student workflow (fetch + submit)',
      'Step 8: Instructor workflow (collect + autograde)',
      'teardown',
      'total',
    ]);
    expect(floor.stdout.match(/^command /gm)).toHaveLength(15);
    // Its services ran on the floor's own copies (the hub's database is where the moved settings say), and nothing of them is left.
    expect(fs.existsSync(path.join(work, 'hub', 'jupyterhub.sqlite'))).toBe(true);
    expect(fs.existsSync(path.join(config.stateDir, 'runs', stack.info.runId, 'hub', 'jupyterhub.sqlite'))).toBe(true);
    expect(findRunProcesses(`floor-${path.basename(work)}`)).toEqual([]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
