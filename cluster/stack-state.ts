/**
 * What a stack says about itself, saved by `up` and read by every process that attaches to it:
 * common facts (StackInfo) and what only its driver reads (Details). Serialisable, never a secret.
 */
import type { PlatformName } from './config.js';

/** Hub user names of a stack's instructor (an ngshare admin, as the tutorial's is) and first student. */
export interface StackUsers {
  instructor: string;
  student: string;
}

/** What every platform's stack says about itself; serialisable, and never a secret. */
export interface StackInfo {
  platform: PlatformName;
  runId: string;
  /** Public URL of the hub, as a browser reaches it (through the proxy). */
  hubUrl: string;
  /** Hub REST API base, e.g. http://127.0.0.1:PORT/hub/api */
  hubApiUrl: string;
  /** ngshare's base URL as user servers reach it (what nbgrader_config.py names). */
  ngshareUrl: string;
  /** The users `up` made (run-unique on a shared cluster). */
  users: StackUsers;
  /** The course of the stack's first classroom (course101, or run-unique on a shared cluster). */
  courseId: string;
  /**
   * Whether the deployment's own nbgrader_config.py names `courseId` (it does when the run deployed
   * it; an existing release's names its own course, so the run's users get theirs in ~/.jupyter).
   */
  deploymentNamesCourse: boolean;
}

/** A stack's info plus what only its driver reads (ports and pids locally; namespace and release on Kubernetes). */
export interface StackState<Details = unknown> extends StackInfo {
  details: Details;
}
