/**
 * Comparisons as text for people: the diff of a failure, the report of a match, the normalised
 * output. Plain text, no colours: it goes into attachments, summary files and terminals alike.
 */
import { describeExit, type Comparison, type LineStatus } from './match.js';

const marks: Record<LineStatus | 'missing', string> = {
  matched: ' ',
  missing: '-',
  unexpected: '+',
  'left out': '~',
  other: '?',
};

export const legend =
  'legend: "-" golden line missing from the output (fails)  "+" output line not in the golden (fails)  ' +
  '"~" left out by the tutorial (allowed)  "?" not in the golden (allowed, listed)  "!" not in the golden, and the likely cause';

const num = (n: number | undefined) => (n === undefined ? '' : String(n)).padStart(6);

function heading(c: Comparison): string {
  const exitNote = c.exit.actual === undefined ? 'exit code not known, not checked' : `exit code ${c.exit.actual}`;
  return `golden ${c.golden.id}: ${c.ok ? 'match' : 'MISMATCH'} (${c.golden.file}; ${exitNote})\ntutorial: ${c.golden.tutorial}`;
}

/** The output beside the golden, line by line, with the golden's missing lines where they belonged. */
export function renderAligned(c: Comparison): string {
  const rows = [`${'golden'.padStart(6)} ${'output'.padStart(6)}`];
  // A missing line stands just above the output line most like it, else where it was expected.
  const before = new Map<number, Comparison['missing']>();
  for (const m of c.missing) {
    const at = m.closest ? c.lines.indexOf(m.closest) : m.after + 1;
    before.set(
      at,
      [...(before.get(at) ?? []), m].sort((a, b) => a.line.lineNo - b.line.lineNo),
    );
  }
  const missingRows = (k: number) => (before.get(k) ?? []).map((m) => `${num(m.line.lineNo)} ${''.padStart(6)} ${marks.missing} ${m.line.text}`);
  c.lines.forEach((l, k) => {
    rows.push(...missingRows(k));
    const goldenNo = l.status === 'matched' || l.status === 'left out' ? l.golden?.lineNo : undefined;
    rows.push(`${num(goldenNo)} ${num(l.lineNo)} ${l === c.lead && l.status !== 'unexpected' ? '!' : marks[l.status]} ${l.text}`);
  });
  rows.push(...missingRows(c.lines.length));
  if (!c.exit.ok) {
    rows.push(`${'exit'.padStart(6)} ${''.padStart(6)} ${marks.missing} ${describeExit(c.exit.expected)}`);
    rows.push(`${'exit'.padStart(6)} ${''.padStart(6)} ${marks.unexpected} exit code ${c.exit.actual}`);
  }
  return rows.join('\n');
}

/** What to show when the comparison fails: what went wrong, then the aligned view. */
export function renderDiff(c: Comparison): string {
  return [heading(c), ...c.problems.map((p) => `  ${p}`), '', renderAligned(c), legend].join('\n');
}

/** What to show when it matches: the lines it allowed, so nothing passes unseen. */
export function renderReport(c: Comparison): string {
  if (!c.ok) return renderDiff(c);
  const list = (status: LineStatus) => c.lines.filter((l) => l.status === status).map((l) => `  output line ${l.lineNo}: ${l.text}`);
  const leftOut = list('left out');
  const other = list('other');
  const required = c.lines.filter((l) => l.status === 'matched').length;
  return [
    heading(c),
    `  ${required} required line${required === 1 ? '' : 's'} found; ${leftOut.length} left out by the tutorial; ${other.length} not in the golden`,
    ...(leftOut.length ? ['left out by the tutorial (allowed):', ...leftOut] : []),
    ...(other.length ? ['not in the golden (allowed, listed):', ...other] : []),
  ].join('\n');
}

/** The normalised output as compared, with the exit code. */
export function renderActual(lines: string[], exitCode: number | undefined): string {
  return `# exit code: ${exitCode ?? 'not known'}\n${lines.join('\n')}\n`;
}

const quote = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The headline of a failure, one line (summary.json's `reason`, the test's error, Allure's message):
 * the output line a person needs first (Comparison.lead: an unexpected line, or the warning that
 * explains the missing ones), then what else is wrong, each with the text of its first line.
 *
 *   golden step4-pip-show: output line 47, not in the golden: WARNING: Package(s) not found: ngshare-exchange;
 *     11 golden lines missing (first, line 47: Name: ngshare-exchange)
 */
export function summarise(c: Comparison): string {
  if (c.ok) return `golden ${c.golden.id}: match`;
  const parts: string[] = [];
  const unexpected = c.lines.filter((l) => l.status === 'unexpected');
  if (c.lead)
    parts.push(
      `${c.lead.status === 'unexpected' ? 'unexpected output line' : 'output line'} ${c.lead.lineNo}${c.lead.status === 'unexpected' ? '' : ', not in the golden'}: ${quote(c.lead.text)}`,
    );
  if (c.timedOut) parts.push('timed out');
  if (!c.exit.ok) parts.push(`exit code ${c.exit.actual}, expected ${describeExit(c.exit.expected)}`);
  if (c.missing.length) {
    // The first that says something: a separator such as `---` tells nobody which part is gone.
    const first = (c.missing.find((m) => /\w/.test(m.line.text)) ?? c.missing[0]).line;
    const which = first === c.missing[0].line ? 'first' : 'first with words';
    parts.push(`${c.missing.length} golden line${c.missing.length === 1 ? '' : 's'} missing (${which}, line ${first.lineNo}: ${quote(first.text)})`);
  }
  const more = unexpected.filter((l) => l !== c.lead);
  if (more.length)
    parts.push(
      `${more.length} ${c.lead?.status === 'unexpected' ? 'more ' : ''}unexpected output line${more.length === 1 ? '' : 's'} (first: line ${more[0].lineNo})`,
    );
  return `golden ${c.golden.id}: ${(parts.length ? parts : c.problems.slice(0, 1)).join('; ')}`;
}
