// Compare a transcript captured anywhere with a golden: a harness transcript file, or a terminal
// session someone pasted from a real cluster. Exits 0 on a match, 1 with the diff otherwise.
//
//   npm run compare -- step7-student-submit pasted-submit.txt
//   npm run compare -- --list
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, errorMessage } from '../cluster/errors.js';
import { compareToGolden, inferHome, listGoldens, loadGolden, parseCapturedTranscript } from '../golden/index.js';

const usage = `Usage: npm run compare -- <golden-id> <transcript-file|-> [options]
       npm run compare -- --list

  <transcript-file>    a harness transcript (e2e-output/<run>/transcripts/*.txt) or a pasted
                       terminal session (prompts and the typed command are ignored); - for stdin
  --home <dir>         the user's home where it ran (default: from the transcript, else /home/jovyan)
  --exit <code>        the command's exit code, when the transcript does not say (pasted sessions)
  --name <actual=tutorial>  a user name to read as the tutorial's (e2e-ab12-student1=student1); repeatable
  --list               every golden id with its file and where it is in the tutorial
  -h, --help           this help

Exit status: 0 match, 1 mismatch (the diff is printed), 2 usage error.`;

function list(): void {
  const goldens = listGoldens();
  const width = Math.max(...goldens.map((g) => g.id.length));
  for (const { id, file } of goldens) {
    const where = loadGolden(id).tutorial.split(/ › |;/)[0];
    console.log(`${id.padEnd(width)}  ${path.relative(process.cwd(), file)}  (${where})`);
  }
}

function compare(id: string, transcriptFile: string, values: { home?: string; exit?: string; name?: string[] }): number {
  const golden = loadGolden(id);
  const text = transcriptFile === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(transcriptFile, 'utf8');
  const captured = parseCapturedTranscript(text, golden.command);
  if (values.exit !== undefined) {
    if (!/^\d+$/.test(values.exit)) throw new UsageError(`--exit wants a number, not "${values.exit}"`);
    captured.exitCode = Number(values.exit);
  }
  const names: Record<string, string> = {};
  for (const pair of values.name ?? []) {
    const [actual, tutorial] = pair.split('=');
    if (!actual || !tutorial) throw new UsageError(`--name wants actual=tutorial, not "${pair}"`);
    names[actual] = tutorial;
  }
  const home = values.home ?? inferHome(captured);
  const outcome = compareToGolden(id, captured, { home, names });
  const notes = [`home: ${home}${values.home ? '' : ' (inferred; --home to set it)'}`];
  if (captured.dropped.length) notes.push(`ignored ${captured.dropped.length} prompt/command line(s) of the pasted session`);
  console.log(`${outcome.ok ? outcome.report : outcome.diff}\n\n${notes.join('\n')}`);
  return outcome.ok ? 0 : 1;
}

function main(argv: string[]): number {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        list: { type: 'boolean' },
        home: { type: 'string' },
        exit: { type: 'string' },
        name: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${errorMessage(err).split('\n')[0]}\n\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.list) {
    list();
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`expected <golden-id> <transcript-file>\n\n${usage}`);
  const [id, file] = positionals;
  if (file !== '-' && !fs.existsSync(file)) throw new UsageError(`no such transcript file: ${file}`);
  return compare(id, file, values);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(errorMessage(err));
  process.exitCode = 2;
}
