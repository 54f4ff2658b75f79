/**
 * The run's secrets (tokens, passwords): made once, when the stack is brought up, and read back
 * from where they were written, a file of mode 0600 in the run directory. Every value is
 * registered for redaction as soon as it is made or read. Reading a secret that was never made is
 * an error, not a way to make one: a worker attaching to a stack must find the stack's own.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { HarnessError } from '../errors.js';
import { registerSecret } from '../redact.js';

export class SecretStore {
  private memory: Record<string, string> | undefined;

  /** A store in `file`; without a file, in memory only (a dry run's plan). */
  constructor(private readonly file?: string) {
    if (!file) this.memory = {};
  }

  private read(): Record<string, string> {
    if (this.memory) return this.memory;
    if (!fs.existsSync(this.file!)) return {};
    return JSON.parse(fs.readFileSync(this.file!, 'utf8')) as Record<string, string>;
  }

  private write(all: Record<string, string>): void {
    if (this.memory) this.memory = all;
    else fs.writeFileSync(this.file!, JSON.stringify(all, null, 2), { mode: 0o600 });
  }

  /** Makes each named secret that does not exist yet (32 random bytes, hex). */
  ensure(...names: string[]): void {
    const all = this.read();
    const missing = names.filter((n) => !all[n]);
    for (const name of missing) all[name] = crypto.randomBytes(32).toString('hex');
    if (missing.length) this.write(all);
    for (const name of names) registerSecret(all[name]);
  }

  has(name: string): boolean {
    return Boolean(this.read()[name]);
  }

  get(name: string): string {
    const value = this.read()[name];
    if (!value)
      throw new HarnessError('secrets', `the run has no secret "${name}"${this.file ? ` in ${this.file}` : ''}: it is made when the stack is brought up`);
    registerSecret(value);
    return value;
  }

  /** Stores a secret the run did not make (an operator's admin token, a minted user token). */
  set(name: string, value: string): void {
    this.write({ ...this.read(), [name]: value });
    registerSecret(value);
  }

  delete(name: string): void {
    const all = this.read();
    if (!(name in all)) return;
    delete all[name];
    this.write(all);
  }

  /** Registers every stored secret for redaction (a process that prints what the run wrote). */
  registerAll(): void {
    for (const value of Object.values(this.read())) registerSecret(value);
  }
}
