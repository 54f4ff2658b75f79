/**
 * Comparing a command's normalised output with its golden.
 *
 * The golden's required lines must appear in its order (an `any order` run as a block, in any order
 * within); other lines may come between them. Each output line then gets a status:
 *
 *   matched     a required line of the golden
 *   left out    a line the golden declares the tutorial leaves out: allowed, listed in the report
 *   other       in neither: allowed and listed (`other lines: report`, the default)
 *   unexpected  in neither, and a failure: it looks like an error (ERROR/CRITICAL, a traceback,
 *               `SomethingError:`), or the golden says `other lines: fail`
 *
 * The comparison fails on a missing required line, an unexpected line, or the wrong exit code.
 */
import { diffWords } from 'diff';
import { collapseSpaces, type ExitSpec, type Golden, type GoldenLine } from './golden.js';

export type LineStatus = 'matched' | 'left out' | 'other' | 'unexpected';

export interface OutputLine {
  /** 1-based line number in the (normalised) output, blank lines counted. */
  lineNo: number;
  text: string;
  status: LineStatus;
  /** The golden line it matched (required, or left out). */
  golden?: GoldenLine;
  /** Why an unexpected line fails. */
  why?: string;
}

export interface MissingLine {
  line: GoldenLine;
  /** Index in `Comparison.lines` of the output line after which it was expected (-1: at the top). */
  after: number;
  /** The output line most like it, if any is close: a changed word shows here. */
  closest?: OutputLine;
  /** The line is there, but not where the golden's order puts it. */
  outOfOrder?: boolean;
}

export interface ExitVerdict {
  expected: ExitSpec;
  actual: number | undefined;
  ok: boolean;
}

export interface Comparison {
  golden: Golden;
  ok: boolean;
  exit: ExitVerdict;
  timedOut: boolean;
  /** The non-blank output lines, in order, each with its status. */
  lines: OutputLine[];
  missing: MissingLine[];
  /** One line per failure, pointing at the golden's and the output's line numbers. */
  problems: string[];
  /**
   * The output line a person needs first when the comparison fails: an unexpected line, else a line
   * not in the golden that looks like trouble (a warning, "not found", …), allowed on its own but
   * the likely reason required lines are missing. Undefined on a match, or when no line stands out.
   */
  lead?: OutputLine;
}

/** Lines that are errors whatever else they say. */
export const errorLine =
  /\| (?:ERROR|CRITICAL)\]|^\[[\w.]+\] (?:ERROR|CRITICAL) \||^Traceback \(most recent call last\)|^(?:[A-Za-z_][\w.]*)?(?:Error|Exception)\b(?::|$)/;

export function isErrorLine(line: string): boolean {
  return errorLine.test(line.trim());
}

/** Lines that say something went wrong without being errors: warnings, refusals, "not found". */
export const troubleLine =
  /\b(?:WARNING|WARN|ERROR|CRITICAL|FATAL)\b|not found|[Dd]enied|[Rr]efused|[Ff]ailed|[Ff]ailure|[Nn]o such|[Cc]annot|[Cc]ould not|[Uu]nable to|invalid status code|Traceback|(?:Error|Exception)\b/;

/** The line to lead a failure's headline with (see Comparison.lead). */
export function leadingLine(lines: OutputLine[], failing: boolean): OutputLine | undefined {
  if (!failing) return undefined;
  const unexpected = lines.filter((l) => l.status === 'unexpected');
  // A line the golden does not know, that reads as trouble; lines the tutorial leaves out are its usual noise.
  return unexpected.find((l) => isErrorLine(l.text)) ?? unexpected[0] ?? lines.find((l) => l.status === 'other' && troubleLine.test(l.text));
}

function exitOk(spec: ExitSpec, actual: number | undefined): boolean {
  if (actual === undefined || spec === 'any') return true;
  return spec === 'nonzero' ? actual !== 0 : actual === spec;
}

export function describeExit(spec: ExitSpec): string {
  return spec === 'any' ? 'any exit code' : spec === 'nonzero' ? 'a nonzero exit code' : `exit code ${spec}`;
}

/** How alike two lines are, 0..1, by the characters of the words they share. */
export function similarity(a: string, b: string): number {
  if (!a.length && !b.length) return 1;
  const same = diffWords(a, b)
    .filter((part) => !part.added && !part.removed)
    .reduce((n, part) => n + part.value.length, 0);
  return (2 * same) / (a.length + b.length);
}

export interface MatchInput {
  /** Normalised output lines (normaliseOutput). */
  lines: string[];
  /** Undefined when not known (a pasted terminal session): then it is not checked. */
  exitCode?: number;
  timedOut?: boolean;
}

