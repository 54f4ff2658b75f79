/**
 * Pinned Go binaries for the real control plane (kube-apiserver, kube-controller-manager,
 * kube-scheduler, kubectl, etcd, kwok) and helm, built from the Go module proxy with `go` as the
 * only prerequisite, and cached between runs.
 *
 * Each tool lives in <cacheDir>/tools/go/<name>-<version>-go<X.Y.Z>/ (bin/<name>, build.json, and
 * for kwok its stage YAMLs). It is built in a temporary directory beside that and renamed into
 * place only when complete, so an interrupted build is never used; leftover temporary directories
 * of dead processes are removed. A cold build takes ~20-25 minutes on 2 cores, so every `go`
 * invocation prints a progress line at least every 15 s.
 *
 * Builds run under `nice -n 19` with GOMAXPROCS=2 (the machine is shared with other test runs) and
 * use Go's default module and build caches, which all builds share. GOTOOLCHAIN=local: the Go on
 * PATH builds everything (no toolchain download), so the cache key names the Go that really built it.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execa } from 'execa';
import { HarnessError, PrerequisiteError } from './errors.js';
import { formatDuration, logger, type Logger } from './log.js';
import { isAlive } from './processes.js';

export type GoToolName = 'helm' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'etcd' | 'kwok';

/**
 * How a tool is built:
 * - `install`: `go install <pkg>@<version>` (modules without replace directives);
 * - `kubernetes`: a wrapper module requiring k8s.io/kubernetes, with a replace for every staging
 *   module that kubernetes' own go.mod replaces (it cannot be `go install`ed);
 * - `wrapper`: a wrapper module that just requires the module (etcd's server has replaces too).
 */
export type GoBuildRecipe = 'install' | 'kubernetes' | 'wrapper';

export interface GoToolPin {
  module: string;
  version: string;
  /** The main package to build. */
  pkg: string;
  recipe: GoBuildRecipe;
  /** -X flags, added after `-s -w`. */
  ldflagsX: string[];
}

const kubernetesVersion = 'v1.34.4';
// kubernetes' own release scripts stamp these; without them `kubectl version` says v0.0.0-master.
const kubernetesX = [
  `k8s.io/component-base/version.gitVersion=${kubernetesVersion}`,
  'k8s.io/component-base/version.gitMajor=1',
  'k8s.io/component-base/version.gitMinor=34',
  'k8s.io/component-base/version.gitTreeState=clean',
  `k8s.io/client-go/pkg/version.gitVersion=${kubernetesVersion}`,
  'k8s.io/client-go/pkg/version.gitMajor=1',
  'k8s.io/client-go/pkg/version.gitMinor=34',
];

const kubernetes = (name: GoToolName): GoToolPin => ({
  module: 'k8s.io/kubernetes',
  version: kubernetesVersion,
  pkg: `k8s.io/kubernetes/cmd/${name}`,
  recipe: 'kubernetes',
  ldflagsX: kubernetesX,
});

/** Every pinned Go tool: the one place their versions are written. */
export const goToolPins: Record<GoToolName, GoToolPin> = {
  helm: {
    module: 'helm.sh/helm/v3',
    version: 'v3.22.0',
    pkg: 'helm.sh/helm/v3/cmd/helm',
    recipe: 'install',
    // Without these `helm version --short` prints v3.22 and `helm template` assumes Kubernetes
    // 1.20, which z2jh's `kubeVersion: >=1.28.0-0` rejects.
    ldflagsX: [
      'helm.sh/helm/v3/internal/version.version=v3.22.0',
      'helm.sh/helm/v3/internal/version.gitTreeState=clean',
      'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
      'helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=34',
      'helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
      'helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=34',
    ],
  },
  'kube-apiserver': kubernetes('kube-apiserver'),
  'kube-controller-manager': kubernetes('kube-controller-manager'),
  'kube-scheduler': kubernetes('kube-scheduler'),
  kubectl: kubernetes('kubectl'),
  etcd: {
    module: 'go.etcd.io/etcd/server/v3',
    version: 'v3.6.16',
    pkg: 'go.etcd.io/etcd/server/v3',
    recipe: 'wrapper',
    ldflagsX: [],
  },
  kwok: {
    module: 'sigs.k8s.io/kwok',
    version: 'v0.8.0',
    pkg: 'sigs.k8s.io/kwok/cmd/kwok',
    recipe: 'install',
    // Its version is a constant in pkg/consts: nothing to stamp.
    ldflagsX: [],
  },
};

