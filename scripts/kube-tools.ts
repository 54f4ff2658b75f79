// `npm run kube-tools`: builds the pinned Go tools of the kwok platform and the kube project (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm) from the Go module
// proxy with `go` alone, into the harness's cache, where every later run finds them. Cached tools are
// not rebuilt; a first build takes ~20 min on 2 cores (progress every 15 s). `--status` only says
// which are cached. CI runs it before `npm test` (.ci/run).
import { readConfig } from '../cluster/config.js';
import { ensureGoTools, goToolNames, goToolPins, goToolsDir, goToolsStatus, type GoToolName } from '../cluster/go-tools.js';
import { formatDuration, logger } from '../cluster/log.js';
import { defineCommand, runCommand, usageError } from './lib/command.js';

const command = defineCommand({
  name: 'kube-tools',
  summary: 'Build the pinned Go tools of the kwok platform (control plane, kwok, helm, kubectl) into the cache, or say which are cached.',
  options: {
    status: { type: 'boolean', description: 'say which tools are cached for the Go on PATH; build nothing (exit 1 if one is missing)' },
    only: { type: 'string', value: '<name,…>', description: `build only these: ${goToolNames.join(', ')}` },
  },
  sections: [
    {
      title: 'What it builds',
      lines: goToolNames.map((n) => `${n.padEnd(24)} ${goToolPins[n].module} ${goToolPins[n].version}`),
    },
    {
      title: 'Where and how long',
      lines: [
        'into $E2E_CACHE_DIR/tools/go/<name>-<version>-go<Go version>/ (default ~/.cache/nbgrader-ngshare-e2e), built',
        'in a temporary directory and renamed into place (an interrupted build is never used);',
        'needs go >= 1.24 on PATH and the Go module proxy; a first build takes ~20 min on 2 cores, a cached run 1 s',
      ],
    },
    { title: 'Exit status', lines: ['0 every tool is there, 1 a build failed (or --status found one missing), 2 a usage error'] },
  ],
});

await runCommand(command, async ({ values }) => {
  const { cacheDir } = readConfig();
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (only ?? []).filter((n) => !(goToolNames as string[]).includes(n));
  if (unknown.length) throw usageError(command, `--only ${values.only}: no tool ${unknown.join(', ')}; choose from ${goToolNames.join(', ')}`);
  const names = (only ?? goToolNames) as GoToolName[];
  if (values.status) {
    const status = (await goToolsStatus({ cacheDir })).filter((t) => names.includes(t.name));
    for (const t of status)
      console.log(`${t.cached ? 'cached ' : 'missing'}  ${t.name} ${t.version}  ${t.cached ? t.binary : `(would be built into ${t.dir})`}`);
    const missing = status.filter((t) => !t.cached).length;
    console.log(missing ? `${missing} of ${status.length} missing: npm run kube-tools builds them` : `all ${status.length} cached in ${goToolsDir(cacheDir)}`);
    return missing ? 1 : 0;
  }
  const started = Date.now();
  const tools = await ensureGoTools(names, { cacheDir, log: logger('kube-tools') });
  for (const name of names) console.log(`${name} ${goToolPins[name].version}  ${tools.bin[name]}`);
  console.log(`${names.length} tools ready (Go ${tools.goVersion}) in ${formatDuration(Date.now() - started)}`);
  return 0;
});
