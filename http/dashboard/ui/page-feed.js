// The coordination feed: Hive's recent decisions, newest first, each with
// its reason, who asked for it and what it belongs to.

import {clock, empty, h, pill, replace, short} from './dom.js';
import {namer} from './names.js';
import {views} from './views.js';

// link is where the page shows the item's entity.
function link(item) {
  switch (item.kind) {
    case 'workflow': return `#/runs/${encodeURIComponent(item.entity_id)}`;
    case 'swarm': return `#/swarms?focus=${encodeURIComponent(item.entity_id)}`;
    default: return null;
  }
}

function entry(item, filter, named) {
  const href = link(item);
  const name = named(item.entity_id);
  const what = `${item.kind} ${name === item.entity_id ? short(name) : name}`;
  return h('li', {class: ['feed-item', `feed-${item.kind}`], dataset: {position: String(item.position), type: item.type}},
    h('time', {datetime: item.at, title: new Date(item.at).toLocaleString()}, clock(item.at)),
    pill(item.kind, 'kind'),
    h('div', {class: 'what'},
      h('p', {class: 'summary'}, named(item.summary || item.type)),
      item.reason ? h('p', {class: 'reason'}, h('span', {class: 'because'}, 'because '), named(item.reason)) : null,
      h('p', {class: 'meta muted'},
        href ? h('a', {href}, what) : what,
        ` · ${item.type} · by ${item.principal || 'hive'}`,
        item.correlation_id ? [' · ', h('a', {href: '#/feed', class: 'corr', onclick: (e) => { e.preventDefault(); filter('correlation', item.correlation_id); }},
          `correlation ${short(item.correlation_id)}`)] : null)));
}

export function feedPage(root, ctx) {
  const filter = {kind: ctx.params.get('kind') || '', correlation: ctx.params.get('correlation') || ''};
  const set = (k, v) => {
    filter[k] = v;
    ctx.setParams(filter);
    ctx.schedule();
  };
  const kinds = h('span');
  const list = h('div');
  const count = h('span', {class: 'muted count'});
  replace(root, h('header', {class: 'page-head'}, h('h1', {}, 'Coordination feed'), count), h('form', {class: 'filters', onsubmit: (e) => e.preventDefault()}, kinds), list);
  let kindsKey = null;
  return {
    title: 'Coordination feed',
    views: () => [views.feed, views.agents, views.swarms, views.runs('')],
    follows: (t) => ['feed', 'agents', 'swarms', 'runs'].includes(t),
    render() {
      const all = ctx.store.topic('feed').values().sort((a, b) => b.position - a.position);
      const known = [...new Set(all.map((i) => i.kind))].sort();
      if (`${known}|${filter.correlation}` !== kindsKey) {
        kindsKey = `${known}|${filter.correlation}`;
        replace(kinds,
          h('label', {}, 'Kind ', h('select', {name: 'kind', onchange: (e) => set('kind', e.target.value)}, h('option', {value: ''}, 'all'),
            known.map((k) => h('option', {value: k, selected: k === filter.kind}, k)))),
          filter.correlation ? h('button', {type: 'button', class: 'quiet', onclick: () => set('correlation', '')}, `correlation ${short(filter.correlation)} ×`) : null);
      }
      const shown = all.filter((i) => (!filter.kind || i.kind === filter.kind) && (!filter.correlation || i.correlation_id === filter.correlation)).slice(0, 500);
      count.textContent = `${shown.length} decisions`;
      replace(list, shown.length ? h('ol', {class: 'feed'}, shown.map((i) => entry(i, set, namer(ctx.store)))) : empty('No decisions yet.'));
    },
  };
}
