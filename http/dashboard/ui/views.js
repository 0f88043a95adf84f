// The views the pages read, each loaded into the store under the live
// topic that keeps it fresh (see the issue-5 contract: /v1/views/* and the
// topics of GET /v1/live).

import {get, getAll} from './api.js';

// Topics every page follows; a run's page adds its own (runTopic).
export const baseTopics = ['agents', 'swarms', 'runs', 'queue', 'throughput', 'feed'];

export const runTopic = (id) => `workflows/${id}`;

// byID pairs each row with its id.
const byID = (rows) => rows.map((r) => [r.id, r]);

// loadThroughput keeps a throughput view's minutes.
function loadThroughput(store, view) {
  const rows = store.topic('throughput');
  for (const m of view.minutes || []) rows.put(m.minute, m, view.position ?? 0);
}

// Each view: a key, and how to load it into the store; a view whose topic
// is followed only while its page is open is read again (always) each time
// the page opens.
export const views = {
  agents: {key: 'agents', load: async (store) => store.topic('agents').load(byID(await getAll('/v1/agents', 'agents')))},
  swarms: {key: 'swarms', load: async (store) => store.topic('swarms').load(byID(await getAll('/v1/views/swarms', 'items')))},
  runs: (status) => ({
    key: `runs?${status || ''}`,
    load: async (store) => {
      const items = await getAll(`/v1/views/runs${status ? `?status=${encodeURIComponent(status)}` : ''}`, 'items', 500);
      const rows = store.topic('runs');
      for (const r of items) rows.put(r.id, r, r.position);
    },
  }),
  run: (id) => ({
    key: `run:${id}`,
    always: true,
    load: async (store) => {
      const run = await get(`/v1/views/runs/${encodeURIComponent(id)}`);
      store.topic(runTopic(id)).put(id, run, run.position);
    },
  }),
  overview: {
    key: 'overview',
    load: async (store) => {
      const o = await get('/v1/views/overview');
      store.topic('overview').set('overview', o);
      if (o.throughput) loadThroughput(store, o.throughput);
    },
  },
  queue: {
    key: 'queue',
    load: async (store) => {
      const q = await get('/v1/views/queue');
      store.topic('queue').put('queue', q, q.position ?? 0);
    },
  },
  feed: {
    key: 'feed',
    load: async (store) => {
      const f = await get('/v1/views/feed?limit=500');
      store.topic('feed').load((f.items || []).map((i) => [String(i.position), i]));
    },
  },
};
