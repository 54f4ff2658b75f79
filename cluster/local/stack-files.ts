/**
 * The files of a local stack, in its run directory: the hub's settings (read by
 * jupyterhub_config.py), the nbgrader_config.py the tutorial's singleuser postStart writes (absent
 * when that values file was forgotten), ngshare's storage made writable for ngshare's user as the
 * tutorial's init container does (unless the variant leaves that out), and the users' homes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { RunDirs, SecretStore } from '../run/index.js';
import { STACK_TAG } from '../processes.js';
import type { LocalDetails } from './local-details.js';

/** The run secrets of a local stack; made once, when the stack first comes up. */
export const localSecrets = ['proxyAuthToken', 'cookieSecret', 'userPassword', 'adminPassword', 'ngshareApiToken', 'harnessApiToken'] as const;

/** PATH of the stack's processes before their environment's bin. */
export const basePath = '/usr/local/bin:/usr/bin:/bin';

/**
 * ngshare's user in the libretexts/ngshare image. To reproduce the storage error, ngshare runs as
 * this user (needs root to switch), keeping only the right to read any file since its Python lives
 * under /root; whether it can write its storage then depends on ownership and mode, as in the pod.
 */
export const ngshareUid = 65535;
export const ngshareGid = 1000;

/** The file the tutorial's singleuser postStart writes, with the exchange and the course filled in. */
export function nbgraderConfig(ngshareServiceUrl: string, courseId: string): string {
  return [
    'from ngshare_exchange import configureExchange',
    'c = get_config()',
    `configureExchange(c, '${ngshareServiceUrl}')`,
    `c.CourseDirectory.course_id = '${courseId}'`,
    '',
  ].join('\n');
}

/** What the tutorial's init container does to ngshare's volume: chown -R 65535:1000, chmod -R 0770. */
function fixNgshareStoragePermissions(dir: string): void {
  const walk = (p: string) => {
    fs.chownSync(p, ngshareUid, ngshareGid);
    fs.chmodSync(p, 0o770);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

/**
 * A hard-linked copy (a real copy across filesystems) of ngshare's environment inside the run
 * directory: alembic checks its scripts with access(), which ignores capabilities, so the path
 * must be reachable by uid 65535 without them.
 */
export async function copyEnvForNgshareUser(envDir: string, target: string): Promise<void> {
  fs.rmSync(target, { recursive: true, force: true });
  const linked = await execa('cp', ['-al', envDir, target], { reject: false });
  if (linked.exitCode !== 0) await execa('cp', ['-a', envDir, target]);
}

export interface StackFilesInput {
  dirs: RunDirs;
  secrets: SecretStore;
  runId: string;
  details: LocalDetails;
  /** The hub's admins and the users whose homes are made. */
  instructor: string;
  users: string[];
  courseId: string;
  serverStartTimeoutMs: number;
}

/** Writes the stack's files; returns what it made, relative to the run directory (recorded in the state). */
export function writeStackFiles({ dirs, secrets, runId, details: d, instructor, users, courseId, serverStartTimeoutMs }: StackFilesInput): {
  files: string[];
  dirs: string[];
} {
  const made = { files: [] as string[], dirs: [] as string[] };
  const rel = (p: string) => path.relative(dirs.runDir, p);
  const mkdir = (p: string) => {
    fs.mkdirSync(p, { recursive: true });
    made.dirs.push(rel(p));
  };
  for (const dir of ['hub', 'proxy', 'ngshare', 'ngshare/files', 'etc/jupyter']) mkdir(dirs.path(dir));
  mkdir(d.logsDir);
  if (d.ngshareAsImageUser && !d.variant.ngshareStorageNotWritable) fixNgshareStoragePermissions(dirs.path('ngshare'));
  const ngshareUrl = `http://127.0.0.1:${d.ports.ngshare}`;
  const settings = {
    proxyPort: d.ports.proxy,
    proxyApiPort: d.ports.proxyApi,
    hubPort: d.ports.hub,
    hubDir: dirs.path('hub'),
    logsDir: d.logsDir,
    homeRoot: d.homeRoot,
    userEnvBin: path.join(d.envs.user.dir, 'bin'),
    serverStartTimeout: Math.round(serverStartTimeoutMs / 1000),
    // Tokens and passwords stay in the run's secrets file (0600); the hub config reads them there.
    secretsFile: dirs.path('secrets.json'),
    hubAdmins: [instructor],
    ngshareUrl,
    // What a user pod's environment holds, beyond what the spawner sets (HOME, USER, JUPYTERHUB_*).
    serverEnvironment: {
      PATH: `${path.join(d.envs.user.dir, 'bin')}:${basePath}`,
      LANG: 'C.UTF-8',
      // The tutorial writes /etc/jupyter/nbgrader_config.py; this run's etc/jupyter plays that part.
      JUPYTER_CONFIG_PATH: dirs.path('etc', 'jupyter'),
      [STACK_TAG]: runId,
    },
  };
  secrets.ensure(...localSecrets);
  made.files.push(rel(dirs.path('secrets.json')));
  fs.writeFileSync(dirs.path('hub', 'settings.json'), JSON.stringify(settings, null, 2), { mode: 0o600 });
  made.files.push(rel(dirs.path('hub', 'settings.json')));
  const configFile = dirs.path('etc', 'jupyter', 'nbgrader_config.py');
  if (d.variant.withoutNbgrader) fs.rmSync(configFile, { force: true });
  else {
    fs.writeFileSync(configFile, nbgraderConfig(`${ngshareUrl}/services/ngshare`, courseId));
    made.files.push(rel(configFile));
  }
  for (const user of users) mkdir(path.join(d.homeRoot, user));
  return made;
}
