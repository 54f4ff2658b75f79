/**
 * A stack on Kubernetes (kind or an existing cluster), attached from its state: commands run in the
 * user's pod through the exec API, diagnostics come from the API server (pods, events, describe
 * output, logs of every container, the values Helm was given), versions from what really runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Exec, VersionApi, type V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import { HarnessError, errorMessage } from '../errors.js';
import { HubClient } from '../hub-client.js';
import type { AddUsersOptions, CommandResult, ExecOptions, Redeploy, ServiceControl, Stack, StackService } from '../platform.js';
import type { StackVariant } from '../config.js';
import type { StackInfo } from '../stack-state.js';
import { redact, redactValue, REDACTED } from '../redact.js';
import { DiagnosticsBundle } from '../diagnostics.js';
import type { Run } from '../run/index.js';
import { execArgv, execInPod, resolveCwd, type ExecApi } from './exec.js';
import { Kube } from './kube-api.js';
import { kubeconfigFor } from './kubeconfig.js';
import { kubeTimeouts, type KubeDetails, type KubeState } from './kube-types.js';
import { componentDeployments, componentSelectors } from './layout.js';
import { deploymentReady, deploymentSummary, eventLine, podLine, podProblem } from './pod-status.js';
import { createUsers, startUserServers } from './user-servers.js';

/** A pod as YAML for the bundle, with the values of secret-looking environment variables masked. */
export function podForBundle(pod: V1Pod): string {
  const masked = JSON.parse(JSON.stringify(pod)) as V1Pod;
  for (const c of [...(masked.spec?.initContainers ?? []), ...(masked.spec?.containers ?? [])]) {
    for (const e of c.env ?? []) if (/TOKEN|SECRET|PASSWORD|KEY/i.test(e.name) && e.value) e.value = REDACTED;
  }
  if (masked.metadata?.managedFields) delete masked.metadata.managedFields;
  return redact(YAML.stringify(redactValue(masked)));
}

export class KubeStack implements Stack {
  readonly hubToken: string;
  protected readonly kube: Kube;
  protected readonly details: KubeDetails;
  private readonly client: HubClient;
  private readonly homes = new Map<string, string>();
  private execApi: ExecApi;

  constructor(
    protected readonly kubeState: KubeState,
    protected readonly run: Run,
  ) {
    this.details = kubeState.details;
    this.hubToken = run.secrets.get(this.details.tokenSecret);
    const kc = kubeconfigFor(this.details.target);
    this.kube = new Kube(kc, this.details.namespace);
    this.execApi = new Exec(kc);
    this.client = new HubClient(kubeState.hubApiUrl, this.hubToken);
  }

  get state(): StackInfo {
    return this.kubeState;
  }

  /** Creates the users through the Hub API and starts their servers; a pod that cannot start ends the wait at once. */
  async addUsers(users: string[], options: AddUsersOptions = {}): Promise<void> {
    if (options.servers === false) return createUsers(this.run.ledger, this.client, users);
    await startUserServers(this.run.ledger, this.client, this.kube, users);
  }

  private async podOf(user: string): Promise<string> {
    const pod = await this.kube.userPod(user);
    if (!pod?.metadata?.name || pod.status?.phase !== 'Running') {
      throw new HarnessError(
        'exec',
        `${user} has no running server pod in namespace ${this.details.namespace} (${pod ? `pod ${pod.metadata?.name} is ${pod.status?.phase}` : 'no pod'})`,
      );
    }
    return pod.metadata.name;
  }

  private async runInPod(pod: string, container: string, argv: string[], timeoutMs: number) {
    return execInPod(this.execApi, { namespace: this.details.namespace, pod, container }, argv, timeoutMs);
  }

  async homeOf(user: string): Promise<string> {
    const known = this.homes.get(user);
    if (known) return known;
    const result = await this.runInPod(await this.podOf(user), 'notebook', ['sh', '-c', 'printf %s "$HOME"'], 30_000);
    const home = result.exitCode === 0 && result.stdout.startsWith('/') ? result.stdout : '/home/jovyan';
    this.homes.set(user, home);
    return home;
  }

