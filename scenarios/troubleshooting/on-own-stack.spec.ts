/**
 * The tutorial's troubleshooting cases that need a deployment gone wrong in one documented way:
 * each brings up a stack of its own with that variant (fixtures/fresh-stack.fixture.ts), shows the
 * error as a person meets it, applies the documented fix to that same stack the way a person would
 * (redeploy), and shows the flow recover. `npm run repro -- <name>` runs one.
 */
import fs from 'node:fs';
import { test, expect } from '../../fixtures/index.js';
import { compareToGolden } from '../../golden/index.js';
import { cases } from './catalogue.js';
import { createCourse, expectLogToMatch, redeployable, releaseFirstAssignment, describeCase } from './reproduce.js';

// Each case brings up its own stack: one that fails must not skip the others.
test.describe.configure({ mode: 'default' });
test.setTimeout(8 * 60_000);

describeCase('packages-missing', () => {
  test('without the singleuser values file pip finds neither package', async ({ freshStack }) => {
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
});

describeCase('sqlite-unwritable', () => {
  test('ngshare cannot open its database until its storage is made writable', async ({ freshStack }) => {
    const { instructor, phase, stack } = await freshStack({ ngshareStorageNotWritable: true });
    const ngshare = redeployable(stack);
    await phase('error: ngshare starts with sqlite3.OperationalError', async () => {
      await expectLogToMatch('troubleshoot-sqlite-unable-to-open', await ngshare.serviceLog('ngshare'), await instructor.home());
      await instructor.run('nbgrader list', (out) => expect(out).toPrintLine(/\[ListApp \| ERROR\]/));
    });
    await phase('fix: the init container (chown 65535:1000, chmod 0770) and a restart', () => ngshare.redeploy({}));
    await phase('recovery: ngshare answers', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
  });
});

describeCase('sqlalchemy2-drift', () => {
  test('with SQLAlchemy 2 ngshare reports a release it never stored', async ({ freshStack }) => {
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
});

describeCase('egress-policy-blocks-ngshare', () => {
  test('user pods cannot reach ngshare until private IPs are allowed', async ({ freshStack }) => {
    const { instructor, phase, stack } = await freshStack({ singleuserEgressBlocked: true });
    await phase('error: nbgrader cannot reach ngshare', () =>
      instructor.run('nbgrader list', { timeoutMs: 120_000, check: (out) => expect(out).toPrintLine(/\[ListApp \| ERROR\]/) }),
    );
    await phase('fix: singleuser.networkPolicy.egressAllowRules.privateIPs: true', () => redeployable(stack).redeploy({}));
    await phase('recovery: ngshare answers', () => instructor.run('nbgrader list', { golden: 'step4-list-course-not-found' }));
  });
});

test('every case of the catalogue has a scenario', () => {
  const here = (name: string) => fs.readFileSync(new URL(name, import.meta.url), 'utf8');
  const sources = here('./on-own-stack.spec.ts') + here('./on-shared-stack.spec.ts');
  for (const { name } of cases) expect(sources, name).toContain(`describeCase('${name}'`);
});
