// Compare a transcript captured anywhere with a golden: a harness transcript file, or a terminal
// session someone pasted from a real cluster. Exits 0 on a match, 1 with the diff otherwise.
//
//   npm run compare -- step7-student-submit pasted-submit.txt
//   npm run compare -- --list
import path from 'node:path';
import { UsageError } from '../cluster/errors.js';
import { compareToGolden, inferHome, listGoldens, loadGolden, parseCapturedTranscript } from '../golden/index.js';
import { defineCommand, runCommand, usageError, wholeNumber } from './lib/command.js';
import { readTextInput } from './lib/text-input.js';

const command = defineCommand({
  name: 'compare',
  summary: 'Compare a transcript captured anywhere (a harness transcript, a terminal session pasted from a real cluster) with a golden.',
  options: {
    home: { type: 'string', value: '<dir>', description: "the user's home where it ran (default: from the transcript, else /home/jovyan)" },
    exit: { type: 'string', value: '<code>', description: "the command's exit code, when the transcript does not say (pasted sessions)" },
    name: { type: 'string', value: '<actual=tutorial>', description: "a user name to read as the tutorial's (e2e-ab12-student1=student1)", multiple: true },
    list: { type: 'boolean', description: 'every golden id with its file and where it is in the tutorial' },
  },
  positionals: [
    { name: 'golden-id', description: 'which golden (npm run compare -- --list)' },
    {
      name: 'transcript-file',
      description:
        'a harness transcript (e2e-output/<run>/transcripts/*.txt) or a pasted terminal session\n(prompts and the typed command are ignored); - for stdin. Text only: an empty or binary file is refused',
    },
  ],
  sections: [
    { title: 'Exit status', lines: ['0 match, 1 mismatch (the diff is printed), 2 a usage error (unknown golden, a file that is missing, empty or not text)'] },
  ],
});

function list(): void {
  const goldens = listGoldens();
  const width = Math.max(...goldens.map((g) => g.id.length));
  for (const { id, file } of goldens) {
    const where = loadGolden(id).tutorial.split(/ › |;/)[0];
    console.log(`${id.padEnd(width)}  ${path.relative(process.cwd(), file)}  (${where})`);
  }
}

await runCommand(command, async ({ values, positionals }) => {
  if (values.list) {
    list();
    return 0;
  }
  if (positionals.length !== 2) throw usageError(command, 'give <golden-id> <transcript-file>, or --list');
  const [id, file] = positionals;
  if (!listGoldens().some((g) => g.id === id)) throw new UsageError(`no golden "${id}"; npm run compare -- --list names them`);
  const exitCode = values.exit === undefined ? undefined : wholeNumber(command, 'exit', values.exit, 0, 255);
  const names: Record<string, string> = {};
  for (const pair of values.name ?? []) {
    const [actual, tutorial] = pair.split('=');
    if (!actual || !tutorial) throw usageError(command, `--name wants actual=tutorial, not "${pair}"`);
    names[actual] = tutorial;
  }
  const golden = loadGolden(id);
  const captured = parseCapturedTranscript(readTextInput(file, 'transcript'), golden.command);
  if (exitCode !== undefined) captured.exitCode = exitCode;
  const home = values.home ?? inferHome(captured);
  const outcome = compareToGolden(id, captured, { home, names });
  const notes = [`home: ${home}${values.home ? '' : ' (inferred; --home to set it)'}`];
  if (captured.dropped.length) notes.push(`ignored ${captured.dropped.length} prompt/command line(s) of the pasted session`);
  console.log(`${outcome.ok ? outcome.report : outcome.diff}\n\n${notes.join('\n')}`);
  return outcome.ok ? 0 : 1;
});
