/**
 * The Playwright config of a nested harness run under a fault (scenarios/faults/inject.ts): the
 * project's own config, with every project's stack wrapped by the fault that E2E_FAULT names.
 * Only the harness's own fault tests pass it (`-- --config scenarios/faults/fault-run.config.ts`).
 */
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config.js';
import type { PlatformWorkerOptions } from '../../fixtures/platform.fixture.js';
import { parseFault, withFault } from './inject.js';

const plan = parseFault(process.env.E2E_FAULT ?? '');
const stackWrapper: PlatformWorkerOptions['stackWrapper'] = { wrap: (stack) => withFault(stack, plan) };

export default defineConfig({
  ...base,
  projects: (base.projects ?? []).map((p) => ({ ...p, use: { ...p.use, stackWrapper } })),
});
