/** Shell words, quoted once for the whole harness (plans, logs, errors and commands sent to bash). */

/** Single-quotes a word for bash when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv array as a person would type it (for plans, logs and errors); `<placeholders>` stay bare. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^(?:[\w@%+=:,./-]|<[\w-]+>)+$/.test(a) ? a : shellQuote(a))).join(' ');
}
