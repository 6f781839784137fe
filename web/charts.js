// Inline SVG charts: each recovery's phases (the timeline) and a group's cost against on-demand
// over time. Built with DOM calls only (no markup strings), so nothing from the API is parsed
// as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  const m = Math.floor(ms / 60000);
  const s = Math.round((ms % 60000) / 1000);
  return m + 'm' + String(s).padStart(2, '0') + 's';
}

// A round step for an axis that covers `max` in about `ticks` steps.
function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const f of [1, 2, 2.5, 5, 10]) {
    if (f * mag >= raw) return f * mag;
  }
  return 10 * mag;
}

// The phases of a recovery in the order they happen, each ending at the named milestone
// (ms from the trigger, see phasesMs in docs/api.md).
export const PHASES = [
  {key: 'terminated', label: 'old instance stopping'},
  {key: 'released', label: 'volumes and ENI released'},
  {key: 'running', label: 'replacement launching'},
  {key: 'attached', label: 'volumes attaching'},
  {key: 'active', label: 'becoming ACTIVE'},
];

// The segments [{key, label, from, to}] of one recovery, skipping milestones it did not have.
export function phaseSegments(phasesMs) {
  const out = [];
  let from = 0;
  for (const p of PHASES) {
    const to = phasesMs ? phasesMs[p.key] : undefined;
    if (typeof to !== 'number' || to < from) continue;
    out.push({key: p.key, label: p.label, from, to});
    from = to;
  }
  return out;
}

// One bar per recovery (newest on top), its phases stacked from the trigger to ACTIVE.
export function recoveryChart(recoveries) {
  const rows = recoveries.slice(0, 12);
  const width = 760;
  const left = 200;
  const right = 60;
  const rowH = 26;
  const top = 34;
  const height = top + rows.length * rowH + 30;
  const max = Math.max(1, ...rows.map((r) => r.totalMs || 0));
  const step = niceStep(max, 5);
  const scaleMax = Math.ceil(max / step) * step;
  const x = (ms) => left + ((width - left - right) * ms) / scaleMax;
  const root = svg('svg', {
    class: 'chart recovery-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'recoveries: time from the trigger to ACTIVE, by phase',
  });
  // Legend.
  let lx = 10;
  for (const p of PHASES) {
    root.append(svg('rect', {x: lx, y: 8, width: 10, height: 10, class: 'phase-' + p.key}));
    root.append(svg('text', {x: lx + 14, y: 17, class: 'legend'}, p.label));
    lx += 14 + p.label.length * 5.6 + 16;
  }
  // Axis.
  for (let v = 0; v <= scaleMax + 1e-9; v += step) {
    root.append(svg('line', {x1: x(v), x2: x(v), y1: top - 4, y2: height - 24, class: 'grid'}));
    root.append(
        svg('text', {x: x(v), y: height - 10, class: 'axis', 'text-anchor': 'middle'}, formatMs(v)),
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const when = r.startedAt ? new Date(r.startedAt).toLocaleString([], {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit'
    }) :
                               '';
    root.append(
        svg('text', {x: left - 8, y: y + 15, class: 'label', 'text-anchor': 'end'},
            `${r.reason} · ${when}`),
    );
    const g = svg('g', {class: 'recovery-bar', 'data-workflow': r.workflowId || ''});
    for (const s of phaseSegments(r.phasesMs)) {
      g.append(
          svg(
              'rect',
              {
                x: x(s.from),
                y: y + 4,
                width: Math.max(1, x(s.to) - x(s.from)),
                height: rowH - 8,
                class: 'phase-' + s.key,
              },
              svg('title', {}, `${s.label}: ${formatMs(s.to - s.from)} (at ${formatMs(s.to)})`),
              ),
      );
    }
    root.append(g);
    root.append(
        svg('text', {x: x(r.totalMs || 0) + 6, y: y + 15, class: 'value'}, formatMs(r.totalMs)),
    );
  });
  return root;
}

function money(v) {
  return '$' + (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));
}

// Cumulative cost over the hours of `hourly` ([{hour (ms), usd, onDemandUsd}]): what the group
// paid and what on-demand would have cost; the area between them is the saving.
export function savingsChart(hourly) {
  const width = 760;
  const height = 260;
  const left = 64;
  const right = 16;
  const top = 16;
  const bottom = 34;
  const points = [];
  let spot = 0;
  let od = 0;
  // Each hour's cost is reached at the end of that hour.
  const hours = [...hourly].sort((a, b) => a.hour - b.hour);
  if (hours.length) points.push({t: hours[0].hour, spot: 0, od: 0});
  for (const h of hours) {
    spot += h.usd || 0;
    od += h.onDemandUsd || 0;
    points.push({t: h.hour + 3600000, spot, od});
  }
  const root = svg('svg', {
    class: 'chart savings-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'cumulative cost against on-demand',
  });
  if (points.length === 0) {
    root.append(
        svg('text', {x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis'},
            'no cost recorded yet'));
    return root;
  }
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const maxY = Math.max(1e-6, ...points.map((p) => p.od), ...points.map((p) => p.spot));
  const step = niceStep(maxY, 4);
  const yMax = Math.ceil(maxY / step) * step;
  const x = (t) => left + ((width - left - right) * (t - t0)) / Math.max(1, t1 - t0);
  const y = (v) => top + (height - top - bottom) * (1 - v / yMax);
  for (let v = 0; v <= yMax + 1e-12; v += step) {
    root.append(svg('line', {x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid'}));
    root.append(
        svg('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis'}, money(v)));
  }
  for (const [t, anchor] of [[t0, 'start'], [(t0 + t1) / 2, 'middle'], [t1, 'end']]) {
    const d = new Date(t);
    root.append(
        svg('text', {x: x(t), y: height - 12, 'text-anchor': anchor, class: 'axis'},
            d.toLocaleDateString() + ' ' +
                d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})),
    );
  }
  const line = (key) =>
      points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`)
          .join(' ');
  const back =
      [...points].reverse().map((p) => `L${x(p.t).toFixed(1)},${y(p.spot).toFixed(1)}`).join(' ');
  root.append(svg('path', {d: line('od') + ' ' + back + ' Z', class: 'saved-area'}));
  root.append(svg('path', {d: line('od'), class: 'line-od'}));
  root.append(svg('path', {d: line('spot'), class: 'line-spot'}));
  root.append(svg('rect', {x: left + 10, y: top + 4, width: 10, height: 3, class: 'key-od'}));
  root.append(svg('text', {x: left + 26, y: top + 9, class: 'legend'}, 'on-demand equivalent'));
  root.append(svg('rect', {x: left + 170, y: top + 4, width: 10, height: 3, class: 'key-spot'}));
  root.append(
      svg('text', {x: left + 186, y: top + 9, class: 'legend'}, 'paid (spot and on-demand)'));
  return root;
}
