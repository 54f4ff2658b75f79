import { test, expect } from '@playwright/test';
import { attributeKnee, ownerOf, shortReason } from './knee.js';
import type { PhaseReport, StepReport } from './rush.js';
import { countKinds } from './stats.js';
import { stepChart, kneeChart } from './chart.js';

const pinned = { pinned: true, reason: 'ngshare on core 1', ngshareCpu: 1, clientCpus: [0] };

function phase(over: Partial<PhaseReport> & { ngshare?: number; hub?: number; cores?: number[] } = {}): PhaseReport {
  const { ngshare = 20, hub = 10, cores = [50, 30], ...rest } = over;
  return {
    phase: 'submit',
    clients: 10,
    ok: 10,
    failed: 0,
    errors: countKinds([]),
    examples: {},
    latency: { count: 10, p50Ms: 1000, p95Ms: 2000, maxMs: 2100, censored: 0 },
    skew: { started: 10, skewMs: 80 },
    wallMs: 2100,
    boundMs: 120_000,
    withinBound: true,
    readyMs: 3000,
    clientsCpuSeconds: 1,
    clientsUssMbTotal: 100,
    forkServerRssMb: 100,
    preloadSeconds: 2,
    services: { ngshare: { cpuPercentMean: ngshare }, hub: { cpuPercentMean: hub } },
    coresBusy: cores,
    offsetMs: 5000,
    points: [
      { student: 's1', startMs: 0, endMs: 900, latencyMs: 900, ok: true },
      { student: 's2', startMs: 10, endMs: 2100, latencyMs: 2090, ok: false, kind: 'timeout' },
    ],
    ...rest,
  };
}

function step(students: number, passed: boolean, submit: PhaseReport = phase()): StepReport {
  return {
    students,
    courseId: `c-${students}`,
    passed,
    failures: passed ? [] : ['submit: 3 of 10 failed (3 timeout)'],
    uptime: { before: 'load average: 1.00', after: 'load average: 1.00' },
    otherRuns: 0,
    prepareMs: 1000,
    fetch: { ...phase(), phase: 'fetch' },
    submit,
    memory: { availableMbBefore: 1000 },
    samples: [{ t: 0, services: { ngshare: { cpuPercent: 50, rssMb: 50, cpuSeconds: 1 } }, cores: [50, 50] }],
  };
}

test('the knee is the largest class that passed, and the first that failed names whose limit it hit', () => {
  const saturated = phase({ ngshare: 97, withinBound: false, failed: 3 });
  const k = attributeKnee([step(10, true), step(50, true), step(100, false, saturated)], pinned);
  expect(k).toMatchObject({ largestPassed: 50, firstFailed: 100, owner: 'ngshare' });
  expect(k.line).toBe('rush: largest class that passed: 50; 100 failed (3 of 10 submits failed); knee: ngshare');
  expect(k.why).toMatch(/ngshare 97% of a core/);
});

test('whose limit: the hub, the load generator (busy cores or a late start), or ngshare and the hub in one serial line', () => {
  const failed = (p: PhaseReport) => ownerOf(step(100, false, p), pinned).owner;
  expect(failed(phase({ ngshare: 30, hub: 95, failed: 1 }))).toBe('hub');
  expect(failed(phase({ ngshare: 30, hub: 20, cores: [99, 40], failed: 1 }))).toBe('load generator');
  expect(failed(phase({ skew: { started: 10, skewMs: 1800 }, failed: 0 }))).toBe('load generator');
  expect(failed(phase({ clientsCoreShare: 85, failed: 1 }))).toBe('load generator');
  expect(failed(phase({ ngshare: 55, hub: 35, failed: 1 }))).toBe('ngshare');
  expect(failed(phase({ ngshare: 10, hub: 10, failed: 1 }))).toBe('unclear');
  // Waiting longer for a core than running: starved by the machine's other load.
  const starved = phase({ ngshare: 10, hub: 10, failed: 1 });
  starved.services.ngshare = { cpuPercentMean: 10, cpuSeconds: 2, waitSeconds: 9 };
  expect(failed(starved)).toBe('machine');
  expect(ownerOf(step(100, false, starved), pinned).why).toMatch(/ngshare waited 9 s for a core and ran 2 s/);
  // Without pinning, every core is the clients'.
  expect(ownerOf(step(100, false, phase({ ngshare: 30, hub: 20, cores: [95, 95], failed: 1 })), { pinned: false, reason: '--no-pin' }).owner).toBe(
    'load generator',
  );
});

test('every size passing, or memory stopping the steps, is said as such', () => {
  expect(attributeKnee([step(10, true), step(20, true)], pinned)).toMatchObject({ largestPassed: 20, owner: 'none reached' });
  const capped = attributeKnee([step(10, true)], pinned, { students: 5000, cap: 900, perClientMb: 12, availableMb: 20000 });
  expect(capped).toMatchObject({ largestPassed: 10, owner: 'load generator' });
  expect(capped.line).toMatch(/5000 not run \(free memory holds 900 clients\)/);
  expect(attributeKnee([step(10, false)], pinned).line).toMatch(/^rush: no class passed; 10 failed/);
});

test('the charts are self-contained SVG with a dot per client and a line per service', () => {
  const svg = stepChart(step(10, true));
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg).not.toMatch(/<script|href=/);
  // Two points per phase (fetch and submit), the failed one red with its kind in its title.
  expect(svg.match(/<circle /g)).toHaveLength(4);
  expect(svg).toContain('submit s2: 2.09 s (timeout)');
  expect(kneeChart([step(10, true), step(50, false)]).match(/<circle /g)).toHaveLength(4);
});

test("the console's reason is short: late stamps and failed clients counted, not listed", () => {
  const late = step(400, false);
  late.verdict = {
    submitted: 400,
    collected: 400,
    lost: [],
    duplicated: [],
    mismatched: [],
    late: Array.from({ length: 400 }, (_, i) => ({ student: `s${i}`, stamp: 'x', lateBySeconds: 80 })),
    early: [],
    damaged: [],
    unconfirmed: [],
    strangers: [],
    problems: [],
  };
  expect(shortReason(late)).toBe('400 of 400 stamps late');
  expect(shortReason(step(10, false, phase({ failed: 2, clients: 10 })))).toBe('2 of 10 submits failed');
});
