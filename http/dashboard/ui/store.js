// The client's copy of the read models: rows by topic and id, each kept
// with the log position of the change that wrote it, so that a change or a
// view older than what the page already shows never replaces it, whichever
// arrives first.

// Rows are one topic's rows.
export class Rows {
  constructor() {
    this.rows = new Map();
    this.positions = new Map();
  }

  // put keeps row under id if position is newer than the row's, and says
  // whether it did.
  put(id, row, position) {
    if ((this.positions.get(id) ?? -1) >= position) return false;
    this.positions.set(id, position);
    this.rows.set(id, row);
    return true;
  }

  // delete removes the row if position is newer than the row's.
  delete(id, position) {
    if ((this.positions.get(id) ?? -1) >= position) return false;
    this.positions.set(id, position);
    this.rows.delete(id);
    return true;
  }

  // load merges a whole list read from a view. Rows the list lacks are
  // dropped, unless a change newer than every row of the list wrote them
  // (they were made after the list was read).
  load(items, positionOf = (r) => r.position) {
    let newest = 0;
    const ids = new Set();
    for (const [id, row] of items) {
      const pos = positionOf(row) ?? 0;
      newest = Math.max(newest, pos);
      ids.add(id);
      this.put(id, row, pos);
    }
    for (const id of [...this.rows.keys()]) {
      if (!ids.has(id) && (this.positions.get(id) ?? 0) <= newest) this.rows.delete(id);
    }
  }

  // set keeps row under id whatever it had: for answers that are not log
  // rows (the overview's lag changes with time).
  set(id, row) {
    this.rows.set(id, row);
  }

  // trim keeps the max rows of highest position.
  trim(max) {
    if (this.rows.size <= max) return;
    const ids = [...this.rows.keys()].sort((a, b) => this.positions.get(a) - this.positions.get(b));
    for (const id of ids.slice(0, ids.length - max)) this.rows.delete(id);
  }

  get(id) {
    return this.rows.get(id);
  }

  values() {
    return [...this.rows.values()];
  }

  get size() {
    return this.rows.size;
  }
}

// Store holds every topic's rows and tells listeners which topic changed.
export class Store {
  constructor() {
    this.topics = new Map();
    this.listeners = new Set();
  }

  topic(name) {
    let rows = this.topics.get(name);
    if (!rows) {
      rows = new Rows();
      this.topics.set(name, rows);
    }
    return rows;
  }

  // apply applies a live change; listeners hear of it if it was newer.
  apply(change) {
    const rows = this.topic(change.topic);
    const changed = change.op === 'delete'
      ? rows.delete(change.id, change.position)
      : rows.put(change.id, change.data, change.position);
    if (changed) this.notify(change.topic);
  }

  notify(topic) {
    for (const fn of this.listeners) fn(topic);
  }

  // listen calls fn(topic) after each change; it returns the unsubscribe.
  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
