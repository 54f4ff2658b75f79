/**
 * The Docker engine kind runs on, through dockerode: reachable at all, with enough CPUs and memory
 * for what the rendered values guarantee, and which cgroup version; the host port kind published
 * for the hub; and building the images the harness makes (layout.ts names them) from values/.
 */
import Docker from 'dockerode';
import { HarnessError } from '../errors.js';
import type { PreflightCheck } from '../platform.js';
import { kubeTools } from '../versions.js';
import type { BakedImage } from './kube-types.js';
import { compareVersions } from './tools.js';
import { valuesDir } from './values.js';

/**
 * Where a dockerode client connects (its DOCKER_HOST, else the default socket, which docker-modem
 * picks when it connects: ~/.docker/run/docker.sock if it exists, else /var/run/docker.sock).
 */
export async function dockerEndpoint(docker: Docker): Promise<string> {
  const m = docker.modem as unknown as { socketPath?: string | (() => Promise<string>); host?: string; port?: number | string; protocol?: string };
  if (typeof m.socketPath === 'function') return `unix://${await m.socketPath()}`;
  return m.socketPath ? `unix://${m.socketPath}` : `${m.protocol ?? 'http'}://${m.host}:${m.port}`;
}

export interface EngineInfo {
  ServerVersion?: string;
  NCPU?: number;
  MemTotal?: number;
  CgroupVersion?: string;
  CgroupDriver?: string;
}

/** What the cluster will need: kind's control plane and the stack's own pods, plus the user servers. */
export interface ResourceNeed {
  cpu: number;
  memoryBytes: number;
  /** Why, for the message. */
  because: string;
}

const GiB = 2 ** 30;

/** Pure: the checks for an engine that answered (unit-tested with recorded `docker info` answers). */
export function engineChecks(info: EngineInfo, need: ResourceNeed, minimum: string): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  const version = info.ServerVersion ?? 'unknown';
  checks.push({
    name: 'docker engine',
    ok: version !== 'unknown' && compareVersions(version.replace(/[^0-9.].*$/, ''), minimum) >= 0,
    detail: `${version} (need >= ${minimum})`,
  });
  const cpus = info.NCPU ?? 0;
  checks.push({ name: 'docker cpus', ok: cpus >= need.cpu, detail: `${cpus} (need >= ${need.cpu}: ${need.because})` });
  const mem = info.MemTotal ?? 0;
  checks.push({
    name: 'docker memory',
    ok: mem >= need.memoryBytes,
    detail: `${(mem / GiB).toFixed(1)} GiB (need >= ${(need.memoryBytes / GiB).toFixed(1)} GiB: ${need.because})`,
  });
  checks.push({
    name: 'cgroup',
    // kind's node images still boot on cgroup v1 hosts up to Kubernetes 1.34; v2 is what CI has.
    ok: info.CgroupVersion === '2' || info.CgroupVersion === '1',
    detail: `v${info.CgroupVersion ?? '?'}, driver ${info.CgroupDriver ?? '?'}`,
  });
  return checks;
}

/** Asks the engine, with a bound: a missing or stopped Docker fails in seconds with where it looked. */
export async function dockerPreflight(need: ResourceNeed, docker = new Docker(), timeoutMs = 5_000): Promise<PreflightCheck[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = (await Promise.race([
      docker.ping().then(() => docker.info()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ])) as EngineInfo;
    return engineChecks(info, need, kubeTools.docker.minimum);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return [
      {
        name: 'docker engine',
        ok: false,
        detail: `does not answer at ${await dockerEndpoint(docker)}: ${e.code ?? e.message}; start Docker, or set DOCKER_HOST`,
      },
    ];
  } finally {
    clearTimeout(timer);
  }
}

/** The host port Docker bound for `containerPort` on kind's control-plane node container. */
export async function publishedPort(cluster: string, containerPort: number, docker = new Docker()): Promise<number> {
  const name = `${cluster}-control-plane`;
  const inspect = await docker.getContainer(name).inspect();
  const binding = inspect.NetworkSettings?.Ports?.[`${containerPort}/tcp`]?.[0];
  if (!binding?.HostPort) throw new HarnessError('kind', `node ${name} publishes no host port for ${containerPort}/tcp`);
  return Number(binding.HostPort);
}

// --- images the harness builds and loads into kind ------------------------------------------------

export async function hasImage(image: BakedImage, docker = new Docker()): Promise<boolean> {
  try {
    await docker.getImage(`${image.name}:${image.tag}`).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Builds the image from its Dockerfile in values/; a failed step is an error with the build's last lines. */
export async function buildImage(image: BakedImage, docker = new Docker()): Promise<void> {
  const stream = await docker.buildImage(
    { context: valuesDir, src: [image.dockerfile] },
    { t: `${image.name}:${image.tag}`, dockerfile: image.dockerfile, buildargs: image.buildArgs, labels: { 'nbgrader-e2e/built': 'true' } },
  );
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = err ?? output?.find((o) => o.error);
        if (failed)
          reject(
            new HarnessError(
              'docker',
              `build of ${image.name}:${image.tag} failed`,
              `${lines.slice(-15).join('')}${'error' in failed ? failed.error : (failed as Error).message}`,
            ),
          );
        else resolve();
      },
      (event: { stream?: string }) => {
        if (event.stream) lines.push(event.stream);
      },
    );
  });
}
