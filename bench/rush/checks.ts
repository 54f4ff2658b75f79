/**
 * "Nothing lost, on time, checked": the verdict on a rush's submissions, from what each student saw
 * (the timestamp their submit printed, the moment they ran it, the notebooks they submitted), what
 * ngshare holds (its list of submissions) and what the instructor collected (timestamp.txt and the
 * notebooks). Pure; unit-tested in checks.test.ts with lost, duplicated, late and damaged cases.
 */

/** A notebook (or any file) by content: its sha256 and size. */
export interface FileDigest {
  sha256: string;
  bytes: number;
  /** For .ipynb: it parses as JSON with a list of cells (a truncated notebook does not). */
  validNotebook?: boolean;
}

export interface StudentSubmit {
  student: string;
  /** When the student ran submit: the moment its client left the barrier (ms since the epoch). */
  ranAtMs?: number;
  /** The timestamp its submit printed ("Submitted as: <course> <assignment> <stamp>"), if it printed one. */
  stampSeen?: string;
  /** What it submitted: path in the assignment → digest (after the student's edit). */
  files: Record<string, FileDigest>;
}

export interface StoredSubmission {
  student: string;
  timestamp: string;
}

export interface CollectedSubmission {
  student: string;
  /** The content of submitted/<student>/<assignment>/timestamp.txt. */
  timestamp?: string;
  files: Record<string, FileDigest>;
}

export interface SubmissionVerdict {
  /** Students whose submit printed a timestamp. */
  submitted: number;
  /** Students of the class that the instructor collected. */
  collected: number;
  /** Saw a timestamp, but ngshare does not hold it or the instructor did not collect it. */
  lost: string[];
  /** More than one submission in ngshare for a student who submitted once. */
  duplicated: string[];
  /** Collected with another timestamp than the one the student saw. */
  mismatched: Array<{ student: string; seen: string; collected?: string }>;
  /** Stamped more than the allowed seconds after the student ran submit (a submit stuck in a queue). */
  late: Array<{ student: string; stamp: string; lateBySeconds: number }>;
  /** Stamped before the student ran submit by more than the tolerance: clocks disagree. */
  early: Array<{ student: string; stamp: string; earlyBySeconds: number }>;
  /** A collected file missing, empty, cut short or not what the student submitted. */
  damaged: Array<{ student: string; file: string; problem: 'missing' | 'empty' | 'truncated' | 'different' }>;
  /** In ngshare although the student's submit printed no timestamp (a submit killed at the bound that still landed). */
  unconfirmed: string[];
  /** Collected or stored for someone not in the class. */
  strangers: string[];
  /** Everything above, one sentence each; empty when all is well. */
  problems: string[];
}

/** ngshare's timestamp ("2026-02-04 03:03:39.734930", UTC, no zone) in ms since the epoch; NaN if unreadable. */
export function parseStamp(stamp: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:\s*UTC)?$/.exec(stamp.trim());
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  return Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) + Number(`0.${frac}`) * 1000;
}

/** The timestamp a submit printed: "[SubmitApp | INFO] Submitted as: course101 ps1 2026-02-04 03:03:39.734930". */
export function stampOf(output: string, courseId: string, assignment: string): string | undefined {
  const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`Submitted as: ${escaped(courseId)} ${escaped(assignment)} (\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)`).exec(output);
  return m?.[1];
}

export interface CheckOptions {
  /** A stamp more than this after the student ran submit is late (default 60 s). */
  lateAfterSeconds?: number;
  /** A stamp this much before the run is a clock problem, not a queue (default 5 s). */
  clockToleranceSeconds?: number;
}

/** Compares a file as collected with the file as submitted. */
function damage(submitted: FileDigest, collected: FileDigest | undefined): 'missing' | 'empty' | 'truncated' | 'different' | undefined {
  if (!collected) return 'missing';
  if (collected.bytes === 0 && submitted.bytes > 0) return 'empty';
  if (collected.validNotebook === false || collected.bytes < submitted.bytes) return 'truncated';
  if (collected.sha256 !== submitted.sha256) return 'different';
  return undefined;
}

