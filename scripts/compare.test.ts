import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';

const compare = (...args: string[]) => execa('npx', ['tsx', 'scripts/compare.ts', ...args], { reject: false, all: true });
const transcript = 'golden/testdata/local-run/step7-student-submit.txt';

test('compare: a matching transcript exits 0 and lists the lines the tutorial leaves out', async () => {
  const run = await compare('step7-student-submit', transcript);
  expect(run.exitCode, run.all).toBe(0);
  expect(run.all).toContain('golden step7-student-submit: match');
  expect(run.all).toContain('left out by the tutorial (allowed):\n  output line 3: [SubmitApp | INFO] Encoding: jupyter.png');
});

test('compare: a pasted session from a pod that differs exits 1 with the diff', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-compare-')), 'pasted.txt');
  fs.writeFileSync(
    file,
    [
      'jovyan@jupyter-student1:~$ nbgrader submit ps1',
      '[SubmitApp | INFO] Source: /home/jovyan/ps1',
      '[SubmitApp | INFO] Encoding: problem1.ipynb',
      '[SubmitApp | INFO] Encoding: problem2.ipynb',
      '[SubmitApp | INFO] Submitted as: course101 ps1 2026-02-04 03:03:39.734930',
      '[SubmitApp | ERROR] something broke',
      'jovyan@jupyter-student1:~$',
    ].join('\n'),
  );
  const run = await compare('step7-student-submit', file, '--exit', '0');
  expect(run.exitCode, run.all).toBe(1);
  expect(run.all).toContain('output line 5 is not in the golden (looks like an error): [SubmitApp | ERROR] something broke');
  expect(run.all).toContain('ignored 2 prompt/command line(s) of the pasted session');
});

test('compare: --list prints every golden id with its file; bad arguments exit 2', async () => {
  const list = await compare('--list');
  expect(list.exitCode).toBe(0);
  expect(list.all).toMatch(/^step7-student-submit +expected-output\/step7-student-submit\.txt {2}\(Step 7\)$/m);
  expect(list.all).toMatch(/^troubleshoot-keyerror-user +expected-output\/troubleshoot-keyerror-user\.txt/m);
  expect((await compare('step7-student-submit')).exitCode).toBe(2);
  const unknown = await compare('step9-nothing', transcript);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.all).toContain('no golden "step9-nothing"');
});

test('compare: a binary file is refused by name, and nothing of it reaches the terminal; an empty file says "empty"', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-compare-'));
  const binary = path.join(dir, 'core.bin');
  fs.writeFileSync(binary, Buffer.concat([Buffer.from('ELF'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a]), Buffer.from('BINARYMARK')]));
  const refused = await compare('step7-student-submit', binary);
  expect(refused.exitCode, refused.all).toBe(2);
  expect(refused.all).toBe(`compare: transcript ${binary} is not text (a NUL byte at offset 3); give the terminal output as a text file`);
  expect(refused.all).not.toContain('BINARYMARK');

  const latin1 = path.join(dir, 'latin1.txt');
  fs.writeFileSync(latin1, Buffer.from('caf\xe9 au lait\n', 'latin1'));
  expect((await compare('step7-student-submit', latin1)).all).toContain('is not text (not valid UTF-8)');

  const empty = path.join(dir, 'empty.txt');
  fs.writeFileSync(empty, '');
  const nothing = await compare('step7-student-submit', empty);
  expect(nothing.exitCode).toBe(2);
  expect(nothing.all).toBe(`compare: transcript ${empty} is empty: nothing to compare`);
  fs.writeFileSync(empty, '\n  \n');
  expect((await compare('step7-student-submit', empty)).all).toContain('is empty (only white space)');

  const stdin = await execa('npx', ['tsx', 'scripts/compare.ts', 'step7-student-submit', '-'], {
    reject: false,
    all: true,
    input: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]),
  });
  expect(stdin.exitCode).toBe(2);
  expect(stdin.all).toBe('compare: transcript stdin is not text (a NUL byte at offset 4); give the terminal output as a text file');
});
