// What `npm test` (scripts/test.ts) hands every test, checked from inside one of its workers.
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../cluster/config.js';

test("npm test's workers make their scratch files in a directory of the run's own (TMPDIR), which it removes at the end", () => {
  test.skip(!readConfig().wholeSuite, 'only under npm test (E2E_WHOLE_SUITE)');
  expect(path.basename(os.tmpdir())).toMatch(/^nbgrader-e2e-npm-test-\w{6}$/);
});
