// Regenerates cluster/python/requirements/<role>.txt from <role>.in with uv, honouring each file's
// `# python:` and `# exclude-newer:` headers. Run after changing a pin; commit both files.
import path from 'node:path';
import { $ } from 'zx';
import { readConfig } from '../cluster/config.js';
import { HarnessError } from '../cluster/errors.js';
import { logger } from '../cluster/log.js';
import { type EnvRole, ensureUv, envRoles, findPython, readRequirementHeaders, requirementsDir } from '../cluster/python/python-envs.js';
import { defineCommand, runCommand, usageError } from './lib/command.js';

const command = defineCommand({
  name: 'lock',
  summary: `Re-lock the Python environments: ${path.relative(process.cwd(), requirementsDir)}/<role>.txt from <role>.in, with uv (hashes, the .in's Python and PyPI date).`,
  options: {},
  positionals: [{ name: 'role', description: `which to re-lock (default: every one): ${envRoles.join(', ')}`, multiple: true }],
  sections: [{ title: 'Afterwards', lines: ['commit the .in and the .txt together; the next run builds the new environment (cached by content)'] }],
});

await runCommand(command, async ({ positionals }) => {
  const unknown = positionals.filter((r) => !(envRoles as readonly string[]).includes(r));
  if (unknown.length) throw usageError(command, `no environment ${unknown.map((r) => `"${r}"`).join(', ')}; choose from: ${envRoles.join(', ')}`);
  const log = logger('lock');
  const uv = await ensureUv(readConfig().cacheDir, log);
  for (const role of (positionals.length ? positionals : envRoles) as EnvRole[]) {
    const { python, excludeNewer } = readRequirementHeaders(role);
    const interpreter = await findPython(python, log);
    const args = [
      'pip',
      'compile',
      '--quiet',
      '--generate-hashes',
      '--python',
      interpreter,
      '--custom-compile-command',
      'npm run lock',
      `${role}.in`,
      '-o',
      `${role}.txt`,
    ];
    if (excludeNewer) args.push('--exclude-newer', excludeNewer);
    const result = await $({ cwd: requirementsDir, nothrow: true, quiet: true })`${uv} ${args}`;
    if (result.exitCode !== 0) {
      throw new HarnessError('lock', `uv pip compile ${role}.in failed (exit ${result.exitCode})`, result.stderr.trim().split('\n').slice(-15).join('\n'));
    }
    log.info(`${role}.txt written (Python ${python}${excludeNewer ? `, PyPI as of ${excludeNewer}` : ''})`);
  }
  return 0;
});
