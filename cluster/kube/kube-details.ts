/** What a Kubernetes stack's state carries beyond the common fields (kind, jetstream). */
import type { PlatformName, StackVariant } from '../config.js';
import type { StackState } from '../stack-state.js';
import type { KubeTarget } from './helm.js';

export type KubePlatform = Extract<PlatformName, 'kind' | 'jetstream'>;

export interface KubeDetails {
  target: KubeTarget;
  namespace: string;
  existingRelease: boolean;
  releases: { ngshare: string; hub: string };
  kindCluster?: string;
  /** Run directory of the values files Helm was given (none for an existing release). */
  valuesDir?: string;
  /** Name of the run secret holding the hub token the harness uses. */
  tokenSecret: string;
  portForward?: { pid: number; port: number };
  /** What the install was made from, so a redeploy renders the same values with another variant. */
  variant: StackVariant;
  deployRepo?: string;
  bakedImage: boolean;
}

export type KubeState = StackState<KubeDetails> & { platform: KubePlatform };
