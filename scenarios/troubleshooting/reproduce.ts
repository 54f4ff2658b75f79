/**
 * What every troubleshooting reproduction uses: the case's tags and platform check (from the
 * catalogue), a log compared with a golden the way a command's output is, and the tutorial steps
 * a case starts from.
 */
import { test, expect, type UserShell } from '../../fixtures/index.js';
import { compareToGolden } from '../../golden/index.js';
import { canRedeploy, type Stack } from '../../cluster/platform.js';
import { readConfig } from '../../cluster/config.js';
import { findCase } from './catalogue.js';

/**
 * The tests of one case of the catalogue, tagged @troubleshooting @<name> (for `npm run repro --
 * <name>`), and skipped, never passed, where the platform cannot reproduce it: skipped before any
 * fixture runs, so no classroom or stack is made for nothing.
 */
export function describeCase(name: string, body: () => void): void {
  const c = findCase(name);
  if (!c) throw new Error(`no troubleshooting case "${name}" in the catalogue`);
  const { platform } = readConfig();
  test.describe(name, { tag: ['@troubleshooting', `@${name}`] }, () => {
    test.skip(!c.platforms.includes(platform), `${name} reproduces only on ${c.platforms.join(', ')}; this run is on ${platform}`);
    body();
  });
}

export function redeployable(stack: Stack) {
  if (!canRedeploy(stack)) throw new Error(`the ${stack.state.platform} platform cannot redeploy, so the fix cannot be applied`);
  return stack;
}

/** A log (not a command) against a golden, with the same evidence a command's comparison attaches. */
export async function expectLogToMatch(id: string, log: string, home: string) {
  const outcome = compareToGolden(id, { output: log }, { home });
  await test.info().attach(`golden ${id}: ${outcome.ok ? 'report' : 'diff'}`, { body: outcome.diff, contentType: 'text/plain' });
  expect(outcome.ok, `${outcome.summary}\n${outcome.diff}`).toBe(true);
}

/** Tutorial Step 5's create_course, by the instructor (an ngshare admin, as the tutorial's is). */
export async function createCourse(instructor: UserShell, courseId: string) {
  await instructor.run(`ngshare-course-management create_course ${courseId} ${instructor.user}`, { golden: 'step5-create-course' });
}

/** Tutorial Step 6 up to the release. */
export async function releaseFirstAssignment(instructor: UserShell, courseId: string) {
  await instructor.run(`nbgrader quickstart ${courseId}`, { golden: 'step6-quickstart' });
  await instructor.run('nbgrader generate_assignment ps1', { cwd: courseId, golden: 'step6-generate-assignment' });
  await instructor.run('nbgrader release_assignment ps1', { cwd: courseId, golden: 'step6-release-assignment' });
}
