#!/usr/bin/env -S npx tsx
// Regenerates cluster/python/requirements/<role>.txt from <role>.in with uv, honouring each file's
// `# python:` and `# exclude-newer:` headers. Run after changing a pin; commit both files.
import { $, argv } from 'zx';
import { type EnvRole, ensureUv, readRequirementHeaders, findPython, envRoles, requirementsDir } from '../cluster/python/python-envs.js';
import { readConfig } from '../cluster/config.js';
import { logger } from '../cluster/log.js';

const log = logger('lock');
const uv = await ensureUv(readConfig().cacheDir, log);
for (const role of (argv._.length ? argv._ : envRoles) as EnvRole[]) {
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
  await $({ cwd: requirementsDir })`${uv} ${args}`;
  log.info(`${role}.txt written (Python ${python}${excludeNewer ? `, PyPI as of ${excludeNewer}` : ''})`);
}
