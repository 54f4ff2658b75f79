import { test, expect } from '@playwright/test';
import { GoldenSyntaxError, parseGolden, requiredLines } from './golden.js';
import { goldenIdPattern, listGoldens, loadGolden } from './store.js';

const golden = (body: string, meta = 'tutorial: test\nexit: 0') => `---\n${meta}\n---\n${body}\n`;

test('a golden is a front matter, required lines, an any-order run and lines left out', () => {
  const g = parseGolden(
    'step7-student-submit',
    golden(
      [
        '[SubmitApp | INFO] Source: {{home}}/ps1',
        '{{#any order}}',
        '[SubmitApp | INFO] Encoding: problem1.ipynb',
        '[SubmitApp | INFO] Encoding: problem2.ipynb',
        '{{/any order}}',
        '',
        '[SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}',
        '{{#left out}}',
        '[SubmitApp | INFO] Encoding: {{any}}',
        '{{/left out}}',
      ].join('\n'),
      'tutorial: Step 7\ncommand: nbgrader submit ps1\nexit: 0\nother lines: fail',
    ),
  );
  expect(g).toMatchObject({ tutorial: 'Step 7', command: 'nbgrader submit ps1', exit: 0, otherLines: 'fail', otherErrors: 'fail', whitespace: 'exact' });
  expect(g.items.map((i) => i.kind)).toEqual(['line', 'any order', 'line']);
  expect(requiredLines(g).map((l) => l.lineNo)).toEqual([7, 9, 10, 13]);
  expect(g.leftOut.map((l) => l.text)).toEqual(['[SubmitApp | INFO] Encoding: {{any}}']);

  const [source, , , submitted] = requiredLines(g);
  expect(source.pattern.test('[SubmitApp | INFO] Source: {{home}}/ps1')).toBe(true);
  // The home is the normaliser's token, never a path written in the golden.
  expect(source.pattern.test('[SubmitApp | INFO] Source: /home/jovyan/ps1')).toBe(false);
  expect(submitted.pattern.test('[SubmitApp | INFO] Submitted as: course101 ps1 2026-02-04 03:03:39.734930')).toBe(true);
  expect(submitted.pattern.test('[SubmitApp | INFO] Submitted as: course101 ps1 {{timestamp}}')).toBe(true);
  expect(submitted.pattern.test('[SubmitApp | INFO] Submitted as: course101 ps2 {{timestamp}}')).toBe(false);
  // Literal text is literal: regex characters in it mean themselves.
  expect(source.pattern.test('[SubmitApp | INFO] Source: {{home}}/ps1x')).toBe(false);
});

test('exit may be a code, nonzero or any; whitespace collapse makes tables compare by columns', () => {
  expect(parseGolden('a', golden('x', 'tutorial: t\nexit: nonzero')).exit).toBe('nonzero');
  expect(parseGolden('a', golden('x', 'tutorial: t\nexit: any')).exit).toBe('any');
  const table = parseGolden('a', golden('ngshare-{{word}}   1/1     Running   0          {{word}}', 'tutorial: t\nexit: 0\nwhitespace: collapse'));
  expect(requiredLines(table)[0].pattern.test('ngshare-57545bf697-rbrcz 1/1 Running 0 37s')).toBe(true);
});

test('syntax errors name the file and line', () => {
  const bad: Array<[string, RegExp]> = [
    ['no front matter', /starts with a front matter/],
    [golden('x {{hom}}'), /a:5: unknown placeholder \{\{hom\}\}; known: \{\{home\}\}/],
    [golden('{{#any order}}\nx'), /a:5: \{\{#any order\}\} is never closed/],
    [golden('{{#left out}}\n{{#any order}}'), /a:6: .*sections do not nest/],
    [golden('{{/left out}}'), /a:5: \{\{\/left out\}\} closes no open/],
    [golden('{{#sometimes}}'), /a:5: unknown section/],
    [golden('x', 'tutorial: t\nexit: 0\ncomand: x'), /unknown front matter key comand/],
    [golden('x', 'tutorial: t'), /needs `exit:`/],
    [golden('x', 'exit: 0'), /needs `tutorial:`/],
    [golden('x', 'tutorial: t\nexit: 256'), /exit must be a code 0-255/],
    [golden('x', 'tutorial: t\nexit: 0\nother lines: maybe'), /other lines must be one of report, fail/],
    [golden('{{#left out}}\nx\n{{/left out}}'), /no required lines/],
  ];
  for (const [text, message] of bad) {
    expect(() => parseGolden('a', text), text).toThrow(GoldenSyntaxError);
    expect(() => parseGolden('a', text), text).toThrow(message);
  }
});

test('every committed golden parses, with a stable kebab-case id', () => {
  const all = listGoldens();
  expect(all.length).toBeGreaterThanOrEqual(20);
  for (const { id } of all) {
    expect(id).toMatch(goldenIdPattern);
    expect(id).toMatch(/^(step\d+|troubleshoot)-/);
    expect(() => loadGolden(id)).not.toThrow();
  }
  expect(() => loadGolden('step9-nothing')).toThrow(/no golden "step9-nothing".*\n.*known ids: step1-get-pods-ngshare/);
});
