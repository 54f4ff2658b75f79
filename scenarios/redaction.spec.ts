/**
 * Nothing a run writes or prints holds one of its secrets. A whole harness run (`npm run e2e`,
 * tutorial and browser projects, traces on, a fault so that the failure paths write their
 * diagnostics and artifacts too) runs in a child process; then its secrets are read back from its
 * secrets.json and searched for in its console output and in every file under its output and state
 * directories: as written, base64-encoded, and inside every zip (Playwright traces, and the HTML
 * report's embedded data). The Allure report made from the run (`npm run report`) is searched too.
 *
 * The fault (the student dropped from the course before their first command, injected from outside
 * the product by scenarios/faults/fault-run.config.ts) is checked as the harness's own fault tests
 * check theirs: red at Step 7 with 403, diagnostics, nothing left running. That proves the failure
 * paths searched here really ran, and it is the one nested run of that fault in `npm test`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { redact, registerSecrets } from '../cluster/redact.js';
import { test, expect, expectRedAt } from './faults/nested-run.js';

test.setTimeout(12 * 60_000);

/**
 * The one file of the state directory that holds secrets: where each is made and read back from
 * (the local hub's config reads it too). Readable by its owner only, never under the output
 * directory, never printed.
 */
const runtimeInputs = ['secrets.json'];

interface Leak {
  secret: string;
  where: string;
  context: string;
}

/** The text forms of `secret` when base64-encoded at any of the 3 alignments inside a longer text. */
function base64Forms(secret: string): string[] {
  return [0, 1, 2].map((pad) => {
    const encoded = Buffer.from(`${'\0'.repeat(pad)}${secret}`).toString('base64');
    // Drop the characters that also hold the padding bytes, and the last one, which holds what follows.
    const start = Math.ceil((pad * 4) / 3);
    const end = Math.floor(((pad + secret.length) * 4) / 3);
    return encoded.slice(start, end);
  });
}

/** Every byte stream to search: the file itself, what its zips hold, and base64 zips embedded in text. */
async function* contents(file: string, label: string, scratch: string): AsyncGenerator<{ where: string; data: Buffer }> {
  const data = fs.readFileSync(file);
  yield { where: label, data };
  const unzip = async (zip: Buffer, where: string) => {
    const dir = fs.mkdtempSync(path.join(scratch, 'zip-'));
    const zipFile = path.join(dir, 'archive.zip');
    fs.writeFileSync(zipFile, zip);
    await execa('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipFile, path.join(dir, 'x')]);
    return { root: path.join(dir, 'x'), where };
  };
  const archives: Array<{ root: string; where: string }> = [];
  if (data.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') archives.push(await unzip(data, label));
  // Playwright's HTML report carries its data as a base64 zip inside index.html.
  for (const m of data.toString('latin1').matchAll(/data:application\/zip;base64,([A-Za-z0-9+/=]+)/g)) {
    archives.push(await unzip(Buffer.from(m[1], 'base64'), `${label} (embedded zip)`));
  }
  for (const archive of archives) {
    for (const inner of walk(archive.root)) yield* contents(inner, `${archive.where} › ${path.relative(archive.root, inner)}`, scratch);
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/** Each secret, in each form it is searched in. */
function needles(secrets: Record<string, string>): Array<{ name: string; form: string; needle: string }> {
  return Object.entries(secrets).flatMap(([name, value]) => [
    { name, form: 'as written', needle: value },
    ...base64Forms(value).map((needle) => ({ name, form: 'base64', needle })),
  ]);
}

function find(haystack: Buffer, where: string, secrets: Record<string, string>): Leak[] {
  const all = needles(secrets);
  const leaks: Leak[] = [];
  for (const name of Object.keys(secrets)) {
    for (const { form, needle } of all.filter((n) => n.name === name)) {
      const at = haystack.indexOf(needle);
      if (at === -1) continue;
      // The context shows where it was, with every secret in it (not only this one) replaced by its name.
      let context = haystack.subarray(Math.max(0, at - 60), at + needle.length + 60).toString('utf8');
      for (const n of all) context = context.split(n.needle).join(`[${n.name}]`);
      leaks.push({ secret: name, where: `${where} (${form}, byte ${at})`, context: context.replace(/\s+/g, ' ') });
      break;
    }
  }
  return leaks;
}

test('a whole run, traces and failure diagnostics included, writes and prints none of its secrets', async ({ nested }) => {
  const root = test.info().outputPath();
  const run = await nested.run({
    fault: 'drop-student@student1: nbgrader list',
    playwrightArgs: ['--project=browser', '--trace=on'],
    timeoutMs: 9 * 60_000,
    // Its output is what is searched: shown below only redacted.
    private: true,
  });
  const printed = run.output;
  const { runId } = run;
  const runDir = run.runDir;
  const secretsFile = path.join(runDir, 'secrets.json');
  const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as Record<string, string>;
  registerSecrets(Object.values(secrets));
  await test.info().attach('harness output (redacted)', { body: redact(printed), contentType: 'text/plain' });
  expect(Object.keys(secrets), 'the run made its secrets').toEqual(
    expect.arrayContaining(['userPassword', 'harnessApiToken', 'ngshareApiToken', 'cookieSecret', 'proxyAuthToken']),
  );

  // The Allure report people open is made from the run's results: search it too.
  const report = await nested.run({ script: 'report', args: [runId], private: true });
  expect(report.exitCode, redact(report.output)).toBe(0);

  const outputDir = run.outputDir;
  const inputs = runtimeInputs.map((f) => path.join(runDir, f)).filter((f) => fs.existsSync(f));
  for (const file of inputs) {
    expect((fs.statSync(file).mode & 0o777).toString(8), `${path.relative(runDir, file)} is readable by its owner only`).toBe('600');
  }
  const files = [...walk(outputDir), ...[...walk(runDir)].filter((f) => !inputs.includes(f))];
  const traces = files.filter((f) => f.endsWith('.zip') && f.includes('test-results'));
  expect(traces.length, 'the run recorded browser traces to search').toBeGreaterThan(0);
  expect(fs.existsSync(path.join(outputDir, 'diagnostics', 'end-of-run')), 'the run exported diagnostics').toBe(true);

  const scratch = test.info().outputPath('unzipped');
  fs.mkdirSync(scratch, { recursive: true });
  const leaks: Leak[] = find(Buffer.from(printed), 'console output', secrets);
  let searched = 0;
  for (const file of files) {
    const label = path.relative(root, file);
    for await (const { where, data } of contents(file, label, scratch)) {
      searched += 1;
      leaks.push(...find(data, where, secrets));
    }
  }
  await test.info().attach('searched', {
    body: [
      `${searched} files and archive entries from ${files.length} files (${traces.length} traces), and the console output`,
      `secrets: ${Object.keys(secrets).join(', ')}`,
      `not searched (runtime inputs, mode 0600): ${inputs.map((f) => path.relative(runDir, f)).join(', ')}`,
    ].join('\n'),
    contentType: 'text/plain',
  });
  expect(leaks.map((l) => `${l.secret} in ${l.where}: …${l.context}…`)).toEqual([]);

  // The run went red where the fault was injected, by the wrapper in its worker: the failure paths
  // searched above really ran (and the fault is checked as scenarios/faults/ check theirs).
  expect(printed).toMatch(/^\S+ faults: injecting drop-student before "student1: nbgrader list"$/m);
  expectRedAt(run, 'Step 7: Student workflow (fetch + submit)', 'nbgrader list', /Permission denied|403/);
});
