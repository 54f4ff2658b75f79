/**
 * The one way every script reads its command line and ends. A script declares its options once
 * (`defineCommand`); its parser and its `--help` text both come from that table, so they cannot
 * disagree. `runCommand` then gives every script the same behaviour:
 *
 *   --help, -h          the usage, every option, exit 0, nothing else done
 *   an unknown option   one line naming it, then the usage, exit 2
 *   a missing argument  the same
 *   a HarnessError      its message (component first, with the details it carries), exit 1
 *   anything else       "<script>: unexpected error: …", exit 1 (the stack only with E2E_DEBUG set)
 *
 * The words around `--` are read here, once, for every script. npm 7 and later pass on everything
 * after the first `--` (`npm run e2e -- --keep` gives `--keep`), so a `--` the script sees is the
 * person's own: for a command that passes arguments on (`passthrough`), what follows it is passed
 * on (`npm run e2e -- -- --grep x`). A leading `--` followed by another one is a runner's that
 * passed its own on too (pnpm, `npx tsx script -- …`), and is dropped; so is a leading `--` of a
 * command that passes nothing on.
 */
import { parseArgs } from 'node:util';
import { HarnessError, UsageError, errorMessage } from '../../cluster/errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How the value shows in the usage: `<file>`, `<n>`. */
  value?: string;
  description: string;
  multiple?: boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining argument. */
  multiple?: boolean;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** The npm script's name: `npm run <name>`. */
  name: string;
  /** How it is typed, when not `npm run <name> --` (`npm test --`, `npx tsx bench/first-signal.ts`). */
  invocation?: string;
  /** One line: what it does. */
  summary: string;
  options: O;
  positionals?: PositionalSpec[];
  /** Arguments after `--` are passed on (to Playwright, to each run); says so in the usage. */
  passthrough?: { value: string; description: string };
  /** More of the usage: environment variables, examples, exit status. */
  sections?: Array<{ title: string; lines: string[] }>;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean | undefined : S['multiple'] extends true ? string[] | undefined : string | undefined;

export interface ParsedCommand<O extends Record<string, OptionSpec>> {
  values: { [K in keyof O]: ValueOf<O[K]> };
  positionals: string[];
  passthrough: string[];
}

const help: OptionSpec = { type: 'boolean', short: 'h', description: 'this help' };

export function defineCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The usage text, from the same table the parser uses. */
export function usageOf<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const positionals = (spec.positionals ?? []).map((p) => {
    const name = `<${p.name}>${p.multiple ? '...' : ''}`;
    return p.required ? name : `[${name}]`;
  });
  const synopsis = [
    spec.invocation ?? `npm run ${spec.name} --`,
    ...positionals,
    '[options]',
    ...(spec.passthrough ? [`[-- ${spec.passthrough.value}]`] : []),
  ].join(' ');
  const rows: Array<[string, string]> = [
    ...(spec.positionals ?? []).map((p): [string, string] => [`<${p.name}>`, p.description]),
    ...Object.entries({ ...spec.options, help }).map(([name, o]): [string, string] => [
      `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`,
      `${o.description}${o.multiple ? ' (repeatable)' : ''}`,
    ]),
  ];
  if (spec.passthrough) rows.push([`-- ${spec.passthrough.value}`, spec.passthrough.description]);
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  const table = rows.map(([left, right]) => {
    const [first, ...rest] = right.split('\n');
    const pad = left.length >= width ? `\n  ${' '.repeat(width)}` : ' '.repeat(width - left.length);
    return [`  ${left}${pad}${first}`, ...rest.map((line) => `  ${' '.repeat(width)}${line}`)].join('\n');
  });
  const sections = (spec.sections ?? []).flatMap((s) => ['', `${s.title}:`, ...s.lines.map((l) => `  ${l}`)]);
  return [`${spec.summary}`, '', `Usage: ${synopsis}`, '', ...table, ...sections].join('\n');
}

