/**
 * A scenario's steps, declared with the test so that the reports can show the steps that did not
 * run (after a failure, or when the platform did not come up) as not run, not leave them out:
 *
 *   const steps = ['Step 4: Validate in JupyterHub', 'Step 5: Create the course and roster'] as const;
 *   test('the tutorial flow …', { annotation: plannedSteps(steps) }, async ({ tutorialStep }) => {
 *     await tutorialStep(steps[0], async () => { … });
 *
 * Read by the JUnit reporter (a testcase per step) and the Allure step fixer.
 */
export const plannedStepsType = 'planned steps';

/** The annotation that declares a test's steps, in order. */
export function plannedSteps(titles: readonly string[]): { type: string; description: string } {
  return { type: plannedStepsType, description: titles.join('\n') };
}

/** The steps a test declared, in order; [] when it declared none. */
export function readPlannedSteps(annotations: ReadonlyArray<{ type: string; description?: string }>): string[] {
  const declared = annotations.find((a) => a.type === plannedStepsType)?.description;
  return declared ? declared.split('\n').filter(Boolean) : [];
}
