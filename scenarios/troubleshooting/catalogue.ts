/**
 * The tutorial's troubleshooting cases the harness reproduces: `npm run repro -- --list` prints
 * this table. Each entry is a describe block tagged @<name>: in on-shared-stack.spec.ts when it needs
 * no special deployment (a classroom of its own on the run's stack), in on-own-stack.spec.ts when it
 * needs a deployment gone wrong (a stack of its own).
 */
import type { PlatformName } from '../../cluster/config.js';

export interface TroubleshootingCase {
  /** Stable name: the CLI argument and the test's tag. */
  name: string;
  /** One line for --list: the error, and the fix that makes the flow recover. */
  summary: string;
  /** Where it can be reproduced; elsewhere it is skipped with a reason, never passed. */
  platforms: PlatformName[];
}

const everywhere: PlatformName[] = ['local', 'kind', 'jetstream'];

export const cases: TroubleshootingCase[] = [
  {
    name: 'course-not-found',
    summary: '`nbgrader list` before the course exists: 404 "Course not found"; fixed by create_course',
    platforms: everywhere,
  },
  {
    name: 'student-not-in-course',
    summary: 'a student not added to the course: 403 "Permission denied"; fixed by add_student',
    platforms: everywhere,
  },
  {
    name: 'packages-missing',
    summary: 'singleuser values file forgotten: "WARNING: Package(s) not found: nbgrader, ngshare-exchange"; fixed by deploying it',
    platforms: ['local', 'kind'],
  },
  {
    name: 'keyerror-user',
    summary: "running outside a real user server: KeyError: 'USER'; fixed by running inside the user's server",
    platforms: everywhere,
  },
  {
    name: 'old-metadata',
    summary: 'the ready-made notebooks: "old nbgrader metadata format"; fixed by `nbgrader update .` and generate --force',
    platforms: everywhere,
  },
  {
    name: 'sqlite-unwritable',
    summary: "ngshare storage not writable by its user: sqlite3.OperationalError; fixed by the init container's chown/chmod",
    platforms: ['local', 'kind'],
  },
  {
    name: 'ngshare-admin-only',
    summary: 'a non-admin on the ngshare service page: 403 on its admin actions; an admin: the page and its actions work',
    platforms: everywhere,
  },
  {
    name: 'release-twice',
    summary: 'release_assignment again without --force: "Destination already exists"; with --force it overwrites',
    platforms: everywhere,
  },
  {
    name: 'sqlalchemy2-drift',
    summary: 'ngshare 0.6.0 with SQLAlchemy 2: "Successfully released" but nothing stored; fixed by SQLAlchemy<2',
    platforms: ['local', 'kind'],
  },
  {
    name: 'egress-policy-blocks-ngshare',
    summary: "z2jh's default singleuser egress policy blocks ngshare on a cluster that enforces it; fixed by privateIPs: true",
    platforms: ['kind'],
  },
];

export function findCase(name: string): TroubleshootingCase | undefined {
  return cases.find((c) => c.name === name);
}
