import { test, expect } from '@playwright/test';
import { defineCommand, parseCommand, usageError, usageOf, wholeNumber } from './command.js';

const soak = defineCommand({
  name: 'soak',
  summary: 'runs',
  options: { runs: { type: 'string', value: '<n>', description: 'how many' }, report: { type: 'string', value: '<dir>', description: 'again' } },
  passthrough: { value: '<e2e flags>', description: 'for each run' },
});
const down = defineCommand({ name: 'down', summary: 'd', options: {}, positionals: [{ name: 'run-id', description: 'r', multiple: true }] });

test('npm passes on everything after its own --: a -- the script sees starts what is passed on', () => {
  // npm run soak -- --runs 2 -- --keep
  expect(parseCommand(soak, ['--runs', '2', '--', '--keep'])).toMatchObject({ values: { runs: '2' }, passthrough: ['--keep'] });
  // npm run soak -- -- --keep: no flags of its own, the rest passed on
  expect(parseCommand(soak, ['--', '--keep'])).toMatchObject({ values: {}, passthrough: ['--keep'] });
  // a runner that passed its own -- on too (pnpm; npx tsx soak.ts -- --runs 2 -- --keep)
  expect(parseCommand(soak, ['--', '--runs', '2', '--', '--keep'])).toMatchObject({ values: { runs: '2' }, passthrough: ['--keep'] });
  expect(parseCommand(soak, ['--', '--', '--keep'])).toMatchObject({ values: {}, passthrough: ['--keep'] });
  // a command that passes nothing on: a leading -- is only ever a runner's
  expect(parseCommand(down, ['--', 'e2e-x']).positionals).toEqual(['e2e-x']);
});

test('an unknown flag of a command that passes arguments on says where they go', () => {
  expect(() => parseCommand(soak, ['--keep'])).toThrow(/^usage: unknown option --keep \(<e2e flags> go after --\)\n\n/);
});

test('--help wins over any mistake beside it, and the usage is made from the table', () => {
  expect(parseCommand(soak, ['--bogus', '--help']).help).toBe(true);
  expect(parseCommand(soak, ['--runs', '-h']).help).toBe(true);
  const usage = usageOf(soak);
  expect(usage).toContain('Usage: npm run soak -- [options] [-- <e2e flags>]');
  expect(usage).toMatch(/^ {2}--runs <n> +how many$/m);
  expect(usage).toMatch(/^ {2}-- <e2e flags> +for each run$/m);
  expect(usageOf({ ...soak, invocation: 'npx tsx bench/first-signal.ts' })).toContain('Usage: npx tsx bench/first-signal.ts [options]');
});

test('whole numbers are checked with the flag named; a usage error carries the usage', () => {
  expect(wholeNumber(soak, 'runs', '20')).toBe(20);
  expect(() => wholeNumber(soak, 'runs', '0')).toThrow(/^usage: --runs 0: give a whole number, 1 or more\n\nruns\n/);
  expect(() => wholeNumber(soak, 'runs', '2.5')).toThrow('--runs 2.5: give a whole number, 1 or more');
  expect(() => wholeNumber(soak, 'runs', '1e3')).toThrow('--runs 1e3');
  expect(() => wholeNumber(soak, 'exit', '256', 0, 255)).toThrow('--exit 256: give a whole number from 0 to 255');
  expect(usageError(soak, 'give --runs').message).toBe(`usage: give --runs\n\n${usageOf(soak)}`);
});
