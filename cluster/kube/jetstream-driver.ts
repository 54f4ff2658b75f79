/**
 * The `jetstream` platform: any existing cluster reached through a kubeconfig (Jetstream's Magnum
 * clusters are the reason for the name). Two modes:
 *
 *  - install (default): the tutorial's Helm install into a namespace the run creates and labels,
 *    with run-unique users and course; teardown uninstalls and deletes that namespace, and only it.
 *  - --existing-release (the pre-semester check): test a JupyterHub + ngshare someone installed,
 *    without reinstalling or changing it, using an admin token the operator provides in
 *    E2E_HUB_ADMIN_TOKEN; the run adds only its own users, and teardown removes only them.
 *
 * The hub is reached through a port-forward on 127.0.0.1 in both modes.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { HarnessConfig, StackVariant } from '../config.js';
import { HarnessError, errorMessage } from '../errors.js';
import { HubClient } from '../hub-client.js';
import type { PlanStep, StackPlan } from '../plan.js';
import type { Leftover, PlatformDriver, Planner, PreflightCheck, Reaper, Stack } from '../platform.js';
import { requireChecks } from '../preflight.js';
import { registerSecret } from '../redact.js';
import type { Run } from '../run/index.js';
import { waitFor } from '../wait.js';
import { uninstallArgv } from './helm.js';
import { forwardStep, helmSteps, namespaceStep, redeployStack, userSteps } from './install.js';
import { Kube, listRunNamespaces } from './kube-api.js';
import { assertClusterAnswers, chooseKubeconfig, kubeconfigFor, loadKubeconfig } from './kubeconfig.js';
import { KubeStack, OwnedKubeStack } from './kube-stack.js';
import type { KubeDetails, KubeState, KubeStep } from './kube-types.js';
import { buildLayout, chartsSummary, ngshareUrls, renderForHelm, type KubeLayout, type RenderedValues } from './layout.js';
import { proxyForward, serveForward } from './port-forward.js';
import { detailsOf, kubePlan, log, runKubeSteps } from './run-steps.js';
import { removeCommon, removeRecorded } from './teardown.js';
import { checkTools } from './tools.js';

/** Where the operator's hub admin token for --existing-release comes from (read in config.ts). */
export const ADMIN_TOKEN_ENV = 'E2E_HUB_ADMIN_TOKEN';
function operatorToken(run: Run): string | undefined {
  const token = run.config.kube.adminToken;
  registerSecret(token);
  return token;
}

/** ngshare's --admins, as its deployment passes them (who may create courses on that release). */
export function ngshareAdmins(args: string[] | undefined): string[] {
  const i = (args ?? []).indexOf('--admins');
  return i >= 0 && args![i + 1]
    ? args![i + 1]
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
    : [];
}

export class JetstreamDriver implements PlatformDriver<KubeDetails>, Planner, Reaper {
  readonly name = 'jetstream' as const;

  private layoutFor(ctx: Run, variant?: StackVariant): KubeLayout {
    let currentContext: string | undefined;
    try {
      currentContext = loadKubeconfig(chooseKubeconfig(ctx.config), undefined).target.context;
    } catch {
      // Reported by preflight; a plan still shows what it would use.
    }
    return buildLayout('jetstream', ctx, { currentContext, variant });
  }

  /** An existing release is tested as it is: nothing is rendered for Helm. */
  private render(layout: KubeLayout, run: Run): RenderedValues | undefined {
    return layout.existingRelease ? undefined : renderForHelm(layout, run);
  }

  /** Everything `up` does, in order: the namespace or the existing release, the install, the port-forward, the users. */
  private steps(layout: KubeLayout, rendered: RenderedValues | undefined): KubeStep[] {
    const { before, reach } = this.platformSteps(layout);
    return [...before, ...(rendered ? helmSteps(layout, rendered) : []), ...reach, ...userSteps(layout), ...this.afterUsers(layout)];
  }

