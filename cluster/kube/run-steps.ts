/**
 * A Kubernetes bring-up as a list of steps that `up` runs and `plan` prints (so a dry run shows
 * exactly what a real run does): the state a run starts from, running the steps while saving the
 * state as it learns more (a failed setup can still be diagnosed), and the plan they make.
 */
import path from 'node:path';
import type { PlanFile, PlanStep, StackPlan } from '../plan.js';
import { redactValue } from '../redact.js';
import type { Run } from '../run/index.js';
import { planSteps, runSteps } from '../steps.js';
import { logger } from '../log.js';
import type { KubeDetails, KubeState, KubeStep, Live } from './kube-types.js';
import { ngshareUrls, variantNames, type KubeLayout, type RenderedValues } from './layout.js';
import { layerYaml, mergeLayers, valuesYaml } from './values.js';

export const log = logger('platform');

/** The state of a run before its first step: names and targets known, URLs not yet. */
export function initialState(layout: KubeLayout, tokenSecret: string): KubeState {
  const details: KubeDetails = {
    target: layout.target,
    namespace: layout.namespace,
    existingRelease: layout.existingRelease,
    releases: { ngshare: layout.releases.ngshare.name, hub: layout.releases.hub.name },
    kindCluster: layout.kind?.cluster,
    valuesDir: layout.existingRelease ? undefined : layout.valuesDir,
    tokenSecret,
    variant: layout.variant,
    deployRepo: layout.deployRepo,
    chartOptions: layout.chartOptions,
    bakedImage: Boolean(layout.baked),
  };
  return {
    platform: layout.platform,
    runId: layout.runId,
    hubUrl: '',
    hubApiUrl: '',
    ngshareUrl: ngshareUrls(layout.namespace).exchange,
    users: { instructor: layout.names.instructor, student: layout.names.student },
    courseId: layout.names.courseId,
    deploymentNamesCourse: !layout.existingRelease,
    details,
  };
}

/** Runs the steps in order, saving the state after each one. */
export async function runKubeSteps(run: Run, layout: KubeLayout, steps: KubeStep[], tokenSecret: string): Promise<KubeState> {
  const state = initialState(layout, tokenSecret);
  const live: Live = { run, state, details: state.details };
  const save = () => run.stack.save(state);
  save();
  await runSteps(steps, live, log, save);
  return state;
}

export interface KubePlanParts {
  layout: KubeLayout;
  rendered: RenderedValues | undefined;
  steps: KubeStep[];
  /** Where and with what, one line each. */
  summary: string[];
  preflight: string[];
  teardown: PlanStep[];
  /** Files the run writes besides the values files. */
  files: PlanFile[];
  notes: string[];
}

/** The plan of a bring-up: its steps, the values files Helm gets (secrets masked), what they add up to. */
export function kubePlan(parts: KubePlanParts): StackPlan {
  const { layout, rendered } = parts;
  const files = [...parts.files];
  const notes = [...parts.notes];
  if (variantNames(layout.variant).length) notes.push(`variant: ${variantNames(layout.variant).join(', ')}`);
  if (rendered) {
    for (const l of [...rendered.ngshare, ...rendered.jupyterhub])
      files.push({ path: path.join(layout.valuesDir, l.chart, l.file), content: layerYaml(l, true) });
    for (const s of rendered.skipped) notes.push(`${/^(project|deploy repo) /.test(s.file) ? s.file : `deploy repo ${s.file}`} not used: ${s.reason}`);
  }
  return {
    platform: layout.platform,
    runId: layout.runId,
    summary: parts.summary,
    preflight: parts.preflight,
    steps: planSteps(parts.steps),
    teardown: parts.teardown,
    files,
    rendered: rendered ? (['ngshare', 'jupyterhub'] as const).map((chart) => ({ chart, yaml: valuesYaml(redactValue(mergeLayers(rendered[chart]))) })) : [],
    notes,
  };
}

/** The details of the run's saved stack, if `up` got far enough to save one. */
export function detailsOf(run: Run): KubeDetails | undefined {
  return run.stack.exists() ? run.stack.load<KubeDetails>().details : undefined;
}
