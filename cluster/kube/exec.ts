/**
 * `kubectl exec` without kubectl: a command in container `notebook` of the user's pod, run the way
 * the local platform runs it (`bash -c <command>`, no tty, no stdin, cwd = home unless told), with
 * stdout and stderr captured apart and together in arrival order, and the exit code read from the
 * exec protocol's status channel.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { V1Status } from '@kubernetes/client-node';
import { HarnessError } from '../errors.js';
import { shellQuote } from '../shell.js';

/**
 * The argv sent to the pod: `cd` to the working directory first (a missing directory fails the
 * command, as it would in a terminal), then the command itself, unchanged, on its own line; and
 * `env -u NAME` for every variable the caller wants gone (troubleshooting: "outside a user server").
 */
export function execArgv(command: string, cwd: string, unsetEnv: string[] = []): string[] {
  const script = `cd -- ${shellQuote(cwd)} || exit\n${command}`;
  const unset = unsetEnv.flatMap((name) => ['-u', name]);
  return unset.length ? ['env', ...unset, 'bash', '-c', script] : ['bash', '-c', script];
}

/** Resolves `cwd` against the user's home, as the local platform does (POSIX paths: it is a pod). */
export function resolveCwd(home: string, cwd: string | undefined): string {
  return path.posix.resolve(home, cwd ?? '.');
}

/**
 * The exit code the status channel reports: Success is 0; a non-zero exit is a Failure whose cause
 * `ExitCode` carries the number. kwok (a simulated node, whose exec runs a mapped local command)
 * reports a non-zero exit as a 500 InternalError ending in `cmd wait: <argv>: exit status N`
 * instead: that is an exit too. Any other failure (no such container, exec refused, kwok's "no
 * exec found") is not a command's exit: it is an error of the harness.
 */
export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (status.reason === 'NonZeroExitCode' && code !== undefined && /^\d+$/.test(code)) return Number(code);
  const kwok = /cmd wait: [\s\S]*: exit status (\d+)\s*$/.exec(status.message ?? '');
  if (status.reason === 'InternalError' && kwok) return Number(kwok[1]);
  throw new HarnessError('exec', `the pod refused the command: ${status.message ?? status.reason ?? 'unknown failure'}`);
}

/** The part of @kubernetes/client-node's Exec the harness uses (tests give a fake). */
export interface ExecApi {
  exec(
    namespace: string,
    podName: string,
    containerName: string,
    command: string | string[],
    stdout: Writable | null,
    stderr: Writable | null,
    stdin: null,
    tty: boolean,
    statusCallback?: (status: V1Status) => void,
  ): Promise<{ on(event: 'close', cb: () => void): unknown; on(event: 'error', cb: (err: Error) => void): unknown; close(): void; readyState?: number }>;
}

export interface PodExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  output: string;
  timedOut: boolean;
}

export async function execInPod(
  api: ExecApi,
  target: { namespace: string; pod: string; container: string },
  argv: string[],
  timeoutMs: number,
): Promise<PodExecResult> {
  const text = { stdout: '', stderr: '', output: '' };
  const sink = (name: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        const s = decoder.write(chunk);
        text[name] += s;
        text.output += s;
        done();
      },
      final(done) {
        const s = decoder.end();
        text[name] += s;
        text.output += s;
        done();
      },
    });
  };
  const stdout = sink('stdout');
  const stderr = sink('stderr');
  let status: V1Status | undefined;
  let timedOut = false;
  const socket = await api.exec(target.namespace, target.pod, target.container, argv, stdout, stderr, null, false, (s) => {
    status = s;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      socket.close();
      resolve();
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(new HarnessError('exec', `connection to ${target.pod} failed: ${err.message}`));
    });
    if (socket.readyState === 3 /* CLOSED before we listened */) {
      clearTimeout(timer);
      resolve();
    }
  });
  stdout.end();
  stderr.end();
  await Promise.all([finished(stdout), finished(stderr)]);
  if (timedOut) return { exitCode: -1, ...text, timedOut };
  if (!status) throw new HarnessError('exec', `${target.pod}: the connection closed without an exit status`, text.output.slice(-2000));
  return { exitCode: exitCodeOf(status), ...text, timedOut };
}
