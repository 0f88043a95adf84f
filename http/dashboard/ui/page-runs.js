// Workflow runs: the list, filtered by status, newest first, updated live.

import {empty, h, pill, replace, short, since} from './dom.js';
import {views} from './views.js';

const runStatuses = ['running', 'paused', 'budget_exhausted', 'completed', 'failed', 'cancelled'];

// progress is a bar of the run's completed and failed steps.
export function progress(r) {
  const total = Math.max(1, r.steps_total || 0);
  const done = h('span', {class: 'fill done'});
  done.style.width = `${(100 * (r.steps_completed || 0)) / total}%`;
  const failed = h('span', {class: 'fill failed'});
  failed.style.width = `${(100 * (r.steps_failed || 0)) / total}%`;
  return h('span', {class: 'progress', title: `${r.steps_completed} of ${r.steps_total} steps completed, ${r.steps_failed} failed`},
    h('span', {class: 'meter'}, done, failed), h('span', {class: 'num'}, `${r.steps_completed ?? 0}/${r.steps_total ?? 0}`));
}

function row(r, swarmName) {
  return h('tr', {dataset: {runId: r.id, status: r.status}},
    h('td', {}, h('a', {href: `#/runs/${encodeURIComponent(r.id)}`}, r.name || short(r.id))),
    h('td', {}, pill(r.status)),
    h('td', {}, progress(r)),
    h('td', {}, r.swarm_id ? h('a', {href: `#/swarms?focus=${r.swarm_id}`}, swarmName(r.swarm_id)) : '—'),
    h('td', {}, since(r.created_at)),
    h('td', {}, since(r.updated_at)));
}

export function runsPage(root, ctx) {
  let status = ctx.params.get('status') || '';
  const body = h('div');
  const count = h('span', {class: 'muted count'});
  const pick = (v) => {
    status = v;
    ctx.setParams({status});
    ctx.load(views.runs(status));
    ctx.schedule();
  };
  replace(root,
    h('header', {class: 'page-head'}, h('h1', {}, 'Workflow runs'), count),
    h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()},
      h('label', {}, 'Status ', h('select', {name: 'status', onchange: (e) => pick(e.target.value)},
        h('option', {value: ''}, 'all'), runStatuses.map((s) => h('option', {value: s, selected: s === status}, s.replaceAll('_', ' ')))))),
    body);
  return {
    title: 'Workflow runs',
    views: () => [views.runs(status), views.swarms],
    follows: (t) => t === 'runs' || t === 'swarms',
    render() {
      const all = ctx.store.topic('runs').values();
      const shown = all.filter((r) => !status || r.status === status)
        .sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
      count.textContent = `${shown.length}`;
      const swarms = ctx.store.topic('swarms');
      const swarmName = (id) => swarms.get(id)?.name || short(id);
      replace(body, shown.length
        ? h('table', {class: 'grid runs'},
          h('thead', {}, h('tr', {}, ['run', 'status', 'steps', 'swarm', 'started', 'updated'].map((c) => h('th', {}, c)))),
          h('tbody', {}, shown.map((r) => row(r, swarmName))))
        : empty(status ? `No ${status.replaceAll('_', ' ')} runs.` : 'No workflow runs yet.'));
    },
  };
}