  /** The plan, plus what preflight would stop at, if the kubeconfig or context is already wrong here. */
  async plan(ctx: Run, variant: StackVariant = {}): Promise<StackPlan> {
    const layout = this.layoutFor(ctx, variant);
    const rendered = this.render(layout, ctx);
    const plan = kubePlan({
      layout,
      rendered,
      steps: this.steps(layout, rendered),
      summary: this.summaryLines(layout),
      preflight: this.preflightLines(layout),
      teardown: this.teardownSteps(layout),
      files: [],
      notes: this.platformNotes(layout),
    });
    try {
      loadKubeconfig(chooseKubeconfig(ctx.config), ctx.config.kube.context);
    } catch (err) {
      const warning = `on this machine a real run would stop at preflight: ${errorMessage(err).replace(/\n/g, '; ')}`;
      plan.notes.unshift(warning);
      plan.warnings = [...(plan.warnings ?? []), warning];
    }
    return plan;
  }

  async preflight(run: Run): Promise<PreflightCheck[]> {
    const layout = this.layoutFor(run);
    const checks: PreflightCheck[] = [];
    if (!layout.existingRelease) {
      this.render(layout, run); // a values file that does not parse fails here, before anything else
      checks.push(...(await checkTools(['helm'])));
    } else {
      checks.push(
        operatorToken(run)
          ? { name: ADMIN_TOKEN_ENV, ok: true, detail: 'set' }
          : {
              name: ADMIN_TOKEN_ENV,
              ok: false,
              detail: `--existing-release needs the hub admin token in ${ADMIN_TOKEN_ENV} (an admin user's or an admin service's API token)`,
            },
      );
    }
    // Every problem at once: the tool, the kubeconfig or its context, then whether the cluster answers.
    try {
      const { kc, target, server } = loadKubeconfig(chooseKubeconfig(run.config), run.config.kube.context);
      checks.push({ name: 'kubeconfig', ok: true, detail: `${target.kubeconfig}, context ${target.context} (${server})` });
      try {
        checks.push({ name: 'cluster', ok: true, detail: `answers: Kubernetes ${await assertClusterAnswers(kc, target)}` });
      } catch (err) {
        checks.push({ name: 'cluster', ok: false, detail: errorMessage(err).replace(/^kube: /, '') });
      }
    } catch (err) {
      checks.push({
        name: 'kubeconfig',
        ok: false,
        detail: errorMessage(err)
          .replace(/^kube: /, '')
          .replace(/\n/g, '; '),
      });
    }
    for (const c of checks) log.info(`preflight: ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    return requireChecks('jetstream', checks);
  }

  private preflightLines(layout: KubeLayout): string[] {
    return [
      ...(layout.existingRelease
        ? [`${ADMIN_TOKEN_ENV} is set (the operator's hub admin token)`]
        : ['helm on PATH, `helm version --short` >= 3.7.0', 'every values file parses and every placeholder is filled (done for this plan too)']),
      `kubeconfig ${layout.target.kubeconfig} exists and has context ${layout.target.context}`,
      'the cluster answers GET /version within 10 s',
    ];
  }

  private summaryLines(layout: KubeLayout): string[] {
    const r = layout.releases;
    return [
      `kubeconfig:    ${layout.target.kubeconfig} (${layout.kubeconfigSource}), context ${layout.target.context}`,
      layout.existingRelease
        ? `namespace:     ${layout.namespace} (existing; nothing in it is installed or changed)`
        : `namespace:     ${layout.namespace} (created and owned by this run)`,
      layout.existingRelease
        ? `releases:      the existing ${r.hub.name} and ${r.ngshare.name} (not reinstalled)`
        : `releases:      ${r.ngshare.name} (${r.ngshare.chart} ${r.ngshare.version}), ${r.hub.name} (${r.hub.chart} ${r.hub.version})`,
      ...(layout.existingRelease
        ? []
        : [
            `charts from:   ${chartsSummary(layout)}`,
            `values from:   ${layout.deployRepo ? `deployment repository ${layout.deployRepo}` : 'the project (cluster/kube/values/)'}`,
          ]),
      `users:         ${layout.names.instructor} (instructor), ${layout.names.student} (student); course ${layout.names.courseId} (run-unique names on a shared cluster)`,
      `hub:           http://127.0.0.1:<free port>, a port-forward to the proxy pod's port ${proxyForward.podPort}`,
    ];
  }

