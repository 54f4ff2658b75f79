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
import type { KubeConfig } from '@kubernetes/client-node';
import type { AddressInfo } from 'node:net';
import type { HarnessConfig, StackVariant } from '../config.js';
import { HarnessError, errorMessage } from '../errors.js';
import { courseConfig } from '../classroom.js';
import { HubClient } from '../hub-client.js';
import { NgshareClient } from '../ngshare-client.js';
import type { PlanStep, StackPlan } from '../plan.js';
import type { Leftover, PlatformDriver, Planner, PreflightCheck, Reaper, Stack } from '../platform.js';
import { requireChecks } from '../preflight.js';
import { registerSecret } from '../redact.js';
import { shellQuote } from '../shell.js';
import type { Run } from '../run/index.js';
import { waitFor } from '../wait.js';
import { uninstallArgv } from './helm.js';
import { forwardStep, helmSteps, hubStep, namespaceStep, redeployStack, userSteps } from './install.js';
import { deleteReleaseClusterObjects, describeNeed, Kube, listRunNamespaces, missingPermissions, type AccessNeed } from './kube-api.js';
import { assertClusterAnswers, chooseKubeconfig, kubeconfigFor, loadKubeconfig } from './kubeconfig.js';
import { KubeStack, OwnedKubeStack } from './kube-stack.js';
import { RUN_LABEL, kubeTimeouts, type KubeDetails, type KubeState, type KubeStep } from './kube-types.js';
import { buildLayout, chartsSummary, ngshareUrls, renderForHelm, type KubeLayout, type RenderedValues } from './layout.js';
import { proxyForward, serveForward } from './port-forward.js';
import { detailsOf, kubePlan, log, runKubeSteps } from './run-steps.js';
import { removeCommon, removeRecorded } from './teardown.js';
import { checkTools } from './tools.js';
import { startUserServers } from './user-servers.js';
import { mergeLayers } from './values.js';

/** Where the operator's hub admin token for --existing-release comes from (read in config.ts). */
export const ADMIN_TOKEN_ENV = 'E2E_HUB_ADMIN_TOKEN';
function operatorToken(run: Run): string | undefined {
  const token = run.config.kube.adminToken;
  registerSecret(token);
  return token;
}

/** --ngshare-admin: how long the token the run mints for the admin lives (it is deleted at teardown anyway). */
const adminTokenHours = 4;
const adminTokenSecret = 'ngshareAdminToken';

/**
 * What the kubeconfig's user must be allowed to do, for preflight to ask before anything is made.
 * An install: its namespace, z2jh's cluster-scoped user scheduler (when the values keep it), every
 * kind of object the two charts make in the namespace, and the pods' port-forward, exec and logs.
 * An existing release: reading it, and the port-forward and exec into its pods.
 */
