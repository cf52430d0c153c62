/**
 * A grouped bar chart of a `cr-shim bench` run, written as SVG text by hand
 * (no dependency): one group per scenario × threads, one bar per target, the
 * median on a log10 axis (the targets span three orders of magnitude), with
 * the interquartile range as a whisker.
 */
import { fmtNs } from './matrix-table.js';
import type { BenchReport } from './types.js';

/** Distinct colours, in target order (colour-blind friendly: Okabe and Ito). */
const COLOURS = ['#000000', '#999999', '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderSvg(r: BenchReport): string {
  const targets = r.targets.filter((t) => t.unavailable === undefined);
  const groups = r.scenarios.filter((s) => s.kind === 'calls').flatMap((s) => r.config.threads.map((n) => ({ s, n })));
  const values = r.cells.filter((c) => c.unit === 'ns').flatMap((c) => [c.summary.q1, c.summary.q3, c.summary.median]).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values, 10)));
  const hi = Math.ceil(Math.log10(Math.max(...values, 100)));
  const bar = 9;
  const gap = 14;
  const groupW = targets.length * bar + gap;
  const left = 70;
  const top = 40;
  const plotH = 320;
  const width = left + groups.length * groupW + 20;
  const height = top + plotH + 110 + 18 * Math.ceil(targets.length / 4);
  const y = (v: number): number => top + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>cr-shim bench: ns per call by interception mechanism (persona ${esc(r.config.kernel)})</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">Cost per call, median ns (log scale), persona ${esc(r.config.kernel)}, ${esc(r.host.date.slice(0, 10))}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e).toFixed(1);
    out.push(`<line x1="${left}" x2="${width - 20}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(fmtNs(10 ** e))}</text>`);
  }
  groups.forEach(({ s, n }, gi) => {
    const gx = left + gi * groupW + gap / 2;
    targets.forEach((t, ti) => {
      const c = r.cells.find((x) => x.scenario === s.id && x.target === t.id && x.threads === n);
      if (!c || c.summary.median <= 0) return;
      const x = gx + ti * bar;
      const yt = y(c.summary.median);
      out.push(`<rect x="${x}" y="${yt.toFixed(1)}" width="${bar - 1}" height="${(top + plotH - yt).toFixed(1)}" fill="${COLOURS[ti % COLOURS.length]}"><title>${esc(`${t.id}, ${s.title}, ${n} thread(s): ${fmtNs(c.summary.median)}`)}</title></rect>`);
      if (c.summary.q3 > c.summary.q1 && c.summary.q1 > 0) {
        const cx = (x + (bar - 1) / 2).toFixed(1);
        out.push(`<line x1="${cx}" x2="${cx}" y1="${y(c.summary.q3).toFixed(1)}" y2="${y(c.summary.q1).toFixed(1)}" stroke="#444"/>`);
      }
    });
    const cx = gx + (targets.length * bar) / 2;
    out.push(`<text x="${cx.toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle">×${n}</text>`);
    if (n === r.config.threads[0]) {
      const span = r.config.threads.length * groupW;
      out.push(`<text x="${(gx - gap / 2 + span / 2).toFixed(1)}" y="${top + plotH + 30}" text-anchor="middle">${esc(s.title)}</text>`);
    }
  });
  out.push(`<line x1="${left}" x2="${width - 20}" y1="${top + plotH}" y2="${top + plotH}" stroke="#000"/>`);
  targets.forEach((t, ti) => {
    const lx = left + (ti % 4) * 170;
    const ly = top + plotH + 55 + 18 * Math.floor(ti / 4);
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLOURS[ti % COLOURS.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly}">${esc(t.title)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
