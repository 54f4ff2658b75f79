// `npm test`: type-check, unit tests, then every scenario against a real local stack: the tutorial,
// the harness under faults, the troubleshooting cases, the browser checks, and the search of a whole
// run for its secrets.
import { execa } from 'execa';
import { runPlaywright } from './playwright-run.js';

const typecheck = await execa('npx', ['tsc', '--noEmit'], { stdio: 'inherit', reject: false });
if (typecheck.exitCode !== 0) {
  console.error('typecheck failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
process.exitCode = await runPlaywright({
  projects: ['unit', 'tutorial', 'faults', 'troubleshooting', 'browser', 'redaction'],
  env: { E2E_PLATFORM: 'local' },
  passthrough: process.argv.slice(2).filter((a) => a !== '--'),
});