export function accessNeeds(layout: KubeLayout, rendered: RenderedValues | undefined): AccessNeed[] {
  const namespace = layout.namespace;
  const inNamespace = (verb: string, resource: string, group: string, why: string, subresource?: string): AccessNeed => ({
    verb,
    resource,
    group,
    subresource,
    namespace,
    why,
  });
  const pods = [
    inNamespace('list', 'pods', '', 'the rollout and user-server waits'),
    inNamespace('create', 'pods', '', "the hub's port-forward", 'portforward'),
    inNamespace('create', 'pods', '', "commands in the users' servers", 'exec'),
  ];
  if (layout.existingRelease) return [inNamespace('list', 'deployments', 'apps', 'finding the release'), ...pods];
  const values = rendered ? mergeLayers(rendered.jupyterhub) : {};
  const scheduling = (values.scheduling ?? {}) as { userScheduler?: { enabled?: boolean } };
  const userScheduler = scheduling.userScheduler?.enabled !== false;
  const why = "the charts' objects";
  return [
    { verb: 'create', resource: 'namespaces', group: '', why: "the run's namespace" },
    ...(userScheduler
      ? [
          { verb: 'create', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', why: "z2jh's user scheduler (cluster-scoped)" },
          { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io', why: "z2jh's user scheduler (cluster-scoped)" },
        ]
      : []),
    inNamespace('create', 'deployments', 'apps', why),
    inNamespace('create', 'services', '', why),
    inNamespace('create', 'secrets', '', `${why} and Helm's release records`),
    inNamespace('create', 'configmaps', '', why),
    inNamespace('create', 'persistentvolumeclaims', '', `${why}: the hub's database, ngshare's storage`),
    inNamespace('create', 'serviceaccounts', '', why),
    inNamespace('create', 'roles', 'rbac.authorization.k8s.io', why),
    inNamespace('create', 'rolebindings', 'rbac.authorization.k8s.io', why),
    inNamespace('create', 'networkpolicies', 'networking.k8s.io', why),
    inNamespace('create', 'poddisruptionbudgets', 'policy', why),
    inNamespace('list', 'events', '', "a failing pod's or claim's events"),
    ...pods,
  ];
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
    const users = layout.ngshareAdmin ? [hubStep(layout), ...this.ngshareAdminSteps(layout)] : userSteps(layout);
    return [...before, ...(rendered ? helmSteps(layout, rendered) : []), ...reach, ...users, ...this.afterUsers(layout)];
  }

  /**
   * --ngshare-admin: an existing ngshare admin of the release acts as the run's instructor. It is
   * never created or deleted; its server is started only if it is not running (and then stopped
   * at teardown); a short-lived token of its own (deleted at teardown) creates and deletes the
   * run's courses. The student is the run's own, as without it.
   */
  private ngshareAdminSteps(layout: KubeLayout): KubeStep[] {
    const admin = layout.names.instructor;
    const { student } = layout.names;
    return [
      {
        title: `Use the ngshare admin ${admin} as the run's instructor: its server (started only if it is not running), and a token of its own for the run's courses (expires in ${adminTokenHours} h; deleted at teardown)`,
        notes: [
          `GET /hub/api/users/${admin} (it must exist; it is never created or deleted), POST …/server only if it has none, POST /hub/api/users/${admin}/tokens`,
        ],
        run: async ({ run, state, details }) => {
          const client = new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret));
          const user = await client.getUser(admin);
          if (!user)
            throw new HarnessError(
              'jetstream',
              `--ngshare-admin ${admin} is not a user of this hub: name an existing ngshare admin (a dedicated test account)`,
            );
          const running = Boolean(user.servers?.['']?.ready);
          details.ngshareAdmin = { user: admin, startedServer: !running };
          if (!running) {
            run.stack.save(state); // before the server exists, so teardown knows to stop it
            await client.startServer(admin);
            await client.awaitServerReady(admin, kubeTimeouts.serverMs);
            log.info(`${admin}'s server started by the run (stopped at teardown)`);
          } else log.info(`${admin}'s server is running: used as it is, and left running`);
          const minted = await client.createToken(admin, `nbgrader-e2e run ${run.id}: the run's courses`, adminTokenHours * 3600);
          run.ledger.record({ kind: 'hub-token', user: admin, id: minted.id });
          run.secrets.set(adminTokenSecret, minted.token);
        },
      },
      {
        title: `Create the run's student ${student} and start its server`,
        notes: ['POST /hub/api/users/{name}, POST /hub/api/users/{name}/server, then poll until ready (the pod watched for crash loops and pull errors)'],
        run: ({ state, run, details }) =>
          startUserServers(run.ledger, new HubClient(state.hubApiUrl, run.secrets.get(details.tokenSecret)), Kube.connect(details.target, details.namespace), [
            student,
          ]),
      },
    ];
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
        checks.push(
          ...(await this.accessChecks(kc, layout, run).catch((err: unknown) => [
            { name: 'permissions', ok: false, detail: `could not ask the API server (SelfSubjectAccessReview): ${errorMessage(err).split('\n')[0]}` },
          ])),
        );
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

  /**
   * What the kubeconfig's user may not do that the run would, asked of the API server (nothing is
   * made); and, for an install, a namespace of that name that is someone else's.
   */
  private async accessChecks(kc: KubeConfig, layout: KubeLayout, run: Run): Promise<PreflightCheck[]> {
    const missing = await missingPermissions(kc, accessNeeds(layout, this.render(layout, run)));
    const checks: PreflightCheck[] = [
      missing.length
        ? {
            name: 'permissions',
            ok: false,
            detail: `the user of context ${layout.target.context} may not: ${missing.map((m) => `${describeNeed(m)} (${m.why})`).join('; ')} (asked the API server: SelfSubjectAccessReview)`,
          }
        : { name: 'permissions', ok: true, detail: `every permission the run needs (${accessNeeds(layout, undefined).length} asked)` },
    ];
    if (!layout.existingRelease) {
      const owner = await new Kube(kc, layout.namespace).namespaceOwner().catch(() => undefined);
      if (owner !== undefined && owner !== run.id) {
        checks.push({
          name: 'namespace',
          ok: false,
          detail: `${layout.namespace} exists and is not this run's (label ${RUN_LABEL}=${owner || 'none'}): choose another --namespace, or test it with --existing-release`,
        });
      }
    }
    return checks;
  }

  private preflightLines(layout: KubeLayout): string[] {
    return [
      ...(layout.existingRelease
        ? [`${ADMIN_TOKEN_ENV} is set (the operator's hub admin token)`]
        : ['helm on PATH, `helm version --short` >= 3.7.0', 'every values file parses and every placeholder is filled (done for this plan too)']),
      `kubeconfig ${layout.target.kubeconfig} exists and has context ${layout.target.context}`,
      'the cluster answers GET /version within 10 s',
      `the kubeconfig's user may do what the run does (SelfSubjectAccessReview, nothing made): ${accessNeeds(layout, undefined).map(describeNeed).join('; ')}`,
      ...(layout.existingRelease ? [] : [`namespace ${layout.namespace} does not exist yet, or is this run's`]),
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
      layout.ngshareAdmin
        ? `users:         ${layout.names.instructor} (instructor: the release's ngshare admin, --ngshare-admin), ${layout.names.student} (student, the run's own); course ${layout.names.courseId}`
        : `users:         ${layout.names.instructor} (instructor), ${layout.names.student} (student); course ${layout.names.courseId} (run-unique names on a shared cluster)`,
      `hub:           http://127.0.0.1:<free port>, a port-forward to the proxy pod's port ${proxyForward.podPort}`,
    ];
  }

  private platformNotes(layout: KubeLayout): string[] {
    if (layout.existingRelease) {
      return [
        "the release's own nbgrader_config.py names its course; the run gives its users the run's course in ~/.jupyter/nbgrader_config.py, which Jupyter reads before /etc/jupyter",
        ...(layout.ngshareAdmin
          ? [
              `the instructor is the ngshare admin ${layout.ngshareAdmin} (--ngshare-admin; a dedicated test account): never created or deleted; its ~/.jupyter/nbgrader_config.py is written with the run's course; its server is used, or started and then stopped`,
              `in the course's production ngshare the run creates its course ${layout.names.courseId} (and ${layout.names.courseId}-c2, … for more classrooms) through that admin, with the student roster, the assignment and the submissions the tutorial makes; teardown deletes those courses through it, then its token`,
            ]
          : [
              "creating the run's course (tutorial Step 5) needs an ngshare admin: the release's ngshare --admins are read and reported; the run's instructor is not one of them: name one with --ngshare-admin <user> (a dedicated test account)",
              'without --ngshare-admin a course created in ngshare stays after teardown (deleting one needs an ngshare admin)',
            ]),
        "teardown deletes the run's own hub users (kubespawner deletes their volumes with them); nothing else of the release is touched",
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
        if (layout.ngshareAdmin && !admins.includes(layout.ngshareAdmin)) {
          throw new HarnessError(
            'jetstream',
            `--ngshare-admin ${layout.ngshareAdmin} is not an ngshare admin of this release (its --admins: ${admins.join(', ') || 'none'}): the run could not create its course`,
          );
        }
        if (!admins.includes(layout.names.instructor)) {
          log.warn(
            `the run's instructor ${layout.names.instructor} is not an ngshare admin here: creating the run's course (Step 5) will be refused; name one with --ngshare-admin`,
          );
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
          for (const user of [layout.names.instructor, layout.names.student]) {
            const r = await stack.exec(user, `mkdir -p ~/.jupyter && printf %s ${shellQuote(courseConfig(courseId))} > ~/.jupyter/nbgrader_config.py`);
            if (r.exitCode !== 0) throw new HarnessError('jetstream', `could not write ${user}'s nbgrader_config.py (exit ${r.exitCode})`, r.output);
          }
        },
      },
    ];
  }

  private teardownSteps(layout: KubeLayout): PlanStep[] {
    const stop = { title: 'Stop the port-forward process (by the pid the ledger recorded)' };
    if (layout.existingRelease && layout.ngshareAdmin) {
      return [
        {
          title: `Delete the run's courses (${layout.names.courseId} and its classrooms' ${layout.names.courseId}-c<n>) through the ngshare admin ${layout.ngshareAdmin}`,
          notes: ['DELETE <hub>/services/ngshare/api/course/<id> with its token'],
        },
        { title: `Stop and delete the run's student ${layout.names.student} (hub REST API)` },
        { title: `Delete the admin's token; stop its server only if the run started it (the user ${layout.ngshareAdmin} is never deleted)` },
        stop,
      ];
    }
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

  /**
   * The run's courses in the release's ngshare, deleted through the ngshare admin's token: those
   * the ledger lists, and those named after the run's course (the tutorial creates its own in Step
   * 5, classrooms add -c2, -c3 …). Nothing else of ngshare is touched.
   */
  private async deleteCourses(run: Run, details: KubeDetails, hubClient: () => Promise<HubClient>): Promise<void> {
    if (!run.secrets.has(adminTokenSecret)) return;
    const client = await hubClient();
    const ngshare = new NgshareClient(client.apiUrl.replace(/\/hub\/api\/?$/, ''), run.secrets.get(adminTokenSecret));
    const { courseId } = run.stack.load();
    const recorded = run.ledger.list().flatMap((r) => (r.kind === 'ngshare-course' ? [r.courseId] : []));
    const named = (await ngshare.courses()).filter((c) => c === courseId || new RegExp(`^${courseId}-c\\d+$`).test(c));
    for (const id of [...new Set([...recorded, ...named])]) {
      try {
        await ngshare.deleteCourse(id);
        log.info(`course ${id} deleted from ngshare through ${details.ngshareAdmin!.user}`);
      } catch (err) {
        if (!/Course not found|answered 404/.test(errorMessage(err))) throw err;
      }
      run.ledger.forget((r) => r.kind === 'ngshare-course' && r.courseId === id);
    }
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
          // Its releases were never uninstalled: what they made outside the namespace goes first.
          const deleted = await deleteReleaseClusterObjects(kc, ns.name);
          if (deleted.length) log.info(`deleted ${deleted.join(', ')} (made by releases of ${ns.name})`);
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
    const hubClient = async () => (hub ??= await this.hubForDown(run, details!)).client;
    try {
      // The run's courses first, through the ngshare admin, while its token exists.
      if (details?.existingRelease && details.ngshareAdmin) await this.deleteCourses(run, details, hubClient);
      await removeRecorded(run, this.name, async (r) => {
        if (r.kind === 'ngshare-course') {
          log.warn(`course ${r.courseId} stays in ngshare: deleting a course needs an ngshare admin (--ngshare-admin)`);
          return true;
        }
        if (r.kind === 'hub-token') {
          if (!details) return false;
          await (await hubClient()).deleteToken(r.user, r.id);
          log.info(`the run's token of ${r.user} deleted`);
          if (details.ngshareAdmin?.user === r.user && details.ngshareAdmin.startedServer) {
            await (await hubClient()).stopServer(r.user);
            log.info(`${r.user}'s server stopped (the run had started it); the user stays`);
          }
          return true;
        }
        if (r.kind === 'hub-user') {
          // In a namespace the run owns, its users go with it.
          if (!details?.existingRelease) return true;
          // The hub stops a running server itself; it refuses (400) while a start or stop is pending.
          const client = await hubClient();
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
