/**
 * kwok's configuration file: its own stages (node fast, node heartbeat-with-lease, pod fast, read
 * from the kwok module as go-tools cached them) plus stages of ours that make a pod fail the way a
 * real kubelet reports it, on demand:
 *
 *   label or annotation `nbgrader-e2e.local/kwok-fault: CrashLoopBackOff`
 *     the pod goes Running with every container waiting in CrashLoopBackOff (last state: exit 1),
 *     and its restartCount goes up every 10 s, with a BackOff event each time;
 *   label or annotation `nbgrader-e2e.local/kwok-fault: ImagePullBackOff`
 *     the pod stays Pending with every container waiting in ImagePullBackOff, with the Failed and
 *     BackOff events a kubelet sends.
 *
 * Pods are simulated: nothing runs in them. Our stages carry weight 1 and kwok's weight 0, and kwok
 * picks among matching stages by weight, so a labelled pod always takes ours, never pod-ready.
 */
import fs from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { HarnessError } from '../../errors.js';
import type { KwokStagePaths } from '../../go-tools.js';

/** The label (or annotation) that selects a fault stage. */
export const kwokFaultKey = 'nbgrader-e2e.local/kwok-fault';

export type KwokFault = 'CrashLoopBackOff' | 'ImagePullBackOff';
export const kwokFaults: readonly KwokFault[] = ['CrashLoopBackOff', 'ImagePullBackOff'];

/** Seconds between two simulated restarts of a crash-looping container. */
export const crashLoopRestartSeconds = 10;

// jq: the label, else the annotation (a chart may let you set only one of them on its pods).
const faultOf = `.metadata.labels["${kwokFaultKey}"] // .metadata.annotations["${kwokFaultKey}"]`;

const notDeleted = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const phaseIs = (phase: string) => ({ key: '.status.phase', operator: 'In', values: [phase] });
const faultIs = (fault: KwokFault) => ({ key: faultOf, operator: 'In', values: [fault] });

// Timestamps come from the pod's startTime once it has one, so a stage that matches again (kwok
// re-evaluates a pod after every update) renders the same patch and kwok skips it instead of
// looping. (.metadata.creationTimestamp is not in the data kwok renders pod templates with.)
// A pod keeps the IP it has: kwok may hand out another one when a stage is applied again, and
// the API server refuses two IPs of one family.
const podAddresses = `
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ $podIP := .status.podIP }}
{{ if not $podIP }}{{ $podIP = PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}{{ end }}
{{ with $podIP }}
podIP: {{ . | Quote }}
podIPs:
- ip: {{ . | Quote }}
{{ end }}`;

const notReadyConditions = (since: string) => `
conditions:
- type: PodReadyToStartContainers
  status: "True"
  lastTransitionTime: ${since}
- type: Initialized
  status: "True"
  lastTransitionTime: ${since}
- type: Ready
  status: "False"
  reason: ContainersNotReady
  message: "containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]"
  lastTransitionTime: ${since}
- type: ContainersReady
  status: "False"
  reason: ContainersNotReady
  message: "containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]"
  lastTransitionTime: ${since}`;

const initContainersCompleted = (at: string) => `
initContainerStatuses:
{{ range .spec.initContainers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: true
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: ${at}
      finishedAt: ${at}
{{ end }}`;

function crashLoopStart(): object {
  const since = '{{ $since | Quote }}';
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'nbgrader-e2e-crash-loop-start' },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: { matchExpressions: [notDeleted, phaseIs('Pending'), faultIs('CrashLoopBackOff')] },
      weight: 1,
      steps: [
        {
          event: {
            type: 'Warning',
            reason: 'BackOff',
            message: 'Back-off restarting failed container (kwok stage: nbgrader-e2e.local/kwok-fault=CrashLoopBackOff)',
          },
        },
        {
          patch: {
            subresource: 'status',
            root: 'status',
            template: `{{ $since := or .status.startTime Now }}
{{ $pod := . }}
phase: Running
startTime: ${since}
${notReadyConditions(since)}
${initContainersCompleted(since)}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: 1
  lastState:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: ${since}
      finishedAt: ${since}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: {{ printf "back-off 10s restarting failed container=%s pod=%s_%s(%s)" .name $pod.metadata.name $pod.metadata.namespace $pod.metadata.uid | Quote }}
{{ end }}
${podAddresses}`,
          },
        },
      ],
    },
  };
}

function crashLoopRestart(): object {
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'nbgrader-e2e-crash-loop-restart' },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: {
        matchExpressions: [
          notDeleted,
          phaseIs('Running'),
          faultIs('CrashLoopBackOff'),
          { key: '.status.containerStatuses.[].state.waiting.reason', operator: 'In', values: ['CrashLoopBackOff'] },
        ],
      },
      weight: 1,
      delay: { durationMilliseconds: crashLoopRestartSeconds * 1000 },
      steps: [
        { event: { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container' } },
        {
          patch: {
            subresource: 'status',
            root: 'status',
            // containerStatuses has no merge key: the patch replaces the list, so it is written whole.
            template: `{{ $now := Now }}
{{ $pod := . }}
containerStatuses:
{{ range .status.containerStatuses }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: {{ add ( or .restartCount 0 ) 1 }}
  lastState:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: {{ printf "back-off 10s restarting failed container=%s pod=%s_%s(%s)" .name $pod.metadata.name $pod.metadata.namespace $pod.metadata.uid | Quote }}
{{ end }}`,
          },
        },
      ],
    },
  };
}

function imagePullBackOff(): object {
  const since = '{{ $since | Quote }}';
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'nbgrader-e2e-image-pull-back-off' },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: { matchExpressions: [notDeleted, phaseIs('Pending'), faultIs('ImagePullBackOff')] },
      weight: 1,
      steps: [
        {
          event: {
            type: 'Warning',
            reason: 'Failed',
            message: 'Failed to pull image: rpc error: code = NotFound (kwok stage: nbgrader-e2e.local/kwok-fault=ImagePullBackOff)',
          },
        },
        { event: { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' } },
        { event: { type: 'Normal', reason: 'BackOff', message: 'Back-off pulling image' } },
        { event: { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' } },
        {
          patch: {
            subresource: 'status',
            root: 'status',
            template: `{{ $since := or .status.startTime Now }}
phase: Pending
startTime: ${since}
${notReadyConditions(since)}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: 0
  state:
    waiting:
      reason: ImagePullBackOff
      message: {{ printf "Back-off pulling image %q" .image | Quote }}
{{ end }}
${podAddresses}`,
          },
        },
      ],
    },
  };
}

/** Our fault stages, as kwok Stage objects. */
export function faultStages(): object[] {
  return [crashLoopStart(), crashLoopRestart(), imagePullBackOff()];
}

/**
 * Writes kwok's --config file: kwok's own stage files, then our fault stages. The stage files are
 * parsed and re-serialized so that a malformed one fails here with its path, not inside kwok.
 */
export function writeKwokConfig(file: string, stages: KwokStagePaths): string {
  const upstream = [...stages.nodeFast, ...stages.nodeHeartbeatWithLease, ...stages.podFast].flatMap((stageFile) => {
    const docs = parseAllDocuments(fs.readFileSync(stageFile, 'utf8'));
    return docs.map((doc) => {
      if (doc.errors.length > 0) throw new HarnessError('kwok', `cannot parse stage file ${stageFile}`, doc.errors[0].message);
      return doc.toJS() as object;
    });
  });
  const all = [...upstream, ...faultStages()].filter((doc) => doc && typeof doc === 'object');
  fs.writeFileSync(file, all.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n'));
  return file;
}
