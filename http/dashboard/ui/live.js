// The live stream: GET /v1/live read with fetch() and a ReadableStream (an
// EventSource cannot send the Authorization header), parsed as server-sent
// events, resumed after a drop with Last-Event-ID.

import {readProblem, signIn, token} from './api.js';

// SSEParser turns chunks of text into events ({event, data, id}), as the
// HTML standard's event stream interpretation does.
export class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.event = '';
    this.data = [];
    this.id = null;
  }

  // push parses a chunk; a partial line waits for the next one, and a CR
  // ending a chunk makes a LF starting the next one part of the same line end.
  push(chunk) {
    if (this.cr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.cr = chunk.endsWith('\r');
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop();
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0 || this.event) {
        this.onEvent({event: this.event || 'message', data: this.data.join('\n'), id: this.id});
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) {
      this.onEvent({event: 'comment', data: line.slice(1).trim(), id: null});
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, {once: true});
});

// silence is how long a stream may stay quiet (the server pings every
// 15 s) before it is taken for dead and reopened.
const silence = 45_000;

// Live keeps one stream open on the topics it is given.
//   onChange(change): a change (projections.Change) arrived.
//   onFresh(): a stream opened without resuming (the first, or after a
//     resync): the views must be read again.
//   onState(state, detail): 'connecting', 'live', 'reconnecting', 'error'.
export class Live {
  constructor({onChange, onFresh, onState}) {
    Object.assign(this, {onChange, onFresh, onState});
    this.topics = [];
    this.lastId = null;
    this.conn = null;
    this.stopped = new AbortController();
  }

  // setTopics changes the topics, reopening the stream (resuming from the
  // last change seen) if they differ.
  setTopics(topics) {
    const next = [...new Set(topics)].sort();
    if (next.join(',') === this.topics.join(',')) return;
    this.topics = next;
    if (this.running) this.conn?.abort();
    else this.run();
  }

  stop() {
    this.stopped.abort();
    this.conn?.abort();
  }

  async run() {
    this.running = true;
    let backoff = 500;
    while (!this.stopped.signal.aborted) {
      this.onState(this.lastId ? 'reconnecting' : 'connecting');
      const outcome = await this.once();
      if (outcome === 'reopen') { backoff = 500; continue; }
      await sleep(backoff, this.stopped.signal);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  // once holds one stream until it ends, and says how: 'reopen' (at once:
  // topics changed, resync, new token) or 'retry' (after a pause).
  async once() {
    const conn = new AbortController();
    this.conn = conn;
    const headers = {Authorization: `Bearer ${token() || ''}`, Accept: 'text/event-stream'};
    if (this.lastId) headers['Last-Event-ID'] = this.lastId;
    const resumed = Boolean(this.lastId);
    try {
      const res = await fetch(`/v1/live?topics=${encodeURIComponent(this.topics.join(','))}`, {headers, signal: conn.signal, cache: 'no-store'});
      if (res.status === 401) {
        const p = await readProblem(res, '/v1/live');
        await signIn(`${p.message} Enter another token.`);
        return 'reopen';
      }
      if (!res.ok) {
        this.onState('error', await readProblem(res, '/v1/live'));
        return 'retry';
      }
      return await this.read(res.body, conn, resumed);
    } catch (err) {
      if (conn.signal.aborted && !this.stopped.signal.aborted) return this.resync ? this.clearResync() : 'reopen';
      if (!this.stopped.signal.aborted) this.onState('error', err);
      return 'retry';
    }
  }

  clearResync() {
    this.resync = false;
    return 'reopen';
  }

  // read parses the stream until it ends.
  async read(body, conn, resumed) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let heard = Date.now();
    const watchdog = setInterval(() => { if (Date.now() - heard > silence) conn.abort(); }, 5_000);
    const parser = new SSEParser((ev) => this.handle(ev, conn, resumed));
    try {
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        heard = Date.now();
        parser.push(value);
      }
    } finally {
      clearInterval(watchdog);
    }
    return this.resync ? this.clearResync() : 'retry';
  }

  handle(ev, conn, resumed) {
    switch (ev.event) {
      case 'hello': {
        const hello = JSON.parse(ev.data || '{}');
        this.onState('live');
        if (!resumed) {
          this.lastId = hello.last_id || null;
          this.onFresh();
        }
        break;
      }
      case 'change':
        if (ev.id) this.lastId = ev.id;
        this.onChange(JSON.parse(ev.data));
        break;
      case 'resync':
        this.lastId = null;
        this.resync = true;
        conn.abort();
        break;
      default:
    }
  }
}
