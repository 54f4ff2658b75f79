/**
 * What the local driver keeps in a stack's state: its ports, the Python environment of each role,
 * the deployment's variant, where its users' homes and logs are, and its long-running processes.
 */
import type { StackService } from '../platform.js';
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
}

export type LocalState = StackState<LocalDetails>;
