// Hash routes: #/<page>/<parts…>?<params>. Pages read them with parseHash() and keep their
// view state (tab, filters, sort, page) in the params so a reload or a shared link shows the same.

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  const query = i < 0 ? '' : raw.slice(i + 1);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function routeUrl(parts, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

// Replaces the params of the current route without a history entry per keystroke.
export function setParams(params) {
  history.replaceState(null, '', routeUrl(parseHash().parts, params));
}
