/**
 * What the stack's own logs say about a rush: ngshare's errors (tornado logs every 4xx and 5xx
 * answer and every uncaught exception, a locked SQLite database among them), the hub's rate limits
 * (429) and errors, the proxy's failures to reach ngshare, and how long the hub took to answer
 * ngshare's token checks (ngshare asks the hub's /hub/api/user once per request, and waits).
 * Pure; unit-tested in logs.test.ts.
 */
import { percentile } from './stats.js';

export interface LogScan {
  ngshare: { errors5xx: number; errors4xx: number; databaseLocked: number; uncaught: number; examples: string[] };
  hub: {
    rateLimited: number;
    errors5xx: number;
    tokenChecks: number;
    tokenCheckP50Ms?: number;
    tokenCheckP95Ms?: number;
    tokenCheckMaxMs?: number;
    examples: string[];
  };
  proxy: { errors: number; examples: string[] };
}

function firstLines(lines: string[], max = 3): string[] {
  return lines.slice(0, max).map((l) => l.trim().slice(0, 300));
}

export function scanServiceLogs(logs: { ngshare?: string; hub?: string; proxy?: string }): LogScan {
  const ngshare = (logs.ngshare ?? '').split('\n');
  const hub = (logs.hub ?? '').split('\n');
  const proxy = (logs.proxy ?? '').split('\n');
  // tornado's access log: "500 POST /services/ngshare/api/submission/c/ps1 (127.0.0.1) 12.34ms"
  const ng5 = ngshare.filter((l) => /(^|\s)5\d\d (GET|POST|DELETE|PUT) \//.test(l));
  const ng4 = ngshare.filter((l) => /(^|\s)4\d\d (GET|POST|DELETE|PUT) \//.test(l));
  const locked = ngshare.filter((l) => /database is locked/i.test(l));
  const uncaught = ngshare.filter((l) => /Uncaught exception/i.test(l));
  // JupyterHub: "[I 2026-12-02 05:57:54.891 JupyterHub log:192] 200 GET /hub/api/user (student1@127.0.0.1) 16.37ms"
  const hub429 = hub.filter((l) => /\] 429 |Too many users trying|Active user limit exceeded/.test(l));
  const hub5 = hub.filter((l) => /\] 5\d\d (GET|POST|DELETE|PATCH|PUT) /.test(l));
  const checks = hub.flatMap((l) => {
    const m = /\] \d{3} GET \/hub\/api\/user(?:\?[^ ]*)? \([^)]*\) ([\d.]+)ms/.exec(l);
    return m ? [Number(m[1])] : [];
  });
  const proxyErrors = proxy.filter(
    (l) => /error|ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT/i.test(l) && !/Adding route|Route added|Removing route/.test(l),
  );
  return {
    ngshare: {
      errors5xx: ng5.length,
      errors4xx: ng4.length,
      databaseLocked: locked.length,
      uncaught: uncaught.length,
      examples: firstLines([...locked, ...uncaught, ...ng5, ...ng4]),
    },
    hub: {
      rateLimited: hub429.length,
      errors5xx: hub5.length,
      tokenChecks: checks.length,
      tokenCheckP50Ms: percentile(checks, 50),
      tokenCheckP95Ms: percentile(checks, 95),
      tokenCheckMaxMs: checks.length ? Math.max(...checks) : undefined,
      examples: firstLines([...hub429, ...hub5]),
    },
    proxy: { errors: proxyErrors.length, examples: firstLines(proxyErrors) },
  };
}