export const goToolNames = Object.keys(goToolPins) as GoToolName[];

/** Go older than this cannot build kubernetes 1.34 (its go.mod says go 1.24). */
const minimumGo = '1.24.0';

/** kwok's stage YAMLs (from kustomize/stage/ of its module), copied next to the binary. */
export interface KwokStagePaths {
  /** The copied kustomize/stage directory. */
  dir: string;
  nodeFast: string[];
  nodeHeartbeatWithLease: string[];
  podFast: string[];
  /** kwok's CRDs (kustomize/crd/bases/kwok.x-k8s.io_<plural>.yaml), for --enable-crds. */
  crdDir: string;
}

export interface GoToolPaths {
  /** Absolute path of each requested binary. */
  bin: Partial<Record<GoToolName, string>>;
  /** Present when kwok was requested. */
  kwokStages?: KwokStagePaths;
  goVersion: string;
}

export interface GoToolStatus {
  name: GoToolName;
  version: string;
  /** The cache directory this Go version would use. */
  dir: string;
  binary: string;
  cached: boolean;
}

export interface GoToolsOptions {
  /** The harness cache (readConfig().cacheDir). */
  cacheDir: string;
  log?: Logger;
}

/** `nice -n 19` and two threads: another long test run shares this 2-core machine. */
const goProcessEnv = { GOMAXPROCS: '2', GOTOOLCHAIN: 'local' } as const;
const goBuildTimeoutMs = 60 * 60_000;
const heartbeatMs = 15_000;
/** Two `go` processes at once: downloads of one overlap the compiles of the other, and memory stays < 6 GiB. */
const parallelJobs = 2;

export function goToolsDir(cacheDir: string): string {
  return path.join(cacheDir, 'tools', 'go');
}

function toolDir(cacheDir: string, name: GoToolName, goVersion: string): string {
  return path.join(goToolsDir(cacheDir), `${name}-${goToolPins[name].version}-go${goVersion}`);
}

function binaryIn(dir: string, name: GoToolName): string {
  return path.join(dir, 'bin', name);
}

const isCached = (dir: string, name: GoToolName) =>
  fs.existsSync(path.join(dir, 'build.json')) &&
  fs.existsSync(binaryIn(dir, name)) &&
  // kwok's cache dir also holds its stage and CRD files (a cache from before they were copied is rebuilt)
  (name !== 'kwok' || (fs.existsSync(path.join(dir, 'stage')) && fs.existsSync(path.join(dir, 'crd'))));

interface GoEnv {
  version: string;
  /** GOFLAGS as `go env` sees it (environment or go's env file), extended for the wrapper modules. */
  goflags: string;
}

/** The Go version (X.Y.Z) on PATH, or a PrerequisiteError naming what to install. */
export async function goVersion(): Promise<string> {
  return (await readGoEnv()).version;
}

async function readGoEnv(): Promise<GoEnv> {
  const result = await execa('go', ['env', 'GOVERSION', 'GOFLAGS'], { reject: false, timeout: 30_000, stdin: 'ignore', env: goProcessEnv });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new PrerequisiteError('go-tools', `\`go\` not found on PATH; install Go >= ${minimumGo} (https://go.dev/dl/) to build the control plane and helm`);
  }
  const version = /go(\d+\.\d+(?:\.\d+)?)/.exec(result.stdout ?? '')?.[1];
  if (result.failed || !version) {
    throw new PrerequisiteError('go-tools', '`go env GOVERSION` failed', tailOf(`${result.stdout}\n${result.stderr}`));
  }
  const full = version.split('.').length === 2 ? `${version}.0` : version;
  if (compareDotted(full, minimumGo) < 0) {
    throw new PrerequisiteError('go-tools', `Go ${full} is too old; install Go >= ${minimumGo} (https://go.dev/dl/)`);
  }
  return { version: full, goflags: (result.stdout ?? '').split('\n')[1]?.trim() ?? '' };
}

