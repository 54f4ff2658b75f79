/**
 * What kwok answers when the API server forwards a pod's exec, logs or port-forward to its kubelet
 * port, as ClusterExec / ClusterLogs / ClusterPortForward objects (kwok watches their CRDs, so a
 * mapping takes effect a moment after it is applied, without restarting kwok):
 *
 * - exec: the argv the client sent runs on THIS machine, in `workDir`, with kwok's environment
 *   plus `env` (kwok does not rewrite the command: map the pod to a directory, and put what the
 *   command should find there or on PATH);
 * - logs: the container's log is a local file in the CRI log format (`writeCriLog` makes one);
 *   `previous` answers `logs --previous`;
 * - port-forward: a pod port goes to a local address, or to a command's stdin/stdout.
 *
 * Pods are simulated: nothing runs in them. A selector matches pods by namespace and/or name;
 * empty matches every pod kwok manages. The first mapping that matches a pod wins.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyObjects, deleteObject } from './objects.js';

/** The kwok CRDs the control plane installs and kwok watches (--enable-crds). */
export const kwokMappingKinds = ['ClusterExec', 'ClusterLogs', 'ClusterPortForward'] as const;
export type KwokMappingKind = (typeof kwokMappingKinds)[number];

const apiVersion = 'kwok.x-k8s.io/v1alpha1';

export interface PodSelector {
  namespaces?: string[];
  /** Pod names (exact). */
  pods?: string[];
}

export interface ExecMapping extends PodSelector {
  /** Object name (cluster-scoped). */
  name: string;
  /** Containers this applies to; default all. */
  containers?: string[];
  /** Working directory of the command; kwok's default is /. */
  workDir?: string;
  /** Added to kwok's environment (which carries the run's stack tag, so commands are found at teardown). */
  env?: Record<string, string>;
}

export interface LogsMapping extends PodSelector {
  name: string;
  containers?: string[];
  /** CRI-format log file (see writeCriLog). */
  logsFile: string;
  previousLogsFile?: string;
  /** Keep the stream open and send lines appended to the file (`logs -f`). */
  follow?: boolean;
}

export type PortForwardMapping = PodSelector & {
  name: string;
  /** Pod ports this applies to; default all. */
  ports?: number[];
} & ({ target: { address: string; port: number }; command?: never } | { command: string[]; target?: never });

function selector(s: PodSelector): { matchNamespaces?: string[]; matchNames?: string[] } {
  return {
    ...(s.namespaces?.length ? { matchNamespaces: s.namespaces } : {}),
    ...(s.pods?.length ? { matchNames: s.pods } : {}),
  };
}

export function clusterExecObject(m: ExecMapping): KubernetesObject {
  return {
    apiVersion,
    kind: 'ClusterExec',
    metadata: { name: m.name },
    spec: {
      selector: selector(m),
      execs: [
        {
          ...(m.containers?.length ? { containers: m.containers } : {}),
          local: {
            ...(m.workDir ? { workDir: m.workDir } : {}),
            envs: Object.entries(m.env ?? {}).map(([name, value]) => ({ name, value })),
          },
        },
      ],
    },
  } as KubernetesObject;
}

export function clusterLogsObject(m: LogsMapping): KubernetesObject {
  return {
    apiVersion,
    kind: 'ClusterLogs',
    metadata: { name: m.name },
    spec: {
      selector: selector(m),
      logs: [
        {
          ...(m.containers?.length ? { containers: m.containers } : {}),
          logsFile: m.logsFile,
          ...(m.previousLogsFile ? { previousLogsFile: m.previousLogsFile } : {}),
          follow: m.follow ?? false,
        },
      ],
    },
  } as KubernetesObject;
}

export function clusterPortForwardObject(m: PortForwardMapping): KubernetesObject {
  return {
    apiVersion,
    kind: 'ClusterPortForward',
    metadata: { name: m.name },
    spec: {
      selector: selector(m),
      forwards: [
        {
          ...(m.ports?.length ? { ports: m.ports } : {}),
          ...(m.command ? { command: m.command } : { target: { address: m.target.address, port: m.target.port } }),
        },
      ],
    },
  } as KubernetesObject;
}

/** A pod's exec runs locally (see the module comment for what that means). */
export async function mapExec(kc: KubeConfig, mapping: ExecMapping): Promise<void> {
  await applyObjects(kc, [clusterExecObject(mapping)], 'kwok');
}

/** A pod's logs come from a local CRI-format file. */
export async function mapLogs(kc: KubeConfig, mapping: LogsMapping): Promise<void> {
  await applyObjects(kc, [clusterLogsObject(mapping)], 'kwok');
}

/** A pod's port-forward reaches a local address (or a command). */
export async function mapPortForward(kc: KubeConfig, mapping: PortForwardMapping): Promise<void> {
  await applyObjects(kc, [clusterPortForwardObject(mapping)], 'kwok');
}

export async function unmap(kc: KubeConfig, kind: KwokMappingKind, name: string): Promise<void> {
  await deleteObject(kc, { apiVersion, kind, metadata: { name } }, 'kwok');
}

/**
 * Writes (or appends) lines in the CRI log format kwok reads: `<RFC 3339 time> <stream> F <line>`.
 * A plain text file is refused by kwok's log reader ("unsupported log format").
 */
export function writeCriLog(file: string, lines: string[], options: { stream?: 'stdout' | 'stderr'; append?: boolean; at?: Date } = {}): string {
  const stamp = (options.at ?? new Date()).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  const text = lines.map((line) => `${stamp} ${options.stream ?? 'stdout'} F ${line}\n`).join('');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (options.append) fs.appendFileSync(file, text);
  else fs.writeFileSync(file, text);
  return file;
}
