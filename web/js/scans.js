// Scans page: the list with live progress (Server-Sent Events), the new-scan form with every
// scan option at the daemon's defaults, manifest import, cancel/resume/delete.
import { api, scanUrl, ApiError } from './api.js';
import { h, clear, fmtInt, fmtBytes, fmtDuration, fmtTime, toast, loading, emptyState, errorBox, badge, markRendered, nextId, progressText, pageHead } from './ui.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const MAX_STREAMS = 4; // browsers allow 6 connections per host; leave room for the rest
// Used only when the daemon predates GET /api/v1/config; the SPEC §3.3 defaults.
const FALLBACK_DEFAULTS = { dark_threshold: 40, overexposed_threshold: 220, artifact_threshold: 50, blur_threshold: 100, profile: 'compatible' };
// The API's "profile" option: how images are decoded and measured (README, "profile").
const PROFILES = [
  ['compatible', 'Compatible', 'imgeda’s exact values: every image decoded at full size'],
  ['fast', 'Fast', 'large JPEG/WebP decoded at a reduced scale: much faster, values approximate'],
];

let root = null;
let streams = new Map(); // scan id → EventSource
let pollTimer = null;
let refreshTimer = null;
let rows = new Map(); // scan id → {tr, scan}
let statusFilter = '';
let nextCursor = null;
let listBox = null;

export function leave() {
  for (const es of streams.values()) es.close();
  streams = new Map();
  clearInterval(pollTimer);
  clearInterval(refreshTimer);
  pollTimer = refreshTimer = null;
  root = null;
}

export async function show(main) {
  leave();
  root = h('div', { 'data-page': 'scans' });
  listBox = h('div', null, loading());
  const formBox = h('div');
  const head = pageHead('Scans', 'Folders of images analysed by imgedad, newest first.', importButton());
  clear(main, root);
  root.append(head, formBox, listBox);
  renderForm(formBox);
  await loadList(listBox);
  refreshTimer = setInterval(() => { if (root && !document.hidden) loadList(listBox, true); }, 10000);
  pollTimer = setInterval(pollUnstreamed, 2000);
}

function importButton() {
  const id = nextId('import');
  const input = h('input', { type: 'file', id, accept: '.jsonl,.json,application/x-ndjson', hidden: true, onchange: async () => {
    const f = input.files[0];
    if (!f) return;
    input.value = '';
    // A body over the daemon's limit is refused as soon as its length is known, which a browser
    // may report as a dropped connection: say which setting to change before sending it.
    const cfg = await api('/config').catch(() => null);
    if (cfg && cfg.max_body_bytes && f.size > cfg.max_body_bytes) {
      toast(`Import failed: ${f.name} is ${fmtBytes(f.size)}, over this imgedad's limit of ${fmtBytes(cfg.max_body_bytes)} per request. Raise limits.max_body_bytes in its config (then restart it) to import it.`, true);
      return;
    }
    toast(`Importing ${f.name} (${fmtBytes(f.size)})…`);
    try {
      const s = await api(`/manifests?name=${encodeURIComponent(f.name.replace(/\.jsonl?$/, ''))}`, { method: 'POST', body: f });
      toast(`Imported ${f.name}: ${fmtInt(s.progress.total)} records`);
      location.hash = `#/scan/${encodeURIComponent(s.id)}/overview`;
    } catch (e) {
      toast(`Import failed: ${e.message}`, true);
    }
  } });
  return h('span', null, input, h('button', { class: 'btn', type: 'button', onclick: () => input.click() }, 'Import manifest…'));
}