/** Which tools are cached for the Go on PATH. */
export async function goToolsStatus(options: { cacheDir: string }): Promise<GoToolStatus[]> {
  const go = await goVersion();
  return goToolNames.map((name) => {
    const dir = toolDir(options.cacheDir, name, go);
    return { name, version: goToolPins[name].version, dir, binary: binaryIn(dir, name), cached: isCached(dir, name) };
  });
}

/**
 * The requested tools (default: all), built when not cached. Returns their absolute paths, and
 * kwok's stage files when kwok is among them.
 */
export async function ensureGoTools(names: readonly GoToolName[] = goToolNames, options: GoToolsOptions): Promise<GoToolPaths> {
  const log = options.log ?? logger('go-tools');
  const { version: go, goflags } = await readGoEnv();
  const root = goToolsDir(options.cacheDir);
  fs.mkdirSync(root, { recursive: true });
  removeAbandonedBuilds(root, log);

  const wanted = [...new Set(names)];
  const missing = wanted.filter((name) => !isCached(toolDir(options.cacheDir, name, go), name));
  if (missing.length > 0) {
    const started = Date.now();
    // A first build of all of them takes ~17-25 min on 2 cores; with Go's caches warm, seconds to a minute.
    log.info(`building ${missing.join(', ')} with Go ${go} from the module proxy into ${root} (once; cached afterwards)`);
    await buildAll(missing, { root, go, goflags, cacheDir: options.cacheDir, log });
    log.info(`built ${missing.join(', ')} in ${formatDuration(Date.now() - started)}`);
  }

  const bin: Partial<Record<GoToolName, string>> = {};
  for (const name of wanted) bin[name] = binaryIn(toolDir(options.cacheDir, name, go), name);
  const result: GoToolPaths = { bin, goVersion: go };
  if (wanted.includes('kwok')) result.kwokStages = kwokStagesIn(toolDir(options.cacheDir, 'kwok', go));
  return result;
}

/** The stage files of a cached kwok, from kustomize/stage/{node/fast,node/heartbeat-with-lease,pod/fast}, and its CRDs. */
export function kwokStagesIn(kwokDir: string): KwokStagePaths {
  const dir = path.join(kwokDir, 'stage');
  const yamls = (sub: string): string[] => {
    const d = path.join(dir, sub);
    const files = fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml') : [];
    if (files.length === 0) throw new HarnessError('go-tools', `kwok: no stage YAMLs in ${d}; remove ${kwokDir} to rebuild it`);
    return files.sort().map((f) => path.join(d, f));
  };
  return {
    dir,
    nodeFast: yamls('node/fast'),
    nodeHeartbeatWithLease: yamls('node/heartbeat-with-lease'),
    podFast: yamls('pod/fast'),
    crdDir: path.join(kwokDir, 'crd'),
  };
}

interface BuildContext {
  root: string;
  go: string;
  goflags: string;
  cacheDir: string;
  log: Logger;
}

/**
 * The kubernetes binaries build one after another in one job (they share most packages, and two
 * concurrent builds of the same packages would only duplicate work); every other tool is its own
 * job. At most `parallelJobs` jobs run at once, longest first.
 */
