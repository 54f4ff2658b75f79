import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { runEnvironment, toProperties } from './allure-environment.js';

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
