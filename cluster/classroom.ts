/**
 * A classroom: a course and students of a scenario's own on a running stack, so that many
 * scenarios (and reruns of one) can share a stack without meeting each other's course. The same
 * mechanism serves every platform:
 *
 *  - its course id and student names are new for each classroom of the stack (`course101`,
 *    `student1` for the first one, as the tutorial names them; `course101-c2`, `student1-c2`, … after);
 *  - the students are hub users of the run's own, made through the Hub API, with their servers
 *    started unless the scenario needs only their identities (a deadline rush);
 *  - the instructor is the stack's instructor, who is an ngshare admin as the tutorial's is (only
 *    an ngshare admin may create a course); a scenario that needs the course to exist has it made
 *    through ngshare's API by that admin, with the instructor as its instructor;
 *  - the course goes into each user's own ~/.jupyter/nbgrader_config.py, which Jupyter reads
 *    before the deployment's /etc/jupyter one: the exchange stays as deployed.
 *
 * The instructor's ~/.jupyter config names the newest classroom's course: classrooms of one stack
 * are used one after another (one Playwright worker), never at the same time.
 */
import fs from 'node:fs';
import { HarnessError } from './errors.js';
import { HubClient } from './hub-client.js';
import { NgshareClient } from './ngshare-client.js';
import { isAlive } from './processes.js';
import type { Stack } from './platform.js';
import type { Run } from './run/index.js';
import { shellQuote } from './shell.js';
import { waitFor } from './wait.js';

export interface ClassroomOptions {
  /** `absent`: the course does not exist yet (the tutorial creates it in Step 5); `created`: made by the ngshare admin. */
  course?: 'absent' | 'created';
  /** How many students (default 1). */
  students?: number;
  /** Start the students' servers (default true); without, they are identities only. */
  servers?: boolean;
  /** Add the students to the course (needs `course: 'created'`); the tutorial does it itself in Step 7. */
  enrol?: boolean;
}

export interface Classroom {
  /** '' for the stack's first classroom, else c2, c3, … */
  label: string;
  courseId: string;
  /** The stack's instructor: an ngshare admin, the course's instructor. */
  instructor: string;
  students: string[];
}

interface Ledgered {
  label: string;
  courseId: string;
  students: string[];
  openedAt: string;
}

/** The classrooms a stack has given out, in a file of the run: one writer at a time (a lock file). */
class ClassroomBook {
  private readonly file: string;
  private readonly lock: string;

  constructor(run: Run) {
    this.file = run.dirs.path('classrooms.json');
    this.lock = `${this.file}.lock`;
  }

  list(): Ledgered[] {
    return fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as Ledgered[]) : [];
  }

  /** Runs `take` with the book locked; what it returns is added to the book. */
  async allocate(take: (given: Ledgered[]) => Ledgered): Promise<Ledgered> {
    await waitFor(
      async () => {
        try {
          fs.writeFileSync(this.lock, String(process.pid), { flag: 'wx' });
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          // A lock left by a process that died is not anyone's any more.
          const holder = Number(fs.readFileSync(this.lock, 'utf8'));
          if (holder && !isAlive(holder)) fs.rmSync(this.lock, { force: true });
          throw new Error(`held by process ${holder}`, { cause: err });
        }
      },
      { what: `the classroom book ${this.file}`, timeoutMs: 30_000, intervalMs: 100 },
    );
    try {
      const given = this.list();
      const entry = take(given);
      fs.writeFileSync(this.file, JSON.stringify([...given, entry], null, 2));
      return entry;
    } finally {
      fs.rmSync(this.lock, { force: true });
    }
  }
}

/** Names of the nth classroom (1-based) of a stack whose own course and first student are given. */
export function classroomNames(n: number, stackCourse: string, stackStudent: string, students: number): Omit<Ledgered, 'openedAt'> {
  const label = n === 1 ? '' : `c${n}`;
  const suffix = label ? `-${label}` : '';
  const names = Array.from({ length: students }, (_, i) => `${stackStudent}${suffix}${i === 0 ? '' : `-${i + 1}`}`);
  return { label, courseId: `${stackCourse}${suffix}`, students: names };
}

/** The nbgrader_config.py of a user's own ~/.jupyter: only the course, the exchange stays as deployed. */
export function courseConfig(courseId: string): string {
  return `c = get_config()\nc.CourseDirectory.course_id = '${courseId}'\n`;
}

/** Writes (or, for the deployment's own course, removes) the user's ~/.jupyter/nbgrader_config.py. */
async function pointAtCourse(stack: Stack, user: string, courseId: string): Promise<void> {
  const command =
    courseId === stack.state.courseId && stack.state.deploymentNamesCourse
      ? 'rm -f ~/.jupyter/nbgrader_config.py'
      : `mkdir -p ~/.jupyter && printf %s ${shellQuote(courseConfig(courseId))} > ~/.jupyter/nbgrader_config.py`;
  const result = await stack.exec(user, command);
  if (result.exitCode !== 0)
    throw new HarnessError('classroom', `could not point ${user}'s nbgrader config at ${courseId} (exit ${result.exitCode})`, result.output);
}

/** How many students are given to `addUsers` at a time. */
const addUsersAtOnce = 20;

/** Opens a classroom of the stack: its students exist (servers started unless told otherwise), its course as asked. */
export async function openClassroom(stack: Stack, run: Run, options: ClassroomOptions = {}): Promise<Classroom> {
  const { course = 'absent', students = 1, servers = true, enrol = false } = options;
  if (enrol && course !== 'created') throw new HarnessError('classroom', 'students can be enrolled only in a course that is created');
  const { instructor, student } = stack.state.users;
  const entry = await new ClassroomBook(run).allocate((given) => ({
    ...classroomNames(given.length + 1, stack.state.courseId, student, students),
    openedAt: new Date().toISOString(),
  }));
  // In groups, so that a class of hundreds (a deadline rush) does not queue hundreds of requests at the hub at once.
  for (let i = 0; i < entry.students.length; i += addUsersAtOnce) await stack.addUsers(entry.students.slice(i, i + addUsersAtOnce), { servers });
  // The instructor first (its server exists since bring-up), then the students, each in their own server.
  await pointAtCourse(stack, instructor, entry.courseId);
  if (servers) await Promise.all(entry.students.map((s) => pointAtCourse(stack, s, entry.courseId)));
  if (course === 'created') {
    const hub = new HubClient(stack.state.hubApiUrl, stack.hubToken);
    const minted = await hub.createToken(instructor, `e2e ${run.id}: classroom ${entry.courseId}`, 3600);
    try {
      const ngshare = new NgshareClient(stack.state.hubUrl, minted.token);
      await ngshare.createCourse(entry.courseId, [instructor]);
      run.ledger.record({ kind: 'ngshare-course', courseId: entry.courseId });
      if (enrol) for (const s of entry.students) await ngshare.addStudent(entry.courseId, s);
    } finally {
      await hub.deleteToken(instructor, minted.id).catch(() => undefined);
    }
  }
  return { label: entry.label, courseId: entry.courseId, instructor, students: entry.students };
}
