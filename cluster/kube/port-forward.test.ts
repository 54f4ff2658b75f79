/**
 * The detached port-forward process: it starts, listens on 127.0.0.1 only, is recorded in the
 * run's ledger, and goes when teardown stops it. The cluster here is a closed loopback port, so a
 * connection through it is closed rather than forwarded.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { openRun } from '../run/index.js';
import { waitFor } from '../wait.js';
import { startForwardDaemon, stopForwardDaemon } from './port-forward.js';
import { tempTree } from '../../fixtures/fakes.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the forwarder runs detached on 127.0.0.1, is in the ledger, and stops when told', async () => {
  test.setTimeout(60_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-run-'));
  const run = openRun(readConfig({ E2E_ROOT_DIR: root, E2E_CACHE_DIR: path.join(root, 'cache') }));
  const dir = tempTree('pf-kubeconfig-', {
    config:
      'apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n  - name: c\n    cluster:\n      server: https://127.0.0.1:1\nusers:\n  - name: u\n    user: {}\ncontexts:\n  - name: x\n    context: {cluster: c, user: u}\n',
  });
  const { pid, port } = await startForwardDaemon(run, {
    target: { kubeconfig: path.join(dir, 'config'), context: 'x' },
    namespace: 'jhub',
    labelSelector: 'component=proxy',
    podPort: 8000,
    portFile: run.dirs.path('port-forward.port'),
  });
  try {
    expect(port).toBeGreaterThan(0);
    expect(run.ledger.list()).toContainEqual({ kind: 'port-forward', pid });
    // No cluster behind it: the connection is accepted on loopback, then closed.
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('close', () => resolve(true));
      socket.on('error', () => resolve(true));
      setTimeout(() => resolve(false), 15_000);
    });
    expect(closed).toBe(true);
  } finally {
    stopForwardDaemon(pid, run.id);
  }
  await waitFor(async () => (alive(pid) ? undefined : true), { what: 'forwarder exited', timeoutMs: 10_000, intervalMs: 100 });
});
