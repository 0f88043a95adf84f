// DOM helpers: elements are built with h() and s(), never from HTML
// strings, so that data from the API is always text.

const SVG = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// h creates an HTML element: h('a', {href: '#/x', class: 'y'}, 'text', child).
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s creates an SVG element.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

// replace puts children in el instead of what it had.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ago is how long before now t (RFC 3339) was, in words: "12 s ago".
export function ago(t, now = Date.now()) {
  if (!t) return '—';
  const ms = Date.parse(t);
  if (Number.isNaN(ms) || ms <= 0) return '—';
  const sec = Math.max(0, Math.round((now - ms) / 1000));
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ago`;
  return `${Math.floor(sec / 86400)} d ago`;
}

// since is a span whose text the app's ticker keeps as ago(t).
export function since(t) {
  return h('time', {datetime: t || '', class: 'since', title: t ? new Date(t).toLocaleString() : ''}, ago(t));
}

// tick refreshes every since() under root.
export function tick(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time.since')) el.textContent = ago(el.getAttribute('datetime'), now);
}

// clock is a time of day, "14:03:27".
export function clock(t) {
  if (!t) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleTimeString([], {hour12: false});
}

// duration is the time between two instants in words: "1 min 12 s".
export function duration(from, to) {
  if (!from) return '—';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${ms} ms`;
  const sec = Math.round(ms / 1000);
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${sec % 60} s`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}

// percent formats a ratio 0..1, or "—" for null.
export function percent(r) {
  return r === null || r === undefined ? '—' : `${Math.round(r * 100)} %`;
}

// short is 8 characters of an id that tell it from others: the first ones,
// or the last ones of a UUIDv7, whose first ones are its time.
export function short(id) {
  if (!id) return '—';
  const s = String(id);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(s) ? s.slice(-8) : s.slice(0, 8);
}

// pill is a coloured status label; its class names the value.
export function pill(value, kind = 'status') {
  return h('span', {class: ['pill', `${kind}-${String(value).replaceAll('_', '-')}`]}, String(value).replaceAll('_', ' '));
}

// empty is the text shown in place of an empty list.
export function empty(text) {
  return h('p', {class: 'empty'}, text);
}
