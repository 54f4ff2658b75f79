// Brings a stack up and leaves it running: `npm run up [-- --platform kind]`. Prints how to use it.
import { parseCli, describeKeptRun } from './cli.js';
import { bringUp } from '../cluster/lifecycle.js';
import { readConfig } from '../cluster/config.js';

const { env } = parseCli(process.argv.slice(2), { allowKeep: false });
Object.assign(process.env, env, { E2E_KEEP: '1' });
const { run, state } = await bringUp(readConfig());
run.markKept(true);
console.log(describeKeptRun(run, state));
