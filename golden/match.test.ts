/**
 * Both directions, on real output: the transcripts of a local run of the tutorial flow
 * (testdata/local-run, one per golden id) and hand-captured troubleshooting outputs match their
 * goldens; the same transcripts, broken in one way each, fail with a diff that points at the line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { compareToGolden, compareWithGolden, type GoldenOutcome } from './index.js';
import { inferHome, parseCapturedTranscript } from './captured.js';
import { parseGolden } from './golden.js';
import { loadGolden } from './store.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const localRun = path.join(testdata, 'local-run');
const troubleshooting = path.join(testdata, 'troubleshooting');

const ids = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -'.txt'.length));

/** Compare a committed transcript (optionally edited) with the golden of the same id. */
function compareFile(dir: string, id: string, edit?: (text: string) => string, home?: string): GoldenOutcome {
  const original = fs.readFileSync(path.join(dir, `${id}.txt`), 'utf8');
  const text = edit ? edit(original) : original;
  if (edit && text === original) throw new Error(`test edit changed nothing in ${id}`);
  const captured = parseCapturedTranscript(text);
  return compareToGolden(id, captured, { home: home ?? inferHome(captured) });
}
const compareLocal = (id: string, edit?: (text: string) => string) => compareFile(localRun, id, edit);

test('every transcript of a real local run matches its golden', () => {
  const all = ids(localRun);
  expect(all).toHaveLength(15);
  for (const id of all) {
    const outcome = compareLocal(id);
    expect(outcome.ok, outcome.diff).toBe(true);
    // Nothing passes unseen: the lines the tutorial leaves out are listed in the report.
    const leftOut = outcome.comparison.lines.filter((l) => l.status === 'left out');
    for (const l of leftOut) expect(outcome.report).toContain(`output line ${l.lineNo}: ${l.text}`);
  }
  const autograde = compareLocal('step8-autograde');
  expect(autograde.report).toMatch(/left out by the tutorial \(allowed\):\n(.*\n)*.*SAWarning/);
  expect(autograde.report).toContain('Writing 21475 bytes');
});

test('troubleshooting outputs (captured by hand, and one from a fault run) match their goldens', () => {
  for (const id of ids(troubleshooting)) {
    // The hand captures ran with HOME=/tmp/ts/home; the fault run's transcript says its home.
    const home = id === 'troubleshoot-list-permission-denied' ? undefined : '/tmp/ts/home';
    const outcome = compareFile(troubleshooting, id, undefined, home);
    expect(outcome.ok, outcome.diff).toBe(true);
  }
  // The traceback around KeyError: 'USER' is expected there, and listed, not failed.
  expect(compareFile(troubleshooting, 'troubleshoot-keyerror-user').report).toContain('output line 1: Traceback (most recent call last):');
});

test('a missing line fails and the diff shows it where it was expected', () => {
  const outcome = compareLocal('step7-student-fetch', (t) => t.replace(/.*Successfully decoded ps1\.\n/, ''));
  expect(outcome.ok).toBe(false);
  expect(outcome.summary).toBe('golden step7-student-fetch: 1 golden line missing (first, line 11: [FetchAssignmentApp | INFO] Successfully decoded ps1.)');
  expect(outcome.diff).toContain('golden line 11 missing: [FetchAssignmentApp | INFO] Successfully decoded ps1.');
  // In the aligned view: golden line 11, no output line, marked "-", after the last output line.
  expect(outcome.diff).toMatch(/\n {4}11 {8}- \[FetchAssignmentApp \| INFO\] Successfully decoded ps1\.\nlegend:/);
});

test('a changed word fails, with a word diff against the closest output line', () => {
  const outcome = compareLocal('step5-list-no-assignments', (t) => t.replace('Released assignments:', 'Released assignment:'));
  expect(outcome.ok).toBe(false);
  expect(outcome.diff).toContain('golden line 7 missing: [ListApp | INFO] Released assignments:');
  expect(outcome.diff).toContain('closest, output line 1: [ListApp | INFO] Released [-assignments-]{+assignment+}:');
  // other lines: fail, so the changed line itself is an unexpected line too.
  expect(outcome.diff).toMatch(/\n {12}1 \+ \[ListApp \| INFO\] Released assignment:/);
});

