/**
 * Every entry point behaves alike at its door (issue 12): `--help` prints the usage and exits 0
 * with nothing done; an unknown option is one line naming it, then the usage, exit 2, no stack
 * trace; a missing required argument is an error, never a default that starts stacks. The entry
 * points are every `tsx <file>` script of package.json, so a new one is checked from the day it
 * is added, plus the benchmarks run with npx tsx.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '..');
const packageScripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const entryPoints: Array<{ name: string; file: string }> = [
  ...Object.entries(packageScripts).flatMap(([name, line]) => {
    const m = /^tsx (\S+\.ts)$/.exec(line);
    return m ? [{ name, file: m[1] }] : [];
  }),
  { name: 'first-signal', file: 'bench/first-signal.ts' },
];

/** Where a script could leave a trace: the run state, outputs and caches go here; the lock files are watched. */
function sandbox() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-entry-'));
  const env = { E2E_STATE_DIR: path.join(dir, 'state'), E2E_OUTPUT_DIR: path.join(dir, 'output'), E2E_CACHE_DIR: path.join(dir, 'cache'), E2E_RUN_ID: '' };
  return { dir, env };
}

function lockFileTimes(): string {
  const dir = path.join(root, 'cluster', 'python', 'requirements');
  return fs
    .readdirSync(dir)
    .map((f) => `${f} ${fs.statSync(path.join(dir, f)).mtimeMs}`)
    .join('\n');
}

async function run(file: string, args: string[], env: Record<string, string>) {
  const child = await execa(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, env, reject: false, timeout: 60_000 });
  return { exitCode: child.exitCode, stdout: child.stdout, stderr: child.stderr };
}

/** At most `n` at once: the machine has two cores and other runs. */
async function limited<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

test('every entry point: --help is its usage, exit 0, and does nothing; an unknown option is one named line and the usage, exit 2', async () => {
  test.setTimeout(5 * 60_000);
  expect(entryPoints.map((e) => e.name)).toEqual(
    expect.arrayContaining(['e2e', 'up', 'down', 'reap', 'repro', 'compare', 'report', 'soak', 'bench', 'lock', 'test']),
  );
  const { dir, env } = sandbox();
  const locksBefore = lockFileTimes();
  const results = await limited(entryPoints, 3, async ({ name, file }) => ({
    name,
    help: await run(file, ['--help'], env),
    unknown: await run(file, ['--no-such-flag'], env),
  }));
  for (const { name, help, unknown } of results) {
    expect.soft(help.exitCode, `${name} --help: ${help.stderr}`).toBe(0);
    expect.soft(help.stdout, `${name} --help`).toMatch(/\n\nUsage: (npm run \S+ --|npm test --|npx tsx \S+) /);
    expect.soft(help.stdout, `${name} --help`).toMatch(/^ {2}-h, --help +this help$/m);
    expect.soft(help.stderr, `${name} --help prints nothing else`).toBe('');

    expect.soft(unknown.exitCode, `${name} --no-such-flag: ${unknown.stderr}`).toBe(2);
    const [first, blank, ...usage] = unknown.stderr.split('\n');
    expect.soft(first, `${name} --no-such-flag`).toMatch(new RegExp(`^${name}: unknown option --no-such-flag( \\(.+ go after --\\))?$`));
    expect.soft(blank, `${name} --no-such-flag`).toBe('');
    expect.soft(usage.join('\n'), `${name} --no-such-flag`).toBe(help.stdout.trimEnd());
    expect.soft(unknown.stderr, `${name}: no stack trace`).not.toMatch(/^\s+at /m);
    expect.soft(unknown.stdout, `${name} --no-such-flag`).toBe('');
  }
  // Nothing was done: no run, output or cache directory, no lock file rewritten (lock --help once re-locked every one).
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(lockFileTimes()).toBe(locksBefore);
});

test('a missing required argument is an error that says what to give, never a default that starts stacks', async () => {
  const { dir, env } = sandbox();
  const soak = await run('bench/soak.ts', [], env);
  expect(soak.exitCode).toBe(2);
  expect(soak.stderr).toMatch(/^soak: how many runs\? give --runs <n> \(or --report <dir>\)\n\n/);
  const compare = await run('scripts/compare.ts', ['step7-student-submit'], env);
  expect(compare.exitCode).toBe(2);
  expect(compare.stderr).toMatch(/^compare: give <golden-id> <transcript-file>, or --list\n\n/);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('down with a run id that is not there names it and lists the runs there, kept or not; without an id it removes the kept ones and says so', async () => {
  const { env } = sandbox();
  const runs = path.join(env.E2E_STATE_DIR, 'runs');
  const stack = (id: string, kept: boolean) => {
    fs.mkdirSync(path.join(runs, id), { recursive: true });
    fs.writeFileSync(path.join(runs, id, 'state.json'), JSON.stringify({ platform: 'local', runId: id, details: { processes: {} } }));
    if (kept) fs.writeFileSync(path.join(runs, id, 'kept'), '');
  };
  stack('e2e-20261202-100000-aaaa', true);
  stack('e2e-20261202-100001-bbbb', false);
  fs.mkdirSync(path.join(runs, 'e2e-20261202-100002-cccc'));

  const unknown = await run('scripts/down.ts', ['e2e-20261202-099999-ffff'], env);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr.split('\n')).toEqual([
    `down: no run e2e-20261202-099999-ffff under ${env.E2E_STATE_DIR}/runs; the runs there:`,
    '  e2e-20261202-100000-aaaa  local      kept',
    '  e2e-20261202-100001-bbbb  local      not kept',
    '  e2e-20261202-100002-cccc  no stack',
  ]);
  expect(fs.existsSync(path.join(runs, 'e2e-20261202-100000-aaaa', 'kept')), 'nothing removed on a mistyped id').toBe(true);

  const all = await run('scripts/down.ts', [], env);
  expect(all.exitCode, all.stderr).toBe(0);
  expect(all.stdout).toBe('down: removed run e2e-20261202-100000-aaaa (local, kept)');
  expect(fs.existsSync(path.join(runs, 'e2e-20261202-100000-aaaa', 'kept'))).toBe(false);
  const again = await run('scripts/down.ts', [], env);
  expect(again.stdout).toBe(`down: no kept runs to remove (3 runs under ${env.E2E_STATE_DIR}/runs, none kept)`);
});