export function checkSubmissions(
  students: StudentSubmit[],
  stored: StoredSubmission[],
  collected: CollectedSubmission[],
  options: CheckOptions = {},
): SubmissionVerdict {
  const lateAfter = options.lateAfterSeconds ?? 60;
  const tolerance = options.clockToleranceSeconds ?? 5;
  const inClass = new Set(students.map((s) => s.student));
  const storedBy = new Map<string, string[]>();
  for (const s of stored) storedBy.set(s.student, [...(storedBy.get(s.student) ?? []), s.timestamp]);
  const collectedBy = new Map(collected.map((c) => [c.student, c]));
  const v: SubmissionVerdict = {
    submitted: 0,
    collected: collected.filter((c) => inClass.has(c.student)).length,
    lost: [],
    duplicated: [],
    mismatched: [],
    late: [],
    early: [],
    damaged: [],
    unconfirmed: [],
    strangers: [...new Set([...stored.map((s) => s.student), ...collected.map((c) => c.student)].filter((s) => !inClass.has(s)))].sort(),
    problems: [],
  };
  for (const s of students) {
    const held = storedBy.get(s.student) ?? [];
    const got = collectedBy.get(s.student);
    if (!s.stampSeen) {
      if (held.length > 0) v.unconfirmed.push(s.student);
      continue;
    }
    v.submitted += 1;
    if (held.length > 1) v.duplicated.push(s.student);
    if (!held.includes(s.stampSeen) || !got) {
      v.lost.push(s.student);
      continue;
    }
    if (got.timestamp?.trim() !== s.stampSeen) v.mismatched.push({ student: s.student, seen: s.stampSeen, collected: got.timestamp?.trim() });
    const stampMs = parseStamp(s.stampSeen);
    if (s.ranAtMs !== undefined && Number.isFinite(stampMs)) {
      const after = (stampMs - s.ranAtMs) / 1000;
      if (after > lateAfter) v.late.push({ student: s.student, stamp: s.stampSeen, lateBySeconds: Math.round(after * 10) / 10 });
      if (after < -tolerance) v.early.push({ student: s.student, stamp: s.stampSeen, earlyBySeconds: Math.round(-after * 10) / 10 });
    }
    for (const [file, digest] of Object.entries(s.files)) {
      const problem = damage(digest, got.files[file]);
      if (problem) v.damaged.push({ student: s.student, file, problem });
    }
  }
  const list = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));
  if (v.lost.length) v.problems.push(`LOST: ${v.lost.length} submission(s) a student saw accepted are not in ngshare or were not collected: ${list(v.lost)}`);
  if (v.duplicated.length)
    v.problems.push(`DUPLICATED: ${v.duplicated.length} student(s) who submitted once have more than one submission: ${list(v.duplicated)}`);
  if (v.mismatched.length) {
    v.problems.push(
      `${v.mismatched.length} collected timestamp(s) differ from the one the student saw: ${list(v.mismatched.map((m) => `${m.student} saw ${m.seen}, collected ${m.collected ?? 'none'}`))}`,
    );
  }
  if (v.late.length) {
    v.problems.push(
      `${v.late.length} stamp(s) more than ${lateAfter} s after the student ran submit: ${list(v.late.map((l) => `${l.student} +${l.lateBySeconds} s`))}`,
    );
  }
  if (v.early.length) {
    v.problems.push(
      `${v.early.length} stamp(s) before the student ran submit (clocks disagree): ${list(v.early.map((e) => `${e.student} -${e.earlyBySeconds} s`))}`,
    );
  }
  if (v.damaged.length) v.problems.push(`${v.damaged.length} collected file(s) damaged: ${list(v.damaged.map((d) => `${d.student} ${d.file} ${d.problem}`))}`);
  if (v.unconfirmed.length) {
    v.problems.push(
      `${v.unconfirmed.length} submission(s) in ngshare that the student never saw confirmed (killed at the bound, landed anyway): ${list(v.unconfirmed)}`,
    );
  }
  if (v.strangers.length) v.problems.push(`submissions of users not in the class: ${list(v.strangers)}`);
  return v;
}

/** True when the verdict has lost or duplicated submissions: the run fails loudly for these, whatever else. */
export function hasLossOrDuplicate(v: SubmissionVerdict): boolean {
  return v.lost.length > 0 || v.duplicated.length > 0;
}

/** Problems of fetched files against the release: missing, empty, truncated or different. */
export function checkFetched(
  released: Record<string, FileDigest>,
  fetched: Record<string, FileDigest>,
): Array<{ file: string; problem: 'missing' | 'empty' | 'truncated' | 'different' }> {
  return Object.entries(released).flatMap(([file, digest]) => {
    const problem = damage(digest, fetched[file]);
    return problem ? [{ file, problem }] : [];
  });
}
