// The overview: counts of agents, swarms, runs and queued work, usage and budgets, throughput
// over the last hour, and how far each read model is behind the log.

import {h, replace, clock} from './dom.js';
import {hour, legend, throughputChart} from './chart.js';
import {cost, count} from './usage.js';
import {views} from './views.js';

// breakdown is a bar split by status, with its legend.
function breakdown(byStatus, kind) {
  const entries = Object.entries(byStatus || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((a, [, n]) => a + n, 0);
  if (total === 0) return h('p', {class: 'muted'}, 'none');
  return h('div', {class: 'breakdown'},
    h('div', {class: 'stack'}, entries.map(([st, n]) => {
      const seg = h('span', {class: ['seg', `${kind}-${st.replaceAll('_', '-')}`], title: `${st}: ${n}`});
      seg.style.flexGrow = String(n);
      return seg;
    })),
    h('ul', {class: 'keys'}, entries.map(([st, n]) => h('li', {}, h('span', {class: ['dot', `${kind}-${st.replaceAll('_', '-')}`]}), `${st.replaceAll('_', ' ')} `, h('b', {}, String(n))))));
}

function stat(label, value, extra, href) {
  return h('a', {class: 'card stat', href}, h('span', {class: 'label'}, label), h('span', {class: 'value', dataset: {stat: label.toLowerCase()}}, String(value ?? '—')), extra);
}

// queueTable is the unfinished tasks by a key (capability or swarm).
function queueTable(rows, key, label, nameOf = (v) => v) {
  if (!rows || rows.length === 0) return h('p', {class: 'muted'}, 'Nothing waiting or running.');
  return h('table', {class: 'grid compact'},
    h('thead', {}, h('tr', {}, [label, 'pending', 'assigned', 'running'].map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('td', {}, nameOf(r[key]) || 'any'), ['pending', 'assigned', 'running'].map((k) => h('td', {class: 'num'}, String(r[k] ?? 0)))))));
}

// swarmList names the biggest swarms.
function swarmList(swarms) {
  const top = [...swarms].sort((a, b) => (b.members?.length || 0) - (a.members?.length || 0)).slice(0, 4);
  return h('ul', {class: 'mini'}, top.map((sw) => h('li', {}, h('b', {}, sw.name), ` ${sw.topology} · ${sw.members?.length || 0} members · ${sw.queue_depth || 0} queued`)));
}

function lagTable(lag) {
  if (!lag || lag.length === 0) return h('p', {class: 'muted'}, 'No read models reported.');
  return h('table', {class: 'grid lag'},
    h('thead', {}, h('tr', {}, ['read model', 'position', 'behind (events)', 'behind (s)', ''].map((c) => h('th', {}, c)))),
    h('tbody', {}, lag.map((l) => h('tr', {class: l.error ? 'failed' : l.behind_positions > 0 ? 'behind' : ''},
      h('td', {}, l.projection), h('td', {class: 'num'}, String(l.position)), h('td', {class: 'num'}, String(l.behind_positions)),
      h('td', {class: 'num'}, (l.behind_seconds || 0).toFixed(1)),
      h('td', {}, l.error ? h('span', {class: 'error-text'}, l.error) : l.behind_positions > 0 ? 'catching up' : 'caught up')))));
}

export function overviewPage(root, ctx) {
  let refetch = 0;
  const poll = setInterval(() => ctx.load(views.overview, {force: true}), 5000);
  return {
    title: 'Overview',
    views: () => [views.overview, views.queue, views.swarms],
    follows: (t) => ['overview', 'queue', 'throughput', 'swarms'].includes(t),
    changed(topic) {
      if (!['agents', 'swarms', 'runs'].includes(topic) || refetch) return;
      refetch = setTimeout(() => { refetch = 0; ctx.load(views.overview, {force: true}); }, 1000);
    },
    destroy() {
      clearInterval(poll);
      clearTimeout(refetch);
    },
    render() {
      const o = ctx.store.topic('overview').get('overview') || {};
      const queue = ctx.store.topic('queue').get('queue') || {};
      const q = queue.totals || o.queue || {};
      const swarms = ctx.store.topic('swarms');
      const buckets = hour(ctx.store.topic('throughput').values());
      const last = buckets.at(-1);
      replace(root,
        h('h1', {}, 'Overview'),
        h('section', {class: 'stats'},
          stat('Agents', o.agents?.total, breakdown(o.agents?.by_status, 'status'), '#/agents'),
          stat('Swarms', o.swarms, swarmList(swarms.values()), '#/swarms'),
          stat('Runs', o.runs?.total, breakdown(o.runs?.by_status, 'status'), '#/runs'),
          stat('Tokens', count((o.usage?.input_tokens ?? 0) + (o.usage?.output_tokens ?? 0)),
            h('p', {class: 'muted'}, `cost ${cost(o.usage?.cost_micros)} · ${count(o.usage?.tasks)} tasks · budgets exhausted: `,
              `${o.budgets?.swarms_exhausted ?? 0} swarms, ${o.budgets?.runs_exhausted ?? 0} runs`), '#/swarms'),
          h('a', {class: 'card stat', href: '#/runs'}, h('span', {class: 'label'}, 'Task queue'),
            h('div', {class: 'queue'}, ['pending', 'assigned', 'running'].map((k) => h('div', {}, h('span', {class: 'value', dataset: {stat: k}}, String(q[k] ?? '—')), h('span', {class: 'label'}, k)))))),
        h('section', {class: 'card'},
          h('header', {class: 'card-head'}, h('h2', {}, 'Throughput per minute'),
            h('span', {class: 'muted'}, last ? `the hour to ${clock(Date.parse(last.minute) + 60_000)}` : '')),
          throughputChart(buckets), legend()),
        h('div', {class: 'two'},
          h('section', {class: 'card'}, h('header', {class: 'card-head'}, h('h2', {}, 'Projection lag'),
            h('span', {class: 'muted'}, o.position !== undefined ? `log position ${o.position}` : '')), lagTable(o.lag)),
          h('section', {class: 'card'}, h('h2', {}, 'Unfinished tasks by capability'), queueTable(queue.by_capability, 'capability', 'capability'),
            h('h2', {class: 'spaced'}, 'By swarm'), queueTable(queue.by_swarm, 'swarm_id', 'swarm', (id) => swarms.get(id)?.name || id))));
    },
  };
}
