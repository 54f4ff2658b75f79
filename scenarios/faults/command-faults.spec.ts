/**
 * The tutorial under a fault in the middle of a run: each test runs the real harness (`npm run
 * e2e`) in a child process under fault-run.config.ts, which wraps the stack from outside the
 * product so that the fault (E2E_FAULT, scenarios/faults/inject.ts) happens right before the first
 * command that matches. Then: red at the right step, a message that names the broken part, within
 * its bounds, diagnostics exported, nothing of the run left running.
 *
 * The student dropped from the course (drop-student, red at Step 7 with 403) is checked by the run
 * that scenarios/redaction.spec.ts searches for secrets: that run is this fault's run, so it is not
 * made twice.
 */
import { test, expect, expectRedAt, type NestedRun } from './nested-run.js';

// Independent runs, each in directories and on ports of its own: side by side where there are workers.
test.describe.configure({ mode: 'parallel' });
test.setTimeout(15 * 60_000);

/** The fault was injected by the wrapper, in the nested run's worker, right before the command it names. */
function expectInjected(run: NestedRun, fault: string, command: string): void {
  expect(run.output).toMatch(new RegExp(`^\\S+ faults: injecting ${fault} before "[^"]*${escape(command)}[^"]*"$`, 'm'));
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The wrapper's line as the fault happens: bounds are measured from it, so a slow bring-up on a loaded machine does not count. */
const injected = /faults: injecting /;

test('ngshare with SQLAlchemy 2: the tutorial goes red at Step 6, where the release is lost', async ({ nested }) => {
  const run = await nested.run({ args: ['--variant', 'ngshare-sqlalchemy2'] });
  // release_assignment still says "Successfully released ps1"; the listing that follows is empty.
  const step6 = run.summary?.steps.find((s) => s.step.startsWith('Step 6'));
  expect(step6?.commands.find((c) => c.command === 'nbgrader release_assignment ps1')?.verdict).toBe('pass');
  expectRedAt(run, 'Step 6: Create and release a first assignment', 'nbgrader list', /golden step6-list-released/);
});

test('ngshare frozen mid-run: the command times out at its bound instead of hanging', async ({ nested }) => {
  const run = await nested.run({ fault: 'freeze-ngshare@instructor1: nbgrader list', env: { E2E_COMMAND_TIMEOUT: '20' } });
  expectInjected(run, 'freeze-ngshare', 'instructor1: nbgrader list');
  expectRedAt(run, 'Step 4: Validate in JupyterHub', 'nbgrader list', /timed out after 2\d{4} ms/);
  expect(run.secondsAfter(injected), 'seconds from the fault to the end of the run').toBeLessThan(150);
});

test('ngshare stopped before the course is created: red at Step 5, naming ngshare', async ({ nested }) => {
  const run = await nested.run({ fault: 'stop-ngshare@create_course' });
  expectInjected(run, 'stop-ngshare', 'create_course');
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /Could not establish connection to ngshare/);
  expect(run.secondsAfter(injected), 'seconds from the fault to the end of the run').toBeLessThan(150);
});

test('the proxy killed mid-run: red at the next command, naming the proxy', async ({ nested }) => {
  const run = await nested.run({ fault: 'stop-proxy@create_course' });
  expectInjected(run, 'stop-proxy', 'create_course');
  expectRedAt(run, 'Step 5: Create the course and roster', 'create_course', /^proxy/m);
  expect(run.secondsAfter(injected), 'seconds from the fault to the end of the run').toBeLessThan(150);
});

test('the hub killed mid-run: red at the next command, naming the hub', async ({ nested }) => {
  const run = await nested.run({ fault: 'stop-hub@instructor1: nbgrader list' });
  expectInjected(run, 'stop-hub', 'instructor1: nbgrader list');
  expectRedAt(run, 'Step 4: Validate in JupyterHub', 'nbgrader list', /hub/);
  expect(run.secondsAfter(injected), 'seconds from the fault to the end of the run').toBeLessThan(150);
});
