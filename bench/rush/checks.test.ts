import { test, expect } from '@playwright/test';
import { checkFetched, checkSubmissions, hasLossOrDuplicate, parseStamp, stampOf, type CollectedSubmission, type StudentSubmit } from './checks.js';

const nb = (sha: string, bytes = 1000) => ({ sha256: sha, bytes, validNotebook: true });
const ran = Date.UTC(2026, 1, 4, 3, 3, 30); // 2026-02-04 03:03:30 UTC
const stamp = (secondsAfter: number) => new Date(ran + secondsAfter * 1000).toISOString().replace('T', ' ').replace('Z', '000');

function student(name: string, seenAfter: number | undefined, sha = `sha-${name}`): StudentSubmit {
  return { student: name, ranAtMs: ran, stampSeen: seenAfter === undefined ? undefined : stamp(seenAfter), files: { 'problem1.ipynb': nb(sha) } };
}
function collectedOf(s: StudentSubmit, files = s.files): CollectedSubmission {
  return { student: s.student, timestamp: s.stampSeen, files };
}

test("ngshare's timestamps are read as UTC, and the stamp a submit printed is found in its output", () => {
  expect(parseStamp('2026-02-04 03:03:39.734930')).toBe(Date.UTC(2026, 1, 4, 3, 3, 39) + 734.93);
  expect(parseStamp('2026-02-04 03:03:39.734930 UTC')).toBe(Date.UTC(2026, 1, 4, 3, 3, 39) + 734.93);
  expect(parseStamp('yesterday')).toBeNaN();
  const out = '[SubmitApp | INFO] Encoding: problem1.ipynb\n[SubmitApp | INFO] Submitted as: course101-c2 ps1 2026-02-04 03:03:39.734930\n';
  expect(stampOf(out, 'course101-c2', 'ps1')).toBe('2026-02-04 03:03:39.734930');
  expect(stampOf(out, 'course101', 'ps1')).toBeUndefined();
  expect(stampOf('[SubmitApp | ERROR] Failed to submit.', 'course101', 'ps1')).toBeUndefined();
});

test('a class where every submission arrived, on time and whole, has no problem', () => {
  const class_ = [student('a', 1), student('b', 2)];
  const v = checkSubmissions(
    class_,
    class_.map((s) => ({ student: s.student, timestamp: s.stampSeen! })),
    class_.map((s) => collectedOf(s)),
  );
  expect(v.problems).toEqual([]);
  expect(v).toMatchObject({ submitted: 2, collected: 2 });
  expect(hasLossOrDuplicate(v)).toBe(false);
});

test('a submission the student saw accepted but ngshare does not hold is LOST, and fails the run', () => {
  const class_ = [student('a', 1), student('b', 2)];
  const v = checkSubmissions(class_, [{ student: 'a', timestamp: class_[0].stampSeen! }], [collectedOf(class_[0])]);
  expect(v.lost).toEqual(['b']);
  expect(v.collected).toBe(1);
  expect(v.problems[0]).toMatch(/^LOST: 1 submission/);
  expect(hasLossOrDuplicate(v)).toBe(true);
});

test('a submission ngshare holds but the instructor did not collect is lost too', () => {
  const a = student('a', 1);
  const v = checkSubmissions([a], [{ student: 'a', timestamp: a.stampSeen! }], []);
  expect(v.lost).toEqual(['a']);
});

test('two submissions for a student who submitted once are DUPLICATED', () => {
  const a = student('a', 1);
  const v = checkSubmissions(
    [a],
    [
      { student: 'a', timestamp: a.stampSeen! },
      { student: 'a', timestamp: stamp(3) },
    ],
    [collectedOf(a)],
  );
  expect(v.duplicated).toEqual(['a']);
  expect(hasLossOrDuplicate(v)).toBe(true);
  expect(v.problems.join('\n')).toMatch(/DUPLICATED/);
});

test('a stamp more than 60 s after its student ran submit is late; 59 s is not', () => {
  const late = student('late', 75);
  const fine = student('fine', 59);
  const v = checkSubmissions(
    [late, fine],
    [late, fine].map((s) => ({ student: s.student, timestamp: s.stampSeen! })),
    [collectedOf(late), collectedOf(fine)],
  );
  expect(v.late).toEqual([{ student: 'late', stamp: late.stampSeen, lateBySeconds: 75 }]);
  expect(v.problems).toEqual([expect.stringMatching(/1 stamp\(s\) more than 60 s after .*late \+75 s/)]);
  // The bound is a setting.
  expect(checkSubmissions([late], [{ student: 'late', timestamp: late.stampSeen! }], [collectedOf(late)], { lateAfterSeconds: 90 }).late).toEqual([]);
});

test('a stamp well before its student ran submit says the clocks disagree', () => {
  const early = student('early', -30);
  const v = checkSubmissions([early], [{ student: 'early', timestamp: early.stampSeen! }], [collectedOf(early)]);
  expect(v.early).toEqual([{ student: 'early', stamp: early.stampSeen, earlyBySeconds: 30 }]);
});

test('a collected timestamp that is not the one the student saw is reported', () => {
  const a = student('a', 1);
  const v = checkSubmissions([a], [{ student: 'a', timestamp: a.stampSeen! }], [{ ...collectedOf(a), timestamp: stamp(9) }]);
  expect(v.mismatched).toEqual([{ student: 'a', seen: a.stampSeen, collected: stamp(9) }]);
});

test('empty, truncated, different and missing notebooks are told apart', () => {
  const s = (name: string) => student(name, 1);
  const [e, t, d, m] = ['e', 't', 'd', 'm'].map(s);
  const v = checkSubmissions(
    [e, t, d, m],
    [e, t, d, m].map((x) => ({ student: x.student, timestamp: x.stampSeen! })),
    [
      collectedOf(e, { 'problem1.ipynb': { sha256: 'x', bytes: 0, validNotebook: false } }),
      collectedOf(t, { 'problem1.ipynb': { sha256: 'x', bytes: 400, validNotebook: false } }),
      collectedOf(d, { 'problem1.ipynb': nb('another') }),
      collectedOf(m, {}),
    ],
  );
  expect(v.damaged).toEqual([
    { student: 'e', file: 'problem1.ipynb', problem: 'empty' },
    { student: 't', file: 'problem1.ipynb', problem: 'truncated' },
    { student: 'd', file: 'problem1.ipynb', problem: 'different' },
    { student: 'm', file: 'problem1.ipynb', problem: 'missing' },
  ]);
});

test('a submit killed at the bound that still landed is unconfirmed, not lost; strangers are named', () => {
  const killed = student('killed', undefined);
  const v = checkSubmissions(
    [killed],
    [
      { student: 'killed', timestamp: stamp(100) },
      { student: 'other', timestamp: stamp(1) },
    ],
    [],
  );
  expect(v).toMatchObject({ submitted: 0, lost: [], unconfirmed: ['killed'], strangers: ['other'] });
});

test('fetched files are checked against the release', () => {
  const released = { 'problem1.ipynb': nb('p1'), 'jupyter.png': { sha256: 'png', bytes: 5000 } };
  expect(checkFetched(released, { ...released })).toEqual([]);
  expect(checkFetched(released, { 'problem1.ipynb': { sha256: 'p1', bytes: 10, validNotebook: false } })).toEqual([
    { file: 'problem1.ipynb', problem: 'truncated' },
    { file: 'jupyter.png', problem: 'missing' },
  ]);
});
