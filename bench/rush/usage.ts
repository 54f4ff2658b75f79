/**
 * What the machine and the stack's services use while a rush runs, and where the load generator
 * may run: a sampler (each service's CPU and memory through the stack's ResourceReport ability,
 * each core's busy share from /proc/stat) and the core plan (ngshare on a core of its own, the
 * clients on the others, where the machine allows it).
 */
import os from 'node:os';
import { execa } from 'execa';
import { canReportResources, type Stack, type StackService } from '../../cluster/platform.js';
import { coreBusy, coreTicks, memAvailableBytes, type CoreTicks } from '../../cluster/proc-usage.js';
import { meanMax } from './stats.js';

export const sampledServices: StackService[] = ['ngshare', 'hub', 'proxy'];

export interface Sample {
  /** ms since the phase's barrier went down (negative just before). */
  t: number;
  /** Per service: CPU % of one core since the previous sample, resident MB, and CPU seconds used since it started. */
  services: Partial<Record<StackService, { cpuPercent: number; rssMb: number; cpuSeconds: number; waitSeconds?: number }>>;
  /** Each core's busy share since the previous sample, 0 to 100. */
  cores: number[];
}

export interface ServiceSummary {
  cpuPercentMean?: number;
  cpuPercentMax?: number;
  rssMbMax?: number;
  /** CPU seconds used during the phase. */
  cpuSeconds?: number;
  /** Seconds it was ready to run but waited for a core during the phase (where the platform knows). */
  waitSeconds?: number;
  /** The rest of the phase: neither running nor waiting for a core, so blocked (on another service, the disk, the network). */
  blockedSeconds?: number;
}

/** Samples every `intervalMs` until stopped; says "not available" for services the platform cannot report. */
export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: Sample[] = [];
  private lastCores: CoreTicks[] = [];
  private lastCpu = new Map<StackService, { cpuSeconds: number; at: number }>();
  private origin = Date.now();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly stack: Stack,
    private readonly intervalMs = 500,
  ) {}

  /** Whether the platform reports services' usage at all. */
  get available(): boolean {
    return canReportResources(this.stack);
  }

  async start(): Promise<void> {
    this.samples.length = 0;
    this.lastCpu.clear();
    this.origin = Date.now();
    this.lastCores = coreTicks();
    await this.take();
    this.timer = setInterval(() => {
      this.busy = this.busy.then(() => this.take()).catch(() => undefined);
    }, this.intervalMs);
  }

  /** A sample now, besides the regular ones (the barrier, a phase's end): a phase's CPU is read between two of these. */
  sampleNow(): Promise<void> {
    this.busy = this.busy.then(() => this.take()).catch(() => undefined);
    return this.busy;
  }

  /** Times of later samples count from here (the barrier). */
  markOrigin(at = Date.now()): void {
    for (const s of this.samples) s.t -= at - this.origin;
    this.origin = at;
  }

  async stop(): Promise<Sample[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await this.take();
    return [...this.samples];
  }

  private async take(): Promise<void> {
    const now = Date.now();
    const cores = coreTicks();
    const sample: Sample = { t: now - this.origin, services: {}, cores: coreBusy(this.lastCores, cores).map((b) => Math.round(b * 1000) / 10) };
    this.lastCores = cores;
    if (canReportResources(this.stack)) {
      for (const service of sampledServices) {
        const usage = await this.stack.serviceUsage(service).catch(() => undefined);
        if (!usage) continue;
        const last = this.lastCpu.get(service);
        const cpuPercent = last && now > last.at ? ((usage.cpuSeconds - last.cpuSeconds) / ((now - last.at) / 1000)) * 100 : 0;
        this.lastCpu.set(service, { cpuSeconds: usage.cpuSeconds, at: now });
        sample.services[service] = {
          cpuPercent: Math.round(cpuPercent * 10) / 10,
          rssMb: Math.round((usage.rssBytes / 2 ** 20) * 10) / 10,
          cpuSeconds: usage.cpuSeconds,
          waitSeconds: usage.cpuWaitSeconds,
        };
      }
    }
    this.samples.push(sample);
  }

  /**
   * Per service between `from` and `to` (ms since the origin): CPU seconds used and their mean
   * share of one core (from the cumulative readings at the window's edges), the busiest interval,
   * the largest resident memory.
   */
  summarize(samples: Sample[], from = -Infinity, to = Infinity): Partial<Record<StackService, ServiceSummary>> {
    return summarizeServices(samples, from, to);
  }
}

