// Reproduce the tutorial's troubleshooting errors: `npm run repro -- --list`, `-- <name>`, `-- --all`.
// Each case shows the error as a person sees it, applies the documented fix, and shows the recovery.
import { parseArgs } from 'node:util';
import { cases, findCase } from '../scenarios/troubleshooting/catalogue.js';
import { parseCli } from './cli.js';
import { runPlaywright } from './playwright-run.js';
import { UsageError } from '../cluster/errors.js';

const help = `Usage: npm run repro -- --list | --all | <name> [<name>...] [--platform <p>] [--keep]`;

try {
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      list: { type: 'boolean' },
      all: { type: 'boolean' },
      platform: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const { env } = parseCli([...(values.platform ? ['--platform', values.platform] : []), ...(values.keep ? ['--keep'] : [])]);
  if (values.help || (!values.list && !values.all && !positionals.length)) {
    console.log(help);
  } else if (values.list) {
    const width = Math.max(...cases.map((c) => c.name.length));
    for (const c of cases) {
      const where = c.platforms.includes(env.E2E_PLATFORM as never) ? '' : `  [${c.platforms.join('/')} only]`;
      console.log(`${c.name.padEnd(width)}  ${c.summary}${where}`);
    }
  } else {
    const unknown = positionals.filter((n) => !findCase(n));
    if (unknown.length) throw new UsageError(`no troubleshooting case ${unknown.map((n) => `"${n}"`).join(', ')}; see npm run repro -- --list`);
    const names = values.all ? cases.map((c) => c.name) : positionals;
    const grep = values.all ? '@troubleshooting' : names.map((n) => `@${n}(\\s|$)`).join('|');
    process.exitCode = await runPlaywright({
      projects: ['troubleshooting'],
      env: { ...env, E2E_SHOW_OUTPUT: '1' },
      passthrough: ['--grep', grep],
    });
  }
} catch (err) {
  if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
  console.error(err instanceof UsageError ? err.message : `usage: ${err.message}\n${help}`);
  process.exitCode = 2;
}
