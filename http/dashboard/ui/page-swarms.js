// Swarms: each swarm's members drawn as its topology, its queue, its usage
// and budget, and its open proposals with the votes cast so far.

import {clock, empty, h, pill, replace} from './dom.js';
import {drawTopology} from './topology.js';
import {budgetBlock, usageFacts} from './usage.js';
import {views} from './views.js';

// tally sums the weights of the votes for each option.
function tally(p) {
  const sums = new Map((p.options || []).map((o) => [o, 0]));
  for (const v of p.votes || []) sums.set(v.choice, (sums.get(v.choice) || 0) + (v.weight || 1));
  return sums;
}

function proposal(p, nameOf) {
  const sums = tally(p);
  const total = [...sums.values()].reduce((a, b) => a + b, 0);
  return h('li', {class: 'proposal', dataset: {proposal: p.id}},
    h('p', {class: 'question'}, p.question),
    h('p', {class: 'muted'}, `${p.rule}${p.quorum ? `, quorum ${p.quorum}` : ''} · closes ${clock(p.deadline)} · ${(p.votes || []).length} vote(s)`),
    h('ul', {class: 'tally'}, [...sums].map(([opt, w]) => {
      const fill = h('span', {class: 'fill'});
      fill.style.width = `${total ? Math.round((w / total) * 100) : 0}%`;
      return h('li', {}, h('span', {class: 'opt'}, opt), h('span', {class: 'meter'}, fill), h('span', {class: 'num'}, String(Math.round(w * 100) / 100)));
    })),
    (p.votes || []).length ? h('p', {class: 'voters muted'}, p.votes.map((v) => `${nameOf(v.agent_id)}: ${v.choice}`).join(' · ')) : null);
}

function swarmCard(sw, focus) {
  const nameOf = (id) => sw.members.find((m) => m.agent_id === id)?.name || id.slice(0, 8);
  const members = sw.members || [];
  return h('article', {class: ['card', 'swarm', sw.id === focus && 'focus'], id: `swarm-${sw.id}`, dataset: {swarmId: sw.id, status: sw.status || ''}},
    h('header', {class: 'card-head'}, h('h2', {}, sw.name), sw.status && sw.status !== 'active' ? pill(sw.status) : null, pill(sw.topology, 'topology')),
    h('div', {class: 'swarm-body'},
      drawTopology(sw),
      h('div', {class: 'swarm-facts'},
        h('dl', {class: 'facts'},
          h('dt', {}, 'members'), h('dd', {}, `${members.length} (min ${sw.min_size}, max ${sw.max_size || '∞'})`),
          h('dt', {}, 'queued'), h('dd', {dataset: {stat: 'queue'}}, String(sw.queue_depth ?? 0)),
          h('dt', {}, 'running'), h('dd', {}, String(sw.running ?? 0)),
          usageFacts(sw.usage),
          h('dt', {}, 'budget'), h('dd', {}, budgetBlock(sw.budget))),
        h('ul', {class: 'members'}, members.map((m) => h('li', {}, h('span', {class: ['dot', `member-${m.status}`]}), m.name || m.agent_id.slice(0, 8),
          m.role !== 'member' ? h('span', {class: 'muted'}, ` ${m.role}`) : null))))),
    h('section', {class: 'proposals'}, h('h3', {}, 'Open proposals'),
      (sw.open_proposals || []).length ? h('ul', {}, sw.open_proposals.map((p) => proposal(p, nameOf))) : h('p', {class: 'muted'}, 'None open.')));
}

export function swarmsPage(root, ctx) {
  const focus = ctx.params.get('focus') || '';
  let scrolled = false;
  return {
    title: 'Swarms',
    views: () => [views.swarms],
    follows: (t) => t === 'swarms',
    render() {
      const swarms = ctx.store.topic('swarms').values().sort((a, b) => a.name.localeCompare(b.name));
      replace(root, h('header', {class: 'page-head'}, h('h1', {}, 'Swarms'), h('span', {class: 'muted count'}, String(swarms.length))),
        swarms.length ? h('section', {class: 'swarms'}, swarms.map((sw) => swarmCard(sw, focus))) : empty('No swarms yet.'));
      if (focus && !scrolled) {
        const el = document.getElementById(`swarm-${focus}`);
        if (el) { el.scrollIntoView({block: 'start'}); scrolled = true; }
      }
    },
  };
}
