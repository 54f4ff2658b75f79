/**
 * Progress lines for people ("platform: hub ready in 2.1 s") and debug lines per component,
 * which are off unless E2E_DEBUG names them (E2E_DEBUG=e2e:exec,e2e:platform or E2E_DEBUG=*).
 * Everything is redacted before it is printed.
 */
import { redact } from './redact.js';

const debugSpec = (process.env.E2E_DEBUG ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

function debugEnabled(ns: string): boolean {
  return debugSpec.some((s) => s === '*' || s === ns || (s.endsWith('*') && ns.startsWith(s.slice(0, -1))));
}

export interface Logger {
  /** A progress line: always printed. */
  info(message: string): void;
  warn(message: string): void;
  /** A detail line: printed only when E2E_DEBUG enables this namespace. */
  debug(message: string): void;
}

export function logger(component: string): Logger {
  const ns = `e2e:${component}`;
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    info: (m) => process.stderr.write(`${stamp()} ${component}: ${redact(m)}\n`),
    warn: (m) => process.stderr.write(`${stamp()} ${component}: WARNING ${redact(m)}\n`),
    debug: (m) => {
      if (debugEnabled(ns)) process.stderr.write(`${stamp()} ${ns} ${redact(m)}\n`);
    },
  };
}

/** Milliseconds to a short human string: 850 ms, 2.1 s, 3 min 05 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