// ---- new-scan form ----
async function renderForm(box) {
  let cfg = null;
  try { cfg = await api('/config'); } catch (e) { if (e.code === 'unreachable') { clear(box, errorBox(e)); return; } }
  const d = (cfg && cfg.scan_defaults) || FALLBACK_DEFAULTS;
  const roots = (cfg && cfg.allowed_roots) || [];
  const dl = nextId('roots');
  const num = (name, label, hint, attrs = {}) => {
    const id = nextId(name);
    return h('div', { class: 'field' }, h('label', { for: id }, label),
      h('input', { type: 'number', id, name, value: d[name] ?? '', step: attrs.step || 'any', min: attrs.min ?? 0, max: attrs.max, dataset: { default: d[name] ?? '' } }),
      hint ? h('span', { class: 'hint' }, hint) : null);
  };
  const chk = (name, label) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, checked: !!d[name] }), label);
  const rootId = nextId('root');
  const nameId = nextId('name');
  const extId = nextId('ext');
  const profileId = nextId('profile');
  const profile0 = d.profile || 'compatible';
  const profileHint = h('span', { class: 'hint', 'data-profile-hint': '' });
  const showProfile = (v) => { profileHint.textContent = (PROFILES.find(([k]) => k === v) || [])[2] || ''; };
  const profile = h('select', { id: profileId, name: 'profile', dataset: { default: profile0 }, onchange: (e) => showProfile(e.target.value) },
    PROFILES.map(([k, label]) => h('option', { value: k, selected: k === profile0 }, label)));
  showProfile(profile0);
  const err = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary', type: 'submit' }, 'Start scan');
  const form = h('form', { class: 'panel', 'data-form': 'new-scan', novalidate: true, onsubmit: (e) => { e.preventDefault(); createScan(form, d, err, submit); } },
    h('h2', null, 'New scan'),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field', style: { gridColumn: 'span 2' } }, h('label', { for: rootId }, 'Folder to scan'),
        h('input', { type: 'text', id: rootId, name: 'root', required: true, list: dl, placeholder: roots[0] ? `${roots[0]}/…` : '/path/to/images', autocomplete: 'off', spellcheck: false }),
        h('span', { class: 'hint' }, roots.length ? `Must lie inside: ${roots.join(', ')}` : 'An absolute path on the daemon’s machine'),
        h('datalist', { id: dl }, roots.map((r) => h('option', { value: r })))),
      h('div', { class: 'field' }, h('label', { for: nameId }, 'Name'), h('input', { type: 'text', id: nameId, name: 'name', placeholder: 'defaults to the folder name' })),
      h('div', { class: 'field' }, h('label', { for: profileId }, 'Profile'), profile, profileHint)),
    h('details', null, h('summary', { class: 'small', style: { marginTop: '.9rem', cursor: 'pointer' } }, 'Scan options (thresholds, workers, formats)'),
      h('fieldset', null, h('legend', null, 'Thresholds'),
        h('div', { class: 'form-grid' },
          num('dark_threshold', 'Dark below', 'mean brightness, 0–255'),
          num('overexposed_threshold', 'Overexposed above', 'mean brightness, 0–255'),
          num('blur_threshold', 'Blurry below', 'Laplacian variance'),
          num('artifact_threshold', 'Border artifact above', 'corner/centre brightness delta'))),
      h('fieldset', null, h('legend', null, 'What to compute'),
        h('div', { class: 'form-grid' },
          chk('force', 'Re-analyse every file (ignore earlier results)'), chk('skip_exif', 'Skip EXIF'),
          chk('skip_pixel_stats', 'Skip pixel statistics'), chk('skip_blur', 'Skip blur score'),
          chk('no_hashes', 'Skip perceptual hashes (no near-duplicates)'), chk('shrink_on_load', 'Shrink JPEGs on load (faster, blur differs)'))),
      h('fieldset', null, h('legend', null, 'Limits and performance'),
        h('div', { class: 'form-grid' },
          h('div', { class: 'field' }, h('label', { for: extId }, 'Extensions'), h('input', { type: 'text', id: extId, name: 'extensions', placeholder: (d.extensions || []).join(',') || 'all image types', dataset: { default: '' } }), h('span', { class: 'hint' }, 'comma separated, empty = default set')),
          num('workers', 'Workers', cfg ? `1–${cfg.workers}` : null, { step: 1, min: 1, max: cfg ? cfg.workers : undefined }),
          num('checkpoint_every', 'Checkpoint every', 'records between durable saves', { step: 1, min: 1 }),
          num('max_image_dim', 'Analysis size', 'longest side in px; larger images are downsized to it first', { step: 1, min: 16 })))),
    err,
    h('div', { class: 'row', style: { marginTop: '.9rem' } }, submit, h('span', { class: 'muted small' }, 'Unchanged options are left to the daemon’s defaults.')));
  clear(box, form);
}