  private platformNotes(layout: KubeLayout): string[] {
    if (layout.existingRelease) {
      return [
        "the release's own nbgrader_config.py names its course; the run gives its users the run's course in ~/.jupyter/nbgrader_config.py, which Jupyter reads before /etc/jupyter",
        "creating the run's course (tutorial Step 5) needs an ngshare admin: the release's ngshare --admins are read and reported; the run's instructor is not one of them unless the operator made it so",
        "teardown deletes the run's hub users (kubespawner deletes their volumes with them); a course created in ngshare stays (deleting one needs an ngshare admin)",
      ];
    }
    return [
      'shared-cluster values: the proxy is ClusterIP (no public load balancer for a hub whose test users share one password)',
      "the deployment's values are used as they are otherwise (storage classes, access modes, network policies): what fails on this cluster fails for its users too",
    ];
  }

  private platformSteps(layout: KubeLayout): { before: KubeStep[]; reach: KubeStep[] } {
    if (!layout.existingRelease) return { before: [namespaceStep(layout)], reach: [forwardStep(layout)] };
    const findRelease: KubeStep = {
      title: `Find the existing release in namespace ${layout.namespace}: deployments hub, proxy and ngshare available (nothing is installed or changed)`,
      notes: ["client-node: list Deployments; read ngshare's --admins from its container args"],
      run: async ({ run }) => {
        run.secrets.set('hubAdminToken', operatorToken(run)!);
        const [, , ngshare] = await Kube.connect(layout.target, layout.namespace)
          .awaitRollout({ names: ['hub', 'proxy', 'ngshare'], timeoutMs: 60_000, what: `existing release in ${layout.namespace}` })
          .then((ds) => ['hub', 'proxy', 'ngshare'].map((n) => ds.find((d) => d.metadata?.name === n)));
        const admins = ngshareAdmins(ngshare?.spec?.template.spec?.containers[0]?.args);
        log.info(`ngshare admins of this release: ${admins.join(', ') || 'none'}`);
        if (!admins.includes(layout.names.instructor)) {
          log.warn(`the run's instructor ${layout.names.instructor} is not an ngshare admin here: creating the run's course (Step 5) will be refused`);
        }
      },
    };
    return { before: [findRelease], reach: [forwardStep(layout)] };
  }

  private afterUsers(layout: KubeLayout): KubeStep[] {
    if (!layout.existingRelease) return [];
    const { courseId } = layout.names;
    return [
      {
        title: `Give the run's users the run's course ${courseId} in ~/.jupyter/nbgrader_config.py`,
        notes: ["exec in each user's pod; the release's /etc/jupyter/nbgrader_config.py still names the exchange"],
        run: async ({ run, state }) => {
          const stack = new KubeStack(state, run);
          const file = `c = get_config()\\nc.CourseDirectory.course_id = '${courseId}'\\n`;
          for (const user of [layout.names.instructor, layout.names.student]) {
            const r = await stack.exec(user, `mkdir -p ~/.jupyter && printf '${file}' > ~/.jupyter/nbgrader_config.py`);
            if (r.exitCode !== 0) throw new HarnessError('jetstream', `could not write ${user}'s nbgrader_config.py (exit ${r.exitCode})`, r.output);
          }
        },
      },
    ];
  }

  private teardownSteps(layout: KubeLayout): PlanStep[] {
    const stop = { title: 'Stop the port-forward process (by the pid the ledger recorded)' };
    if (layout.existingRelease) {
      return [
        {
          title: `Stop the servers of ${layout.names.instructor} and ${layout.names.student} and delete the users (hub REST API; nothing else of the release is touched)`,
        },
        stop,
      ];
    }
    const { hub, ngshare } = layout.releases;
    return [
      stop,
      { title: `Uninstall ${hub.name}`, commands: [['helm', ...uninstallArgv(hub.name, hub.namespace, layout.target)]] },
      { title: `Uninstall ${ngshare.name}`, commands: [['helm', ...uninstallArgv(ngshare.name, ngshare.namespace, layout.target)]] },
      {
        title: `Delete namespace ${layout.namespace}, only if it carries this run's label`,
        notes: ['client-node: DELETE /api/v1/namespaces/…, then wait for it to go (≤ 5 min)'],
      },
    ];
  }