test('a wrong assignment or course name fails', () => {
  const assignment = compareLocal('step7-student-submit', (t) => t.replace('Submitted as: course101 ps1', 'Submitted as: course101 ps2'));
  expect(assignment.ok).toBe(false);
  expect(assignment.diff).toContain('closest, output line 5: [SubmitApp | INFO] Submitted as: course101 [-ps1-]{+ps2+} {{timestamp}}');

  const course = compareLocal('step8-collect', (t) => t.replace('for course "course101"', 'for course "course102"'));
  expect(course.ok).toBe(false);
  expect(course.summary).toBe(
    'golden step8-collect: 1 golden line missing (first, line 6: [CollectApp | INFO] Processing 1 submissions of "ps1" for course "course101")',
  );
  expect(course.diff).toContain('[-course101-]{+course102+}');

  // A list that shows another course's assignment is not the promised listing.
  const listed = compareLocal('step7-student-list', (t) => `${t}[ListApp | INFO] course102 ps1\n`);
  expect(listed.ok).toBe(false);
  expect(listed.diff).toContain('output line 3 is not in the golden (the golden allows no other lines): [ListApp | INFO] course102 ps1');
});

test('an extra ERROR line fails even where other lines are allowed', () => {
  const outcome = compareLocal('step6-release-assignment', (t) =>
    t.replace(
      '[ReleaseAssignmentApp | INFO] Successfully',
      '[ReleaseAssignmentApp | ERROR] ngshare service returned invalid status code 500.\n[ReleaseAssignmentApp | INFO] Successfully',
    ),
  );
  expect(outcome.ok).toBe(false);
  expect(outcome.summary).toBe(
    'golden step6-release-assignment: unexpected output line 5: [ReleaseAssignmentApp | ERROR] ngshare service returned invalid status code 500.',
  );
  expect(outcome.diff).toContain('output line 5 is not in the golden (looks like an error): [ReleaseAssignmentApp | ERROR] ngshare service');
  for (const error of [
    'Traceback (most recent call last):',
    "KeyError: 'USER'",
    'sqlite3.OperationalError: unable to open database file',
    '[IPKernelApp] CRITICAL | boom',
  ]) {
    expect(compareLocal('step6-release-assignment', (t) => `${t}${error}\n`).ok, error).toBe(false);
  }
  // A new non-error line is listed, not failed: drift is where it shows as a change.
  const warning = compareLocal('step6-release-assignment', (t) => `${t}[ReleaseAssignmentApp | WARNING] something new\n`);
  expect(warning.ok).toBe(true);
  expect(warning.report).toContain('not in the golden (allowed, listed):\n  output line 6: [ReleaseAssignmentApp | WARNING] something new');
});

test('a changed exit code fails', () => {
  const outcome = compareLocal('step4-pip-show', (t) => t.replace('# exit code: 0', '# exit code: 1'));
  expect(outcome.ok).toBe(false);
  expect(outcome.summary).toBe('golden step4-pip-show: exit code 1, expected exit code 0');
  expect(outcome.diff).toMatch(/\n {2}exit {8}- exit code 0\n {2}exit {8}\+ exit code 1\n/);
  expect(compareLocal('step4-pip-show', (t) => t.replace('# exit code: 0', '# exit code: 0 (timed out)')).summary).toBe('golden step4-pip-show: timed out');
});

