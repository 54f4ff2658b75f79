// The main job: `npm run e2e [-- --platform local|kind|jetstream] [--keep] ...`.
// Runs the tutorial flow on the chosen platform; `--help` lists every flag.
import { parseCli, usage } from './cli.js';
import { runPlaywright } from './playwright-run.js';
import { UsageError } from '../cluster/errors.js';

try {
  const { env, help, passthrough } = parseCli(process.argv.slice(2));
  if (help) {
    console.log(usage);
  } else {
    process.exitCode = await runPlaywright({ projects: ['tutorial'], env, passthrough });
  }
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(err.message);
  process.exitCode = 2;
}
