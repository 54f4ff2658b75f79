// `npm run report [-- <run-id>] [--open] [--port N]`: the Allure 3 report of a run (default: the
// latest), generated offline by the `allure` package into e2e-output/<run-id>/allure-report as one
// self-contained index.html and, with --open, served on 127.0.0.1 until Ctrl-C.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { readConfig } from '../cluster/config.js';
import { writeAllureEnvironment } from '../reporters/allure-environment.js';
import { allure3Categories } from '../reporters/failure-categories.js';

const usage = `Usage: npm run report -- [<run-id>] [--open] [--port <n>]

  <run-id>      the run whose report to make (default: the latest run, e2e-output/latest)
  --open        serve the report afterwards (Ctrl-C to stop)
  --port <n>    the port to serve it on (default: a free one)`;

function fail(message: string): never {
  console.error(`report: ${message}`);
  process.exit(1);
}

const options = { open: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
function parseCommandLine() {
  try {
    return parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options, allowPositionals: true });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${usage}`);
  }
}
const parsed = parseCommandLine();
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
if (parsed.positionals.length > 1) fail(`one run at a time\n\n${usage}`);

const config = readConfig();
const asked = path.join(config.outputDir, parsed.positionals[0] ?? 'latest');
if (!fs.existsSync(asked)) fail(`no run output at ${asked}; runs: ${fs.existsSync(config.outputDir) ? fs.readdirSync(config.outputDir).join(', ') : 'none'}`);
const outputDir = fs.realpathSync(asked);
const runId = path.basename(outputDir);
const resultsDir = path.join(outputDir, 'allure-results');
if (!fs.existsSync(resultsDir)) fail(`run ${runId} has no Allure results (${resultsDir}); it ran before the Allure reporter, or did not start`);

// Also for runs that stopped before the end-of-run reporter wrote it.
await writeAllureEnvironment(resultsDir, outputDir, runId, config.platform);

const reportDir = path.join(outputDir, 'allure-report');
const configFile = path.join(outputDir, 'allurerc.json');
const reportName = `nbgrader + ngshare e2e · ${runId}`;
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
if (generated.exitCode !== 0) fail(`allure generate failed (exit ${generated.exitCode}):\n${generated.all ?? ''}`);
console.log(`Allure report of run ${runId}: ${path.join(reportDir, 'index.html')}`);

if (parsed.values.open) await serve(reportDir, Number(parsed.values.port ?? 0));

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
