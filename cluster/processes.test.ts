// Stopping processes: a frozen one (SIGSTOP, as the freeze faults and a hung service leave it)
// ends on SIGTERM like any other, within the grace, without SIGKILL.
import { spawn } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { isAlive, stopProcesses } from './processes.js';

/** A process that exits on SIGTERM once it has noted it (what a service's own handler does). */
function politeProcess(): { pid: number; exited: Promise<string | null> } {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);"], {
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise<string | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? String(code))));
  return { pid: child.pid!, exited };
}

test('a frozen process group stops on SIGTERM within the grace, without SIGKILL', async () => {
  const p = politeProcess();
  await new Promise((resolve) => setTimeout(resolve, 300)); // its handler is in place
  process.kill(-p.pid, 'SIGSTOP');
  const started = Date.now();
  const killed = await stopProcesses([p.pid], { group: true, graceMs: 5_000 });
  expect(killed, 'needed SIGKILL').toEqual([]);
  expect(await p.exited).toBe('0');
  expect(isAlive(p.pid)).toBe(false);
  expect(Date.now() - started).toBeLessThan(4_000);
});

test('a process that ignores SIGTERM is killed at the end of the grace, and named', async () => {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"], { detached: true, stdio: 'ignore' });
  const exited = new Promise<string | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? String(code))));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const killed = await stopProcesses([child.pid!], { group: true, graceMs: 500 });
  expect(killed).toEqual([child.pid]);
  expect(await exited).toBe('SIGKILL');
});
