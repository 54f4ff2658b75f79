/**
 * What the local driver keeps in a stack's state: its ports, the Python environment of each role,
 * the deployment's variant, where its users' homes and logs are, and its long-running processes.
 */
import type { ServiceStart, StackService } from '../platform.js';
import type { StackVariant } from '../config.js';
import type { StackState } from '../stack-state.js';
import type { StartedProcess } from '../processes.js';
import type { EnvRole } from '../python/python-envs.js';

/** The three parts of a deployment that run Python: the hub image, the ngshare image, the user image. */
export type StackRole = 'hub' | 'ngshare' | 'user';

export interface LocalPorts {
  /** The hub's public port (the proxy's), as a browser reaches it. */
  proxy: number;
  proxyApi: number;
  hub: number;
  ngshare: number;
}

export interface LocalDetails {
  ports: LocalPorts;
  /** The environment each role runs in (a variant may swap one for another). */
  envs: Record<StackRole, { role: EnvRole; dir: string; pythonVersion: string }>;
  variant: StackVariant;
  /**
   * ngshare runs as the image's user (uid 65535) rather than as the harness's user. Set for the
   * unwritable-storage case and kept through its fix, whose point is that this user can write.
   */
  ngshareAsImageUser: boolean;
  homeRoot: string;
  logsDir: string;
  processes: Partial<Record<StackService, StartedProcess>>;
  /**
   * How each service was last started (no secret values: they are named), recorded as it starts,
   * with when it was ready; the StartRecords ability hands it out, and bench's floor replays it.
   */
  starts?: Partial<Record<StackService, ServiceStart & { readyAt?: string }>>;
  /** The files and directories the stack had before its services started, relative to the run directory. */
  stackFiles?: { files: string[]; dirs: string[] };
}

export type LocalState = StackState<LocalDetails>;
