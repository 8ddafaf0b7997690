// The one door to imgedad: every request of the dashboard goes through api() to /api/v1.
// Errors come back as ApiError with the daemon's {error: {code, message}} or, when the daemon
// cannot be reached at all, code "unreachable" (status 0).

export const BASE = '/api/v1';
const TOKEN_KEY = 'imgedad_token';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

// Stores the bearer token for fetch() and as a SameSite=Strict cookie, which imgedad accepts in
// place of the header: <img>, EventSource and download links cannot send headers.
export function setToken(t) {
  try { localStorage.setItem(TOKEN_KEY, t); } catch { /* private mode: cookie only */ }
  document.cookie = `${TOKEN_KEY}=${encodeURIComponent(t)}; path=/; SameSite=Strict`;
}

const listeners = new Set();
// fn(state) with state 'up' | 'down' | 'auth': called when a request learns the daemon's state.
export function onConnection(fn) { listeners.add(fn); }
function tell(state) { for (const fn of listeners) fn(state); }

// api(path, {method, body, json, accept}) → parsed JSON (or text for non-JSON replies).
// `body` is sent as is (string for YAML); `json` is serialised. `accept` lists extra statuses
// that are answers rather than errors (the gate's 412).
export async function api(path, opts = {}) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['Content-Type'] = 'application/json';
  } else if (typeof body === 'string') {
    headers['Content-Type'] = 'application/yaml';
  }
  let resp;
  try {
    resp = await fetch(BASE + path, { method: opts.method || (body !== undefined ? 'POST' : 'GET'), headers, body, signal: opts.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    tell('down');
    throw new ApiError(0, 'unreachable', `imgedad is unreachable (${location.host}): is the daemon running?`);
  }
  tell('up');
  const ctype = resp.headers.get('Content-Type') || '';
  const data = ctype.includes('json') ? await resp.json().catch(() => null) : await resp.text();
  if (resp.ok || (opts.accept || []).includes(resp.status)) {
    return data;
  }
  if (resp.status === 401) tell('auth');
  const err = data && data.error ? data.error : { code: `http_${resp.status}`, message: `${resp.status} ${resp.statusText}` };
  throw new ApiError(resp.status, err.code, err.message, data);
}

// URLs for things the browser loads itself (images, downloads, event streams).
export function scanUrl(id, rest = '') { return `${BASE}/scans/${encodeURIComponent(id)}${rest}`; }
export function thumbUrl(scanId, imageId, size = 256) {
  return scanUrl(scanId, `/images/${imageId}/thumbnail?size=${size}`);
}

export async function healthz() {
  const resp = await fetch('/healthz', { cache: 'no-store' });
  if (!resp.ok) throw new Error(`healthz ${resp.status}`);
  return resp.json();
}