async function createScan(form, defaults, errBox, submit) {
  errBox.textContent = '';
  const fd = new FormData(form);
  const dir = String(fd.get('root') || '').trim();
  if (!dir) {
    errBox.textContent = 'Enter the folder to scan.';
    form.elements.root.focus();
    return;
  }
  const options = {};
  for (const el of form.querySelectorAll('input[type=number]')) {
    if (el.value === '' || el.value === el.dataset.default) continue;
    options[el.name] = Number(el.value);
  }
  for (const el of form.querySelectorAll('input[type=checkbox]')) if (el.checked !== !!defaults[el.name]) options[el.name] = el.checked;
  for (const el of form.querySelectorAll('select[name]')) if (el.value !== el.dataset.default) options[el.name] = el.value;
  const ext = String(fd.get('extensions') || '').trim();
  if (ext) options.extensions = ext;
  const body = { root: dir };
  const name = String(fd.get('name') || '').trim();
  body.name = name || dir.replace(/\/+$/, '').split('/').pop() || dir;
  if (Object.keys(options).length) body.options = options;
  submit.disabled = true;
  try {
    const s = await api('/scans', { json: body });
    toast(`Scan "${s.name}" started`);
    form.elements.root.value = '';
    form.elements.name.value = '';
    const opts = form.querySelector('details');
    if (opts) opts.open = false; // the values stay for the next scan
    await loadList(listBox, true);
    const tr = listBox.querySelector(`tr[data-scan-id="${CSS.escape(s.id)}"]`);
    if (tr) tr.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  } catch (e) {
    errBox.textContent = e instanceof ApiError && e.status === 403 ? `${e.message}. Allowed roots are set by scan.allowed_roots in the daemon’s config.` : e.message;
  } finally {
    submit.disabled = false;
  }
}

// ---- list ----
async function loadList(box, quiet = false) {
  if (!box) return;
  let data;
  try {
    data = await api(`/scans?limit=50${statusFilter ? `&status=${statusFilter}` : ''}`);
  } catch (e) {
    if (!quiet || !box.querySelector('table')) clear(box, errorBox(e, 'Cannot list scans'));
    return;
  }
  if (!root) return;
  const scans = data.scans;
  if (quiet && box.querySelector('table') && scans.length === rows.size && scans.every((x) => rows.has(x.id))) {
    for (const x of scans) { // the same scans: update rows in place, focus and scroll stay
      const cur = rows.get(x.id).scan;
      if (cur.status !== x.status || JSON.stringify(cur.progress) !== JSON.stringify(x.progress)) updateRow(x);
    }
    syncStreams();
    return;
  }
  nextCursor = data.next_cursor;
  const filter = h('select', { 'aria-label': 'Filter by status', onchange: (e) => { statusFilter = e.target.value; loadList(box); } },
    ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => h('option', { value: s, selected: s === statusFilter }, s || 'all statuses')));
  const head = h('div', { class: 'row', style: { marginBottom: '.6rem' } }, h('h2', { style: { margin: 0 } }, 'All scans'), h('span', { class: 'grow' }), filter);
  if (!scans.length) {
    clear(box, head, h('div', { class: 'panel', 'data-list': 'scans' }, emptyState(statusFilter ? `No ${statusFilter} scans` : 'No scans yet', statusFilter ? '' : 'Start one with the form above: give it a folder of images.')));
    markRendered('scans');
    return;
  }
  const tbody = h('tbody');
  rows = new Map();
  for (const s of scans) {
    const tr = scanRow(s);
    rows.set(s.id, { tr, scan: s });
    tbody.append(tr);
  }
  const more = nextCursor ? h('button', { class: 'btn', type: 'button', onclick: () => loadMore(tbody, more) }, 'Show older scans') : null;
  clear(box, head,
    h('div', { class: 'table-wrap', 'data-list': 'scans' }, h('table', { class: 'data scans' },
      h('thead', null, h('tr', null, h('th', null, 'Scan'), h('th', null, 'Status'), h('th', { style: { width: '26%' } }, 'Progress'), h('th', { class: 'num' }, 'Images'), h('th', { class: 'num hide-narrow' }, 'Corrupt'), h('th', { class: 'hide-narrow' }, 'Started'), h('th', { class: 'right' }, 'Actions'))),
      tbody)),
    more ? h('div', { class: 'pager' }, more) : null);
  syncStreams();
  markRendered('scans');
}

