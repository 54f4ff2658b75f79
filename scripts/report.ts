// `npm run report [-- <run-id>] [--open] [--port N]`: the Allure 3 report of a run (default: the
// latest), generated offline by the `allure` package into e2e-output/<run-id>/allure-report as one
// self-contained index.html and, with --open, served on 127.0.0.1 until Ctrl-C.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { readConfig } from '../cluster/config.js';
import { HarnessError } from '../cluster/errors.js';
import { invocationOf, writeAllureEnvironment } from '../reporters/allure-environment.js';
import { allure3Categories } from '../reporters/failure-categories.js';
import { defineCommand, runCommand, wholeNumber } from './lib/command.js';

const command = defineCommand({
  name: 'report',
  summary: "Make a run's Allure 3 report (one self-contained index.html), offline; --open serves it on 127.0.0.1.",
  options: {
    open: { type: 'boolean', description: 'serve the report afterwards on 127.0.0.1 (Ctrl-C to stop)' },
    port: { type: 'string', value: '<n>', description: 'the port to serve it on (default: a free one)' },
  },
  positionals: [{ name: 'run-id', description: 'the run whose report to make (default: the latest, e2e-output/latest)' }],
});

await runCommand(command, async ({ values, positionals }) => {
  const port = values.port === undefined ? 0 : wholeNumber(command, 'port', values.port, 1, 65535);
  const config = readConfig();
  const asked = path.join(config.outputDir, positionals[0] ?? 'latest');
  if (!fs.existsSync(asked)) {
    const runs = fs.existsSync(config.outputDir) ? fs.readdirSync(config.outputDir).filter((n) => n.startsWith('e2e-')) : [];
    throw new HarnessError(
      'report',
      `no run output at ${asked}`,
      runs.length
        ? `the latest runs there: ${runs.sort().slice(-10).join(', ')}${runs.length > 10 ? ` (${runs.length} in all)` : ''}`
        : `there are no runs under ${config.outputDir}`,
    );
  }
  const outputDir = fs.realpathSync(asked);
  // A rerun's output is <run-id>/reruns/<n>: it is named as the run's rerun n, not as "run n".
  const invocation = invocationOf(outputDir);
  const runId = invocation.runId ?? path.basename(outputDir);
  const runName = invocation.rerun ? `${runId} rerun ${invocation.rerun}` : runId;
  const resultsDir = path.join(outputDir, 'allure-results');
  if (!fs.existsSync(resultsDir)) {
    throw new HarnessError('report', `run ${runName} has no Allure results (${resultsDir}); it ran before the Allure reporter, or did not start`);
  }

  // Also for runs that stopped before the end-of-run reporter wrote it.
  await writeAllureEnvironment(resultsDir, outputDir, runId, config.platform);

  const reportDir = path.join(outputDir, 'allure-report');
  const configFile = path.join(outputDir, 'allurerc.json');
  const reportName = `nbgrader + ngshare e2e · ${runName}`;
  fs.writeFileSync(
    configFile,
    `${JSON.stringify(
      {
        name: reportName,
        output: reportDir,
        categories: allure3Categories(),
        plugins: { awesome: { options: { reportName, singleFile: true, groupBy: ['parentSuite', 'suite', 'subSuite'] } } },
      },
      null,
      2,
    )}\n`,
  );

  const generated = await execa('npx', ['allure', 'generate', resultsDir, '--config', configFile, '--output', reportDir], { all: true, reject: false });
  if (generated.exitCode !== 0) throw new HarnessError('report', `allure generate failed (exit ${generated.exitCode})`, generated.all ?? '');
  console.log(`Allure report of run ${runName}: ${path.join(reportDir, 'index.html')}`);

  if (values.open) await serve(reportDir, port);
  return 0;
});

/**
 * Serve the report on 127.0.0.1 only (`allure open` listens on every interface) until Ctrl-C. The
 * report is one self-contained index.html, so a plain file server is all it needs.
 */
async function serve(dir: string, port: number): Promise<void> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.json': 'application/json',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.png': 'image/png',
    '.svg': 'image/svg+xml',
  };
  const server = http.createServer((req, res) => {
    const wanted = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/$/, '/index.html');
    const file = path.join(dir, path.normalize(wanted));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  console.log(`Serving it on http://127.0.0.1:${(server.address() as AddressInfo).port}/ (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  server.close();
}