test('lines in an any-order run may come in any order; other required lines keep theirs', () => {
  const swapped = compareLocal('step7-student-submit', (t) =>
    t
      .replace('Encoding: problem2.ipynb', 'Encoding: PLACEHOLDER')
      .replace('Encoding: problem1.ipynb', 'Encoding: problem2.ipynb')
      .replace('Encoding: PLACEHOLDER', 'Encoding: problem1.ipynb'),
  );
  expect(swapped.ok, swapped.diff).toBe(true);
  const reordered = compareLocal('step6-generate-assignment', (t) => {
    const lines = t.split('\n');
    const p1 = lines.findIndex((l) => l.includes('Converting notebook') && l.includes('problem1'));
    const p2 = lines.findIndex((l) => l.includes('Converting notebook') && l.includes('problem2'));
    [lines[p1], lines[p2]] = [lines[p2], lines[p1]];
    return lines.join('\n');
  });
  expect(reordered.ok).toBe(false);
  expect(reordered.diff).toContain(
    'golden line 10 missing: [GenerateAssignmentApp | INFO] Converting notebook {{home}}/course101/source/./ps1/problem2.ipynb\n' +
      '    out of order: output line 3 has it, but before the required line above it (output line 5)',
  );
});

test('a transcript from another home, or of another command, does not pass by accident', () => {
  const captured = parseCapturedTranscript(fs.readFileSync(path.join(localRun, 'step7-student-fetch.txt'), 'utf8'));
  expect(compareToGolden('step7-student-fetch', captured, { home: '/home/jovyan' }).ok).toBe(false);
  const wrong = compareToGolden('step7-student-submit', { ...captured }, { home: inferHome(captured) });
  expect(wrong.diff).toContain('the golden is for `nbgrader submit ps1`, the command was `nbgrader fetch_assignment ps1`');
});

