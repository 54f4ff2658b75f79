/**
 * The tutorial (../shared/tutorial.md), steps 4 to 8, run inside real user servers: an instructor
 * and a student, each in their own server, with nbgrader talking to ngshare through the hub.
 * Every command's output is compared with its golden, expected-output/<golden-id>.txt: the
 * tutorial's "Expected output" for it (see expected-output/README.md).
 *
 * Apart from the goldens, data checks (reporters/data-checks.ts) look at what output cannot show:
 * the assignment stored and listed, files on disk, the same submission from submit to collect. A
 * golden mismatch fails the test but lets the flow go on, so a run with a new release says which
 * it is: every data check passed (only the output changed: update the goldens on purpose), or a
 * data check failed or was never reached (the flow is broken).
 */
import { test, expect } from '../fixtures/index.js';
import { tutorial } from '../cluster/versions.js';
import { DataChecks } from '../reporters/data-checks.js';
import { plannedSteps } from '../reporters/planned-steps.js';

const { assignment } = tutorial;
/** nbgrader's submission timestamp: 2026-02-04 03:03:39.734930 */
const timestamp = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}/;

/** The flow's data checks, in the order they run. */
const tutorialDataChecks = [
  'ps1 listed after the release',
  'the files fetched',
  "a collected submission with the student's timestamp",
  'autograded notebooks on disk',
] as const;

/** The tutorial's steps this test runs, as the tutorial names them; declared, so the reports show those that did not run. */
const steps = {
  validate: 'Step 4: Validate in JupyterHub',
  course: 'Step 5: Create the course and roster',
  release: 'Step 6: Create and release a first assignment',
  student: 'Step 7: Student workflow (fetch + submit)',
  instructor: 'Step 8: Instructor workflow (collect + autograde)',
} as const;
const declared = { annotation: plannedSteps(Object.values(steps)) };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test.describe.configure({ mode: 'serial' });
test.setTimeout(15 * 60_000);
test.use({ goldenMismatch: 'continue' });

test('the tutorial flow runs from validation to autograde', declared, async ({ instructor, student, tutorialStep, classroom, run }, testInfo) => {
  const student1 = student.user;
  // course101 the first time on a stack; a course of this run's own on a kept or shared stack
  // (course101-c2, …), as are its students (the goldens map the names back to the tutorial's).
  const { courseId } = classroom;
  const course = courseId; // quickstart's directory, named after the course
  const checks = new DataChecks(run.dirs.outputDir, testInfo.title, tutorialDataChecks);

  await tutorialStep(steps.validate, async () => {
    await instructor.run('python -m pip show nbgrader ngshare-exchange', { golden: 'step4-pip-show' });
    // Before the course exists, ngshare answers 404: the tutorial says this is expected.
    await instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' });
  });

  await tutorialStep(steps.course, async () => {
    await instructor.run(`ngshare-course-management create_course ${courseId} ${instructor.user}`, { golden: 'step5-create-course' });
    await instructor.run(`ngshare-course-management add_student ${courseId} ${student1}`, { golden: 'step5-add-student' });
    await instructor.run('nbgrader list', { golden: 'step5-list-no-assignments' });
  });

  await tutorialStep(steps.release, async () => {
    await instructor.run(`nbgrader quickstart ${course}`, { golden: 'step6-quickstart' });
    await instructor.run(`nbgrader generate_assignment ${assignment}`, { cwd: course, golden: 'step6-generate-assignment' });
    await instructor.run(`nbgrader release_assignment ${assignment}`, { cwd: course, golden: 'step6-release-assignment' });
    // "Verify it shows up": the release must have reached ngshare, not only been announced.
    await instructor.run('nbgrader list', {
      cwd: course,
      golden: 'step6-list-released',
      check: (out) =>
        checks.verify('ps1 listed after the release', () => expect(out).toPrintLine(new RegExp(`\\b${escape(courseId)}\\s+${escape(assignment)}\\b`))),
    });
  });

  let submittedAt = '';
  await tutorialStep(steps.student, async () => {
    await instructor.run(`ngshare-course-management add_student ${courseId} ${student1}`, { golden: 'step7-add-student' });
    await student.run('nbgrader list', { golden: 'step7-student-list' });
    await student.run(`nbgrader fetch_assignment ${assignment}`, {
      golden: 'step7-student-fetch',
      check: () =>
        checks.verify('the files fetched', async () => {
          for (const nb of ['problem1', 'problem2']) {
            expect(await student.exists(`${assignment}/${nb}.ipynb`), `${assignment}/${nb}.ipynb in the student's home`).toBe(true);
          }
        }),
    });
    const submit = await student.run(`nbgrader submit ${assignment}`, { golden: 'step7-student-submit' });
    submittedAt = timestamp.exec(submit.output)?.[0] ?? '';
  });

  await tutorialStep(steps.instructor, async () => {
    await instructor.run(`nbgrader collect ${assignment}`, {
      cwd: course,
      golden: 'step8-collect',
      check: () =>
        checks.verify("a collected submission with the student's timestamp", async () => {
          // The submission collected is the one the student just made: the timestamp their submit printed.
          expect(submittedAt, "the student's `nbgrader submit` printed the submission's timestamp").toMatch(timestamp);
          const collected = await instructor.read(`${course}/submitted/${student1}/${assignment}/timestamp.txt`);
          expect(collected, `${course}/submitted/${student1}/${assignment}/timestamp.txt in the instructor's home`).toContain(submittedAt);
        }),
    });
    await instructor.run(`nbgrader autograde ${assignment}`, {
      cwd: course,
      golden: 'step8-autograde',
      check: () =>
        checks.verify('autograded notebooks on disk', async () => {
          for (const nb of ['problem1', 'problem2']) {
            expect(await instructor.exists(`${course}/autograded/${student1}/${assignment}/${nb}.ipynb`), `autograded ${nb}.ipynb`).toBe(true);
          }
        }),
    });
  });
});
