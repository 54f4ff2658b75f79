/**
 * A scenario's data checks, kept apart from its goldens: what must be true of the data whatever the
 * commands print (an assignment stored and listed, files fetched, a submission collected, notebooks
 * autograded). A failing golden with every data check passed is changed output; a data check that
 * failed or was never reached is a broken flow. The scenario declares its checks first, so a check
 * never reached still shows, as "not reached".
 *
 *   e2e-output/<run>/checks.jsonl   one line per change of a check's status (appends: workers share it)
 *
 * summary.json lists them (`checks`), last status per check, in the order they were declared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../cluster/redact.js';

export type DataCheckStatus = 'passed' | 'failed' | 'not reached';

export interface DataCheckRecord {
  scenario: string;
  name: string;
  status: DataCheckStatus;
  /** Why it failed, in one line. */
  detail?: string;
}

const checksFile = (outputDir: string) => path.join(outputDir, 'checks.jsonl');

export class DataChecks {
  constructor(
    private readonly outputDir: string,
    private readonly scenario: string,
    private readonly names: readonly string[],
  ) {
    for (const name of names) this.append({ scenario, name, status: 'not reached' });
  }

  private append(record: DataCheckRecord): void {
    fs.mkdirSync(this.outputDir, { recursive: true });
    fs.appendFileSync(checksFile(this.outputDir), `${JSON.stringify(record)}\n`);
  }

  /** Runs the check, records its outcome, and returns its value or throws its error. */
  async verify<T>(name: string, check: () => T | Promise<T>): Promise<T> {
    if (!this.names.includes(name)) throw new Error(`data check "${name}" was not declared (declared: ${this.names.join(', ')})`);
    try {
      const value = await check();
      this.append({ scenario: this.scenario, name, status: 'passed' });
      return value;
    } catch (err) {
      const first = (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim()) ?? 'failed';
      // eslint-disable-next-line no-control-regex
      this.append({ scenario: this.scenario, name, status: 'failed', detail: redact(first.replace(/\u001b\[[0-9;]*m/g, '').trim()) });
      throw err;
    }
  }
}

/** Each declared check with its last status, in the order declared. */
export function readDataChecks(outputDir: string): DataCheckRecord[] {
  const file = checksFile(outputDir);
  if (!fs.existsSync(file)) return [];
  const last = new Map<string, DataCheckRecord>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    try {
      const r = JSON.parse(line) as DataCheckRecord;
      last.set(`${r.scenario}\u0000${r.name}`, r);
    } catch {
      // a line cut short by a killed run: the earlier status stands
    }
  }
  return [...last.values()];
}