/** A usage mistake: one line naming it, then the usage. */
export function usageError<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, message: string): UsageError {
  return new UsageError(`${message}\n\n${usageOf(spec)}`);
}

/** The value of a flag that takes a whole number (`--runs 20`), checked; a usage error otherwise. */
export function wholeNumber<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, flag: string, text: string, min = 1, max = Infinity): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(spec, `--${flag} ${text}: give a whole number${max === Infinity ? `, ${min} or more` : ` from ${min} to ${max}`}`);
  }
  return n;
}

/** The arguments with a runner's own `--` taken off (see the top of this file). */
function ownArguments(argv: string[], passesOn: boolean): string[] {
  if (argv[0] !== '--') return argv;
  return !passesOn || argv.indexOf('--', 1) !== -1 ? argv.slice(1) : argv;
}

/** The arguments as the script means them; a UsageError (with the usage) for anything it does not know. */
export function parseCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: string[]): ParsedCommand<O> & { help: boolean } {
  const args = ownArguments(argv, spec.passthrough !== undefined);
  const split = spec.passthrough ? args.indexOf('--') : -1;
  const own = split === -1 ? args : args.slice(0, split);
  const passthrough = split === -1 ? [] : args.slice(split + 1);
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help }).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: own, options, strict: true, allowPositionals: true });
  } catch (err) {
    // --help anywhere wins over a mistake elsewhere: the person asked what the flags are.
    if (own.includes('--help') || own.includes('-h')) return { values: {} as ParsedCommand<O>['values'], positionals: [], passthrough, help: true };
    const hint = spec.passthrough && /^unknown option/.test(describeParseError(err)) ? ` (${spec.passthrough.value} go after --)` : '';
    throw usageError(spec, `${describeParseError(err)}${hint}`);
  }
  const wantsHelp = parsed.values.help === true;
  delete parsed.values.help;
  if (!wantsHelp) checkPositionals(spec, parsed.positionals);
  return { values: parsed.values as ParsedCommand<O>['values'], positionals: parsed.positionals, passthrough, help: wantsHelp };
}

function describeParseError(err: unknown): string {
  const message = errorMessage(err);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `${missing[1].replace(/^-\w, /, '').replace(/ <value>$/, '')} needs a value`;
  const unexpected = /Option '([^']+)' does not take an argument/.exec(message);
  if (unexpected) return `${unexpected[1].replace(/^-\w, /, '')} takes no value`;
  return message.split('\n')[0];
}

function checkPositionals<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, given: string[]): void {
  const wanted = spec.positionals ?? [];
  const required = wanted.filter((p) => p.required);
  if (given.length < required.length) {
    throw usageError(
      spec,
      `missing ${required
        .slice(given.length)
        .map((p) => `<${p.name}>`)
        .join(' ')}`,
    );
  }
  if (!wanted.some((p) => p.multiple) && given.length > wanted.length) {
    throw usageError(
      spec,
      `unexpected argument ${given
        .slice(wanted.length)
        .map((a) => `"${a}"`)
        .join(' ')}`,
    );
  }
}

/**
 * Parses the command line and runs `main`, ending the process the one way every script ends.
 * `main` returns the exit code (default 0).
 */
export async function runCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  main: (args: ParsedCommand<O>) => Promise<number | void>,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  try {
    const parsed = parseCommand(spec, argv);
    if (parsed.help) {
      console.log(usageOf(spec));
      process.exitCode = 0;
      return;
    }
    process.exitCode = (await main(parsed)) ?? 0;
  } catch (err) {
    process.exitCode = reportFailure(spec.name, err);
  }
}

/** Prints what failed, without a stack trace unless E2E_DEBUG asks; returns the exit code. */
export function reportFailure(script: string, err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`${script}: ${err.message.replace(/^usage: /, '')}`);
    return 2;
  }
  if (err instanceof HarnessError) {
    console.error(err.message);
    return 1;
  }
  console.error(`${script}: unexpected error: ${errorMessage(err)}`);
  if (process.env.E2E_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
  return 1;
}
