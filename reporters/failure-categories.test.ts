import { test, expect } from '@playwright/test';
import { compareToGolden } from '../golden/index.js';
import { allure2Categories, categorize } from './failure-categories.js';

/** What the shell fixture's GoldenMismatchError reads like in a report: the summary, then the diff. */
function goldenFailure(id: string, output: string): string {
  const outcome = compareToGolden(id, { output, exitCode: 0, command: 'nbgrader list' });
  expect(outcome.ok, 'the test output must really mismatch').toBe(false);
  return `GoldenMismatchError: ${outcome.summary}\n\n${outcome.diff}`;
}

const deniedList = [
  '[ListApp | ERROR] ngshare service returned invalid status code 403.',
  '[ListApp | ERROR] ngshare endpoint /assignments/course101 returned failure: Permission denied',
  '[ListApp | ERROR] Failed to get assignments from course course101.',
  '[ListApp | INFO] Released assignments:',
].join('\n');

// Messages as real runs reported them (fault runs of harness-faults.spec.ts, and the waits).
const cases: Array<[string, string, string | undefined]> = [
  [
    'the student dropped from the course (line check)',
    `Error: expected no line matching /\\| ERROR\\]/, found: [ListApp | ERROR] ngshare service returned invalid status code 403.\ncommand: nbgrader list (as student1, exit 0)\noutput:\n${deniedList}`,
    'ngshare 403/404',
  ],
  ['the student dropped from the course (golden)', goldenFailure('step7-student-list', deniedList), 'ngshare 403/404'],
  [
    'the hub killed mid-run',
    "HarnessError: hub: hub pid 13688 not running: cannot reach instructor1's server\nhub: GET /users/instructor1 returned 503",
    'infrastructure',
  ],
  [
    'the proxy killed mid-run',
    "HarnessError: proxy: proxy pid 14040 not running: cannot reach instructor1's server\nhub: GET /users/instructor1 failed: ECONNRESET",
    'infrastructure',
  ],
  [
    'ngshare stopped before create_course',
    'Error: expected exit code 0, got 255\ncommand: ngshare-course-management create_course course101 instructor1 (as instructor1, exit 255)\noutput:\n Could not establish connection to ngshare server',
    'infrastructure',
  ],
  [
    'a service that dies at start',
    'HarnessError: ngshare: exited while starting; log /x/logs/ngshare.log\nsqlite3.OperationalError: unable to open database file',
    'infrastructure',
  ],
  ['a wait that ran out', 'WaitTimeoutError: wait: hub not ready after 90 s\nlast: ECONNREFUSED', 'timeout'],
  ['a command past its bound', 'Error: student: `nbgrader fetch_assignment ps1` timed out after 300000 ms', 'timeout'],
  ["Playwright's own test timeout", 'Test timeout of 600000ms exceeded.', 'timeout'],
  ['a browser expectation that waited in vain', 'Error: Timed out 10000ms waiting for expect(locator).toBeVisible()', 'timeout'],
  [
    'the user image without nbgrader',
    'Error: expected a line Name: nbgrader\ncommand: python -m pip show nbgrader ngshare-exchange (as instructor1, exit 1)\noutput:\nWARNING: Package(s) not found: nbgrader, ngshare-exchange',
    'package missing',
  ],
  ['a missing Python module', "Error: expected exit code 0, got 1\noutput:\nModuleNotFoundError: No module named 'ngshare_exchange'", 'package missing'],
  ['the release announced but not stored (SQLAlchemy 2 drift)', goldenFailure('step6-list-released', '[ListApp | INFO] Released assignments:'), 'golden drift'],
  // Step 4's 404 is the tutorial's promise: a drift elsewhere in that output is drift, not a 404.
  [
    'Step 4 drifting around its expected 404',
    goldenFailure(
      'step4-list-course-not-found',
      deniedList
        .replace('403', '404')
        .replace('Permission denied', 'Course not found')
        .replace('[ListApp | INFO] Released assignments:', '[ListApp | INFO] Released assignments (renamed):'),
    ),
    'golden drift',
  ],
  [
    'a line check',
    'Error: expected a line [ListApp | INFO] course101 ps1\ncommand: nbgrader list (as student1, exit 0)\noutput:\n[ListApp | INFO] Released assignments:',
    'golden drift',
  ],
  ['an admin refused by ngshare in the browser', 'Error: ngshare page answered HTTP 403 to instructor1\n\nexpect(received).toBe(expected)', 'ngshare 403/404'],
  ['something else entirely', 'TypeError: cannot read properties of undefined', undefined],
];

for (const [what, message, category] of cases) {
  test(`categorised: ${what} → ${category ?? 'none'}`, () => {
    expect(categorize(message)?.name).toBe(category);
    // Colours from Playwright's matchers do not change the verdict.
    expect(categorize(`\u001b[31m${message}\u001b[39m`)?.name).toBe(category);
  });
}

test('the Allure 2 copies match the whole message, as Java does, with the same verdicts', () => {
  const java = allure2Categories();
  for (const [, message, category] of cases) {
    const first = java.find((c) => new RegExp(`^(?:${c.messageRegex})$`).test(message));
    expect(first?.name).toBe(category);
  }
});
