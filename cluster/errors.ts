/**
 * Errors the harness raises on purpose. Each names the component that failed, so a red run says
 * where to look ("ngshare: not ready after 30 s; last: connection refused").
 */
export class HarnessError extends Error {
  constructor(
    readonly component: string,
    message: string,
    /** Extra lines for a person: the tail of a log, the last state seen. */
    readonly details?: string,
  ) {
    super(`${component}: ${message}${details ? `\n${details}` : ''}`);
    this.name = 'HarnessError';
  }
}

/** A prerequisite of the chosen platform is missing or too old; raised before anything is created. */
export class PrerequisiteError extends HarnessError {
  constructor(component: string, message: string, details?: string) {
    super(component, message, details);
    this.name = 'PrerequisiteError';
  }
}

/** A port chosen free was taken by another program before the service could bind it. */
export class PortInUseError extends HarnessError {
  constructor(component: string, port: number, details?: string) {
    super(component, `port ${port} on 127.0.0.1 is already in use by another program`, details);
    this.name = 'PortInUseError';
  }
}

/** A bounded wait ran out. */
export class WaitTimeoutError extends HarnessError {
  constructor(what: string, seconds: number, last: string) {
    super('wait', `${what} not ready after ${seconds} s`, `last: ${last}`);
    this.name = 'WaitTimeoutError';
  }
}

/** The user gave the harness something it cannot use (flag, platform, file). */
export class UsageError extends HarnessError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
