/**
 * From what a terminal showed to lines that can be compared across runs and machines:
 *
 *   colour codes          removed (ngshare-course-management prints them)
 *   \r\n, \r              line ends; a line redrawn with \r keeps its last state
 *   trailing whitespace   removed (leading whitespace is kept: it is part of a traceback or paragraph)
 *   the user's home       → {{home}}       (/home/jovyan in a pod, the run's home directory locally)
 *   <env>/lib/pythonX.Y/site-packages → {{prefix}}/lib/pythonX.Y/site-packages
 *   timestamps            → {{timestamp}}  (2026-02-04 03:03:39.734930)
 *   run-unique user names → the tutorial's names (student1), when the context gives them
 *
 * `driftForm` goes further, for comparing a run with an earlier run: byte counts become {{n}} and
 * runs of lines whose order is not fixed (Encoding:/Decoding:, SAWarning records) are sorted.
 * Secrets are redacted before output reaches this module.
 */
import { stripVTControlCharacters } from 'node:util';

export interface NormaliseContext {
  /** The home directory of the user the command ran as. Default: /home/jovyan (a z2jh pod). */
  home?: string;
  /** Actual user name → the tutorial's name, for run-unique names on a shared cluster. */
  names?: Record<string, string>;
}

export const podHome = '/home/jovyan';

const timestamp = /\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/g;
const sitePackages = /(?<![\w/}])\/[^\s'":]*?(\/lib\/python\d+\.\d+\/site-packages)/g;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function stripAnsi(text: string): string {
  return stripVTControlCharacters(text);
}

/** The output as lines, normalised (see the module comment). Keeps blank lines. */
export function normaliseOutput(output: string, context: NormaliseContext = {}): string[] {
  const home = (context.home ?? podHome).replace(/\/+$/, '');
  // The home, as a whole path segment: /home/jovyan but not /home/jovyan2.
  const homePattern = home ? new RegExp(`${escapeRegExp(home)}(?![\\w.-])`, 'g') : undefined;
  const names = Object.entries(context.names ?? {})
    .filter(([actual, tutorial]) => actual && actual !== tutorial)
    .sort((a, b) => b[0].length - a[0].length)
    .map(([actual, tutorial]) => [new RegExp(`(?<![\\w-])${escapeRegExp(actual)}(?![\\w-])`, 'g'), tutorial] as const);

  const text = stripAnsi(output).replace(/\r\n/g, '\n');
  const lines = text.split('\n').map((raw) => {
    let line = raw.includes('\r') ? (raw.split('\r').filter(Boolean).pop() ?? '') : raw;
    line = line.trimEnd();
    if (homePattern) line = line.replace(homePattern, '{{home}}');
    line = line.replace(sitePackages, '{{prefix}}$1');
    line = line.replace(timestamp, '{{timestamp}}');
    for (const [pattern, tutorial] of names) line = line.replace(pattern, tutorial);
    return line;
  });
  // A final newline is not an empty last line.
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Families of records whose relative order varies from run to run. */
const unordered: Array<(head: string) => string | undefined> = [
  (head) => /^(\[[^\]]+\] (?:Encoding|Decoding): )/.exec(head)?.[1],
  (head) => (/: SAWarning: /.test(head) ? 'SAWarning' : undefined),
];

/**
 * The normalised lines in the form the drift baseline keeps: blank lines dropped, byte counts
 * hidden, and the records (a line plus its indented continuation lines) of one unordered family
 * sorted where they stand together.
 */
export function driftForm(lines: string[]): string[] {
  const records: string[][] = [];
  for (const line of lines.filter((l) => l.trim())) {
    const withoutBytes = line.replace(/\bWriting \d+ bytes\b/, 'Writing {{n}} bytes');
    if (/^\s/.test(withoutBytes) && records.length) records[records.length - 1].push(withoutBytes);
    else records.push([withoutBytes]);
  }
  const family = (record: string[]) => unordered.map((f) => f(record[0])).find(Boolean);
  const out: string[][] = [];
  for (let i = 0; i < records.length;) {
    const key = family(records[i]);
    let j = i + 1;
    while (key && j < records.length && family(records[j]) === key) j++;
    const run = records.slice(i, j);
    if (key) run.sort((a, b) => a.join('\n').localeCompare(b.join('\n')));
    out.push(...run);
    i = j;
  }
  return out.flat();
}
