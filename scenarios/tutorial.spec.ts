/**
 * The tutorial (../shared/tutorial.md), steps 4 to 8, run inside real user servers: an instructor
 * and a student, each in their own server, with nbgrader talking to ngshare through the hub.
 * Each step checks what the tutorial's "Expected output" shows.
 */
import { test, expect } from '../fixtures/index.js';
import { tutorial } from '../cluster/versions.js';

const { courseId, assignment } = tutorial;
const noErrors = /\| ERROR\]/;
/** nbgrader's submission timestamp: 2026-02-04 03:03:39.734930 */
const timestamp = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}/;

test.describe.configure({ mode: 'serial' });
test.setTimeout(15 * 60_000);

test('the tutorial flow runs from validation to autograde', async ({ instructor, student, tutorialStep }) => {
  const student1 = student.user;
  const instructorHome = await instructor.home();
  const studentHome = await student.home();
  const course = courseId; // quickstart's directory, named after the course

  await tutorialStep('Step 4: Validate in JupyterHub', async () => {
    await instructor.run('python -m pip show nbgrader ngshare-exchange', (out) => {
      expect(out).toExitWith(0);
      expect(out).toPrintLines(['Name: nbgrader', /^Version: \S+$/, '---', 'Name: ngshare-exchange', /^Version: \S+$/]);
      expect(out).not.toPrintLine(/Package\(s\) not found/);
    });
    // Before the course exists, ngshare answers 404: the tutorial says this is expected.
    await instructor.run('nbgrader list', (out) => {
      expect(out).toPrintLines([
        '[ListApp | ERROR] ngshare service returned invalid status code 404.',
        `[ListApp | ERROR] ngshare endpoint /assignments/${courseId} returned failure: Course not found`,
        `[ListApp | ERROR] Failed to get assignments from course ${courseId}.`,
        '[ListApp | INFO] Released assignments:',
      ]);
    });
  });

  await tutorialStep('Step 5: Create the course and roster', async () => {
    await instructor.run(`ngshare-course-management create_course ${courseId} ${instructor.user}`, (out) => {
      expect(out).toExitWith(0);
      expect(out).toPrintLine(`Successfully created ${courseId}`);
    });
    await instructor.run(`ngshare-course-management add_student ${courseId} ${student1}`, (out) => {
      expect(out).toExitWith(0);
      expect(out).toPrintLine(`Successfully added/updated ${student1} on ${courseId}`);
    });
    await instructor.run('nbgrader list', (out) => {
      expect(out).toPrintLine('[ListApp | INFO] Released assignments:');
      expect(out).not.toPrintLine(noErrors);
    });
  });

  await tutorialStep('Step 6: Create and release a first assignment', async () => {
    await instructor.run(`nbgrader quickstart ${course}`, (out) => {
      expect(out).toExitWith(0);
      expect(out).toPrintLines([
        `[QuickStartApp | INFO] Creating directory '${instructorHome}/${course}'...`,
        '[QuickStartApp | INFO] Copying example from the user guide...',
        '[QuickStartApp | INFO] Generating example config file...',
        `[QuickStartApp | INFO] Done! The course files are located in '${instructorHome}/${course}'.`,
      ]);
    });
    await instructor.run(`nbgrader generate_assignment ${assignment}`, {
      cwd: course,
      check: (out) => {
        expect(out).toExitWith(0);
        expect(out).toPrintLine(`[GenerateAssignmentApp | INFO] Updating/creating assignment '${assignment}': {}`);
        for (const nb of ['problem1', 'problem2']) {
          expect(out).toPrintLine(`[GenerateAssignmentApp | INFO] Converting notebook ${instructorHome}/${course}/source/./${assignment}/${nb}.ipynb`);
        }
        expect(out).not.toPrintLine(noErrors);
      },
    });
    await instructor.run(`nbgrader release_assignment ${assignment}`, {
      cwd: course,
      check: (out) => {
        expect(out).toPrintLine(`[ReleaseAssignmentApp | INFO] Successfully released ${assignment}`);
        expect(out).not.toPrintLine(noErrors);
      },
    });
    // "Verify it shows up": the release must have reached ngshare, not only been announced.
    await instructor.run('nbgrader list', {
      cwd: course,
      check: (out) => {
        expect(out).toPrintLines(['[ListApp | INFO] Released assignments:', `[ListApp | INFO] ${courseId} ${assignment}`]);
        expect(out).not.toPrintLine(noErrors);
      },
    });
  });

  let submittedAt = '';
  await tutorialStep('Step 7: Student workflow (fetch + submit)', async () => {
    await instructor.run(`ngshare-course-management add_student ${courseId} ${student1}`, (out) => {
      expect(out).toPrintLine(`Successfully added/updated ${student1} on ${courseId}`);
    });
    await student.run('nbgrader list', (out) => {
      expect(out).not.toPrintLine(noErrors);
      expect(out).toPrintLines(['[ListApp | INFO] Released assignments:', `[ListApp | INFO] ${courseId} ${assignment}`]);
    });
    await student.run(`nbgrader fetch_assignment ${assignment}`, async (out) => {
      expect(out).not.toPrintLine(noErrors);
      expect(out).toPrintLine(`[FetchAssignmentApp | INFO] Successfully fetched ${assignment}. Will try to decode`);
      for (const nb of ['problem1', 'problem2']) {
        expect(out).toPrintLine(`[FetchAssignmentApp | INFO] Decoding: ${studentHome}/${assignment}/${nb}.ipynb`);
        expect(await student.exists(`${assignment}/${nb}.ipynb`), `${assignment}/${nb}.ipynb in the student's home`).toBe(true);
      }
      expect(out).toPrintLine(`[FetchAssignmentApp | INFO] Successfully decoded ${assignment}.`);
    });
    const submit = await student.run(`nbgrader submit ${assignment}`, (out) => {
      expect(out).not.toPrintLine(noErrors);
      expect(out).toPrintLine(`[SubmitApp | INFO] Source: ${studentHome}/${assignment}`);
      expect(out).toPrintLine('[SubmitApp | INFO] Encoding: problem1.ipynb');
      expect(out).toPrintLine('[SubmitApp | INFO] Encoding: problem2.ipynb');
      expect(out).toPrintLine(new RegExp(`^\\[SubmitApp \\| INFO\\] Submitted as: ${courseId} ${assignment} ${timestamp.source}$`));
    });
    submittedAt = timestamp.exec(submit.output)?.[0] ?? '';
  });

  await tutorialStep('Step 8: Instructor workflow (collect + autograde)', async () => {
    const submitted = `${instructorHome}/${course}/submitted/${student1}/${assignment}`;
    await instructor.run(`nbgrader collect ${assignment}`, {
      cwd: course,
      check: (out) => {
        expect(out).not.toPrintLine(noErrors);
        expect(out).toPrintLines([
          `[CollectApp | INFO] Processing 1 submissions of "${assignment}" for course "${courseId}"`,
          `[CollectApp | INFO] Collecting submission: ${student1} ${assignment}`,
        ]);
        expect(out).toPrintLine(`[CollectApp | INFO] Decoding: ${submitted}/problem1.ipynb`);
        expect(out).toPrintLine(`[CollectApp | INFO] Decoding: ${submitted}/problem2.ipynb`);
      },
    });
    const autograded = `${instructorHome}/${course}/autograded/${student1}/${assignment}`;
    await instructor.run(`nbgrader autograde ${assignment}`, {
      cwd: course,
      check: async (out) => {
        expect(out).toExitWith(0);
        expect(out).not.toPrintLine(noErrors);
        // The submission autograded is the one the student just made: same timestamp.
        expect(out).toPrintLine(`[AutogradeApp | INFO] SubmittedAssignment<${assignment} for ${student1}> submitted at ${submittedAt}`);
        for (const nb of ['problem1', 'problem2']) {
          expect(out).toPrintLine(`[AutogradeApp | INFO] Autograding ${autograded}/${nb}.ipynb`);
          expect(await instructor.exists(`${course}/autograded/${student1}/${assignment}/${nb}.ipynb`), `autograded ${nb}.ipynb`).toBe(true);
        }
      },
    });
  });
});
