/**
 * The tutorial's troubleshooting section, reproduced: each case brings up a deployment that went
 * wrong in that one way, shows the error as a person meets it (compared with the tutorial's text),
 * applies the documented fix, and shows the flow recover. `npm run repro -- <name>` runs one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '../fixtures/index.js';
import { cases, findCase } from './troubleshooting/catalogue.js';
import { compareToGolden } from '../golden/index.js';
import { canRedeploy, type Stack } from '../cluster/platform.js';
import { HubClient } from '../cluster/hub-client.js';
import { uploadFiles } from '../fixtures/files.js';
import type { UserShell } from '../fixtures/index.js';

// Each case brings up its own stack: one that fails must not skip the others.
test.describe.configure({ mode: 'default' });
test.setTimeout(8 * 60_000);

/** The case's tags, and a skip (never a pass) where the platform cannot reproduce it. */
function reproduce(name: string) {
  const c = findCase(name);
  if (!c) throw new Error(`no troubleshooting case "${name}" in the catalogue`);
  return { tag: ['@troubleshooting', `@${name}`], platforms: c.platforms };
}

function skipUnlessSupported(name: string, platform: string) {
  const { platforms } = reproduce(name);
  test.skip(!platforms.includes(platform as never), `${name} reproduces only on ${platforms.join(', ')}; this run is on ${platform}`);
}

function redeployable(stack: Stack) {
  if (!canRedeploy(stack)) throw new Error(`the ${stack.state.platform} platform cannot redeploy, so the fix cannot be applied`);
  return stack;
}

/** A log (not a command) against a golden, with the same evidence a command's comparison attaches. */
async function expectLogToMatch(id: string, log: string, home: string) {
  const outcome = compareToGolden(id, { output: log }, { home });
  await test.info().attach(`golden ${id}: ${outcome.ok ? 'report' : 'diff'}`, { body: outcome.diff, contentType: 'text/plain' });
  expect(outcome.ok, `${outcome.summary}\n${outcome.diff}`).toBe(true);
}

async function createCourse(instructor: UserShell, courseId: string) {
  await instructor.run(`ngshare-course-management create_course ${courseId} ${instructor.user}`, { golden: 'step5-create-course' });
}

async function releaseFirstAssignment(instructor: UserShell, courseId: string) {
  await instructor.run(`nbgrader quickstart ${courseId}`, { golden: 'step6-quickstart' });
  await instructor.run('nbgrader generate_assignment ps1', { cwd: courseId, golden: 'step6-generate-assignment' });
  await instructor.run('nbgrader release_assignment ps1', { cwd: courseId, golden: 'step6-release-assignment' });
}