async function loadMore(tbody, btn) {
  btn.disabled = true;
  try {
    const data = await api(`/scans?limit=50&cursor=${encodeURIComponent(nextCursor)}${statusFilter ? `&status=${statusFilter}` : ''}`);
    for (const s of data.scans) {
      const tr = scanRow(s);
      rows.set(s.id, { tr, scan: s });
      tbody.append(tr);
    }
    nextCursor = data.next_cursor;
    if (!nextCursor) btn.remove();
  } catch (e) {
    toast(e.message, true);
  } finally {
    btn.disabled = false;
  }
}

function progressCell(s) {
  const p = s.progress || {};
  const pct = p.total ? Math.min(100, (100 * p.processed) / p.total) : s.status === 'succeeded' ? 100 : 0;
  const bar = h('div', { class: `progress ${s.status}${s.status === 'running' && !p.total ? ' indeterminate' : ''}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct), 'aria-label': `Progress of ${s.name}` },
    h('span', { style: { width: `${pct}%` } }));
  let text;
  if (s.status === 'running') {
    text = progressText(p);
  } else if (s.status === 'queued') {
    text = 'waiting for a worker';
  } else if (s.status === 'succeeded') {
    const secs = s.started_at && s.finished_at ? (new Date(s.finished_at) - new Date(s.started_at)) / 1000 : null;
    text = s.imported ? 'imported manifest' : `${fmtBytes(p.bytes)} in ${fmtDuration(secs)}${p.total ? '' : ' · no images found'}`;
  } else if (s.status === 'failed') {
    text = s.error || 'failed';
  } else {
    text = `stopped at ${fmtInt(p.processed)} / ${fmtInt(p.total)}`;
  }
  return [bar, h('div', { class: 'progress-text', title: text, style: s.status === 'failed' ? { color: 'var(--bad)', whiteSpace: 'normal' } : null }, text)];
}

function scanRow(s) {
  const link = `#/scan/${encodeURIComponent(s.id)}/overview`;
  const actions = [];
  if (s.status === 'running' || s.status === 'queued') actions.push(h('button', { class: 'btn small', type: 'button', 'data-action': 'cancel', onclick: () => act(s, 'cancel') }, 'Cancel'));
  if (FINAL.has(s.status) && !s.imported) actions.push(h('button', { class: 'btn small', type: 'button', 'data-action': 'resume', onclick: () => act(s, 'resume'), title: s.status === 'succeeded' ? 'Scan again as a new version (this one stays): unchanged files are not re-read' : 'Continue where it stopped' }, s.status === 'succeeded' ? 'Rescan' : 'Resume'));
  if (s.status === 'succeeded' && s.version > 1) actions.push(h('a', { class: 'btn small', href: `#/compare?new=${encodeURIComponent(s.id)}`, 'data-action': 'compare', title: `Compare v${s.version} with the version before it` }, 'Compare'));
  if (FINAL.has(s.status)) actions.push(h('button', { class: 'btn small danger', type: 'button', 'data-action': 'delete', onclick: () => del(s) }, 'Delete'));
  const p = s.progress || {};
  return h('tr', { dataset: { scanId: s.id, status: s.status } },
    h('td', null, h('a', { class: 'scan-name', href: link, 'data-action': 'open' }, s.name), h('div', { class: 'scan-root mono' }, s.root, s.version ? h('span', { class: 'muted', 'data-col': 'version' }, ` · v${s.version}`) : null)),
    h('td', null, badge(s.status)),
    h('td', null, progressCell(s)),
    h('td', { class: 'num', 'data-col': 'images', 'data-label': 'images' }, fmtInt(s.status === 'succeeded' ? p.total : p.processed)),
    h('td', { class: 'num hide-narrow' }, fmtInt(p.corrupt)),
    h('td', { class: 'hide-narrow nowrap small' }, fmtTime(s.started_at || s.created_at)),
    h('td', { class: 'right' }, h('div', { class: 'row', style: { justifyContent: 'flex-end', gap: '.35rem' } }, actions)));
}

// Redraws one row; keyboard focus inside it stays on the same control (or the scan's link when
// that control is gone, e.g. Cancel once the scan finished).
function updateRow(s) {
  const r = rows.get(s.id);
  if (!r) return;
  const tr = scanRow(s);
  const focused = r.tr.contains(document.activeElement) ? document.activeElement.dataset.action || 'open' : null;
  r.tr.replaceWith(tr);
  rows.set(s.id, { tr, scan: s });
  if (focused) (tr.querySelector(`[data-action="${focused}"]`) || tr.querySelector('[data-action="open"]')).focus();
}

// Rescan of a succeeded scan makes a new version (a new row on top) and keeps the old one.
async function act(s, verb) {
  const rescan = verb === 'resume' && s.status === 'succeeded';
  try {
    const n = await api(`/scans/${encodeURIComponent(s.id)}/${rescan ? 'rescan' : verb}`, { method: 'POST' });
    toast(verb === 'cancel' ? `Cancelling "${s.name}"` : rescan ? `"${s.name}" rescanning as version ${n && n.version ? n.version : 'new'}` : `"${s.name}" resumed`);
    if (n && n.id && rows.has(n.id)) updateRow(n);
    else if (n && n.id) await loadList(listBox, true);
    syncStreams();
  } catch (e) {
    toast(e.message, true);
  }
}

async function del(s) {
  if (!window.confirm(`Delete the scan "${s.name}" and its manifest, plots and thumbnails? The images themselves are not touched.`)) return;
  try {
    await api(`/scans/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
    const r = rows.get(s.id);
    if (r) r.tr.remove();
    rows.delete(s.id);
    toast(`Deleted "${s.name}"`);
  } catch (e) {
    toast(e.message, true);
  }
}

// One EventSource per unfinished scan (up to MAX_STREAMS); the rest are polled.
function syncStreams() {
  for (const [id, es] of streams) {
    const r = rows.get(id);
    if (!r || FINAL.has(r.scan.status)) { es.close(); streams.delete(id); }
  }
  for (const [id, r] of rows) {
    if (FINAL.has(r.scan.status) || streams.has(id) || streams.size >= MAX_STREAMS) continue;
    const es = new EventSource(scanUrl(id, '/events'));
    streams.set(id, es);
    es.addEventListener('progress', (ev) => {
      const cur = rows.get(id);
      if (!cur) return;
      try { cur.scan = { ...cur.scan, progress: JSON.parse(ev.data) }; } catch { return; }
      updateRow(cur.scan);
    });
    es.addEventListener('status', async (ev) => {
      let st;
      try { st = JSON.parse(ev.data).status; } catch { return; }
      const cur = rows.get(id);
      if (!cur) return;
      if (FINAL.has(st)) {
        es.close();
        streams.delete(id);
        try { updateRow(await api(`/scans/${encodeURIComponent(id)}`)); } catch { /* next refresh */ }
        syncStreams();
      } else {
        updateRow({ ...cur.scan, status: st });
      }
    });
    es.addEventListener('error', () => {
      // A closed stream of a finished scan, or the daemon went away: poll this one instead.
      if (es.readyState === EventSource.CLOSED) streams.delete(id);
    });
  }
}

async function pollUnstreamed() {
  if (!root || document.hidden) return;
  for (const [id, r] of rows) {
    if (FINAL.has(r.scan.status) || streams.has(id)) continue;
    try { updateRow(await api(`/scans/${encodeURIComponent(id)}`)); } catch { return; }
  }
  syncStreams();
}
