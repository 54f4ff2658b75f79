/**
 * Nothing a run writes or prints holds one of its secrets. A whole harness run (`npm run e2e`,
 * tutorial and browser projects, traces on, a fault so that the failure paths write their
 * diagnostics and artifacts too) runs in a child process; then its secrets are read back from its
 * secrets.json and searched for in its console output and in every file under its output and state
 * directories: as written, base64-encoded, and inside every zip (Playwright traces, and the HTML
 * report's embedded data). The Allure report made from the run (`npm run report`) is searched too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import { redact, registerSecrets } from '../cluster/redact.js';

test.setTimeout(8 * 60_000);

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

test('a whole run, traces and failure diagnostics included, writes and prints none of its secrets', async () => {
  const root = test.info().outputPath('harness');
  const stateDir = path.join(root, 'state');
  const outputRoot = path.join(root, 'output');
  const child = await execa('npx', ['tsx', 'scripts/e2e.ts', '--', '--', '--project=browser', '--trace=on'], {
    env: {
      E2E_STATE_DIR: stateDir,
      E2E_OUTPUT_DIR: outputRoot,
      E2E_RUN_ID: '',
      // A red run: the failure path exports diagnostics and keeps its evidence.
      E2E_FAULT: 'drop-student@student1: nbgrader list',
    },
    all: true,
    reject: false,
    timeout: 6 * 60_000,
  });
  const printed = child.all ?? '';
  const runId = /run (e2e-\d{8}-\d{6}-[0-9a-f]{4}) on/.exec(printed)?.[1];
  expect(runId, `the child run printed its id:\n${printed.slice(0, 2000)}`).toBeTruthy();

  const runDir = path.join(stateDir, 'runs', runId!);
  const secretsFile = path.join(runDir, 'secrets.json');
  const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as Record<string, string>;
  registerSecrets(Object.values(secrets));
  await test.info().attach('harness output (redacted)', { body: redact(printed), contentType: 'text/plain' });
  expect(Object.keys(secrets), 'the run made its secrets').toEqual(
    expect.arrayContaining(['userPassword', 'harnessApiToken', 'ngshareApiToken', 'cookieSecret', 'proxyAuthToken']),
  );

  // The Allure report people open is made from the run's results: search it too.
  const report = await execa('npx', ['tsx', 'scripts/report.ts', runId!], {
    env: { E2E_OUTPUT_DIR: outputRoot, E2E_STATE_DIR: stateDir },
    all: true,
    reject: false,
  });
  expect(report.exitCode, report.all).toBe(0);

  const outputDir = path.join(outputRoot, runId!);
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
});
