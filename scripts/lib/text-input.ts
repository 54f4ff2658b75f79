/**
 * A file a person hands a script as text (a pasted terminal session, a transcript): read whole, and
 * refused with a named error when it is empty or is not text, so nothing binary reaches the terminal.
 */
import fs from 'node:fs';
import { UsageError } from '../../cluster/errors.js';

/** Control characters a terminal session may hold: tab, newline, carriage return, backspace, escape (colours). */
const allowedControls = new Set([0x08, 0x09, 0x0a, 0x0d, 0x1b]);

/** Why `bytes` is not text, or undefined when it is (UTF-8, no NUL, few control characters). */
export function notTextReason(bytes: Uint8Array): string | undefined {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return `a NUL byte at offset ${nul}`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'not valid UTF-8';
  }
  const sample = bytes.subarray(0, 64 * 1024);
  let controls = 0;
  for (const b of sample) if ((b < 0x20 && !allowedControls.has(b)) || b === 0x7f) controls += 1;
  if (controls > sample.length / 100) return `${controls} control characters in its first ${sample.length} bytes`;
  return undefined;
}

/**
 * The text of `file` (`-` for stdin), for `what` ("transcript"); a UsageError naming the file when it
 * is missing, empty (or only white space) or not text.
 */
export function readTextInput(file: string, what: string): string {
  const name = file === '-' ? 'stdin' : file;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : (code ?? (err as Error).message);
    throw new UsageError(`${what} ${name}: ${reason}`);
  }
  if (bytes.length === 0) throw new UsageError(`${what} ${name} is empty: nothing to compare`);
  const reason = notTextReason(bytes);
  if (reason) throw new UsageError(`${what} ${name} is not text (${reason}); give the terminal output as a text file`);
  const text = bytes.toString('utf8');
  if (!text.trim()) throw new UsageError(`${what} ${name} is empty (only white space): nothing to compare`);
  return text;
}
