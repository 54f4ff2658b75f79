/**
 * The command-line tools the Kubernetes platforms drive (kind, helm, the docker CLI that kind calls,
 * openssl for kwok's control plane):
 * finding them and their versions before anything is created, and running them as argv arrays
 * through execa. A failed command becomes a HarnessError that starts with the tool and carries the
 * tail of its stderr: `helm: upgrade --install jhub failed (exit 1): …`.
 */
import { execa } from 'execa';
import { HarnessError, PrerequisiteError } from '../errors.js';
import { logger } from '../log.js';
import type { PreflightCheck } from '../platform.js';
import { redact } from '../redact.js';
import { kubeTools } from '../versions.js';
import { formatArgv } from '../shell.js';

export type ToolName = 'kind' | 'helm' | 'docker' | 'openssl';

interface ToolSpec {
  versionArgs: string[];
  pattern: RegExp;
  minimum: string;
  install: string;
}

const specs: Record<ToolName, ToolSpec> = {
  kind: {
    versionArgs: ['version'],
    pattern: /\bv?(\d+\.\d+\.\d+)/,
    minimum: kubeTools.kind.minimum,
    install: 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  },
  helm: {
    versionArgs: ['version', '--short'],
    pattern: /\bv?(\d+\.\d+\.\d+)/,
    minimum: kubeTools.helm.minimum,
    install: 'https://helm.sh/docs/intro/install/',
  },
  openssl: {
    // kwok's control plane makes its certificates with it.
    versionArgs: ['version'],
    pattern: /OpenSSL (\d+\.\d+\.\d+)/,
    minimum: '1.1.1',
    install: "your distribution's openssl package (apt-get install openssl)",
  },
  docker: {
    // The client only: the engine is checked through its API (docker.ts).
    versionArgs: ['--version'],
    pattern: /Docker version (\d+\.\d+\.\d+)/,
    minimum: kubeTools.docker.minimum,
    install: 'https://docs.docker.com/engine/install/',
  },
};

/** -1, 0 or 1, comparing dotted numeric versions (1.10.0 > 1.9.3). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The version a tool printed, or undefined when it printed something else. */
export function parseToolVersion(tool: ToolName, output: string): string | undefined {
  return specs[tool].pattern.exec(output)?.[1];
}

export interface ToolEnv {
  /** PATH to look the tools up in (tests point it at fake tools); default: this process's. */
  PATH?: string;
}

/** Finds each tool and checks its version; never throws (the caller decides what is fatal). */
export async function checkTools(names: ToolName[], env: ToolEnv = {}): Promise<PreflightCheck[]> {
  return Promise.all(
    names.map(async (name): Promise<PreflightCheck> => {
      const spec = specs[name];
      const result = await execa(name, spec.versionArgs, {
        reject: false,
        timeout: 15_000,
        env: env.PATH ? { PATH: env.PATH } : undefined,
        stdin: 'ignore',
      });
      if (result.failed && (result as { code?: string }).code === 'ENOENT') {
        return { name, ok: false, detail: `not found on PATH (need >= ${spec.minimum}; ${spec.install})` };
      }
      const printed = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
      const version = parseToolVersion(name, printed);
      if (result.exitCode !== 0 || !version) {
        return {
          name,
          ok: false,
          detail: `\`${name} ${spec.versionArgs.join(' ')}\` failed (exit ${result.exitCode ?? 'none'}): ${tail(printed, 3) || 'no output'}`,
        };
      }
      if (compareVersions(version, spec.minimum) < 0) {
        return { name, ok: false, detail: `${version} is too old (need >= ${spec.minimum}; ${spec.install})` };
      }
      return { name, ok: true, detail: `${version} (need >= ${spec.minimum})` };
    }),
  );
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface ToolRunOptions extends ToolEnv {
  timeoutMs?: number;
  /** What the error calls the command: "upgrade --install jhub". Default: the first two arguments. */
  label?: string;
  /** Extra words for a person after a known failure (e.g. how to fix a missing chart repo). */
  explain?: (stderr: string) => string | undefined;
}

/** Runs `tool args…` (argv, no shell); returns its output, or throws naming the tool and its stderr tail. */
export async function runTool(tool: ToolName, args: string[], options: ToolRunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const log = logger(tool);
  log.debug(`$ ${formatArgv([tool, ...args])}`);
  const result = await execa(tool, args, {
    reject: false,
    timeout: options.timeoutMs ?? 10 * 60_000,
    env: options.PATH ? { PATH: options.PATH } : undefined,
    stdin: 'ignore',
  });
  const label = options.label ?? args.slice(0, 2).join(' ');
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new PrerequisiteError(tool, `${label}: ${tool} is not installed (not found on PATH)`);
  }
  if (result.timedOut) {
    throw new HarnessError(tool, `${label} did not finish in ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`, redact(tail(result.stderr ?? '')));
  }
  if (result.exitCode !== 0) {
    const stderr = redact(tail(result.stderr || result.stdout || ''));
    const hint = options.explain?.(result.stderr ?? '');
    throw new HarnessError(tool, `${label} failed (exit ${result.exitCode ?? 'none'})${hint ? `: ${hint}` : ''}`, stderr);
  }
  return { stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
