// The API client: the token, kept for the browser tab's session, sent as a
// bearer token with every call; errors as Problem (RFC 9457).

const TOKEN = 'hive.token';
const NAME = 'hive.name';

// Problem is an error answer of the API, or a failure to reach it.
export class Problem extends Error {
  constructor(status, body, path) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.path = path;
  }
}

// signingIn is the sign-in under way: its promise and how to resolve it.
let signingIn = null;

// token is the session's token, or null.
export function token() {
  return sessionStorage.getItem(TOKEN);
}

// operatorName is the name the operator gave, recorded as "by" on decisions.
export function operatorName() {
  return sessionStorage.getItem(NAME) || '';
}

// signOut forgets the token and asks for another.
export function signOut() {
  sessionStorage.removeItem(TOKEN);
  return signIn('Signed out.');
}

// signIn shows the sign-in dialog (once, however many callers wait) and
// resolves with the token entered.
export function signIn(reason) {
  const dialog = document.getElementById('login');
  document.getElementById('login-reason').textContent = reason || '';
  if (signingIn) return signingIn.promise;
  listenOnce(dialog);
  document.getElementById('login-name').value = operatorName();
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  signingIn = {promise, resolve};
  dialog.showModal();
  document.getElementById('login-token').focus();
  return promise;
}

let listening = false;

// listenOnce sets up the dialog's form, the first time it is shown.
function listenOnce(dialog) {
  if (listening) return;
  listening = true;
  dialog.addEventListener('cancel', (e) => e.preventDefault());
  document.getElementById('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('login-token');
    const value = input.value.trim();
    if (!value || !signingIn) return;
    sessionStorage.setItem(TOKEN, value);
    sessionStorage.setItem(NAME, document.getElementById('login-name').value.trim());
    input.value = '';
    dialog.close();
    const {resolve} = signingIn;
    signingIn = null;
    resolve(value);
  });
}

// ensureToken resolves with the session's token, asking for one if need be.
export async function ensureToken() {
  return token() || signIn('Hive needs a token: hive token create, or <data-dir>/admin.token.');
}

// readProblem decodes an error answer.
export async function readProblem(res, path) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = {title: res.statusText};
  }
  return new Problem(res.status, body, path);
}

// call sends a request with the token and resolves with the decoded JSON
// answer. A 401 asks for a token and tries once more; any other error
// rejects with a Problem.
export async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const tok = await ensureToken();
    const headers = {Authorization: `Bearer ${tok}`, Accept: 'application/json'};
    const init = {method, headers, cache: 'no-store'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new Problem(0, {title: 'Hive is unreachable', detail: String(err.message || err)}, path);
    }
    if (res.ok) return res.status === 204 ? null : res.json();
    const problem = await readProblem(res, path);
    if (res.status !== 401 || attempt > 0) throw problem;
    sessionStorage.removeItem(TOKEN);
    await signIn(`${problem.message} Enter another token.`);
  }
}

// get is call('GET', ...).
export const get = (path) => call('GET', path);

// getAll reads every page of a list whose items are under key.
export async function getAll(path, key, limit = 1000) {
  const items = [];
  let cursor = '';
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...(page[key] || []));
    if (!page.next_cursor) return items;
    cursor = page.next_cursor;
  }
}
