// The agents board: every agent as a card with its status, load,
// capabilities, last heartbeat, success rate and usage, filtered by status and
// capability, updated live.

import {empty, h, percent, pill, replace, short, since} from './dom.js';
import {usageText} from './usage.js';
import {views} from './views.js';

const statuses = ['idle', 'busy', 'draining', 'lost', 'gone'];

function card(a, swarmName) {
  const load = Math.max(0, Math.min(1, a.load || 0));
  const bar = h('span', {class: 'fill'});
  bar.style.width = `${Math.round(load * 100)}%`;
  return h('article', {class: ['card', 'agent', `agent-${a.status}`], dataset: {agentId: a.id, status: a.status}},
    h('header', {}, h('h3', {title: a.id}, a.name), pill(a.status)),
    h('div', {class: 'load', title: `${a.running} of ${a.max_concurrency} slots busy`},
      h('span', {class: 'label'}, 'load'), h('span', {class: 'meter'}, bar), h('span', {class: 'num'}, `${a.running ?? 0}/${a.max_concurrency ?? 0}`)),
    h('ul', {class: 'caps'}, (a.capabilities || []).map((c) => h('li', {}, c))),
    h('dl', {},
      h('dt', {}, 'heartbeat'), h('dd', {}, since(a.last_heartbeat)),
      h('dt', {}, 'success'), h('dd', {title: `${a.tasks_completed ?? 0} completed, ${a.tasks_failed ?? 0} failed`}, percent(a.success_rate)),
      h('dt', {}, 'usage'), h('dd', {dataset: {usage: 'tokens'}, title: `${a.usage?.input_tokens ?? 0} in, ${a.usage?.output_tokens ?? 0} out, over ${a.usage?.tasks ?? 0} tasks`},
        usageText(a.usage)),
      h('dt', {}, 'swarm'), h('dd', {}, a.swarm_id ? h('a', {href: `#/swarms?focus=${a.swarm_id}`}, swarmName(a.swarm_id)) : '—')));
}

function select(name, label, options, value, onchange) {
  return h('label', {}, label, ' ',
    h('select', {name, onchange: (e) => onchange(e.target.value)},
      h('option', {value: ''}, 'all'),
      options.map((o) => h('option', {value: o, selected: o === value}, o))));
}

export function agentsPage(root, ctx) {
  const filter = {status: ctx.params.get('status') || '', capability: ctx.params.get('capability') || '', q: ctx.params.get('q') || ''};
  const set = (k) => (v) => {
    filter[k] = v;
    ctx.setParams(filter);
    ctx.schedule();
  };
  const caps = h('span');
  const count = h('span', {class: 'muted count'});
  const summary = h('span', {class: 'summary'});
  const grid = h('section', {class: 'agents-grid'});
  replace(root,
    h('header', {class: 'page-head'}, h('h1', {}, 'Agents'), count, summary),
    h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()},
      select('status', 'Status', statuses, filter.status, set('status')), caps,
      h('label', {}, 'Name ', h('input', {type: 'search', name: 'q', value: filter.q, placeholder: 'filter by name', oninput: (e) => set('q')(e.target.value)}))),
    grid);
  let capsKey = '';
  const syncSelect = () => { root.querySelector('select[name="status"]').value = filter.status; };
  return {
    title: 'Agents',
    views: () => [views.agents, views.swarms],
    follows: (t) => t === 'agents' || t === 'swarms',
    render() {
      const all = ctx.store.topic('agents').values();
      const known = [...new Set(all.flatMap((a) => a.capabilities || []))].sort();
      if (known.join() !== capsKey) {
        capsKey = known.join();
        replace(caps, select('capability', 'Capability', known, filter.capability, set('capability')));
      }
      const q = filter.q.toLowerCase();
      const shown = all
        .filter((a) => (!filter.status || a.status === filter.status) && (!filter.capability || (a.capabilities || []).includes(filter.capability)) &&
          (!q || a.name.toLowerCase().includes(q)))
        .sort((a, b) => a.name.localeCompare(b.name));
      count.textContent = `${shown.length} of ${all.length}`;
      const by = Map.groupBy(all, (a) => a.status);
      replace(summary, statuses.filter((st) => by.has(st)).map((st) => h('button', {type: 'button', class: ['chip', filter.status === st && 'on'],
        title: `show only ${st} agents`, onclick: () => { set('status')(filter.status === st ? '' : st); syncSelect(); }}, pill(st), ` ${by.get(st).length}`)));
      const swarms = ctx.store.topic('swarms');
      const swarmName = (id) => swarms.get(id)?.name || short(id);
      replace(grid, shown.length ? shown.map((a) => card(a, swarmName)) : empty(all.length ? 'No agent matches the filters.' : 'No agents registered yet.'));
    },
  };
}