  async exec(user: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    const pod = await this.podOf(user);
    const cwd = resolveCwd(await this.homeOf(user), options.cwd);
    const started = Date.now();
    // The run's command bound (E2E_COMMAND_TIMEOUT) where the configuration has one, as locally.
    const configured = (this.run.config as { timeouts?: { commandMs?: number } }).timeouts?.commandMs;
    const result = await this.runInPod(pod, 'notebook', execArgv(command, cwd, options.unsetEnv), options.timeoutMs ?? configured ?? kubeTimeouts.commandMs);
    return {
      command,
      user,
      cwd,
      exitCode: result.exitCode,
      stdout: redact(result.stdout),
      stderr: redact(result.stderr),
      output: redact(result.output),
      durationMs: Date.now() - started,
      timedOut: result.timedOut,
    };
  }

  /** The log of a component's pod; after restarts, the previous container's log first (a crash loop's traceback). */
  async serviceLog(service: StackService): Promise<string> {
    const pods = await this.kube.pods(componentSelectors[service]);
    const parts: string[] = [];
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const container = pod.spec?.containers[0]?.name ?? '';
      const restarted = (pod.status?.containerStatuses ?? []).some((s) => s.name === container && s.restartCount > 0);
      if (restarted) parts.push(await this.kube.logs(name, container, { previous: true }).catch(() => ''));
      parts.push(await this.kube.logs(name, container).catch(() => ''));
    }
    return redact(parts.filter(Boolean).join('\n'));
  }

  /** Which components are up (the optional health ability): their deployments' rollout state. */
  async health(): Promise<Array<{ component: string; ok: boolean; detail: string }>> {
    const deployments = await this.kube.deployments();
    return (Object.keys(componentDeployments) as StackService[]).map((c) => {
      const d = deployments.find((x) => x.metadata?.name === componentDeployments[c]);
      return d ? { component: c, ok: deploymentReady(d), detail: deploymentSummary(d) } : { component: c, ok: false, detail: 'no deployment' };
    });
  }

  async versions(): Promise<Record<string, string>> {
    const out: Record<string, string> = { platform: this.state.platform };
    const attempt = async (label: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        out[label] = `unknown (${errorMessage(err).split('\n')[0]})`;
      }
    };
    await attempt('kubernetes', async () => {
      out.kubernetes = (await this.kube.kc.makeApiClient(VersionApi).getCode()).gitVersion;
    });
    await attempt('jupyterhub', async () => {
      out.jupyterhub = (await this.client.info()).version;
    });
    await attempt('charts', async () => {
      for (const d of await this.kube.deployments()) {
        const labels = d.metadata?.labels ?? {};
        const chart = labels['helm.sh/chart'] ?? labels.chart;
        if (chart) out[`chart of ${d.metadata?.name}`] = chart;
      }
    });
    await attempt('images', async () => {
      for (const pod of await this.kube.pods()) {
        for (const c of pod.spec?.containers ?? []) out[`image ${pod.metadata?.labels?.component ?? pod.metadata?.name}/${c.name}`] = c.image ?? '?';
      }
    });
    const python = (packages: string[]) =>
      `import importlib.metadata as m, json, sys; print(json.dumps({**{p: m.version(p) for p in ${JSON.stringify(packages)}}, "python": sys.version.split()[0]}))`;
    await attempt('ngshare', async () => {
      const [pod] = await this.kube.pods(componentSelectors.ngshare);
      if (!pod?.metadata?.name) throw new Error('no ngshare pod');
      const r = await this.runInPod(pod.metadata.name, pod.spec!.containers[0].name, ['python3', '-c', python(['ngshare', 'sqlalchemy'])], 30_000);
      const v = JSON.parse(r.stdout) as Record<string, string>;
      Object.assign(out, { ngshare: v.ngshare, 'ngshare sqlalchemy': v.sqlalchemy, 'ngshare python': v.python });
    });
    await attempt('nbgrader', async () => {
      const r = await this.runInPod(
        await this.podOf(this.state.users.instructor),
        'notebook',
        ['python', '-c', python(['nbgrader', 'ngshare-exchange', 'jupyterlab', 'sqlalchemy'])],
        60_000,
      );
      const v = JSON.parse(r.stdout) as Record<string, string>;
      Object.assign(out, {
        nbgrader: v.nbgrader,
        'ngshare-exchange': v['ngshare-exchange'],
        jupyterlab: v.jupyterlab,
        'user sqlalchemy': v.sqlalchemy,
        'user python': v.python,
      });
    });
    return out;
  }

  async collectDiagnostics(dir: string): Promise<string[]> {
    const bundle = new DiagnosticsBundle(dir);
    const write = bundle.write.bind(bundle);
    const section = bundle.section.bind(bundle);
    write('state.json', JSON.stringify(redactValue(this.state), null, 2));
    await section('pods', async () => {
      const pods = await this.kube.pods();
      write('pods.txt', ['NAME\tREADY\tSTATUS\tRESTARTS\tNODE', ...pods.map(podLine)].join('\n') + '\n');
      for (const pod of pods) {
        const name = pod.metadata?.name ?? 'unknown';
        write(`describe/${name}.yaml`, podForBundle(pod));
        const problem = podProblem(pod);
        if (problem) write(`describe/${name}.problem.txt`, `${problem}\n`);
        const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
        for (const s of statuses) {
          await section(`logs/${name}/${s.name}`, async () => write(`logs/${name}/${s.name}.log`, await this.kube.logs(name, s.name)));
          if (s.restartCount > 0) {
            await section(`logs/${name}/${s.name}.previous`, async () =>
              write(`logs/${name}/${s.name}.previous.log`, await this.kube.logs(name, s.name, { previous: true })),
            );
          }
        }
      }
    });
    // The same names as the local bundle, so the failure attachments are the same on every platform.
    for (const service of Object.keys(componentSelectors) as StackService[]) {
      await section(`logs/${service}`, async () => write(`logs/${service}.log`, await this.serviceLog(service)));
    }
    await section('health', async () => write('health.json', JSON.stringify(await this.health(), null, 2)));
    await section('events', async () => {
      write('events.txt', ['TIME\tTYPE\tREASON\tOBJECT\tMESSAGE', ...(await this.kube.events()).map(eventLine)].join('\n') + '\n');
    });
    await section('deployments', async () => {
      write('deployments.txt', (await this.kube.deployments()).map(deploymentSummary).join('\n') + '\n');
    });
    const valuesDir = this.details.valuesDir;
    if (valuesDir && fs.existsSync(valuesDir)) {
      for (const chart of fs.readdirSync(valuesDir)) {
        for (const file of fs.readdirSync(path.join(valuesDir, chart))) {
          const values = YAML.parse(fs.readFileSync(path.join(valuesDir, chart, file), 'utf8')) as unknown;
          write(`values/${chart}/${file}`, YAML.stringify(redactValue(values)));
        }
      }
    }
    await section('hub-users', async () => {
      const users = await Promise.all([this.state.users.instructor, this.state.users.student].map((u) => this.client.getUser(u)));
      write('hub-users.json', JSON.stringify(redactValue(users), null, 2));
    });
    await section('versions', async () => write('versions.json', JSON.stringify(await this.versions(), null, 2)));
    return bundle.files;
  }
}

/**
 * A stack the run installed itself: its components may be stopped and started (fault injection),
 * and it may be deployed again with another variant (troubleshooting: apply the documented fix),
 * the way its driver says. An existing release is never offered either.
 */
export class OwnedKubeStack extends KubeStack implements ServiceControl, Redeploy {
  constructor(
    kubeState: KubeState,
    run: Run,
    private readonly deploy: (variant: StackVariant) => Promise<void>,
  ) {
    super(kubeState, run);
  }

  async redeploy(variant: StackVariant): Promise<void> {
    await this.deploy(variant);
  }

  async stopService(name: StackService): Promise<void> {
    await this.kube.scale(componentDeployments[name], 0);
    await this.kube.awaitNoPods(componentSelectors[name], 2 * 60_000, `${name} pods gone`);
  }

  async startService(name: StackService): Promise<void> {
    await this.kube.scale(componentDeployments[name], 1);
    await this.kube.awaitRollout({ names: [componentDeployments[name]], timeoutMs: kubeTimeouts.rolloutMs, what: `${name} rollout` });
  }
}