  async up(run: Run, variant: StackVariant = {}): Promise<KubeState> {
    const layout = this.layoutFor(run, variant);
    const rendered = this.render(layout, run);
    const state = await runKubeSteps(run, layout, this.steps(layout, rendered), layout.existingRelease ? 'hubAdminToken' : 'harnessApiToken');
    if (layout.existingRelease) state.ngshareUrl = ngshareUrls(layout.namespace).exchange;
    return state;
  }

  /** An existing release is only used; a stack the run installed may also be redeployed and its services stopped. */
  async attach(state: KubeState, run: Run): Promise<Stack> {
    if (state.details.existingRelease) return new KubeStack(state, run);
    const token = run.secrets.get(state.details.tokenSecret);
    return new OwnedKubeStack(state, run, (variant) => redeployStack(run, state, token, variant));
  }

  /** A hub client for teardown: through the run's port-forward, or a short-lived one of its own if that one is gone. */
  private async hubForDown(run: Run, details: KubeDetails): Promise<{ client: HubClient; close: () => void }> {
    const state = run.stack.load();
    const token = run.secrets.get(details.tokenSecret);
    const client = new HubClient(state.hubApiUrl, token);
    if (
      state.hubApiUrl &&
      (await client.info().then(
        () => true,
        () => false,
      ))
    )
      return { client, close: () => undefined };
    const server: net.Server = await serveForward(kubeconfigFor(details.target), { namespace: details.namespace, ...proxyForward });
    const port = (server.address() as AddressInfo).port;
    return { client: new HubClient(`http://127.0.0.1:${port}/hub/api`, token), close: () => server.close() };
  }

  /** Namespaces labelled with a run, on the cluster the kubeconfig names (--kubeconfig/--context, else KUBECONFIG, else ~/.kube/config). */
  async findLeftovers(config: HarnessConfig): Promise<{ leftovers: Leftover[]; notes: string[] }> {
    const choice = chooseKubeconfig(config);
    if (!config.kube.kubeconfig && !config.kube.context && !fs.existsSync(choice.file)) {
      return { leftovers: [], notes: [`no kubeconfig (${choice.file}): namespaces not checked`] };
    }
    try {
      const { kc, target } = loadKubeconfig(choice, config.kube.context);
      const namespaces = await listRunNamespaces(kc);
      const leftovers = namespaces.map((ns) => ({
        description: `namespace ${ns.name} (context ${target.context})`,
        runId: ns.runId,
        remove: async () => {
          await new Kube(kc, ns.name).deleteOwnedNamespace(ns.runId);
        },
      }));
      return { leftovers, notes: [] };
    } catch (err) {
      return { leftovers: [], notes: [`namespaces not checked: ${errorMessage(err).split('\n')[0]}`] };
    }
  }

  async down(run: Run): Promise<void> {
    const details = detailsOf(run);
    let hub: { client: HubClient; close: () => void } | undefined;
    try {
      await removeRecorded(run, this.name, async (r) => {
        if (r.kind === 'hub-user') {
          // In a namespace the run owns, its users go with it.
          if (!details?.existingRelease) return true;
          hub ??= await this.hubForDown(run, details);
          // The hub stops a running server itself; it refuses (400) while a start or stop is pending.
          const client = hub.client;
          await waitFor(() => client.deleteUser(r.name).then(() => true), { what: `hub user ${r.name} deleted`, timeoutMs: 3 * 60_000, intervalMs: 3_000 });
          log.info(`hub user ${r.name} deleted`);
          return true;
        }
        return removeCommon(run, r, details);
      });
    } finally {
      hub?.close();
    }
  }
}
