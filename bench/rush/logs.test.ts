import { test, expect } from '@playwright/test';
import { scanServiceLogs } from './logs.js';

test("the stack's logs give ngshare's errors, the hub's rate limits and the time of ngshare's token checks", () => {
  const ngshare = [
    'Uncaught exception POST /services/ngshare/submission/c/ps1 (127.0.0.1)',
    'sqlite3.OperationalError: database is locked',
    '500 POST /services/ngshare/submission/c/ps1 (127.0.0.1) 5012.33ms',
    '404 GET /services/ngshare/assignment/c/ps2 (127.0.0.1) 3.10ms',
  ].join('\n');
  const hub = [
    '[I 2026-12-02 05:57:54.891 JupyterHub log:192] 200 GET /hub/api/user (s1@127.0.0.1) 10.00ms',
    '[I 2026-12-02 05:57:54.991 JupyterHub log:192] 200 GET /hub/api/user (s2@127.0.0.1) 30.00ms',
    '[I 2026-12-02 05:57:55.091 JupyterHub log:192] 200 GET /hub/api/users/s2 (e2e-harness@127.0.0.1) 99.00ms',
    '[W 2026-12-02 05:57:55.191 JupyterHub log:192] 429 POST /hub/api/users/s3/server (e2e-harness@127.0.0.1) 2.00ms',
  ].join('\n');
  const proxy =
    '2026-12-02T05:57:55.572Z [ConfigProxy] error: 503 GET /services/ngshare/submission/c/ps1 socket hang up\n2026-12-02T05:57:55.572Z [ConfigProxy] info: Route added /user/s1';
  const scan = scanServiceLogs({ ngshare, hub, proxy });
  expect(scan.ngshare).toMatchObject({ errors5xx: 1, errors4xx: 1, databaseLocked: 1, uncaught: 1 });
  expect(scan.ngshare.examples[0]).toBe('sqlite3.OperationalError: database is locked');
  expect(scan.hub).toMatchObject({ rateLimited: 1, errors5xx: 0, tokenChecks: 2, tokenCheckP50Ms: 10, tokenCheckP95Ms: 30, tokenCheckMaxMs: 30 });
  expect(scan.proxy.errors).toBe(1);
});

test('quiet logs give zeros, not errors', () => {
  const scan = scanServiceLogs({});
  expect(scan.ngshare).toMatchObject({ errors5xx: 0, databaseLocked: 0 });
  expect(scan.hub).toMatchObject({ tokenChecks: 0, tokenCheckP95Ms: undefined });
});
