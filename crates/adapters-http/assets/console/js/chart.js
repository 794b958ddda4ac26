// Charts drawn as inline SVG (no library, no network).
const NS = 'http://www.w3.org/2000/svg';

export const STATUS_COLORS = {
  READY: '#f5b546', APPROVED: '#32b67a', COMPLETED: '#3b7ddd', PARTIAL_CANCELED: '#5fb8c9', FAILED: '#e0533d', CANCELED: '#98a2b3', EXPIRED: '#9e77ed',
};

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Stacked bars: one bar per category (e.g. a day), one segment per series (e.g. a status),
 * plus an optional line (0..1, e.g. the approval rate) on a right-hand axis.
 * series = [{name, color, values: [..per category]}], line = {name, color, values: [0..1|null]}
 */
export function stackedBars({ categories, series, line, title, fmt = String }) {
  const W = 760, H = 280, L = 44, R = line ? 44 : 12, T = 14, B = 40;
  const plotW = W - L - R, plotH = H - T - B;
  const totals = categories.map((_, i) => series.reduce((a, sr) => a + (sr.values[i] || 0), 0));
  const max = niceMax(Math.max(1, ...totals));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title || 'chart' });
  if (title) svg.append(s('title', {}, title));
  for (let k = 0; k <= 5; k++) {
    const y = T + plotH - (plotH * k) / 5;
    svg.append(s('line', { x1: L, x2: L + plotW, y1: y, y2: y, stroke: '#e3e7ef' }));
    svg.append(s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' }, fmt(Math.round((max * k) / 5))));
    if (line) svg.append(s('text', { x: L + plotW + 6, y: y + 4, 'font-size': 11, fill: '#667085' }, `${k * 20}%`));
  }
  const n = Math.max(categories.length, 1);
  const slot = plotW / n;
  const bw = Math.max(4, Math.min(46, slot * 0.62));
  categories.forEach((cat, i) => {
    const x = L + slot * i + (slot - bw) / 2;
    let y = T + plotH;
    for (const sr of series) {
      const v = sr.values[i] || 0;
      if (!v) continue;
      const hgt = (plotH * v) / max;
      y -= hgt;
      const rect = s('rect', { x, y, width: bw, height: hgt, fill: sr.color, rx: 2 });
      rect.append(s('title', {}, `${cat} · ${sr.name}: ${v}`));
      svg.append(rect);
    }
    if (n <= 16 || i % Math.ceil(n / 16) === 0) {
      svg.append(s('text', { x: L + slot * i + slot / 2, y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#475467' }, cat));
    }
    svg.append(s('text', { x: L + slot * i + slot / 2, y: y - 4, 'text-anchor': 'middle', 'font-size': 10.5, fill: '#344054' }, totals[i] ? fmt(totals[i]) : ''));
  });
  if (line) {
    const pts = line.values.map((v, i) => (v === null || v === undefined ? null : [L + slot * i + slot / 2, T + plotH - plotH * v]));
    let d = '';
    pts.forEach((p) => { if (p) d += `${d ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)} `; });
    if (d) svg.append(s('path', { d, fill: 'none', stroke: line.color, 'stroke-width': 2, 'stroke-dasharray': '5 3' }));
    pts.forEach((p, i) => {
      if (!p) return;
      const c = s('circle', { cx: p[0], cy: p[1], r: 3.5, fill: line.color });
      c.append(s('title', {}, `${categories[i]} · ${line.name}: ${(line.values[i] * 100).toFixed(1)}%`));
      svg.append(c);
    });
  }
  svg.append(s('line', { x1: L, x2: L + plotW, y1: T + plotH, y2: T + plotH, stroke: '#98a2b3' }));
  return svg;
}

/** 1234567 → "1.2M", 15000 → "15k": short axis labels for amounts. */
export function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(v);
}

/** Horizontal bars of one value per label (e.g. payments per merchant). */
export function horizontalBars(rows) {
  const W = 760, rowH = 24, L = 250, R = 100;
  const H = Math.max(rowH * rows.length + 10, 40);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'bars' });
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    svg.append(s('text', { x: L - 8, y: y + 15, 'text-anchor': 'end', 'font-size': 11.5, fill: '#344054', 'font-family': 'monospace' }, r.label));
    let x = L;
    for (const seg of r.segments) {
      const w = ((W - L - R) * seg.value) / max;
      if (!w) continue;
      const rect = s('rect', { x, y: y + 3, width: w, height: rowH - 8, fill: seg.color, rx: 2 });
      rect.append(s('title', {}, `${r.label} · ${seg.name}: ${seg.value}`));
      svg.append(rect);
      x += w;
    }
    svg.append(s('text', { x: x + 6, y: y + 15, 'font-size': 11.5, fill: '#475467' }, r.note ?? r.value));
  });
  return svg;
}
