/**
 * The exec into a user's pod behaves like the local one: the same argv shape, stdout and stderr
 * apart and interleaved in arrival order, the exit code from the status channel, a bound. The
 * exec API is a fake that plays back what a pod would send.
 */
import { EventEmitter } from 'node:events';
import { test, expect } from '@playwright/test';
import type { V1Status } from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import { execArgv, execInPod, exitCodeOf, resolveCwd, type ExecApi } from './exec.js';

type Frame = ['out' | 'err', string | Buffer] | ['status', V1Status] | ['wait', number];

/** An exec API that sends `frames` in order, then closes, as the websocket does. */
function fakeExec(frames: Frame[], calls: unknown[][] = []): ExecApi {
  const api: ExecApi = {
    async exec(namespace, pod, container, command, stdout, stderr, _stdin, tty, onStatus) {
      calls.push([namespace, pod, container, command, tty]);
      const socket = Object.assign(new EventEmitter(), { close: () => socket.emit('close') });
      const play = async () => {
        for (const f of frames) {
          if (f[0] === 'wait') await new Promise((r) => setTimeout(r, f[1]));
          else if (f[0] === 'status') onStatus?.(f[1]);
          else (f[0] === 'out' ? stdout : stderr)!.write(typeof f[1] === 'string' ? Buffer.from(f[1]) : f[1]);
        }
        if (!frames.some((f) => f[0] === 'wait' && f[1] > 1000)) socket.emit('close');
      };
      setImmediate(() => void play());
      return socket;
    },
  };
  return api;
}

const target = { namespace: 'jhub', pod: 'jupyter-student1', container: 'notebook' };
const exitWith = (code: number): V1Status =>
  code === 0
    ? { status: 'Success' }
    : {
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: `command terminated with non-zero exit code: ${code}`,
        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
      };

test('the command runs as `bash -c`, in the working directory, with the variables to drop removed', () => {
  expect(execArgv('nbgrader list', '/home/jovyan')).toEqual(['bash', '-c', 'cd -- /home/jovyan || exit\nnbgrader list']);
  expect(execArgv('ngshare-course-management list_courses', '/home/jovyan/my course', ['JUPYTERHUB_USER', 'USER'])).toEqual([
    'env',
    '-u',
    'JUPYTERHUB_USER',
    '-u',
    'USER',
    'bash',
    '-c',
    "cd -- '/home/jovyan/my course' || exit\nngshare-course-management list_courses",
  ]);
  expect(resolveCwd('/home/jovyan', undefined)).toBe('/home/jovyan');
  expect(resolveCwd('/home/jovyan', 'course101')).toBe('/home/jovyan/course101');
  expect(resolveCwd('/home/jovyan', '/srv/data')).toBe('/srv/data');
});

test('stdout and stderr are kept apart and together, in the order they arrived, with the exit code', async () => {
  const calls: unknown[][] = [];
  const api = fakeExec(
    [
      ['err', '[ListApp | ERROR] ngshare service returned invalid status code 404.\n'],
      ['out', 'between\n'],
      ['err', '[ListApp | INFO] Released assignments:\n'],
      ['status', exitWith(0)],
    ],
    calls,
  );
  const r = await execInPod(api, target, ['bash', '-c', 'nbgrader list'], 5_000);
  expect(calls).toEqual([['jhub', 'jupyter-student1', 'notebook', ['bash', '-c', 'nbgrader list'], false]]);
  expect(r).toEqual({
    exitCode: 0,
    stdout: 'between\n',
    stderr: '[ListApp | ERROR] ngshare service returned invalid status code 404.\n[ListApp | INFO] Released assignments:\n',
    output: '[ListApp | ERROR] ngshare service returned invalid status code 404.\nbetween\n[ListApp | INFO] Released assignments:\n',
    timedOut: false,
  });
});

test('a character split across two frames is decoded whole', async () => {
  const bytes = Buffer.from('Grüße\n');
  const api = fakeExec([
    ['out', bytes.subarray(0, 3)],
    ['out', bytes.subarray(3)],
    ['status', exitWith(0)],
  ]);
  expect((await execInPod(api, target, ['true'], 5_000)).output).toBe('Grüße\n');
});

test("a non-zero exit is the command's exit code, read from the status channel", async () => {
  const r = await execInPod(
    fakeExec([
      ['err', 'Traceback …\n'],
      ['status', exitWith(255)],
    ]),
    target,
    ['x'],
    5_000,
  );
  expect(r.exitCode).toBe(255);
  expect(exitCodeOf(exitWith(2))).toBe(2);
});

test("kwok's way of saying a mapped command exited non-zero is an exit code too (what its v0.8.0 sends)", () => {
  const kwok: V1Status = {
    status: 'Failure',
    reason: 'InternalError',
    code: 500,
    message: "error executing command in container: cmd wait: [bash -c cd -- '/home/jovyan' || exit\nnbgrader list]: exit status 3",
  };
  expect(exitCodeOf(kwok)).toBe(3);
  expect(() => exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'no exec found for pod "a/b"' })).toThrow(
    'exec: the pod refused the command: no exec found for pod "a/b"',
  );
});

test('a refusal by the pod is an error of the harness, not an exit code', async () => {
  const refused: V1Status = { status: 'Failure', reason: 'InternalError', message: 'container notebook is not valid for pod jupyter-student1' };
  await expect(execInPod(fakeExec([['status', refused]]), target, ['x'], 5_000)).rejects.toThrow(
    'exec: the pod refused the command: container notebook is not valid for pod jupyter-student1',
  );
  await expect(execInPod(fakeExec([['out', 'partial']]), target, ['x'], 5_000)).rejects.toThrow(HarnessError);
});

test('a command past its bound is reported as timed out with what it printed so far', async () => {
  const r = await execInPod(
    fakeExec([
      ['out', 'working…\n'],
      ['wait', 10_000],
    ]),
    target,
    ['sleep', '60'],
    300,
  );
  expect(r).toMatchObject({ timedOut: true, exitCode: -1, output: 'working…\n' });
});
