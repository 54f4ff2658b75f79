/**
 * Golden files: what the tutorial promises a command prints. The syntax (see
 * expected-output/README.md) is a YAML front matter, then the lines as a terminal shows them:
 *
 *   ---
 *   tutorial: Step 7 › Submit the assignment › Expected output (example)
 *   command: nbgrader submit ps1
 *   exit: 0
 *   ---
 *   [SubmitApp | INFO] Source: {{home}}/ps1
 *   {{#any order}}
 *   [SubmitApp | INFO] Encoding: problem1.ipynb
 *   [SubmitApp | INFO] Encoding: problem2.ipynb
 *   {{/any order}}
 *   [SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}
 *   {{#left out}}
 *   [SubmitApp | INFO] Encoding: {{any}}
 *   {{/left out}}
 *
 * Everything outside `{{ }}` is literal. This module parses that text; it reads no files.
 */
import YAML from 'yaml';

/** What a golden requires of the exit code. */
export type ExitSpec = number | 'nonzero' | 'any';

export interface GoldenLine {
  /** The line as written in the golden file. */
  text: string;
  /** 1-based line number in the golden file, for messages that point at it. */
  lineNo: number;
  pattern: RegExp;
}

/** A required line, or a run of required lines that may come in any order among themselves. */
export type GoldenItem = { kind: 'line'; line: GoldenLine } | { kind: 'any order'; lines: GoldenLine[] };

export interface Golden {
  id: string;
  /** Where the file came from (for messages); the id when parsed from a string. */
  file: string;
  /** Where in the tutorial the recorded text is. */
  tutorial: string;
  /** The command the golden is for, as the tutorial types it (informative when absent). */
  command?: string;
  exit: ExitSpec;
  /** Lines neither required nor left out: listed in the report (`report`), or a failure (`fail`). */
  otherLines: 'report' | 'fail';
  /** Such lines that look like errors: a failure (`fail`), or only listed (`report`). */
  otherErrors: 'report' | 'fail';
  /** `collapse`: runs of spaces compare as one space (tables such as `kubectl get pods`). */
  whitespace: 'exact' | 'collapse';
  note?: string;
  items: GoldenItem[];
  /** Lines the tutorial leaves out: they may appear anywhere, any number of times. */
  leftOut: GoldenLine[];
  /** The file's text, for reports. */
  source: string;
}

export class GoldenSyntaxError extends Error {
  constructor(file: string, lineNo: number | undefined, message: string) {
    super(`golden: ${file}${lineNo ? `:${lineNo}` : ''}: ${message}`);
    this.name = 'GoldenSyntaxError';
  }
}

/**
 * Placeholders. The first three are tokens the normaliser writes in place of a value that varies
 * (normalise.ts), so they match the token; `timestamp` also matches a raw timestamp. The others
 * match a value in place.
 */
export const placeholders: Record<string, { pattern: string; meaning: string }> = {
  home: { pattern: '\\{\\{home\\}\\}', meaning: "the user's home (/home/jovyan in a pod; the run's home locally)" },
  timestamp: {
    pattern: '(?:\\{\\{timestamp\\}\\}|\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)',
    meaning: 'a timestamp such as 2026-02-04 03:03:39.734930',
  },
  prefix: { pattern: '\\{\\{prefix\\}\\}', meaning: 'the Python environment holding site-packages (/opt/conda in the image)' },
  version: { pattern: '\\d[\\w.+!-]*', meaning: 'any version (0.9.5, 1.0.0rc1)' },
  n: { pattern: '\\d+', meaning: 'a whole number (byte counts, file modes, line numbers)' },
  word: { pattern: '\\S+', meaning: 'one word: no spaces (a pod name, a namespace)' },
  any: { pattern: '.*', meaning: 'any text, possibly empty' },
  indent: { pattern: '[ \\t]+', meaning: "leading spaces (a warning's source line, a paragraph)" },
};

const sections = ['any order', 'left out'] as const;
type Section = (typeof sections)[number];

