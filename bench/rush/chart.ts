/**
 * The rush's charts as self-contained SVG (no script, no dependency): for each class, every
 * client's latency at the moment it ended, over time from the first barrier, with ngshare's and
 * the hub's CPU over the same time; and, for several classes, p95 against class size.
 */
import type { StepReport } from './rush.js';

const colours = { fetch: '#1f77b4', submit: '#2ca02c', failed: '#d62728', ngshare: '#ff7f0e', hub: '#9467bd', collect: '#eeeeee' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step for an axis that reaches `max`. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/** One class: latency dots (left axis, s) and CPU lines (right axis, % of one core) over seconds from the first barrier. */
export function stepChart(step: StepReport, width = 900, height = 320): string {
  const m = { left: 56, right: 56, top: 28, bottom: 40 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const points = [step.fetch, step.submit].flatMap((p) =>
    p
      ? p.points.filter((x) => x.endMs !== undefined && x.latencyMs !== undefined).map((x) => ({ ...x, phase: p.phase, at: (p.offsetMs + x.endMs!) / 1000 }))
      : [],
  );
  const collectEnd = step.collect ? (step.collect.offsetMs + step.collect.wallMs) / 1000 : 0;
  const samples = step.samples.filter((s) => s.t >= 0);
  const tMax = Math.max(1, collectEnd, ...points.map((p) => p.at), ...samples.map((s) => s.t / 1000));
  const latMax = Math.max(1, ...points.map((p) => p.latencyMs! / 1000));
  const cpuMax = Math.max(100, ...samples.flatMap((s) => [s.services.ngshare?.cpuPercent ?? 0, s.services.hub?.cpuPercent ?? 0]));
  const xStep = niceStep(tMax);
  const yStep = niceStep(latMax);
  const xEnd = Math.ceil(tMax / xStep) * xStep;
  const yEnd = Math.ceil(latMax / yStep) * yStep;
  const x = (t: number) => m.left + (t / xEnd) * w;
  const y = (s: number) => m.top + h - (s / yEnd) * h;
  const yc = (c: number) => m.top + h - (c / cpuMax) * h;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<title>${esc(`${step.students} students: latency of each client, and CPU, over time`)}</title>`);
  if (step.collect) {
    const cx = x(step.collect.offsetMs / 1000);
    parts.push(
      `<rect x="${cx.toFixed(1)}" y="${m.top}" width="${Math.max(1, x(collectEnd) - cx).toFixed(1)}" height="${h}" fill="${colours.collect}"><title>collect</title></rect>`,
    );
    parts.push(`<text x="${(cx + 3).toFixed(1)}" y="${m.top + 12}" fill="#666">collect</text>`);
  }
  for (let t = 0; t <= xEnd + 1e-9; t += xStep) {
    parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.top + h}" y2="${m.top + h + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle">${+t.toFixed(2)}</text>`);
  }
  for (let s = 0; s <= yEnd + 1e-9; s += yStep) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(s).toFixed(1)}" y2="${y(s).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end">${+s.toFixed(2)}</text>`);
  }
  for (let c = 0; c <= cpuMax + 1e-9; c += niceStep(cpuMax, 4))
    parts.push(`<text x="${m.left + w + 6}" y="${(yc(c) + 4).toFixed(1)}">${Math.round(c)}%</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + w / 2}" y="${height - 6}" text-anchor="middle">seconds since the fetch barrier</text>`);
  parts.push(`<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">latency of a client (s)</text>`);
  parts.push(`<text transform="translate(${width - 8} ${m.top + h / 2}) rotate(90)" text-anchor="middle">CPU (% of one core)</text>`);
  for (const [service, colour] of [
    ['ngshare', colours.ngshare],
    ['hub', colours.hub],
  ] as const) {
    const line = samples.flatMap((s) => (s.services[service] ? [`${x(s.t / 1000).toFixed(1)},${yc(s.services[service].cpuPercent).toFixed(1)}`] : []));
    if (line.length > 1)
      parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.5"><title>${service} CPU</title></polyline>`);
  }
  for (const p of points) {
    const colour = p.ok ? colours[p.phase] : colours.failed;
    const label = esc(`${p.phase} ${p.student}: ${(p.latencyMs! / 1000).toFixed(2)} s${p.ok ? '' : ` (${p.kind ?? 'failed'})`}`);
    parts.push(
      `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.latencyMs! / 1000).toFixed(1)}" r="3" fill="${colour}" fill-opacity="0.75"><title>${label}</title></circle>`,
    );
  }
  const legend: Array<[string, string]> = [
    ['fetch', colours.fetch],
    ['submit', colours.submit],
    ['failed', colours.failed],
    ['ngshare CPU', colours.ngshare],
    ['hub CPU', colours.hub],
  ];
  legend.forEach(([name, colour], i) => {
    parts.push(`<rect x="${m.left + i * 110}" y="8" width="10" height="10" fill="${colour}"/><text x="${m.left + i * 110 + 14}" y="17">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Several classes: p95 of fetch and submit (s) against class size, failed classes marked. */
export function kneeChart(steps: StepReport[], width = 600, height = 280): string {
  const m = { left: 56, right: 20, top: 28, bottom: 40 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const nMax = Math.max(1, ...steps.map((s) => s.students));
  const pMax = Math.max(1, ...steps.flatMap((s) => [s.fetch?.latency.p95Ms ?? 0, s.submit?.latency.p95Ms ?? 0].map((v) => v / 1000)));
  const xEnd = Math.ceil(nMax / niceStep(nMax)) * niceStep(nMax);
  const yEnd = Math.ceil(pMax / niceStep(pMax)) * niceStep(pMax);
  const x = (n: number) => m.left + (n / xEnd) * w;
  const y = (s: number) => m.top + h - (s / yEnd) * h;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<title>p95 latency against class size</title>',
  ];
  for (let n = 0; n <= xEnd + 1e-9; n += niceStep(nMax)) parts.push(`<text x="${x(n).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle">${n}</text>`);
  for (let s = 0; s <= yEnd + 1e-9; s += niceStep(pMax)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(s).toFixed(1)}" y2="${y(s).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end">${+s.toFixed(2)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + w / 2}" y="${height - 6}" text-anchor="middle">students in the class</text>`);
  parts.push(`<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">p95 latency (s)</text>`);
  for (const phase of ['fetch', 'submit'] as const) {
    const pts = steps.flatMap((s) => (s[phase]?.latency.p95Ms === undefined ? [] : [{ n: s.students, v: s[phase].latency.p95Ms / 1000, ok: s.passed }]));
    if (pts.length > 1)
      parts.push(`<polyline points="${pts.map((p) => `${x(p.n).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}" fill="none" stroke="${colours[phase]}"/>`);
    for (const p of pts) {
      parts.push(
        `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="4" fill="${p.ok ? colours[phase] : colours.failed}"><title>${phase} p95 ${p.v.toFixed(2)} s at ${p.n}${p.ok ? '' : ' (failed)'}</title></circle>`,
      );
    }
  }
  parts.push(`<rect x="${m.left}" y="8" width="10" height="10" fill="${colours.fetch}"/><text x="${m.left + 14}" y="17">fetch p95</text>`);
  parts.push(`<rect x="${m.left + 100}" y="8" width="10" height="10" fill="${colours.submit}"/><text x="${m.left + 114}" y="17">submit p95</text>`);
  parts.push(`<rect x="${m.left + 200}" y="8" width="10" height="10" fill="${colours.failed}"/><text x="${m.left + 214}" y="17">class failed</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
