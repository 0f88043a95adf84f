// The dashboard: hash routes to pages, one live stream feeding the store,
// and the pages drawn from the store whenever a topic they show changes.

import {call, ensureToken, signOut} from './api.js';
import {replace, tick} from './dom.js';
import {dismiss, report} from './errors.js';
import {Live} from './live.js';
import {Store} from './store.js';
import {baseTopics} from './views.js';
import {overviewPage} from './page-overview.js';
import {agentsPage} from './page-agents.js';
import {swarmsPage} from './page-swarms.js';
import {runsPage} from './page-runs.js';
import {runPage} from './page-run.js';
import {feedPage} from './page-feed.js';

const pages = {overview: overviewPage, agents: agentsPage, swarms: swarmsPage, runs: runsPage, feed: feedPage};

const store = new Store();
const loaded = new Map();
let page = null;
let frame = 0;

// route reads the hash: #/runs/<id>?status=x is {name: 'runs', arg: id, params}.
function route() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...rest] = path.split('/');
  return {name: pages[name] ? name : 'overview', arg: rest.map(decodeURIComponent).join('/'), params: new URLSearchParams(query || '')};
}

// load reads a view into the store once (again when forced), showing any
// error in the banner until the view loads.
async function load(view, {force = false} = {}) {
  if (loaded.has(view.key) && !force) return loaded.get(view.key);
  const p = view.load(store).then(() => {
    dismiss(`view:${view.key}`);
    schedule();
  }, (err) => {
    loaded.delete(view.key);
    report(err, `view:${view.key}`);
  });
  loaded.set(view.key, p);
  return p;
}

// schedule draws the page at the next frame (once, however many changes).
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (!page) return;
    try {
      page.render();
    } catch (err) {
      report(err, 'render');
    }
  });
}

// act sends a command and reports its problem, if any; it resolves with the
// answer, or null after a problem.
async function act(method, path, body) {
  const key = `act:${method} ${path}`;
  try {
    const answer = await call(method, path, body);
    dismiss(key);
    return answer ?? {};
  } catch (err) {
    report(err, key);
    return null;
  }
}

const ctx = {store, load, act, schedule, setParams};

// setParams replaces the hash's query, keeping the page.
function setParams(params) {
  const [path] = location.hash.split('?');
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  history.replaceState(null, '', `${path || '#/overview'}${q ? `?${q}` : ''}`);
}

const live = new Live({
  onChange: (change) => {
    store.apply(change);
    if (change.topic === 'feed') store.topic('feed').trim(1000);
  },
  onFresh: () => {
    loaded.clear();
    page?.views().forEach((v) => load(v));
  },
  onState: (state, err) => {
    const el = document.getElementById('live');
    el.dataset.state = state;
    el.textContent = {connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', error: 'offline'}[state] || state;
    el.title = err ? String(err.message || err) : '';
    if (state === 'error' && err?.status) report(err, 'live');
    if (state === 'live') dismiss('live');
  },
});

function show() {
  const r = route();
  page?.destroy?.();
  const root = document.getElementById('page');
  replace(root);
  const make = r.name === 'runs' && r.arg ? runPage : pages[r.name];
  page = make(root, {...ctx, arg: r.arg, params: r.params});
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === r.name);
  document.title = `${page.title} · Hive`;
  live.setTopics([...baseTopics, ...(page.topics || [])]);
  page.views().forEach((v) => load(v, {force: v.always}));
  schedule();
}

store.listen((topic) => {
  if (!page) return;
  page.changed?.(topic);
  if (page.follows(topic)) schedule();
});

async function start() {
  document.getElementById('signout').addEventListener('click', async () => {
    await signOut();
    live.conn?.abort();
    loaded.clear();
    show();
  });
  await ensureToken();
  window.addEventListener('hashchange', show);
  setInterval(() => tick(document.getElementById('page')), 1000);
  show();
}

start();
