/**
 * The tutorial's troubleshooting cases that need no special deployment, reproduced on the run's
 * shared stack: each test has a classroom of its own (a new course and students, see
 * cluster/classroom.ts), shows the error as a person meets it (compared with the tutorial's text),
 * applies the documented fix, and shows the flow recover. `npm run repro -- <name>` runs one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '../../fixtures/index.js';
import { HubClient } from '../../cluster/hub-client.js';
import { uploadFiles } from '../../fixtures/files.js';
import { createCourse, releaseFirstAssignment, describeCase } from './reproduce.js';

// One case that fails must not skip the others.
test.describe.configure({ mode: 'default' });
test.setTimeout(5 * 60_000);

/** A case of the instructor's alone: the classroom's student is an identity, with no server to start. */
const instructorOnly = { classroomOptions: { servers: false } };

describeCase('course-not-found', () => {
  test.use(instructorOnly);
  test('nbgrader list answers 404 until the course is created', async ({ instructor, phase, classroom }) => {
    await phase('error: the course does not exist yet', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
    await phase('fix: create the course', () => createCourse(instructor, classroom.courseId));
    await phase('recovery: the listing answers, with no assignments yet', () => instructor.run('nbgrader list', { golden: 'step5-list-no-assignments' }));
  });
});

describeCase('student-not-in-course', () => {
  test('a student outside the roster gets 403 until add_student', async ({ instructor, student, phase, classroom }) => {
    const { courseId } = classroom;
    await phase('given: the course exists, the student is not in it', () => createCourse(instructor, courseId));
    await phase('error: the student lists assignments', () => student.run('nbgrader list', { golden: 'troubleshoot-list-permission-denied' }));
    await phase('fix: add the student to the course', () =>
      instructor.run(`ngshare-course-management add_student ${courseId} ${student.user}`, { golden: 'step5-add-student' }),
    );
    await phase('recovery: the student lists assignments', () => student.run('nbgrader list', { golden: 'step5-list-no-assignments' }));
  });
});

describeCase('keyerror-user', () => {
  test.use(instructorOnly);
  test('outside a user server ngshare_exchange fails with KeyError USER', async ({ instructor, phase, classroom }) => {
    const command = `ngshare-course-management create_course ${classroom.courseId} ${instructor.user}`;
    // A bare exec (a standalone pod, a cron job) has neither JUPYTERHUB_USER nor USER.
    await phase("error: run without the server's user variables", () =>
      instructor.run(command, { unsetEnv: ['JUPYTERHUB_USER', 'USER'], golden: 'troubleshoot-keyerror-user' }),
    );
    await phase("fix and recovery: the same command inside the user's server", () => instructor.run(command, { golden: 'step5-create-course' }));
  });
});

describeCase('old-metadata', () => {
  test.use(instructorOnly);
  test('the ready-made notebooks need nbgrader update before generate', async ({ instructor, phase, classroom, stack, run }) => {
    const source = path.join(run.config.tutorialRepo, 'nbgrader', 'quickstart-source', 'ps1');
    test.skip(!fs.existsSync(source), `the tutorial repository's ready-made notebooks are not at ${source} (set E2E_DEPLOY_REPO)`);
    const { courseId } = classroom;
    await phase('given: a course directory with the ready-made notebooks copied in', async () => {
      await createCourse(instructor, courseId);
      await instructor.run(`nbgrader quickstart ${courseId}`, { golden: 'step6-quickstart' });
      // What `cp -r …/quickstart-source/ps1 ~/course101/source/` does, whatever the platform.
      await uploadFiles(stack, instructor.user, `${courseId}/source/ps1`, source);
    });
    await phase('error: generate_assignment', () =>
      instructor.run('nbgrader generate_assignment ps1', { cwd: courseId, golden: 'troubleshoot-old-metadata-format' }),
    );
    await phase('fix: nbgrader update .', () =>
      instructor.run('nbgrader update .', {
        cwd: courseId,
        check: (out) => {
          expect(out).toExitWith(0);
          expect(out).toPrintLine('[UpdateApp | INFO] Updating metadata for notebook: ./source/ps1/problem1.ipynb');
          expect(out).toPrintLine('[UpdateApp | INFO] Updating metadata for notebook: ./source/ps1/problem2.ipynb');
        },
      }),
    );
    await phase('recovery: generate --force, then release', async () => {
      const home = await instructor.home();
      await instructor.run('nbgrader generate_assignment ps1 --force', {
        cwd: courseId,
        check: (out) => {
          expect(out).toExitWith(0);
          expect(out).not.toPrintLine(/\| (ERROR|CRITICAL)\]/);
          expect(out).toPrintLine(`[GenerateAssignmentApp | INFO] Converting notebook ${home}/${courseId}/source/./ps1/problem1.ipynb`);
          expect(out).toPrintLine(`[GenerateAssignmentApp | INFO] Converting notebook ${home}/${courseId}/source/./ps1/problem2.ipynb`);
        },
      });
      await instructor.run('nbgrader release_assignment ps1', { cwd: courseId, golden: 'step6-release-assignment' });
    });
  });
});