async function buildAll(missing: GoToolName[], ctx: BuildContext): Promise<void> {
  const kube = missing.filter((n) => goToolPins[n].recipe === 'kubernetes');
  // Build order within kubernetes: the apiserver compiles most of what the others need.
  const kubeOrder: GoToolName[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
  kube.sort((a, b) => kubeOrder.indexOf(a) - kubeOrder.indexOf(b));
  const jobs: GoToolName[][] = [];
  if (kube.length > 0) jobs.push(kube);
  const rest: GoToolName[] = ['helm', 'kwok', 'etcd'];
  for (const name of rest) if (missing.includes(name)) jobs.push([name]);

  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      let kubeModule: Promise<string> | undefined;
      for (const name of job) {
        try {
          if (goToolPins[name].recipe === 'kubernetes') {
            kubeModule ??= prepareKubernetesModule(ctx);
            await buildTool(name, ctx, await kubeModule);
          } else {
            await buildTool(name, ctx);
          }
        } catch (err) {
          failures.push(err);
          break;
        }
      }
      if (kubeModule)
        await kubeModule.then(
          (dir) => fs.rmSync(dir, { recursive: true, force: true }),
          () => undefined,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelJobs, jobs.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** A temporary directory under the cache root, named so that a later run can tell whose it is. */
function makeTempDir(root: string, label: string): string {
  const dir = path.join(root, `.tmp-${label}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes `.tmp-*-<pid>-<hex>` directories whose process is gone (an interrupted build). */
function removeAbandonedBuilds(root: string, log: Logger): void {
  for (const entry of fs.readdirSync(root)) {
    const pid = /^\.tmp-.*-(\d+)-[0-9a-f]{6}$/.exec(entry)?.[1];
    if (!pid || isAlive(Number(pid))) continue;
    log.info(`removing ${entry}, left by an interrupted build`);
    fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
}

function ldflags(pin: GoToolPin): string {
  return ['-s', '-w', ...pin.ldflagsX.map((x) => `-X ${x}`)].join(' ');
}

/**
 * The kubernetes wrapper module, shared by the four kubernetes binaries of one ensureGoTools call:
 * `require k8s.io/kubernetes`, one replace per staging module that kubernetes' own go.mod replaces
 * (pointed at the published k8s.io/X v0.Y.Z), a tools.go importing each command, `go mod tidy`.
 */
async function prepareKubernetesModule(ctx: BuildContext): Promise<string> {
  const pin = goToolPins['kube-apiserver'];
  const dir = makeTempDir(ctx.root, `kubernetes-module-${pin.version}`);
  try {
    await writeKubernetesModule(dir, ctx);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

async function writeKubernetesModule(dir: string, ctx: BuildContext): Promise<void> {
  const pin = goToolPins['kube-apiserver'];
  // Before `go mod init`: outside a module, a download never touches a go.mod.
  const info = await goModDownload(`${pin.module}@${pin.version}`, dir, ctx);
  await runGo(['mod', 'init', 'nbgrader-ngshare-e2e.local/kubernetes-tools'], { cwd: dir, label: 'kubernetes module: go mod init', ctx });
  const replaces = stagingReplaces(fs.readFileSync(info.GoMod, 'utf8'), pin.version);
  if (replaces.length === 0) throw new HarnessError('go-tools', `kubernetes: no staging replace directives in ${info.GoMod}`);
  await runGo(['mod', 'edit', `-require=${pin.module}@${pin.version}`, ...replaces.map((r) => `-replace=${r.module}=${r.module}@${r.version}`)], {
    cwd: dir,
    label: 'kubernetes module: go mod edit',
    ctx,
  });
  const commands = goToolNames.filter((n) => goToolPins[n].recipe === 'kubernetes').map((n) => goToolPins[n].pkg);
  writeToolsFile(dir, commands);
  await runGo(['mod', 'tidy'], { cwd: dir, label: 'kubernetes module: go mod tidy', ctx, modMod: true });
}

/**
 * `k8s.io/api => ./staging/src/k8s.io/api` lines of kubernetes' go.mod, as published modules at
 * the matching staging version (kubernetes v1.34.4 → v0.34.4).
 */
export function stagingReplaces(goMod: string, kubernetesTag: string): { module: string; version: string }[] {
  const staging = kubernetesTag.replace(/^v1\./, 'v0.');
  const out: { module: string; version: string }[] = [];
  for (const m of goMod.matchAll(/^\s*(?:replace\s+)?(\S+)\s+=>\s+\.\/staging\/src\/(\S+)\s*$/gm)) {
    out.push({ module: m[1], version: staging });
  }
  return out;
}

function writeToolsFile(dir: string, pkgs: string[]): void {
  const imports = pkgs.map((p) => `\t_ "${p}"`).join('\n');
  // The `tools` build tag keeps this file out of builds; `go mod tidy` still sees its imports.
  fs.writeFileSync(path.join(dir, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`);
}

interface ModuleInfo {
  Dir: string;
  GoMod: string;
}

async function goModDownload(spec: string, cwd: string, ctx: BuildContext): Promise<ModuleInfo> {
  const { stdout } = await runGo(['mod', 'download', '-json', spec], { cwd, label: `go mod download ${spec}`, ctx });
  const info = JSON.parse(stdout) as Partial<ModuleInfo> & { Error?: string };
  if (info.Error || !info.Dir || !info.GoMod) {
    throw new HarnessError('go-tools', `go mod download ${spec} failed`, info.Error ?? stdout.slice(-2000));
  }
  return info as ModuleInfo;
}

async function buildTool(name: GoToolName, ctx: BuildContext, kubernetesModule?: string): Promise<void> {
  const pin = goToolPins[name];
  const finalDir = toolDir(ctx.cacheDir, name, ctx.go);
  if (isCached(finalDir, name)) return; // another process finished it meanwhile
  const started = Date.now();
  ctx.log.info(
    `${name} ${pin.version}: building (${pin.recipe === 'install' ? `go install ${pin.pkg}@${pin.version}` : `wrapper module for ${pin.module}@${pin.version}`})`,
  );
  const tmp = makeTempDir(ctx.root, `${name}-${pin.version}-go${ctx.go}`);
  const binDir = path.join(tmp, 'bin');
  fs.mkdirSync(binDir);
  const buildLog = path.join(tmp, 'build.log');
  let goMod: string | undefined;
  try {
    const flags = ['-trimpath', '-v', '-ldflags', ldflags(pin)];
    if (pin.recipe === 'install') {
      await runGo(['install', ...flags, `${pin.pkg}@${pin.version}`], {
        cwd: tmp,
        label: name,
        ctx,
        env: { GOBIN: binDir },
        buildLog,
      });
    } else {
      let moduleDir = kubernetesModule;
      if (pin.recipe === 'wrapper') {
        moduleDir = path.join(tmp, 'module');
        fs.mkdirSync(moduleDir);
        await runGo(['mod', 'init', `nbgrader-ngshare-e2e.local/${name}-tool`], { cwd: moduleDir, label: `${name}: go mod init`, ctx });
        await runGo(['mod', 'edit', `-require=${pin.module}@${pin.version}`], { cwd: moduleDir, label: `${name}: go mod edit`, ctx });
        writeToolsFile(moduleDir, [pin.pkg]);
        await runGo(['mod', 'tidy'], { cwd: moduleDir, label: `${name}: go mod tidy`, ctx, modMod: true, buildLog });
      }
      if (!moduleDir) throw new HarnessError('go-tools', `${name}: no kubernetes wrapper module`);
      await runGo(['build', ...flags, '-o', path.join(binDir, name), pin.pkg], {
        cwd: moduleDir,
        label: name,
        ctx,
        modMod: true,
        buildLog,
      });
      goMod = fs.readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
      if (pin.recipe === 'wrapper') fs.rmSync(moduleDir, { recursive: true, force: true });
    }
    if (!fs.existsSync(path.join(binDir, name))) {
      throw new HarnessError('go-tools', `${name}: go finished but wrote no ${name} binary`, tailOf(readIfExists(buildLog)));
    }
    if (name === 'kwok') await copyKwokStages(tmp, ctx);
    const seconds = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(
      path.join(tmp, 'build.json'),
      JSON.stringify(
        { name, module: pin.module, version: pin.version, pkg: pin.pkg, go: ctx.go, ldflags: ldflags(pin), seconds, builtAt: new Date().toISOString(), goMod },
        null,
        2,
      ),
    );
    if (fs.existsSync(finalDir) && !isCached(finalDir, name)) {
      // An entry from before the cache held everything it holds now: replace it.
      const stale = makeTempDir(ctx.root, `stale-${name}`);
      fs.renameSync(finalDir, path.join(stale, 'old'));
      fs.rmSync(stale, { recursive: true, force: true });
    }
    renameIntoPlace(tmp, finalDir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  ctx.log.info(`${name} ${pin.version}: done in ${formatDuration(Date.now() - started)}`);
}

/** kwok's kustomize/stage and kustomize/crd/bases from the module cache, so the tool's cache dir is self-contained. */
async function copyKwokStages(tmp: string, ctx: BuildContext): Promise<void> {
  const pin = goToolPins.kwok;
  const info = await goModDownload(`${pin.module}@${pin.version}`, tmp, ctx);
  for (const [from, to] of [
    [path.join(info.Dir, 'kustomize', 'stage'), path.join(tmp, 'stage')],
    [path.join(info.Dir, 'kustomize', 'crd', 'bases'), path.join(tmp, 'crd')],
  ] as const) {
    if (!fs.existsSync(from)) throw new HarnessError('go-tools', `kwok: no ${path.relative(info.Dir, from)} in ${info.Dir}`);
    fs.cpSync(from, to, { recursive: true });
    // The module cache is read-only; the copy should be removable with the cache.
    chmodTree(to);
  }
  kwokStagesIn(tmp); // fails now, not at the first control plane, if the layout changed
}

function chmodTree(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(p);
    else fs.chmodSync(p, 0o644);
  }
}

function renameIntoPlace(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    // Another run finished the same tool first: theirs is as good as ours.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

interface RunGoOptions {
  cwd: string;
  /** For progress lines and errors: "kube-apiserver", "kubernetes module: go mod tidy". */
  label: string;
  ctx: BuildContext;
  env?: Record<string, string>;
  /** -mod=mod, for the wrapper modules (their go.sum grows as go resolves imports). */
  modMod?: boolean;
  /** Also append go's stderr to this file (kept in the tool's cache dir). */
  buildLog?: string;
}

/**
 * One `go` command under `nice -n 19`, with a progress line every 15 s (elapsed time, packages
 * compiled so far from `-v`, the last one). Fails with a HarnessError carrying the tail of stderr.
 */
async function runGo(args: string[], options: RunGoOptions): Promise<{ stdout: string }> {
  const { cwd, label, ctx } = options;
  // GOFLAGS from the environment replaces the one in go's env file: carry that one over.
  const goflags = options.modMod ? { GOFLAGS: `${ctx.goflags} -mod=mod`.trim() } : {};
  const started = Date.now();
  const child = execa('nice', ['-n', '19', 'go', ...args], {
    cwd,
    env: { ...goProcessEnv, ...options.env, ...goflags },
    stdin: 'ignore',
    reject: false,
    timeout: goBuildTimeoutMs,
    buffer: { stdout: true, stderr: false },
  });
  let stderrTail = '';
  let lines = 0;
  let lastLine = '';
  const logStream = options.buildLog ? fs.createWriteStream(options.buildLog, { flags: 'a' }) : undefined;
  logStream?.write(`$ go ${args.join(' ')}\n`);
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    logStream?.write(text);
    stderrTail = (stderrTail + text).slice(-16_000);
    for (const line of text.split('\n')) {
      if (line.trim()) {
        lines += 1;
        lastLine = line.trim();
      }
    }
  });
  const heartbeat = setInterval(() => {
    const what = lastLine ? `; ${lines} lines from go, last: ${lastLine.slice(0, 100)}` : '';
    ctx.log.info(`${label}: still running after ${formatDuration(Date.now() - started)}${what}`);
  }, heartbeatMs);
  try {
    const result = await child;
    await new Promise<void>((resolve) => (logStream ? logStream.end(resolve) : resolve()));
    if ((result as { code?: string }).code === 'ENOENT') {
      throw new PrerequisiteError('go-tools', '`nice` or `go` not found on PATH; install Go (https://go.dev/dl/) and coreutils');
    }
    if (result.failed) {
      const why = result.timedOut ? `timed out after ${formatDuration(goBuildTimeoutMs)}` : `failed (exit ${result.exitCode ?? result.signal})`;
      throw new HarnessError('go-tools', `${label}: go ${args[0]} ${why}`, tailOf(stderrTail));
    }
    return { stdout: String(result.stdout ?? '') };
  } finally {
    clearInterval(heartbeat);
  }
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The last lines of go's stderr, without `-v`'s package names (lines without a space). */
function tailOf(text: string, lines = 25): string {
  const meaningful = text.split('\n').filter((l) => l.trim() && /\s|:/.test(l.trim()));
  return meaningful.slice(-lines).join('\n');
}

function compareDotted(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
