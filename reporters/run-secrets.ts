/**
 * Redaction with a run's secrets for reporters, which run in Playwright's runner: the secrets are
 * made in the setup project's worker, so they are read from the run's secrets.json again whenever
 * it has changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { redact, registerSecrets } from '../cluster/redact.js';

export class RunSecrets {
  private seen = 0;

  /** `runDir`: .e2e/runs/<run-id>, where secrets.json is. */
  constructor(private readonly runDir: string) {}

  redact(text: string): string {
    const file = path.join(this.runDir, 'secrets.json');
    const changed = fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
    if (changed !== this.seen) {
      try {
        registerSecrets(Object.values(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>));
        this.seen = changed;
      } catch {
        // Caught mid-write: read it next time.
      }
    }
    return redact(text);
  }
}