describeCase('ngshare-admin-only', () => {
  test("the ngshare page's admin actions answer 403 to a non-admin", async ({ instructor, student, phase, classroom, stack }) => {
    const hub = new HubClient(stack.state.hubApiUrl, stack.hubToken);
    const page = `${stack.state.hubUrl}/services/ngshare/`;
    const as = async (user: string, url: string) => {
      const { token } = await hub.createToken(user, 'e2e: ngshare page check', 600);
      const res = await fetch(url, { headers: { Authorization: `token ${token}` } });
      return { status: res.status, body: await res.text() };
    };
    await phase('error: a non-admin', async () => {
      const home = await as(student.user, page);
      expect(home.status, 'the page itself loads').toBe(200);
      expect(home.body).not.toContain('Debug actions');
      const dump = await as(student.user, `${page}initialize-Data6ase?action=dump`);
      expect(dump.status).toBe(403);
      expect(JSON.parse(dump.body)).toEqual({ success: false, message: 'Debug mode is off' });
      await student.run(`ngshare-course-management create_course ${classroom.courseId} ${student.user}`, (out) => {
        expect(out).not.toExitWith(0);
        expect(out).toPrintLine(/Permission denied/);
      });
    });
    await phase('fix and recovery: an admin', async () => {
      const home = await as(instructor.user, page);
      expect(home.status).toBe(200);
      expect(home.body).toContain('Debug actions');
      const dump = await as(instructor.user, `${page}initialize-Data6ase?action=dump`);
      expect(dump.status).toBe(200);
      expect(JSON.parse(dump.body)).toMatchObject({ success: true });
      await createCourse(instructor, classroom.courseId);
    });
  });
});

describeCase('release-twice', () => {
  test.use(instructorOnly);
  test('a second release needs --force', async ({ instructor, phase, classroom }) => {
    const { courseId } = classroom;
    await phase('given: ps1 released once', async () => {
      await createCourse(instructor, courseId);
      await releaseFirstAssignment(instructor, courseId);
    });
    await phase('error: release again without --force', () =>
      instructor.run('nbgrader release_assignment ps1', {
        cwd: courseId,
        check: (out) => {
          expect(out).not.toExitWith(0);
          expect(out).toPrintLine(`[ReleaseAssignmentApp | CRITICAL] Destination already exists, add --force to overwrite: ${courseId} ps1`);
        },
      }),
    );
    await phase('fix: release with --force', () =>
      instructor.run('nbgrader release_assignment ps1 --force', {
        cwd: courseId,
        check: (out) => {
          expect(out).toExitWith(0);
          expect(out).toPrintLines([
            `[ReleaseAssignmentApp | INFO] Overwriting files: ${courseId} ps1`,
            '[ReleaseAssignmentApp | INFO] Successfully released ps1',
          ]);
        },
      }),
    );
    await phase('recovery: ps1 is listed once', () => instructor.run('nbgrader list', { cwd: courseId, golden: 'step6-list-released' }));
  });
});