export function summarizeServices(samples: Sample[], from = -Infinity, to = Infinity): Partial<Record<StackService, ServiceSummary>> {
  const out: Partial<Record<StackService, ServiceSummary>> = {};
  for (const service of sampledServices) {
    const readings = samples.flatMap((s) => (s.services[service] ? [{ t: s.t, ...s.services[service] }] : []));
    // The edges: the last reading at or before `from`, the first at or after `to` (else the nearest inside).
    const start = [...readings].reverse().find((r) => r.t <= from) ?? readings.find((r) => r.t >= from);
    const end = readings.find((r) => r.t >= to) ?? [...readings].reverse().find((r) => r.t <= to);
    const inside = readings.filter((r) => r.t > from && r.t <= (end?.t ?? to));
    if (!start || !end || end.t <= start.t) continue;
    const cpuSeconds = end.cpuSeconds - start.cpuSeconds;
    const waitSeconds = end.waitSeconds !== undefined && start.waitSeconds !== undefined ? end.waitSeconds - start.waitSeconds : undefined;
    const round = (v: number) => Math.round(v * 100) / 100;
    out[service] = {
      cpuPercentMean: Math.round((cpuSeconds / ((end.t - start.t) / 1000)) * 1000) / 10,
      cpuPercentMax: meanMax(inside.map((r) => r.cpuPercent)).max,
      rssMbMax: meanMax([start, ...inside].map((r) => r.rssMb)).max,
      cpuSeconds: Math.round(cpuSeconds * 100) / 100,
      waitSeconds: waitSeconds === undefined ? undefined : round(waitSeconds),
      blockedSeconds: waitSeconds === undefined ? undefined : round(Math.max(0, (end.t - start.t) / 1000 - cpuSeconds - waitSeconds)),
    };
  }
  return out;
}

/** Mean busy % of each core over the samples. */
export function meanCoreBusy(samples: Sample[]): number[] {
  const n = Math.max(0, ...samples.map((s) => s.cores.length));
  return Array.from({ length: n }, (_, i) => Math.round((meanMax(samples.map((s) => s.cores[i] ?? 0)).mean ?? 0) * 10) / 10);
}

export interface CorePlan {
  /** Whether ngshare was pinned; if not, why not. */
  pinned: boolean;
  reason: string;
  ngshareCpu?: number;
  /** The cores the load generator (the clients and this process) runs on. */
  clientCpus?: number[];
  /** Puts ngshare's affinity back as it was. */
  restore: () => Promise<void>;
}

async function affinityOf(pid: number): Promise<string> {
  const { stdout } = await execa('taskset', ['-p', '-c', String(pid)]);
  return /:\s*(\S+)\s*$/.exec(stdout)?.[1] ?? '';
}

/**
 * ngshare on the last core, alone as far as this run goes; the clients and this process on the
 * others. Only where ngshare is a process of this machine (the local platform), the machine has
 * two cores or more, and taskset works; otherwise nothing is pinned and the reason says why. The
 * hub and the proxy are left where the scheduler puts them; other people's processes too.
 */
export async function planCores(stack: Stack, wanted: boolean): Promise<CorePlan> {
  const nothing = async () => undefined;
  if (!wanted) return { pinned: false, reason: 'not asked (--no-pin)', restore: nothing };
  const cores = os.cpus().length;
  if (cores < 2) return { pinned: false, reason: `${cores} core: nothing to give ngshare alone`, restore: nothing };
  if (!canReportResources(stack)) return { pinned: false, reason: `the ${stack.state.platform} platform does not report ngshare's process`, restore: nothing };
  const usage = await stack.serviceUsage('ngshare');
  if (!usage?.localPid) return { pinned: false, reason: 'ngshare is not a process of this machine', restore: nothing };
  const pid = usage.localPid;
  const ngshareCpu = cores - 1;
  const clientCpus = Array.from({ length: cores - 1 }, (_, i) => i);
  try {
    const before = await affinityOf(pid);
    await execa('taskset', ['-a', '-p', '-c', String(ngshareCpu), String(pid)]);
    await execa('taskset', ['-a', '-p', '-c', clientCpus.join(','), String(process.pid)]);
    return {
      pinned: true,
      reason: `ngshare (pid ${pid}) on core ${ngshareCpu}; the clients and the rush itself on core ${clientCpus.join(',')}`,
      ngshareCpu,
      clientCpus,
      restore: async () => {
        await execa('taskset', ['-a', '-p', '-c', before, String(pid)]).catch(() => undefined);
        await execa('taskset', ['-a', '-p', '-c', `0-${cores - 1}`, String(process.pid)]).catch(() => undefined);
      },
    };
  } catch (err) {
    return { pinned: false, reason: `taskset failed: ${(err as Error).message.split('\n')[0]}`, restore: nothing };
  }
}

/** How many clients the free memory allows: half of MemAvailable, less the forking process, over one client's own memory. */
export function memoryCap(perClientBytes: number, serverBytes: number, availableBytes = memAvailableBytes()): number {
  return Math.max(0, Math.floor((availableBytes / 2 - serverBytes) / Math.max(perClientBytes, 1)));
}
