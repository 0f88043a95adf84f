// A run's steps on a time axis: when each started and finished (or is still
// going), coloured by state.

import {clock, s} from './dom.js';
import {layers} from './dag.js';

const W = 960;
const ROW = 22;
const LEFT = 140;
const TOP = 8;
const BOTTOM = 22;

// offset is a time since the start in words: "1.5 s", "2 min 10 s".
function offset(ms) {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const sec = Math.round(ms / 1000);
  return sec < 120 ? `${sec} s` : `${Math.floor(sec / 60)} min ${sec % 60} s`;
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// drawGantt draws the steps of run between its start and now (or its last
// update, once it ended).
export function drawGantt(run, now = Date.now()) {
  const layer = layers(run.steps);
  const steps = [...run.steps].sort((a, b) => layer.get(a.id) - layer.get(b.id) || (a.started_at || '~').localeCompare(b.started_at || '~'));
  const t0 = Date.parse(run.created_at);
  const live = run.status === 'running' || run.status === 'paused' || run.status === 'budget_exhausted';
  const ends = steps.map((st) => Date.parse(st.finished_at || '') || 0);
  const t1 = Math.max(t0 + 1000, live ? now : Math.max(Date.parse(run.updated_at) || 0, ...ends));
  const H = TOP + steps.length * ROW + BOTTOM;
  const x = (t) => LEFT + ((t - t0) / (t1 - t0)) * (W - LEFT - 12);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'gantt', role: 'img', 'aria-label': 'When each step ran'});
  for (let k = 0; k <= 4; k++) {
    const t = t0 + ((t1 - t0) * k) / 4;
    svg.append(s('line', {x1: x(t), x2: x(t), y1: TOP, y2: H - BOTTOM, class: 'grid'}),
      s('text', {x: x(t), y: H - 6, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', class: 'axis'}, k === 0 ? clock(t) : `+${offset(t - t0)}`));
  }
  steps.forEach((st, i) => {
    const y = TOP + i * ROW;
    svg.append(s('text', {x: LEFT - 8, y: y + ROW / 2 + 4, 'text-anchor': 'end', class: 'axis'}, clip(st.id, 18)));
    if (!st.started_at) return;
    const a = x(Date.parse(st.started_at));
    const b = x(Math.min(t1, Date.parse(st.finished_at || '') || t1));
    svg.append(s('rect', {x: a, y: y + 4, width: Math.max(2, b - a), height: ROW - 8, rx: 3,
      class: ['span', `state-${st.state.replaceAll('_', '-')}`], dataset: {step: st.id}},
    s('title', {}, `${st.id}: ${st.state}, from ${clock(st.started_at)}${st.finished_at ? ` to ${clock(st.finished_at)}` : ''}`)));
  });
  return svg;
}