test("the tutorial's own recorded blocks match their goldens, every line promised", () => {
  const tutorial = fs.readFileSync(path.join(testdata, 'tutorial', 'tutorial.md'), 'utf8');
  const blocks = [...tutorial.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[1] === '').map((m) => m[2]);
  const block = (has: string) => {
    const found = blocks.filter((b) => b.includes(has));
    if (!found.length) throw new Error(`no output block in the tutorial contains ${has}`);
    return found[0];
  };
  const only = (text: string, prefix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .join('\n');
  const recorded: Record<string, string> = {
    'step1-helm-install-ngshare': block('Congrats, ngshare'),
    'step1-get-pods-ngshare': block('ngshare-57545bf697-rbrcz'),
    'step4-pip-show': fs.readFileSync(path.join(testdata, 'tutorial', 'pip-show-nbgrader-ngshare.txt'), 'utf8'),
    'step4-list-course-not-found': only(block('[pip show output truncated]'), '[ListApp'),
    'step5-list-no-assignments': blocks.find((b) => b === '[ListApp | INFO] Released assignments:\n')!,
    'step6-quickstart': block('[QuickStartApp'),
    'step6-generate-assignment': only(block('[GenerateAssignmentApp'), '[GenerateAssignmentApp'),
    'step6-release-assignment': only(block('[GenerateAssignmentApp'), '[ReleaseAssignmentApp'),
    'step6-list-released': block('[ListApp | INFO] course101 ps1'),
    'step7-student-list': block('[ListApp | INFO] course101 ps1'),
    'step7-student-fetch': block('[FetchAssignmentApp'),
    'step7-student-submit': block('[SubmitApp'),
    'step8-collect': block('[CollectApp'),
    'step8-autograde': block('[AutogradeApp'),
    'troubleshoot-package-not-found': block('Package(s) not found'),
    'troubleshoot-list-permission-denied': block('status code 403'),
    'troubleshoot-sqlite-unable-to-open': block('sqlite3.OperationalError'),
    'troubleshoot-keyerror-user': block("KeyError: 'USER'"),
  };
  // The tutorial shows no output for these: their goldens say where their lines come from.
  const unrecorded = ['step5-create-course', 'step5-add-student', 'step7-add-student', 'troubleshoot-old-metadata-format'];
  for (const [id, text] of Object.entries(recorded)) {
    const outcome = compareToGolden(id, { output: text }, { home: '/home/jovyan' });
    expect(outcome.ok, outcome.diff).toBe(true);
    const unpromised = outcome.comparison.lines.filter((l) => l.status !== 'matched');
    expect(
      unpromised.map((l) => l.text),
      `${id}: tutorial lines its golden does not promise`,
    ).toEqual([]);
  }
  // Every output block of the tutorial has its golden (the two others are values-file lines to add).
  const claimed = new Set(Object.values(recorded).flatMap((t) => t.split('\n').filter(Boolean)));
  const unclaimed = blocks.filter(
    (b) =>
      !b.startsWith('--values') &&
      !b.includes('[pip show output truncated]') &&
      !b
        .split('\n')
        .filter(Boolean)
        .every((l) => claimed.has(l)),
  );
  expect(unclaimed).toEqual([]);
  for (const id of unrecorded) expect(loadGolden(id).tutorial, id).toMatch(/shows no output|no output shown|paraphrases/);
});

test('a golden can be checked against any output without a file (the matcher API)', () => {
  const g = parseGolden('x', '---\ntutorial: t\nexit: nonzero\n---\nWARNING: Package(s) not found: nbgrader, ngshare-exchange\n');
  expect(compareWithGolden(g, { output: 'WARNING: Package(s) not found: nbgrader, ngshare-exchange\n', exitCode: 1 }).ok).toBe(true);
  expect(compareWithGolden(g, { output: 'WARNING: Package(s) not found: nbgrader, ngshare-exchange\n', exitCode: 0 }).summary).toBe(
    'golden x: exit code 0, expected a nonzero exit code',
  );
  // Unknown exit code (a pasted session): not checked.
  expect(compareWithGolden(g, { output: 'WARNING: Package(s) not found: nbgrader, ngshare-exchange' }).ok).toBe(true);
});

test('the headline leads with the line that explains the failure, even one allowed on its own', () => {
  // ngshare-exchange removed from the user image: pip shows nbgrader, then a warning, and exits 0.
  const removed = compareLocal(
    'step4-pip-show',
    (t) => `${t.slice(0, t.indexOf('---\nName: ngshare-exchange'))}WARNING: Package(s) not found: ngshare-exchange\n`,
  );
  expect(removed.ok).toBe(false);
  expect(removed.summary).toMatch(
    /^golden step4-pip-show: output line \d+, not in the golden: WARNING: Package\(s\) not found: ngshare-exchange; 11 golden lines missing \(first with words, line \d+: Name: ngshare-exchange\)$/,
  );
  // In the diff it is the likely cause, marked "!", not "allowed".
  expect(removed.diff).toMatch(
    /likely cause, output line \d+ \(not in the golden; allowed on its own, marked "!"\): WARNING: Package\(s\) not found: ngshare-exchange/,
  );
  expect(removed.diff).toMatch(/\n +\d+ ! WARNING: Package\(s\) not found: ngshare-exchange\n/);

  // Step 4 on a course that already exists: the listing is the news, not the three 404 lines it lacks.
  const listed = compareLocal('step4-list-course-not-found', () => '# exit code: 0\n[ListApp | INFO] Released assignments:\n[ListApp | INFO] course101 ps1\n');
  expect(listed.summary).toMatch(
    /^golden step4-list-course-not-found: unexpected output line 2: \[ListApp \| INFO\] course101 ps1; 3 golden lines missing \(first, line \d+: /,
  );

  // Lines the tutorial leaves out (its usual noise) never lead.
  const autograde = compareLocal('step8-autograde', (t) => t.replace(/.*Writing \d+ bytes.*\n/g, '').replace(/.*Autograding.*\n/, ''));
  expect(autograde.ok).toBe(false);
  expect(autograde.comparison.lines.some((l) => l.status === 'left out' && /SAWarning/.test(l.text))).toBe(true);
  expect(autograde.comparison.lead).toBeUndefined();
});
