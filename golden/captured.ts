/**
 * Reading a transcript captured anywhere: a harness transcript file (a header of `# key: value`
 * lines, then the output), or a terminal session a person pasted into a file, prompts and all.
 */
import { podHome } from './normalise.js';

export interface CapturedTranscript {
  user?: string;
  cwd?: string;
  command?: string;
  /** Known only from a harness header; a pasted session does not show it. */
  exitCode?: number;
  timedOut?: boolean;
  output: string;
  /** Prompt and command lines taken out of a pasted session. */
  dropped: string[];
}

const headerLine = /^# (user|cwd|command|exit code|duration):\s*(.*)$/;
/** A shell prompt: `jovyan@jupyter-student1:~$ `, `(base) jovyan@host:~/course101$ nbgrader list`. */
const prompt = /^(?:\([^)]*\)\s*)?[\w.-]+@[\w.-]+:\S*[$#](?:\s|$)/;

/** Parse a captured transcript. `command` (the golden's) helps recognise the echoed command line. */
export function parseCapturedTranscript(text: string, command?: string): CapturedTranscript {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const header: Record<string, string> = {};
  let body = 0;
  while (body < lines.length && headerLine.test(lines[body])) {
    const [, key, value] = headerLine.exec(lines[body])!;
    header[key] = value.trim();
    body++;
  }
  const captured: CapturedTranscript = { output: '', dropped: [] };
  if (body > 0) {
    captured.user = header.user;
    captured.cwd = header.cwd;
    captured.command = header.command;
    const exit = /^(\d+)( \(timed out\))?$/.exec(header['exit code'] ?? '');
    if (exit) {
      captured.exitCode = Number(exit[1]);
      captured.timedOut = Boolean(exit[2]);
    }
    captured.output = lines.slice(body).join('\n');
    return captured;
  }
  // A pasted session: drop prompts and the echoed command.
  const typed = command?.trim();
  const kept = lines.filter((line) => {
    const t = line.trim();
    const isPrompt = prompt.test(t) || (typed !== undefined && (t === typed || t === `$ ${typed}` || t === `# ${typed}`));
    if (isPrompt) captured.dropped.push(line);
    return !isPrompt;
  });
  captured.output = kept.join('\n');
  return captured;
}

/**
 * The home directory of whoever ran the command, as well as a transcript tells: the `…/home/<name>`
 * part of its working directory or of the first path under a `home` directory it printed; else the
 * pod's /home/jovyan.
 */
export function inferHome(captured: Pick<CapturedTranscript, 'cwd' | 'output'>): string {
  const underHome = /(?:\/[^\s'"/]+)*\/home\/[^\s'"/]+/;
  return underHome.exec(captured.cwd ?? '')?.[0] ?? underHome.exec(captured.output)?.[0] ?? podHome;
}
