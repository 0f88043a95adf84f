// One workflow run: its usage and budget, its DAG with each step's live state, the steps awaiting
// approval with buttons to approve or reject them, the steps on a time axis
// and the run's timeline.

import {operatorName} from './api.js';
import {clock, duration, empty, h, pill, replace, short, since} from './dom.js';
import {drawDAG} from './dag.js';
import {drawGantt} from './gantt.js';
import {namer} from './names.js';
import {progress} from './page-runs.js';
import {budgetBlock, usageFacts} from './usage.js';
import {runTopic, views} from './views.js';

// gate is one step awaiting approval: a comment, and the two decisions.
function gate(runID, st, ctx) {
  const comment = h('input', {type: 'text', name: 'comment', placeholder: 'comment (optional)', 'aria-label': `comment on ${st.id}`});
  const decide = (verb) => async (e) => {
    const buttons = e.target.closest('.gate-row').querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    const body = {by: operatorName(), comment: comment.value.trim()};
    const ok = await ctx.act('POST', `/v1/workflows/${encodeURIComponent(runID)}/steps/${encodeURIComponent(st.id)}/${verb}`, body);
    if (!ok) buttons.forEach((b) => { b.disabled = false; });
  };
  return h('li', {class: 'gate-row', dataset: {step: st.id}},
    h('span', {}, 'Step ', h('b', {}, st.id), ' waits for approval', st.capability ? h('span', {class: 'muted'}, ` (${st.capability})`) : null),
    comment,
    h('button', {type: 'button', class: 'approve', dataset: {approve: st.id}, onclick: decide('approve')}, 'Approve'),
    h('button', {type: 'button', class: 'reject', dataset: {reject: st.id}, onclick: decide('reject')}, 'Reject'));
}

const states = ['pending', 'queued', 'running', 'awaiting_approval', 'completed', 'failed', 'rejected', 'cancelled'];

// stateKey is the colour of each step state, shown while no step is selected.
function stateKey() {
  return [h('p', {class: 'muted'}, 'Select a step in the graph for its details.'),
    h('ul', {class: 'state-key'}, states.map((st) => h('li', {}, h('span', {class: ['swatch-box', `state-${st.replaceAll('_', '-')}`]}), st.replaceAll('_', ' '))))];
}

function stepFacts(st, nameOf) {
  if (!st) return stateKey();
  return h('dl', {class: 'facts', dataset: {selected: st.id}},
    h('dt', {}, 'step'), h('dd', {}, h('b', {}, st.id)),
    h('dt', {}, 'state'), h('dd', {}, pill(st.state)),
    h('dt', {}, 'capability'), h('dd', {}, st.capability || 'any'),
    h('dt', {}, 'depends on'), h('dd', {}, (st.depends_on || []).join(', ') || '—'),
    h('dt', {}, 'attempts'), h('dd', {}, String(st.attempts ?? 0)),
    h('dt', {}, 'agent'), h('dd', {}, st.agent_id ? nameOf(st.agent_id) : '—'),
    h('dt', {}, 'started'), h('dd', {}, st.started_at ? clock(st.started_at) : '—'),
    h('dt', {}, 'finished'), h('dd', {}, st.finished_at ? clock(st.finished_at) : '—'),
    h('dt', {}, 'took'), h('dd', {}, st.started_at ? duration(st.started_at, st.finished_at) : '—'),
    h('dt', {}, 'approval'), h('dd', {}, st.needs_approval ? 'required' : 'no'));
}

// timeline lists the run's happenings, newest first, with names for ids.
function timeline(entries, named) {
  if (!entries || entries.length === 0) return empty('Nothing happened yet.');
  return h('ol', {class: 'timeline', reversed: true}, [...entries].reverse().map((e) => h('li', {dataset: {type: e.type}},
    h('time', {datetime: e.at}, clock(e.at)),
    h('span', {class: 'type'}, e.type.replaceAll('_', ' ')),
    h('b', {}, e.step_id || ''),
    h('span', {class: 'text'}, named(e.text)))));
}

export function runPage(root, ctx) {
  const id = ctx.arg;
  let selected = ctx.params.get('step') || '';
  let gatesKey = null;
  const head = h('header', {class: 'page-head'});
  const spend = h('section', {class: 'card usage-line run-usage'});
  const gates = h('section', {class: 'gates'});
  const dag = h('div', {class: 'dag-scroll'});
  const facts = h('aside', {class: 'card step-facts'});
  const gantt = h('section', {class: 'card'});
  const events = h('section', {class: 'card'});
  replace(root, h('p', {}, h('a', {href: '#/runs'}, '← all runs')), head, spend, gates,
    h('section', {class: 'card dag-card'}, h('h2', {}, 'Steps'), dag), h('div', {class: 'run-main'}, facts, gantt), events);
  // The time axis moves on while steps run: it is redrawn every second.
  const drawTimes = () => {
    const run = ctx.store.topic(runTopic(id)).get(id);
    if (run) replace(gantt, h('h2', {}, 'When the steps ran'), drawGantt(run));
  };
  const ticker = setInterval(() => {
    if (ctx.store.topic(runTopic(id)).get(id)?.status === 'running') drawTimes();
  }, 1000);
  const select = (step) => {
    selected = step;
    ctx.setParams({step});
    ctx.schedule();
  };
  return {
    title: 'Run',
    topics: [runTopic(id)],
    views: () => [views.run(id), views.agents, views.swarms],
    follows: (t) => t === runTopic(id) || t === 'agents' || t === 'swarms',
    destroy: () => clearInterval(ticker),
    render() {
      const run = ctx.store.topic(runTopic(id)).get(id);
      if (!run) {
        replace(head, h('h1', {}, `Run ${short(id)}`), h('span', {class: 'muted'}, 'loading…'));
        return;
      }
      document.title = `${run.name} · Hive`;
      const agents = ctx.store.topic('agents');
      const nameOf = (aid) => agents.get(aid)?.name || short(aid);
      replace(head, h('h1', {}, run.name), pill(run.status), progress(run),
        h('span', {class: 'muted'}, 'started ', since(run.created_at), ' · updated ', since(run.updated_at)));
      replace(spend, h('dl', {class: 'facts'}, usageFacts(run.usage)), budgetBlock(run.budget));
      const waiting = (run.steps || []).filter((st) => st.state === 'awaiting_approval');
      const key = waiting.map((st) => st.id).join(',');
      if (key !== gatesKey) {
        gatesKey = key;
        replace(gates, waiting.length ? h('ul', {class: 'card gate-list'}, waiting.map((st) => gate(id, st, ctx))) : null);
      }
      replace(dag, drawDAG(run.steps || [], {nameOf, selected, onSelect: select}));
      replace(facts, h('h2', {}, 'Step'), stepFacts((run.steps || []).find((st) => st.id === selected), nameOf));
      drawTimes();
      replace(events, h('h2', {}, 'Timeline'), timeline(run.timeline, namer(ctx.store)));
    },
  };
}
