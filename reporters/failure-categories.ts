/**
 * What kind of thing broke, read from a failure's message. One list, used by the console's final
 * table, by the Allure report (its config for Allure 3, categories.json for Allure 2 readers), so
 * the terminal and the report put a failure in the same group.
 *
 * The first category that matches wins, so the list is in order of blame: a wait that ran out, or a
 * part of the stack that is down, explains every wrong output after it; a missing package explains
 * the 403/404 and the drift it causes.
 *
 * Patterns are strings without flags in the regex dialect JavaScript and Java share (Allure 2 reads
 * categories.json in Java). They are searched in the message (Allure 3 and the console), or wrapped
 * in `[\s\S]*` for Allure 2, which matches the whole message.
 */
import { stripVTControlCharacters } from 'node:util';

export interface FailureCategory {
  id: string;
  name: string;
  description: string;
  /** A regular expression searched in the failure message (ANSI colours removed). */
  message: string;
}

/** An ngshare answer that refuses the caller: the status line, or the failure text that follows it. */
const ngshareRefusal =
  '(?:invalid status code 40[34]|returned failure: (?:Permission denied|Course not found|Assignment not found)|ngshare page answered HTTP 40[34])';

export const failureCategories: readonly FailureCategory[] = [
  {
    id: 'timeout',
    name: 'timeout',
    description: 'A bounded wait ran out: a part of the stack never became ready, a command or a page took too long.',
    message: 'not ready after \\d+ s|[Tt]imed out|[Tt]imeout (?:of )?\\d+ ?ms exceeded',
  },
  {
    id: 'infrastructure',
    name: 'infrastructure',
    description: 'A part of the stack is down or never came up (hub, proxy, ngshare, a user server), or a prerequisite is missing.',
    message: [
      'exited while starting',
      'not running',
      'never started',
      'ECONNREFUSED',
      'ECONNRESET',
      'ERR_CONNECTION_REFUSED',
      '[Cc]onnection refused',
      'Could not establish connection to ngshare server',
      'has no running server',
      'server did not start',
      'could not start ',
      'missing prerequisites',
      'returned 50[234]\\b',
    ].join('|'),
  },
  {
    id: 'package-missing',
    name: 'package missing',
    description: 'nbgrader or ngshare-exchange is not installed where the command ran (tutorial Step 3 forgotten).',
    message: 'Package\\(s\\) not found|No module named|ModuleNotFoundError|command not found',
  },
  {
    id: 'ngshare-403-404',
    name: 'ngshare 403/404',
    description: 'ngshare refused the caller: course not created, user not on the roster, or not an admin.',
    // In the headline of the failure, or on an output line a golden flags as unexpected ("+"). A
    // 404 the tutorial expects (Step 4) sits in the diff as a matched line and does not count.
    message: `^[^\\n]*${ngshareRefusal}|(?:not in the golden|\\n[ \\d]*[+] )[^\\n]*${ngshareRefusal}`,
  },
  {
    id: 'golden-drift',
    name: 'golden drift',
    description: "A command's output differs from what the tutorial shows (its golden, the drift baseline, or a line check).",
    message: '^(?:GoldenMismatchError: )?golden [\\w.-]+: |^[^\\n]*drift: |^(?:Error: )?expected (?:a line|no line|the output|exit code)',
  },
];

/** The category of a failure message, or undefined when none fits. */
export function categorize(message: string | undefined): FailureCategory | undefined {
  if (!message) return undefined;
  const text = stripVTControlCharacters(message);
  return failureCategories.find((c) => new RegExp(c.message).test(text));
}

const failedStatuses = ['failed', 'broken'];

/** For Allure 3's config (`categories`): its matchers search the message, in this order. */
export function allure3Categories(): Array<{ id: string; name: string; matchers: { statuses: string[]; message: string } }> {
  return failureCategories.map((c) => ({ id: c.id, name: c.name, matchers: { statuses: failedStatuses, message: c.message } }));
}

/** For allure-playwright's `categories` (categories.json, read by Allure 2, which matches the whole message). */
export function allure2Categories(): Array<{ name: string; description: string; messageRegex: string; matchedStatuses: Array<'failed' | 'broken'> }> {
  return failureCategories.map((c) => ({
    name: c.name,
    description: c.description,
    messageRegex: `[\\s\\S]*(?:${c.message})[\\s\\S]*`,
    matchedStatuses: ['failed', 'broken'],
  }));
}