test('course-not-found: nbgrader list answers 404 until the course is created', reproduce('course-not-found'), async ({ freshStack, run }) => {
  skipUnlessSupported('course-not-found', run.config.platform);
  const { instructor, phase, stack } = await freshStack();
  await phase('error: the course does not exist yet', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
  await phase('fix: create the course', () => createCourse(instructor, stack.state.courseId));
  await phase('recovery: the listing answers, with no assignments yet', () => instructor.run('nbgrader list', { golden: 'step5-list-no-assignments' }));
});

test('student-not-in-course: a student outside the roster gets 403 until add_student', reproduce('student-not-in-course'), async ({ freshStack, run }) => {
  skipUnlessSupported('student-not-in-course', run.config.platform);
  const { instructor, student, phase, stack } = await freshStack();
  const { courseId } = stack.state;
  await phase('given: the course exists, the student is not in it', () => createCourse(instructor, courseId));
  await phase('error: the student lists assignments', () => student.run('nbgrader list', { golden: 'troubleshoot-list-permission-denied' }));
  await phase('fix: add the student to the course', () =>
    instructor.run(`ngshare-course-management add_student ${courseId} ${student.user}`, { golden: 'step5-add-student' }),
  );
  await phase('recovery: the student lists assignments', () => student.run('nbgrader list', { golden: 'step5-list-no-assignments' }));
});

test('packages-missing: without the singleuser values file pip finds neither package', reproduce('packages-missing'), async ({ freshStack, run }) => {
  skipUnlessSupported('packages-missing', run.config.platform);
  const { instructor, phase, stack } = await freshStack({ withoutNbgrader: true });
  await phase('error: the packages are not in the user server', async () => {
    await instructor.run('python -m pip show nbgrader ngshare-exchange', { golden: 'troubleshoot-package-not-found' });
    await instructor.run('nbgrader list', (out) => {
      expect(out).toExitWith(127);
      expect(out).toPrintLine(/nbgrader: command not found/);
    });
  });
  await phase('fix: deploy with jhub-singleuser-nbgrader.yaml and restart the server', () => redeployable(stack).redeploy({}));
  await phase('recovery: the packages are there and nbgrader reaches ngshare', async () => {
    await instructor.run('python -m pip show nbgrader ngshare-exchange', { golden: 'step4-pip-show' });
    await instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' });
  });
});

test('keyerror-user: outside a user server ngshare_exchange fails with KeyError USER', reproduce('keyerror-user'), async ({ freshStack, run }) => {
  skipUnlessSupported('keyerror-user', run.config.platform);
  const { instructor, phase, stack } = await freshStack();
  const command = `ngshare-course-management create_course ${stack.state.courseId} ${instructor.user}`;
  // A bare exec (a standalone pod, a cron job) has neither JUPYTERHUB_USER nor USER.
  await phase("error: run without the server's user variables", () =>
    instructor.run(command, { unsetEnv: ['JUPYTERHUB_USER', 'USER'], golden: 'troubleshoot-keyerror-user' }),
  );
  await phase("fix and recovery: the same command inside the user's server", () => instructor.run(command, { golden: 'step5-create-course' }));
});

test('old-metadata: the ready-made notebooks need nbgrader update before generate', reproduce('old-metadata'), async ({ freshStack, run }) => {
  skipUnlessSupported('old-metadata', run.config.platform);
  const source = path.join(run.config.tutorialRepo, 'nbgrader', 'quickstart-source', 'ps1');
  test.skip(!fs.existsSync(source), `the tutorial repository's ready-made notebooks are not at ${source} (set E2E_DEPLOY_REPO)`);
  const { instructor, phase, stack } = await freshStack();
  const { courseId } = stack.state;
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

test('sqlite-unwritable: ngshare cannot open its database until its storage is made writable', reproduce('sqlite-unwritable'), async ({ freshStack, run }) => {
  skipUnlessSupported('sqlite-unwritable', run.config.platform);
  const { instructor, phase, stack } = await freshStack({ ngshareStorageNotWritable: true });
  const ngshare = redeployable(stack);
  await phase('error: ngshare starts with sqlite3.OperationalError', async () => {
    await expectLogToMatch('troubleshoot-sqlite-unable-to-open', await ngshare.serviceLog('ngshare'), await instructor.home());
    await instructor.run('nbgrader list', (out) => expect(out).toPrintLine(/\[ListApp \| ERROR\]/));
  });
  await phase('fix: the init container (chown 65535:1000, chmod 0770) and a restart', () => ngshare.redeploy({}));
  await phase('recovery: ngshare answers', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
});

test("ngshare-admin-only: the ngshare page's admin actions answer 403 to a non-admin", reproduce('ngshare-admin-only'), async ({ freshStack, run }) => {
  skipUnlessSupported('ngshare-admin-only', run.config.platform);
  const { instructor, student, phase, stack } = await freshStack();
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
    await student.run(`ngshare-course-management create_course ${stack.state.courseId} ${student.user}`, (out) => {
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
    await createCourse(instructor, stack.state.courseId);
  });
});

test('release-twice: a second release needs --force', reproduce('release-twice'), async ({ freshStack, run }) => {
  skipUnlessSupported('release-twice', run.config.platform);
  const { instructor, phase, stack } = await freshStack();
  const { courseId } = stack.state;
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

test('sqlalchemy2-drift: with SQLAlchemy 2 ngshare reports a release it never stored', reproduce('sqlalchemy2-drift'), async ({ freshStack, run }) => {
  skipUnlessSupported('sqlalchemy2-drift', run.config.platform);
  const { instructor, student, phase, stack } = await freshStack({ ngshareSqlalchemy2: true });
  const { courseId } = stack.state;
  await phase('given: the course, its student, and "Successfully released ps1"', async () => {
    await createCourse(instructor, courseId);
    await instructor.run(`ngshare-course-management add_student ${courseId} ${student.user}`, { golden: 'step5-add-student' });
    await releaseFirstAssignment(instructor, courseId);
  });
  await phase('error: the tutorial\'s "verify it shows up" check goes red', async () => {
    const listing = await instructor.run('nbgrader list', { cwd: courseId });
    const outcome = compareToGolden('step6-list-released', listing, { home: await instructor.home() });
    await test.info().attach('golden step6-list-released: diff (expected to fail)', { body: outcome.diff, contentType: 'text/plain' });
    expect(outcome.ok, 'the listing should be missing ps1').toBe(false);
    expect(outcome.diff).toContain(`${courseId} ps1`);
  });
  await phase('fix: ngshare with SQLAlchemy<2, as its image has, and release again', async () => {
    await redeployable(stack).redeploy({});
    await instructor.run('nbgrader release_assignment ps1 --force', {
      cwd: courseId,
      check: (out) => expect(out).toPrintLine('[ReleaseAssignmentApp | INFO] Successfully released ps1'),
    });
  });
  await phase('recovery: listed, and the student can fetch it', async () => {
    await instructor.run('nbgrader list', { cwd: courseId, golden: 'step6-list-released' });
    await student.run('nbgrader fetch_assignment ps1', { golden: 'step7-student-fetch' });
  });
});

test(
  'egress-policy-blocks-ngshare: user pods cannot reach ngshare until private IPs are allowed',
  reproduce('egress-policy-blocks-ngshare'),
  async ({ freshStack, run }) => {
    skipUnlessSupported('egress-policy-blocks-ngshare', run.config.platform);
    const { instructor, phase, stack } = await freshStack({ singleuserEgressBlocked: true });
    await phase('error: nbgrader cannot reach ngshare', () =>
      instructor.run('nbgrader list', { timeoutMs: 120_000, check: (out) => expect(out).toPrintLine(/\[ListApp \| ERROR\]/) }),
    );
    await phase('fix: singleuser.networkPolicy.egressAllowRules.privateIPs: true', () => redeployable(stack).redeploy({}));
    await phase('recovery: ngshare answers', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
  },
);

test('every case of the catalogue has a scenario here', () => {
  const source = fs.readFileSync(new URL(import.meta.url), 'utf8');
  for (const { name } of cases) expect(source, name).toContain(`reproduce('${name}')`);
});
