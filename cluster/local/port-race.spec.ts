/**
 * The local driver's own tests of a port lost between choosing and binding it: another program (a
 * second run, anything) takes a free port after the driver chose it and before its service binds
 * it. Each test gives the driver a port picker that does exactly that to one service on the first
 * attempt (it listens on the port it hands out), brings a real stack up, and checks that the
 * driver said so and started everything again on new ports, and that the stack came up.
 *
 * Each service meets a taken port its own way: the proxy logs it and keeps its API up, the hub and
 * ngshare (tornado) exit. In the `faults` project (real stacks), not `unit`.
 */
import net from 'node:net';
import { test as base, expect } from '@playwright/test';
import { readConfig } from '../config.js';
import { bringUp, tearDown } from '../lifecycle.js';
import { freePort, type PortPicker } from '../ports.js';
import { findRunProcesses } from '../processes.js';
import { openRun, type Run } from '../run/index.js';
import type { LocalState } from './local-details.js';
import { LocalDriver } from './local-driver.js';

base.describe.configure({ mode: 'parallel' });
base.setTimeout(4 * 60_000);

/** A picker that, the first time it is asked for `purpose`, hands out a port it then listens on itself. */
class RacingPicker {
  readonly taken: number[] = [];
  private readonly servers: net.Server[] = [];

  constructor(private readonly purpose: string) {}

  readonly pick: PortPicker = async (purpose) => {
    const port = await freePort(purpose);
    if (purpose === this.purpose && this.taken.length === 0) {
      const server = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      this.servers.push(server);
      this.taken.push(port);
    }
    return port;
  };

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

interface RaceFixtures {
  /** A run of this test's own (state and output under its output path); torn down after the test. */
  run: Run;
  /** A picker that takes the named service's first port; its ports are freed after the test. */
  racingPicker: (purpose: string) => RacingPicker;
  /** What the harness printed while the test ran (the driver's progress lines go to stderr). */
  printed: { text: string };
}

const test = base.extend<RaceFixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  racingPicker: async ({}, use) => {
    const pickers: RacingPicker[] = [];
    await use((purpose) => {
      const picker = new RacingPicker(purpose);
      pickers.push(picker);
      return picker;
    });
    await Promise.all(pickers.map((p) => p.close()));
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  printed: async ({}, use) => {
    const printed = { text: '' };
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      printed.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return write(chunk, ...rest);
    };
    await use(printed);
    process.stderr.write = write;
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern: none.
  run: async ({}, use, testInfo) => {
    const config = readConfig({
      ...process.env,
      E2E_PLATFORM: 'local',
      E2E_RUN_ID: '',
      E2E_HUB_PORT: '',
      E2E_KEEP: '',
      E2E_VARIANT: '',
      E2E_STATE_DIR: testInfo.outputPath('state'),
      E2E_OUTPUT_DIR: testInfo.outputPath('output'),
    });
    const run = openRun(config);
    await use(run);
    await tearDown(run);
    expect(findRunProcesses(run.id), 'processes of the run after teardown').toEqual([]);
  },
});

for (const service of ['proxy', 'hub', 'ngshare'] as const) {
  test(`a port taken by another program between choosing and binding it (${service}): retried on new ports`, async ({ run, printed, racingPicker }) => {
    const picker = racingPicker(service);
    const state = (await bringUp(run, {}, new LocalDriver({ pickPort: picker.pick }))) as LocalState;
    expect(picker.taken, `the picker took a ${service} port`).toHaveLength(1);
    const [taken] = picker.taken;
    expect(printed.text).toMatch(
      new RegExp(
        `${service}: port ${taken} on 127\\.0\\.0\\.1 is already in use by another program: another program took it after it was chosen; new ports \\(attempt 2 of 3\\)`,
      ),
    );
    expect(printed.text).not.toMatch(/attempt 3 of 3/);
    // Up, on other ports: the hub answers through the proxy, and the taken port is no service's.
    expect(Object.values(state.details.ports)).not.toContain(taken);
    const hub = await fetch(`${state.hubApiUrl}/`);
    expect(hub.status).toBe(200);
    expect(findRunProcesses(run.id).length).toBeGreaterThan(0);
  });
}
