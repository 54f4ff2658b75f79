/** Preflight checks: every prerequisite found or named as missing, all at once, before anything is created. */
import { PrerequisiteError } from './errors.js';
import type { PreflightCheck } from './platform.js';

/** Throws one PrerequisiteError naming every failed check, or returns the checks. */
export function requireChecks(component: string, checks: PreflightCheck[]): PreflightCheck[] {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    throw new PrerequisiteError(component, 'missing prerequisites (nothing was created)', failed.map((c) => `- ${c.name}: ${c.detail}`).join('\n'));
  }
  return checks;
}