const keys: Record<string, string> = {
  tutorial: 'tutorial',
  command: 'command',
  exit: 'exit',
  'other lines': 'otherLines',
  'other errors': 'otherErrors',
  whitespace: 'whitespace',
  note: 'note',
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Spaces runs → one space, for `whitespace: collapse` (the golden text and the output alike). */
export const collapseSpaces = (s: string) => s.replace(/[ \t]+/g, ' ').trim();

/** A golden line as a whole-line regular expression. */
export function compileLine(text: string, where: { file: string; lineNo: number }, whitespace: Golden['whitespace'] = 'exact'): RegExp {
  const source = whitespace === 'collapse' ? collapseSpaces(text) : text;
  let out = '';
  let at = 0;
  for (const m of source.matchAll(/\{\{([^{}]*)\}\}/g)) {
    const name = m[1].trim();
    const ph = placeholders[name];
    if (!ph) {
      const known = Object.keys(placeholders)
        .map((k) => `{{${k}}}`)
        .join(' ');
      throw new GoldenSyntaxError(where.file, where.lineNo, `unknown placeholder {{${m[1]}}}; known: ${known}`);
    }
    out += escapeRegExp(source.slice(at, m.index)) + ph.pattern;
    at = m.index + m[0].length;
  }
  out += escapeRegExp(source.slice(at));
  return new RegExp(`^${out}$`);
}

function parseExit(value: unknown, file: string): ExitSpec {
  if (value === 'nonzero' || value === 'any') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) return value;
  throw new GoldenSyntaxError(file, undefined, `exit must be a code 0-255, "nonzero" or "any" (got ${JSON.stringify(value)})`);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, key: string, file: string): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  throw new GoldenSyntaxError(file, undefined, `${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
}

/** Parse a golden file's text. `file` only names it in messages. */
export function parseGolden(id: string, text: string, file = id): Golden {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== '---') throw new GoldenSyntaxError(file, 1, 'a golden starts with a front matter: a line "---"');
  const end = lines.indexOf('---', 1);
  if (end === -1) throw new GoldenSyntaxError(file, 1, 'the front matter is not closed by a line "---"');

  let meta: Record<string, unknown>;
  try {
    meta = (YAML.parse(lines.slice(1, end).join('\n')) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new GoldenSyntaxError(file, undefined, `front matter: ${(err as Error).message.split('\n')[0]}`);
  }
  const unknown = Object.keys(meta).filter((k) => !(k in keys));
  if (unknown.length) throw new GoldenSyntaxError(file, undefined, `unknown front matter key ${unknown.join(', ')}; known: ${Object.keys(keys).join(', ')}`);
  if (typeof meta.tutorial !== 'string' || !meta.tutorial) {
    throw new GoldenSyntaxError(file, undefined, 'front matter needs `tutorial:` (where the recorded text is, or why there is none)');
  }
  if (!('exit' in meta)) throw new GoldenSyntaxError(file, undefined, 'front matter needs `exit:` (a code, "nonzero" or "any")');
  const whitespace = oneOf(meta.whitespace, ['exact', 'collapse'] as const, 'exact', 'whitespace', file);

  const items: GoldenItem[] = [];
  const leftOut: GoldenLine[] = [];
  let section: { name: Section; lineNo: number; lines: GoldenLine[] } | undefined;
  for (let i = end + 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const text = lines[i].trimEnd();
    const marker = /^\{\{([#/])([^{}]*)\}\}$/.exec(text.trim());
    if (marker) {
      const name = marker[2].trim() as Section;
      if (!sections.includes(name)) {
        throw new GoldenSyntaxError(file, lineNo, `unknown section {{${marker[1]}${marker[2]}}}; sections: ${sections.map((s) => `{{#${s}}}`).join(' ')}`);
      }
      if (marker[1] === '#') {
        if (section)
          throw new GoldenSyntaxError(file, lineNo, `{{#${name}}} inside {{#${section.name}}} (opened at line ${section.lineNo}); sections do not nest`);
        section = { name, lineNo, lines: [] };
      } else {
        if (section?.name !== name) throw new GoldenSyntaxError(file, lineNo, `{{/${name}}} closes no open {{#${name}}}`);
        if (name === 'any order') items.push({ kind: 'any order', lines: section.lines });
        else leftOut.push(...section.lines);
        section = undefined;
      }
      continue;
    }
    // Blank lines separate nothing: output lines are compared without blank lines.
    if (!text.trim()) continue;
    const line: GoldenLine = { text, lineNo, pattern: compileLine(text, { file, lineNo }, whitespace) };
    if (section) section.lines.push(line);
    else items.push({ kind: 'line', line });
  }
  if (section) throw new GoldenSyntaxError(file, section.lineNo, `{{#${section.name}}} is never closed by {{/${section.name}}}`);
  if (!items.length) throw new GoldenSyntaxError(file, undefined, 'no required lines: a golden must promise something');

  return {
    id,
    file,
    tutorial: meta.tutorial,
    command: typeof meta.command === 'string' ? meta.command : undefined,
    exit: parseExit(meta.exit, file),
    otherLines: oneOf(meta['other lines'], ['report', 'fail'] as const, 'report', 'other lines', file),
    otherErrors: oneOf(meta['other errors'], ['report', 'fail'] as const, 'fail', 'other errors', file),
    whitespace,
    note: typeof meta.note === 'string' ? meta.note : undefined,
    items,
    leftOut,
    source: text,
  };
}

/** Every required line of a golden, in file order. */
export function requiredLines(golden: Golden): GoldenLine[] {
  return golden.items.flatMap((item) => (item.kind === 'line' ? [item.line] : item.lines));
}
