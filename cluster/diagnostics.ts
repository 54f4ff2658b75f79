/**
 * A diagnostics bundle being written, the same way on every platform: every file is redacted, and
 * a part that cannot be collected (a pod gone, a hub not answering) is recorded as
 * `<name>.error.txt` instead of ending the bundle: a broken stack is when it matters most.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from './errors.js';
import { redact, redactValue } from './redact.js';

export class DiagnosticsBundle {
  readonly files: string[] = [];

  constructor(readonly dir: string) {}

  write(name: string, text: string): void {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, redact(text));
    this.files.push(file);
  }

  /** JSON with secret-named keys masked as well. */
  json(name: string, value: unknown): void {
    this.write(name, `${JSON.stringify(redactValue(value), null, 2)}\n`);
  }

  async section(name: string, collect: () => Promise<void>): Promise<void> {
    try {
      await collect();
    } catch (err) {
      this.write(`${name}.error.txt`, `${errorMessage(err)}\n`);
    }
  }
}
