// The error banner: each problem the API answered, as the server worded
// it (title, detail, invalid fields, roles that may), until dismissed or
// superseded by a success of the same kind.

import {h} from './dom.js';

const shown = new Map();

// report shows err under key (one banner per key: a newer error of the
// same kind replaces the older).
export function report(err, key = String(Math.random())) {
  const box = document.getElementById('errors');
  const body = err.body || {};
  const title = body.title || (err.status ? `HTTP ${err.status}` : 'Error');
  const item = h('div', {class: 'problem', dataset: {status: String(err.status ?? ''), key}},
    h('button', {type: 'button', class: 'dismiss', 'aria-label': 'Dismiss', onclick: () => dismiss(key)}, '×'),
    h('strong', {}, err.status ? `${err.status} ${title}` : title),
    err.path ? h('code', {class: 'where'}, err.path) : null,
    h('p', {class: 'detail'}, body.detail || err.message || String(err)),
    Array.isArray(body.errors) && body.errors.length > 0
      ? h('ul', {class: 'fields'}, body.errors.map((e) => h('li', {}, h('code', {}, e.field), ' ', e.reason)))
      : null,
    Array.isArray(body.required_roles) && body.required_roles.length > 0
      ? h('p', {class: 'roles'}, `Roles that may: ${body.required_roles.join(', ')}.`)
      : null);
  const old = shown.get(key);
  if (old) old.replaceWith(item);
  else box.append(item);
  shown.set(key, item);
}

// dismiss removes the banner under key, if any.
export function dismiss(key) {
  shown.get(key)?.remove();
  shown.delete(key);
}
