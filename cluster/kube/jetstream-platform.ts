import { HarnessError } from '../errors.js';
import type { PlatformDriver, PreflightCheck, Stack, StackState } from '../platform.js';

/** Placeholder until the jetstream driver lands (issue 4): says so instead of pretending. */
export class JetstreamDriver implements PlatformDriver {
  readonly name = 'jetstream' as const;
  private unavailable(): never {
    throw new HarnessError('jetstream', 'the jetstream platform is not implemented yet; use --platform local');
  }
  async preflight(): Promise<PreflightCheck[]> { return this.unavailable(); }
  async up(): Promise<StackState> { return this.unavailable(); }
  async attach(): Promise<Stack> { return this.unavailable(); }
  async down(): Promise<void> {}
}
