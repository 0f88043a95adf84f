// A workflow run's DAG, drawn left to right in layers: each step in the
// layer after its deepest dependency (longest path), edges that skip layers
// routed through virtual points, and each layer ordered by the barycentre
// of its neighbours to keep crossings few.

import {s} from './dom.js';

const NODE_W = 168;
const NODE_H = 52;
const GAP_X = 64;
const GAP_Y = 22;
const MARGIN = 12;

const push = (m, k, v) => (m.get(k) || m.set(k, []).get(k)).push(v);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// layers assigns each step its layer: 0 without dependencies, else one
// after its deepest dependency. Unknown dependencies are ignored.
export function layers(steps) {
  const byID = new Map(steps.map((st) => [st.id, st]));
  const layer = new Map();
  const visit = (id, path) => {
    if (layer.has(id)) return layer.get(id);
    if (path.has(id)) return 0;
    path.add(id);
    const deps = (byID.get(id).depends_on || []).filter((d) => byID.has(d));
    const l = deps.length ? 1 + Math.max(...deps.map((d) => visit(d, path))) : 0;
    path.delete(id);
    layer.set(id, l);
    return l;
  };
  for (const st of steps) visit(st.id, new Set());
  return layer;
}

// layout places the steps and routes the edges.
export function layout(steps) {
  const layer = layers(steps);
  const nodes = new Map();
  const columns = [];
  const add = (n) => {
    (columns[n.layer] ||= []).push(n);
    nodes.set(n.id, n);
  };
  for (const st of steps) add({id: st.id, layer: layer.get(st.id), step: st});
  const edges = [];
  for (const st of steps) {
    for (const dep of st.depends_on || []) {
      if (!nodes.has(dep)) continue;
      const chain = [dep];
      for (let l = layer.get(dep) + 1; l < layer.get(st.id); l++) {
        const via = {id: `${dep}\u2192${st.id}@${l}`, layer: l, virtual: true};
        add(via);
        chain.push(via.id);
      }
      chain.push(st.id);
      edges.push({from: dep, to: st.id, chain});
    }
  }
  order(columns, nodes, edges);
  const rows = Math.max(1, ...columns.map((c) => c.length));
  columns.forEach((col, li) => {
    const offset = (rows - col.length) / 2;
    col.forEach((n, i) => {
      n.x = MARGIN + li * (NODE_W + GAP_X);
      n.y = MARGIN + (i + offset) * (NODE_H + GAP_Y);
    });
  });
  return {
    nodes, edges,
    width: MARGIN * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X,
    height: MARGIN * 2 + rows * NODE_H + (rows - 1) * GAP_Y,
  };
}

// order sorts each column by the mean position of its neighbours, sweeping
// forward and back a few times.
function order(columns, nodes, edges) {
  const before = new Map();
  const after = new Map();
  for (const e of edges) {
    for (let i = 0; i + 1 < e.chain.length; i++) {
      push(after, e.chain[i], e.chain[i + 1]);
      push(before, e.chain[i + 1], e.chain[i]);
    }
  }
  columns.forEach((col) => col.forEach((n, i) => { n.order = i; }));
  for (let sweep = 0; sweep < 8; sweep++) {
    const forward = sweep % 2 === 0;
    const seq = forward ? columns.slice(1) : columns.slice(0, -1).reverse();
    const nb = forward ? before : after;
    for (const col of seq) {
      for (const n of col) {
        const ns = nb.get(n.id) || [];
        n.weight = ns.length ? mean(ns.map((id) => nodes.get(id).order)) : n.order;
      }
      col.sort((a, b) => a.weight - b.weight || a.order - b.order);
      col.forEach((n, i) => { n.order = i; });
    }
  }
}

// edgePath is the curve from a step's right side to the next one's left,
// through the virtual points between.
function edgePath(chain, nodes) {
  const pts = [];
  chain.forEach((id, i) => {
    const n = nodes.get(id);
    const cy = n.y + NODE_H / 2;
    if (i > 0) pts.push([n.x, cy]);
    if (i < chain.length - 1) pts.push([n.x + NODE_W, cy]);
  });
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    if (i % 2 === 0) {
      d += `L${x1},${y1}`;
      continue;
    }
    const dx = (x1 - x0) / 2;
    d += `C${x0 + dx},${y0} ${x1 - dx},${y1} ${x1},${y1}`;
  }
  return d;
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// subtitle says where a step is: its state, attempt and agent.
function subtitle(st, nameOf) {
  const parts = [st.state.replaceAll('_', ' ')];
  if (st.attempts > 1) parts.push(`try ${st.attempts}`);
  if (st.agent_id) parts.push(nameOf(st.agent_id));
  return clip(parts.join(' · '), 26);
}

// drawDAG draws the run's steps; clicking a step calls onSelect(id).
export function drawDAG(steps, {nameOf = (id) => id.slice(0, 8), selected = '', onSelect = () => {}} = {}) {
  const g = layout(steps);
  const svg = s('svg', {viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, class: 'dag', role: 'img', 'aria-label': 'The run\u2019s steps and their dependencies'},
    s('defs', {}, s('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
      s('path', {d: 'M0,0L10,5L0,10z', class: 'arrowhead'}))));
  const state = new Map(steps.map((st) => [st.id, st.state]));
  for (const e of g.edges) {
    svg.append(s('path', {d: edgePath(e.chain, g.nodes), class: ['edge', state.get(e.from) === 'completed' && 'edge-done'], 'marker-end': 'url(#arrow)',
      dataset: {from: e.from, to: e.to}}));
  }
  for (const n of g.nodes.values()) {
    if (n.virtual) continue;
    const st = n.step;
    svg.append(s('g', {class: ['step', `state-${st.state.replaceAll('_', '-')}`, st.id === selected && 'selected'],
      transform: `translate(${n.x},${n.y})`, tabindex: 0, role: 'button', dataset: {step: st.id, state: st.state},
      onclick: () => onSelect(st.id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') onSelect(st.id); }},
    s('title', {}, `${st.id}: ${st.state}${st.capability ? ` (${st.capability})` : ''}`),
    s('rect', {width: NODE_W, height: NODE_H, rx: 8, class: 'box'}),
    st.needs_approval ? s('path', {d: `M${NODE_W - 22},8h14v10l-7,5l-7,-5z`, class: 'gate'}, s('title', {}, 'Needs approval')) : null,
    s('text', {x: 12, y: 21, class: 'name'}, clip(st.id, 18)),
    s('text', {x: 12, y: 39, class: 'sub'}, subtitle(st, nameOf))));
  }
  return svg;
}
