import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { runEnvironment, toProperties, writeAllureEnvironment } from './allure-environment.js';

test('properties escape what Java properties would split a key on', () => {
  expect(toProperties({ 'hub sqlalchemy': '2.0.48', 'tutorial pin: chart': '4.3.3', 'a=b': ' x\ny' })).toBe(
    'hub\\ sqlalchemy=2.0.48\ntutorial\\ pin\\:\\ chart=4.3.3\na\\=b=\\ x\\ny\n',
  );
});

test("the environment is the end of run's versions, else the newest bundle's, never an error", () => {
  const out = test.info().outputPath('run');
  const write = (label: string, versions: object) => {
    fs.mkdirSync(path.join(out, 'diagnostics', label), { recursive: true });
    fs.writeFileSync(path.join(out, 'diagnostics', label, 'versions.json'), JSON.stringify(versions));
  };
  expect(runEnvironment(out, 'e2e-x', 'local')['versions from']).toMatch(/^not collected/);
  write('a-failure', { platform: 'local', nbgrader: '0.9.5' });
  write('later-failure', { error: 'hub: GET / failed: ECONNREFUSED' });
  expect(runEnvironment(out, 'e2e-x', 'local')).toMatchObject({
    run: 'e2e-x',
    platform: 'local',
    nbgrader: '0.9.5',
    'versions from': path.join('diagnostics', 'a-failure', 'versions.json'),
  });
  write('end-of-run', { platform: 'local', nbgrader: '0.9.6' });
  expect(runEnvironment(out, 'e2e-x', 'local')).toMatchObject({ nbgrader: '0.9.6', 'tutorial pin: nbgrader': '0.9.5' });
});

test("a rerun's environment is its own versions, never the first run's", async () => {
  const runId = 'e2e-20261201-100000-abcd';
  const root = test.info().outputPath('output', runId);
  const rerun = path.join(root, 'reruns', '2');
  const bundle = (dir: string, versions: object) => {
    fs.mkdirSync(path.join(dir, 'diagnostics', 'end-of-run'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'diagnostics', 'end-of-run', 'versions.json'), JSON.stringify(versions));
  };
  // The first run had ngshare-exchange; the rerun ran after it was removed from the user image.
  bundle(root, { platform: 'local', nbgrader: '0.9.5', 'ngshare-exchange': '0.5.2' });
  bundle(rerun, { platform: 'local', nbgrader: '0.9.5' });
  fs.writeFileSync(path.join(rerun, 'invocation.json'), JSON.stringify({ runId, rerun: 2 }));
  // As `npm run report -- <id>/reruns/2` calls it: the folder's name for a run id.
  const file = await writeAllureEnvironment(path.join(rerun, 'allure-results'), rerun, '2', 'local');
  const text = fs.readFileSync(file, 'utf8');
  expect(text).toContain(`run=${runId}\n`);
  expect(text).toContain("rerun=2 (against the run's kept stack)\n");
  expect(text).toContain('nbgrader=0.9.5\n');
  expect(text).not.toMatch(/^ngshare-exchange=/m);
  expect(text).toContain('tutorial\\ pin\\:\\ ngshare-exchange=0.5.2');
});
