import { test, expect } from '@playwright/test';
import { platformNames } from '../../cluster/config.js';
import { defineCommand, parseCommand, usageOf } from './command.js';
import { harnessEnv, harnessOptions } from './harness-options.js';

const e2e = defineCommand({
  name: 'e2e',
  summary: 'test',
  options: harnessOptions('platform', 'keep', 'variant', 'versions', 'port', 'kubeconfig', 'context', 'dry-run', 'update-expected', 'baked-image'),
  passthrough: { value: '<playwright args>', description: 'for playwright' },
});
const parse = (argv: string[]) => harnessEnv(parseCommand(e2e, argv).values);

test('no flags: the local platform', () => {
  expect(parse([])).toEqual({ E2E_PLATFORM: 'local' });
});

test('flags become the E2E_* variables the harness reads; a second -- passes the rest on', () => {
  const parsed = parseCommand(e2e, ['--', '--platform', 'jetstream', '--context', 'course', '--dry-run', '--keep', '--', '--grep', 'Step 7']);
  expect(harnessEnv(parsed.values)).toEqual({ E2E_PLATFORM: 'jetstream', E2E_KUBE_CONTEXT: 'course', E2E_DRY_RUN: '1', E2E_KEEP: '1' });
  expect(parsed.passthrough).toEqual(['--grep', 'Step 7']);
});

test('an unknown platform is a clear error that lists the choices', () => {
  expect(() => parse(['--platform', 'minikube'])).toThrow(`usage: unknown platform "minikube"; choose one of: ${platformNames.join(', ')}`);
});

test('an unknown flag is one line naming it, then the usage made from the same table', () => {
  expect(() => parse(['--fast'])).toThrow(/^usage: unknown option --fast \(<playwright args> go after --\)\n\n[\s\S]*--platform <local\|kind\|jetstream/);
  expect(() => parse(['--platform'])).toThrow(/^usage: --platform needs a value\n/);
});

test('cluster flags on the local platform are refused rather than ignored, and --port off it', () => {
  expect(() => parse(['--kubeconfig', '/x'])).toThrow(/^usage: --kubeconfig only apply to --platform kind, jetstream/);
  expect(() => parse(['--platform', 'kind', '--port', '8000'])).toThrow('usage: --port applies to --platform local');
  expect(() => parse(['--port', '99999'])).toThrow(/E2E_HUB_PORT=99999 is not a port number/);
});

test('a variant is checked before anything starts', () => {
  expect(parse(['--variant', 'ngshare-sqlalchemy2']).E2E_VARIANT).toBe('ngshare-sqlalchemy2');
  expect(() => parse(['--variant', 'broken-on-purpose'])).toThrow(/usage: unknown variant "broken-on-purpose"; choose from: without-nbgrader/);
});

test('--versions: pinned or latest, checked before anything starts; latest cannot be baked into an image', () => {
  expect(parse(['--versions', 'latest']).E2E_VERSIONS).toBe('latest');
  expect(parse(['--versions', 'pinned', '--platform', 'kind']).E2E_VERSIONS).toBe('pinned');
  expect(() => parse(['--versions', 'newest'])).toThrow(/usage: versions "newest": choose pinned or latest/);
  expect(() => parse(['--versions', 'package.json'])).toThrow(/--versions package\.json: choose pinned or latest/);
  expect(() => parse(['--platform', 'kind', '--versions', 'latest', '--baked-image'])).toThrow(/--baked-image bakes the pinned versions/);
});

test('--update-expected is refused at once in CI', () => {
  const ci = process.env.CI;
  process.env.CI = 'true';
  try {
    expect(() => parse(['--update-expected'])).toThrow(/refused in CI/);
  } finally {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  }
});

test('--help is seen whatever else is given, and the usage lists every option with its value', () => {
  expect(parseCommand(e2e, ['stray', '-h']).help).toBe(true);
  expect(parseCommand(e2e, ['-h']).help).toBe(true);
  const usage = usageOf(e2e);
  for (const flag of [
    `--platform <${platformNames.join('|')}>`,
    '--keep',
    '--variant <name[,name]>',
    '--port <port>',
    '--dry-run',
    '-h, --help',
    '-- <playwright args>',
  ]) {
    expect(usage).toContain(flag);
  }
});

test('positionals: a missing one is named, an extra one is refused', () => {
  const down = defineCommand({ name: 'down', summary: 's', options: {}, positionals: [{ name: 'run-id', description: 'd', required: true }] });
  expect(() => parseCommand(down, [])).toThrow(/^usage: missing <run-id>\n/);
  expect(() => parseCommand(down, ['a', 'b'])).toThrow(/^usage: unexpected argument "b"\n/);
  expect(parseCommand(down, ['a']).positionals).toEqual(['a']);
});
