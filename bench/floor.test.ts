import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { test, expect } from '@playwright/test';
import type { StartRecord } from '../cluster/platform.js';
import { prepareFloor, type FloorStack } from './floor.js';

const runId = 'e2e-20261202-101010-abcd';
const token = 'a'.repeat(64);

/** A run directory as the local platform leaves it, and the record of how its stack started. */
function recordedRun(port: number): FloorStack {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-floor-test-')), 'runs', runId);
  fs.mkdirSync(path.join(root, 'hub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'secrets.json'), JSON.stringify({ proxyAuthToken: token, cookieSecret: 'c'.repeat(64) }), { mode: 0o600 });
  fs.writeFileSync(
    path.join(root, 'hub', 'settings.json'),
    JSON.stringify({ hubDir: path.join(root, 'hub'), secretsFile: path.join(root, 'secrets.json'), serverEnvironment: { NBGRADER_E2E_STACK: runId } }),
    { mode: 0o600 },
  );
  const record: StartRecord = {
    root,
    files: ['secrets.json', 'hub/settings.json'],
    dirs: ['hub', 'proxy', 'logs', 'home/instructor1'],
    secretsFile: 'secrets.json',
    services: [
      {
        service: 'proxy',
        command: '/usr/bin/node',
        args: ['chp', '--api-port', String(port)],
        cwd: path.join(root, 'proxy'),
        env: { HOME: path.join(root, 'proxy'), LANG: 'C.UTF-8' },
        secretEnv: { CONFIGPROXY_AUTH_TOKEN: 'proxyAuthToken' },
        logFile: path.join(root, 'logs', 'proxy.log'),
        ready: [
          { url: `http://127.0.0.1:${port}/api/routes`, token: 'proxyAuthToken' },
          { url: `http://127.0.0.1:${port}/`, anyAnswer: true },
        ],
        after: [],
      },
      {
        service: 'hub',
        command: '/envs/hub/bin/jupyterhub',
        args: ['--config', '/repo/cluster/local/jupyterhub_config.py'],
        cwd: path.join(root, 'hub'),
        env: { HOME: path.join(root, 'hub'), E2E_HUB_SETTINGS: path.join(root, 'hub', 'settings.json') },
        secretEnv: { CONFIGPROXY_AUTH_TOKEN: 'proxyAuthToken', JPY_COOKIE_SECRET: 'cookieSecret' },
        logFile: path.join(root, 'logs', 'hub.log'),
        ready: [{ url: `http://127.0.0.1:${port}/hub/api/` }],
        after: ['proxy'],
      },
    ],
  };
  return {
    info: { runId, hubApiUrl: `http://127.0.0.1:${port}/hub/api`, users: { instructor: 'instructor1', student: 'student1' }, courseId: 'course101' },
    hubToken: 'h'.repeat(64),
    record,
  };
}

test("the floor's directory: the stack's files copied with the run's paths and id moved, and its services as shell functions", () => {
  const stack = recordedRun(1);
  const work = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-floor-work-')), 'w');
  prepareFloor(stack, work, 'floor-w');
  const settings = fs.readFileSync(path.join(work, 'hub', 'settings.json'), 'utf8');
  expect(settings).not.toContain(stack.record.root);
  expect(JSON.parse(settings)).toEqual({
    hubDir: path.join(work, 'hub'),
    secretsFile: path.join(work, 'secrets.json'),
    serverEnvironment: { NBGRADER_E2E_STACK: 'floor-w' },
  });
  for (const dir of stack.record.dirs) expect(fs.statSync(path.join(work, dir)).isDirectory()).toBe(true);
  expect(fs.statSync(path.join(work, 'secrets.json')).mode & 0o777).toBe(0o600);
  const env = fs.readFileSync(path.join(work, 'floor.env'), 'utf8');
  expect(fs.statSync(path.join(work, 'floor.env')).mode & 0o777).toBe(0o600);
  const code = env.slice(env.indexOf('\n')); // past the comment that names the run it came from
  expect(code).not.toContain(stack.record.root);
  expect(code).not.toContain(runId);
  expect(env).toContain(
    `start_hub() { cd ${work}/hub && exec setsid env -i HOME=${work}/hub E2E_HUB_SETTINGS=${work}/hub/settings.json CONFIGPROXY_AUTH_TOKEN=${token} JPY_COOKIE_SECRET=${'c'.repeat(64)} NBGRADER_E2E_STACK=floor-w /envs/hub/bin/jupyterhub --config /repo/cluster/local/jupyterhub_config.py >>${work}/logs/hub.log 2>&1; }`,
  );
  expect(env).toContain(`after[hub]=proxy`);
});

test('a record that names a secret the run does not have is a named error', () => {
  const stack = recordedRun(1);
  stack.record.services[0].secretEnv = { CONFIGPROXY_AUTH_TOKEN: 'noSuchSecret' };
  expect(() => prepareFloor(stack, fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-floor-work-')), 'floor-x')).toThrow(
    'floor: the run\'s secrets file has no "noSuchSecret", which its start record names',
  );
});

test("floor.env as bash sources it: the services in order, each one's readiness the recorded probes with its token", async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization ?? '-'}`);
    if (req.url === '/api/routes') res.writeHead(req.headers.authorization === `token ${token}` ? 200 : 403).end();
    else res.writeHead(503).end(); // the proxy's public port before the hub is up: any answer will do
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-floor-work-'));
    prepareFloor(recordedRun(port), work, 'floor-y');
    const script = `source ${work}/floor.env; echo "\${services[*]}|\${after[hub]}|$instructor|$course"; ready_proxy && echo proxy-ready; ready_hub || echo hub-not-ready`;
    const { stdout } = await execa('bash', ['-c', script]);
    expect(stdout.split('\n')).toEqual(['proxy hub|proxy|instructor1|course101', 'proxy-ready', 'hub-not-ready']);
    expect(seen).toEqual([`/api/routes token ${token}`, '/ -', '/hub/api/ -']);
  } finally {
    server.close();
  }
});