export function matchGolden(golden: Golden, input: MatchInput): Comparison {
  const lines: OutputLine[] = [];
  input.lines.forEach((text, i) => {
    if (text.trim()) lines.push({ lineNo: i + 1, text, status: 'other' });
  });
  const comparable = (line: OutputLine) => (golden.whitespace === 'collapse' ? collapseSpaces(line.text) : line.text);
  const taken = new Set<number>();
  const find = (gl: GoldenLine, from: number) => lines.findIndex((l, k) => k >= from && !taken.has(k) && gl.pattern.test(comparable(l)));
  const take = (k: number, gl: GoldenLine) => {
    taken.add(k);
    lines[k].status = 'matched';
    lines[k].golden = gl;
  };

  const missing: MissingLine[] = [];
  let pos = 0;
  let last = -1;
  for (const item of golden.items) {
    if (item.kind === 'line') {
      const k = find(item.line, pos);
      if (k === -1) {
        missing.push({ line: item.line, after: last });
      } else {
        take(k, item.line);
        pos = k + 1;
        last = k;
      }
    } else {
      const found: number[] = [];
      for (const gl of item.lines) {
        const k = find(gl, pos);
        if (k === -1) missing.push({ line: gl, after: last });
        else {
          take(k, gl);
          found.push(k);
        }
      }
      if (found.length) {
        last = Math.max(...found);
        pos = last + 1;
      }
    }
  }

  for (const line of lines) {
    if (line.status === 'matched') continue;
    const declared = golden.leftOut.find((gl) => gl.pattern.test(comparable(line)));
    if (declared) {
      line.status = 'left out';
      line.golden = declared;
    } else if (isErrorLine(line.text)) {
      if (golden.otherErrors === 'fail') {
        line.status = 'unexpected';
        line.why = 'looks like an error';
      }
    } else if (golden.otherLines === 'fail') {
      line.status = 'unexpected';
      line.why = 'the golden allows no other lines';
    }
  }

  // For each missing line, the unmatched output line most like it, preferably where it was expected.
  // Lines the golden allows as left out are candidates only when very alike (a renamed notebook).
  const requiredIdx = lines.map((l, k) => (l.status === 'matched' ? k : -1)).filter((k) => k >= 0);
  for (const m of missing) {
    const next = requiredIdx.find((k) => k > m.after) ?? lines.length;
    const scored = lines
      .map((l, k) => ({ l, k, score: l.status === 'matched' ? 0 : similarity(m.line.text, l.text) }))
      .filter(({ l, score }) => score >= (l.status === 'left out' ? 0.8 : 0.6));
    const best = (pool: typeof scored) => [...pool].sort((a, b) => b.score - a.score)[0]?.l;
    const misplaced = lines.find((l) => l.status !== 'matched' && m.line.pattern.test(comparable(l)));
    m.outOfOrder = Boolean(misplaced);
    m.closest = misplaced ?? best(scored.filter(({ k }) => k > m.after && k < next)) ?? best(scored);
  }

  const exit: ExitVerdict = { expected: golden.exit, actual: input.exitCode, ok: exitOk(golden.exit, input.exitCode) };
  const problems: string[] = [];
  if (input.timedOut) problems.push('the command timed out');
  if (!exit.ok) problems.push(`exit code ${exit.actual}, expected ${describeExit(golden.exit)}`);
  for (const m of missing) {
    const previous = m.after >= 0 ? ` (output line ${lines[m.after].lineNo})` : '';
    const hint = !m.closest
      ? ''
      : m.outOfOrder
        ? `\n    out of order: output line ${m.closest.lineNo} has it, but before the required line above it${previous}`
        : `\n    closest, output line ${m.closest.lineNo}: ${wordDiff(m.line.text, m.closest.text)}`;
    problems.push(`golden line ${m.line.lineNo} missing: ${m.line.text}${hint}`);
  }
  for (const l of lines.filter((x) => x.status === 'unexpected')) {
    problems.push(`output line ${l.lineNo} is not in the golden (${l.why}): ${l.text}`);
  }
  const lead = leadingLine(lines, problems.length > 0);
  if (lead && lead.status !== 'unexpected') {
    problems.unshift(`likely cause, output line ${lead.lineNo} (not in the golden; allowed on its own, marked "!"): ${lead.text}`);
  }
  return { golden, ok: problems.length === 0, exit, timedOut: Boolean(input.timedOut), lines, missing, problems, lead };
}

/** `a` → `b` with the changed words marked: `Submitted as: [-course101-]{+course102+} ps1`. */
export function wordDiff(a: string, b: string): string {
  return diffWords(a, b)
    .map((part) => (part.added ? `{+${part.value}+}` : part.removed ? `[-${part.value}-]` : part.value))
    .join('');
}
