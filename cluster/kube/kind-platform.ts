import { HarnessError } from '../errors.js';
import type { PlatformDriver, PreflightCheck, Stack, StackState } from '../platform.js';

/** Placeholder until the kind driver lands (issue 4): says so instead of pretending. */
export class KindDriver implements PlatformDriver {
  readonly name = 'kind' as const;
  private unavailable(): never {
    throw new HarnessError('kind', 'the kind platform is not implemented yet; use --platform local');
  }
  async preflight(): Promise<PreflightCheck[]> { return this.unavailable(); }
  async up(): Promise<StackState> { return this.unavailable(); }
  async attach(): Promise<Stack> { return this.unavailable(); }
  async down(): Promise<void> {}
}
