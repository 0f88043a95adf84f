// Usage and budgets: what an agent's, a swarm's or a run's completed tasks
// consumed, and where a swarm or a run stands against its budget.

import {h} from './dom.js';

// count is n with thousands separators.
export function count(n) {
  return (n ?? 0).toLocaleString('en-US');
}

// cost is an amount in millionths of the currency unit, in units.
export function cost(micros) {
  return ((micros ?? 0) / 1e6).toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 6});
}

// usageText is a usage sum in a few words: "1,500 tokens · cost 0.00012".
export function usageText(u) {
  return `${count((u?.input_tokens ?? 0) + (u?.output_tokens ?? 0))} tokens · cost ${cost(u?.cost_micros)}`;
}

// usageFacts are the dt/dd pairs of a usage sum, for a facts list.
export function usageFacts(u) {
  const used = u || {};
  const tokens = (used.input_tokens ?? 0) + (used.output_tokens ?? 0);
  return [
    h('dt', {}, 'tokens'),
    h('dd', {dataset: {usage: 'tokens'}, title: `${count(used.input_tokens)} in, ${count(used.output_tokens)} out`}, count(tokens)),
    h('dt', {}, 'cost'), h('dd', {dataset: {usage: 'cost'}}, cost(used.cost_micros)),
    h('dt', {}, 'tasks'), h('dd', {dataset: {usage: 'tasks'}, title: 'completed tasks the usage is summed over'}, count(used.tasks))];
}

// bound is one bound of a budget as a meter: spent of limit, and what is
// left.
function bound(limit, spent, left, unit, fmt) {
  const fill = h('span', {class: 'fill'});
  fill.style.width = `${Math.min(100, Math.round((100 * spent) / limit))}%`;
  return h('div', {class: 'bound', dataset: {bound: unit}},
    h('span', {class: 'meter'}, fill),
    h('span', {class: 'num'}, `${fmt(spent)} of ${fmt(limit)} ${unit} · ${fmt(left)} left`));
}

// budgetBlock is a budget: a meter per bound, or that there is none.
export function budgetBlock(b) {
  const budget = b || {};
  const limit = budget.limit || {}, spent = budget.spent || {}, left = budget.remaining || {};
  const bounds = [];
  if (limit.tokens) bounds.push(bound(limit.tokens, spent.tokens ?? 0, left.tokens ?? 0, 'tokens', count));
  if (limit.cost_micros) bounds.push(bound(limit.cost_micros, spent.cost_micros ?? 0, left.cost_micros ?? 0, 'cost', cost));
  return h('div', {class: ['budget', budget.exhausted && 'exhausted'], dataset: {exhausted: String(!!budget.exhausted)}},
    bounds.length ? bounds : h('span', {class: 'muted'}, 'no budget'),
    budget.exhausted ? h('span', {class: 'pill status-budget-exhausted'}, 'budget exhausted') : null);
}
