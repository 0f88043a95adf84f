// The throughput chart: events and commands per minute as lines, tasks
// completed and failed per minute as bars, over the hour that ends with the
// newest minute.

import {h, s} from './dom.js';

const W = 1100;
const H = 240;
const PAD = {left: 44, right: 12, top: 14, bottom: 28};
const MINUTE = 60_000;

// hour returns the 60 buckets ending with the newest minute among rows,
// zeros where a minute had nothing.
export function hour(rows) {
  const byMinute = new Map(rows.map((r) => [Date.parse(r.minute), r]));
  if (byMinute.size === 0) return [];
  const last = Math.max(...byMinute.keys());
  const out = [];
  for (let t = last - 59 * MINUTE; t <= last; t += MINUTE) {
    out.push(byMinute.get(t) || {minute: new Date(t).toISOString(), events: 0, commands: 0, tasks_completed: 0, tasks_failed: 0});
  }
  return out;
}

// niceMax rounds up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

const hhmm = (t) => new Date(t).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', hour12: false});

// throughputChart draws the buckets as an SVG.
export function throughputChart(buckets) {
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Throughput per minute over the last hour'});
  if (buckets.length === 0) {
    svg.append(s('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted'}, 'No events yet'));
    return svg;
  }
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(...buckets.map((b) => Math.max(b.events, b.commands, b.tasks_completed + b.tasks_failed))));
  const step = iw / buckets.length;
  const x = (i) => PAD.left + i * step + step / 2;
  const y = (v) => PAD.top + ih - (v / max) * ih;
  for (const f of [0, 0.5, 1]) {
    svg.append(s('line', {x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f), class: 'grid'}),
      s('text', {x: PAD.left - 6, y: y(max * f) + 4, 'text-anchor': 'end', class: 'axis'}, String(Math.round(max * f))));
  }
  buckets.forEach((b, i) => {
    const bw = Math.max(1, step * 0.6);
    const done = y(0) - y(b.tasks_completed);
    const failed = y(0) - y(b.tasks_failed);
    const title = s('title', {}, `${hhmm(b.minute)}: ${b.events} events, ${b.commands} commands, ${b.tasks_completed} tasks completed, ${b.tasks_failed} failed`);
    svg.append(s('g', {class: 'bucket'}, title,
      s('rect', {x: PAD.left + i * step, y: PAD.top, width: step, height: ih, class: 'hover'}),
      done > 0 ? s('rect', {x: x(i) - bw / 2, y: y(b.tasks_completed), width: bw, height: done, class: 'bar-completed'}) : null,
      failed > 0 ? s('rect', {x: x(i) - bw / 2, y: y(b.tasks_completed) - failed, width: bw, height: failed, class: 'bar-failed'}) : null));
    if (i % 10 === 0 || i === buckets.length - 1) {
      svg.append(s('text', {x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'axis'}, hhmm(b.minute)));
    }
  });
  for (const [key, cls] of [['events', 'line-events'], ['commands', 'line-commands']]) {
    const d = buckets.map((b, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(b[key]).toFixed(1)}`).join('');
    svg.append(s('path', {d, class: cls}));
  }
  return svg;
}

// legend names the chart's series.
export function legend() {
  return h('ul', {class: 'legend'},
    [['line-events', 'events'], ['line-commands', 'commands'], ['bar-completed', 'tasks completed'], ['bar-failed', 'tasks failed']]
      .map(([cls, text]) => h('li', {}, h('span', {class: ['swatch', cls]}), text)));
}
