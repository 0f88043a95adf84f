// A swarm's members drawn as its topology says (actors/swarm/doc.go): a
// star's hub in the middle of its spokes, a hierarchy's coordinator above
// its workers, a ring's members in join order with the turn passing round,
// and a mesh where every member may get any task.

import {s} from './dom.js';

const W = 320;
const H = 240;
const R = 15;

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// circle places n points round (cx, cy), the first at the top.
function circle(n, cx, cy, r) {
  return Array.from({length: n}, (_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
}

// positions returns each member's point and the edges between members
// (pairs of indices, directed for a ring).
function positions(topology, members, leaderIndex) {
  const n = members.length;
  if (n === 0) return {points: [], edges: []};
  const lead = leaderIndex >= 0 ? leaderIndex : 0;
  const others = members.map((_, i) => i).filter((i) => i !== lead);
  const points = new Array(n);
  const edges = [];
  switch (topology) {
    case 'star': {
      points[lead] = [W / 2, H / 2];
      circle(others.length, W / 2, H / 2, Math.min(W, H) / 2 - 30).forEach((p, k) => { points[others[k]] = p; });
      for (const i of others) edges.push([lead, i]);
      break;
    }
    case 'hierarchical': {
      points[lead] = [W / 2, 34];
      const rows = Math.max(1, Math.ceil(others.length / 7));
      const perRow = Math.max(1, Math.ceil(others.length / rows));
      const gap = rows > 1 ? Math.min(60, (H - 150) / (rows - 1)) : 0;
      others.forEach((i, k) => {
        const row = Math.floor(k / perRow);
        const inRow = Math.min(perRow, others.length - row * perRow);
        points[i] = [(W * ((k % perRow) + 1)) / (inRow + 1), 110 + row * gap];
      });
      for (const i of others) edges.push([lead, i]);
      break;
    }
    case 'ring': {
      circle(n, W / 2, H / 2, Math.min(W, H) / 2 - 30).forEach((p, i) => { points[i] = p; });
      if (n > 1) for (let i = 0; i < n; i++) edges.push([i, (i + 1) % n]);
      break;
    }
    default: {
      circle(n, W / 2, H / 2, Math.min(W, H) / 2 - 30).forEach((p, i) => { points[i] = p; });
      if (n <= 16) for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push([i, j]);
    }
  }
  return {points, edges};
}

// drawTopology draws a swarm row's members.
export function drawTopology(swarm) {
  const members = swarm.members || [];
  const leader = members.findIndex((m) => m.agent_id === swarm.leader_id || m.role === 'hub' || m.role === 'coordinator');
  const {points, edges} = positions(swarm.topology, members, leader);
  // The drawing is as tall as its lowest member and label.
  const height = Math.min(H, Math.max(120, ...points.map(([, y]) => y + R + 22)));
  const svg = s('svg', {viewBox: `0 0 ${W} ${height}`, class: ['topology', `topo-${swarm.topology}`], role: 'img',
    'aria-label': `${swarm.topology} of ${members.length} members`},
  s('defs', {}, s('marker', {id: `ring-${swarm.id}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto'},
    s('path', {d: 'M0,0L10,5L0,10z', class: 'arrowhead'}))));
  if (members.length === 0) {
    svg.append(s('text', {x: W / 2, y: height / 2, 'text-anchor': 'middle', class: 'muted'}, 'No members yet'));
    return svg;
  }
  const ring = swarm.topology === 'ring';
  for (const [a, b] of edges) {
    const [x1, y1] = points[a];
    const [x2, y2] = points[b];
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const [ux, uy] = [(x2 - x1) / len, (y2 - y1) / len];
    svg.append(s('line', {x1: x1 + ux * R, y1: y1 + uy * R, x2: x2 - ux * (R + 2), y2: y2 - uy * (R + 2), class: 'link',
      'marker-end': ring ? `url(#ring-${swarm.id})` : null}));
  }
  const labels = members.length <= 12;
  members.forEach((m, i) => {
    const [x, y] = points[i];
    const big = i === leader && (swarm.topology === 'star' || swarm.topology === 'hierarchical');
    svg.append(s('g', {class: ['member', `member-${m.status}`, big && 'leader'], transform: `translate(${x},${y})`, dataset: {agent: m.agent_id, role: m.role}},
      s('title', {}, `${m.name || m.agent_id} — ${m.role}, ${m.status}`),
      s('circle', {r: big ? R + 5 : R}),
      s('text', {y: 4, 'text-anchor': 'middle', class: 'initial'}, (m.name || '?').slice(0, 2)),
      labels ? s('text', {y: (big ? R + 5 : R) + 13, 'text-anchor': 'middle', class: 'label'}, clip(m.name || m.agent_id.slice(0, 8), 14)) : null));
  });
  return svg;
}
