/**
 * The matrix as an Allure report: one test per cell, its versions as parameters (so Allure's
 * history follows a cell across nights and shows when a version moved), its result as the status
 * (failed: broken flow; broken: changed output or unresolvable; skipped: unrunnable here), and its
 * run's log and versions as attachments. Written as allure-results files, the format every Allure
 * reader takes; `npx allure generate` makes the HTML.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resultLabel, whyLine, type CellResult, type MatrixReport } from './table.js';

type AllureStatus = 'passed' | 'failed' | 'broken' | 'skipped';

export function allureStatus(cell: CellResult): AllureStatus {
  if (cell.result === 'passed') return 'passed';
  if (cell.result === 'failed') return cell.failure?.kind === 'changed output' ? 'broken' : 'failed';
  if (cell.result === 'unresolvable') return 'broken';
  return 'skipped';
}

const md5 = (text: string) => crypto.createHash('md5').update(text).digest('hex');

/** Writes one result per cell (and its attachments) into `resultsDir`; returns the files written. */
export function writeAllureResults(resultsDir: string, report: MatrixReport, matrixDir: string): string[] {
  fs.mkdirSync(resultsDir, { recursive: true });
  const written: string[] = [];
  const started = Date.parse(report.asOf) || Date.now();
  for (const cell of report.cells) {
    const uuid = crypto.randomUUID();
    const attachments: Array<{ name: string; source: string; type: string }> = [];
    const attach = (name: string, body: string, type = 'text/plain', ext = 'txt') => {
      const source = `${crypto.randomUUID()}-attachment.${ext}`;
      fs.writeFileSync(path.join(resultsDir, source), body);
      attachments.push({ name, source, type });
    };
    attach('versions', `${JSON.stringify({ resolved: cell.versions, running: cell.running ?? null }, null, 2)}\n`, 'application/json', 'json');
    if (cell.details) attach('reason', cell.details);
    if (cell.log && fs.existsSync(path.join(matrixDir, cell.log))) attach('run log', fs.readFileSync(path.join(matrixDir, cell.log), 'utf8'));
    const result = {
      uuid,
      historyId: md5(`matrix:${cell.name}`),
      testCaseId: md5(`matrix:${cell.name}`),
      name: `${cell.name}: ${cell.title}`,
      fullName: `matrix/${cell.name}`,
      status: allureStatus(cell),
      statusDetails:
        cell.result === 'passed' ? {} : { message: `${resultLabel(cell)} — ${whyLine(cell)}`, trace: cell.details ?? cell.failure?.checks.join('\n') ?? '' },
      stage: 'finished',
      steps: [],
      attachments,
      parameters: [{ name: 'asked', value: cell.asked }, ...Object.entries(cell.versions).map(([name, value]) => ({ name, value }))],
      labels: [
        { name: 'parentSuite', value: 'compatibility matrix' },
        { name: 'suite', value: cell.result },
        { name: 'framework', value: 'npm run matrix' },
      ],
      links: [],
      start: started,
      stop: started + cell.timing.prepareMs + (cell.timing.runMs ?? 0),
    };
    const file = path.join(resultsDir, `${uuid}-result.json`);
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    written.push(file);
  }
  const env = {
    date: report.date,
    'PyPI as of': report.asOf,
    'matrix file': report.matrixFile,
    cores: String(report.machine.cores),
    node: report.machine.node,
    load: report.machine.uptime,
  };
  fs.writeFileSync(
    path.join(resultsDir, 'environment.properties'),
    `${Object.entries(env)
      .map(([k, v]) => `${k.replace(/([=: #!])/g, '\\$1')}=${v.replace(/\\/g, '\\\\')}`)
      .join('\n')}\n`,
  );
  return written;
}
