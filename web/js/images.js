// Images tab: every record of a scan, as a table or a grid of tiles (size slider, boxes on
// request), filtered by path, several flags at once, format, camera, split and class (selects
// shown only when the scan has split folders, or images with annotation classes) and ranges (blur,
// brightness, width, height, aspect, bytes), sorted by a column (names naturally: img2 before
// img10) and paged by the API with a page size and a jump to a page. A row or tile opens the
// image detail (drawer.js) with ←/→ stepping through this list across page boundaries. All
// view state lives in the URL; the tile size is also remembered in localStorage.
import { api } from './api.js';
import { h, clear, fmtInt, fmtBytes, fmtNum, loading, emptyState, errorBox, thumb, flagChips, markRendered, debounce } from './ui.js';
import { openImage, boxOverlay } from './drawer.js';
import { parseHash, setParams } from './router.js';

const enc = encodeURIComponent;
// Kept across the re-render a filter change makes: the control in use (a selector), and which step
// button the detail focuses after ←/→ crossed a page.
let typingIn = '';
let stepFocus = '';
let rangesOpen = false; // the ranges panel stays open (or closed) as the user left it
const PAGE_SIZES = [25, 50, 100, 200];
const TILE = { min: 96, max: 320, def: 170, key: 'imgeda_tile' };
const FLAG_CHOICES = [['corrupt', 'corrupt'], ['dark', 'dark'], ['overexposed', 'overexposed'], ['blurry', 'blurry'], ['artifact', 'border artifact'], ['duplicate', 'duplicate']];
// The API's range filters (min_<key>, max_<key>) with the step their inputs take.
const RANGES = [['width', 'Width (px)', 1], ['height', 'Height (px)', 1], ['aspect', 'Aspect (w / h)', 0.01], ['bytes', 'File size (bytes)', 1], ['brightness', 'Brightness (0–255)', 0.1], ['blur', 'Blur score', 0.1]];
const RANGE_KEYS = RANGES.flatMap(([k]) => [`min_${k}`, `max_${k}`]);
const FILTER_KEYS = ['q', 'flag', 'format', 'camera', 'split', 'class', ...RANGE_KEYS];
// The choices the page answer lists with their image counts: filter key, label, answer member.
const CHOICES = [['split', 'Split', 'splits'], ['class', 'Class', 'classes']];
const COLS = [
  ['filename', 'File', 'filename'], ['format', 'Format', 'format'], ['width', 'Size (px)', 'width'], ['file_size_bytes', 'Bytes', 'file_size_bytes'],
  ['mean_brightness', 'Brightness', 'mean_brightness'], ['blur_score', 'Blur', 'blur_score'], ['delta', 'Border Δ', 'delta'],
];

function storedTile() {
  try { return Number(localStorage.getItem(TILE.key)) || TILE.def; } catch { return TILE.def; }
}

// The view the URL asks for: filters (as the API's parameters), sort, page, view options.
function readView(params) {
  const f = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) || '']));
  const limit = PAGE_SIZES.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 50;
  const tile0 = Number(params.get('tile')) || storedTile();
  return {
    f, limit,
    sort: params.get('sort') || '',
    pos: /^\d+$/.test(params.get('cursor') || '') ? Number(params.get('cursor')) : 0,
    view: params.get('view') === 'grid' ? 'grid' : 'table',
    tile: Math.max(TILE.min, Math.min(TILE.max, Math.round(tile0))),
    boxes: params.get('boxes') === '1',
  };
}

// The URL parameters of view v with the changes p (view parameters, filters).
function viewParams(v, p) {
  const out = { ...v.f, sort: v.sort, limit: v.limit === 50 ? '' : v.limit, cursor: v.pos ? String(v.pos) : '', view: v.view === 'grid' ? 'grid' : '', tile: v.view === 'grid' ? v.tile : '', boxes: v.boxes ? '1' : '', ...p };
  return out;
}

function apiQuery(v, pos) {
  const qs = new URLSearchParams({ limit: v.limit });
  for (const [k, val] of Object.entries(v.f)) if (val) qs.set(k, val);
  if (v.sort) qs.set('sort', v.sort);
  if (pos) qs.set('cursor', pos);
  return qs;
}

// The flags as checkboxes: every one ticked must hold (AND).
function flagBoxes(v, go) {
  const on = new Set(v.f.flag.split(',').filter(Boolean));
  const change = (k, checked) => {
    if (checked) on.add(k); else on.delete(k);
    go({ flag: FLAG_CHOICES.map(([x]) => x).filter((x) => on.has(x)).join(','), cursor: '' });
  };
  return h('fieldset', { class: 'field flags-filter', 'data-filter': 'flag' }, h('legend', { class: 'small' }, 'Flags (all of)'),
    h('div', { class: 'row wrap' }, FLAG_CHOICES.map(([k, label]) => h('label', { class: 'chk small' },
      h('input', { type: 'checkbox', checked: on.has(k), 'data-flag-box': k, onchange: (e) => change(k, e.target.checked) }), ` ${label}`))));
}

// Minimum and maximum inputs for each range; applied a moment after typing stops. Open when
// one is set, so a shared link shows why the list is short.
function rangePanel(v, go) {
  const inputs = {};
  const apply = debounce(() => go({ ...Object.fromEntries(RANGE_KEYS.map((k) => [k, inputs[k].value.trim()])), cursor: '' }), 500);
  const input = (k, step, label) => {
    inputs[k] = h('input', { type: 'number', min: 0, step, value: v.f[k], 'aria-label': label, 'data-range': k, inputmode: 'decimal', onchange: apply });
    inputs[k].addEventListener('input', apply);
    return inputs[k];
  };
  const any = RANGE_KEYS.some((k) => v.f[k]);
  return h('details', { class: 'ranges', open: any || rangesOpen, 'data-ranges': '', ontoggle: (e) => { rangesOpen = e.target.open; } },
    h('summary', null, any ? `Ranges (${RANGE_KEYS.filter((k) => v.f[k]).length} set)` : 'Ranges'),
    h('div', { class: 'range-grid' }, RANGES.map(([k, label, step]) => h('div', { class: 'range-row' },
      h('span', { class: 'small' }, label), input(`min_${k}`, step, `${label} from`), h('span', { class: 'muted small' }, 'to'), input(`max_${k}`, step, `${label} to`)))));
}

function toolbar(s, v, go) {
  const search = h('input', { type: 'search', value: v.f.q, placeholder: 'part of the path, e.g. train/ or .png', 'aria-label': 'Filter by path', 'data-filter': 'q' });
  search.addEventListener('input', debounce(() => go({ q: search.value, cursor: '' }), 300));
  const camera = h('input', { type: 'search', value: v.f.camera, placeholder: 'e.g. Canon', 'aria-label': 'Camera (EXIF make or model)', 'data-filter': 'camera' });
  camera.addEventListener('input', debounce(() => go({ camera: camera.value.trim(), cursor: '' }), 400));
  const formats = Object.keys(s.summary.format_counts || {}).sort();
  const fmtSel = h('select', { 'aria-label': 'Format', 'data-filter': 'format', onchange: (e) => go({ format: e.target.value, cursor: '' }) },
    h('option', { value: '' }, 'any'), formats.map((f) => h('option', { value: f, selected: f === v.f.format }, f)));
  const viewBtn = (name, label) => h('button', { class: 'btn small', type: 'button', 'aria-pressed': String(v.view === name), 'data-view': name, onclick: () => go({ view: name === 'grid' ? 'grid' : '', tile: name === 'grid' ? v.tile : '' }) }, label);
  const slider = h('input', { type: 'range', min: TILE.min, max: TILE.max, step: 2, value: v.tile, 'aria-label': 'Tile size', 'data-tile-size': '' });
  slider.addEventListener('input', () => { // resized in place; the URL and storage follow
    document.querySelector('[data-grid="images"]')?.style.setProperty('--tile', `${slider.value}px`);
    setTile(Number(slider.value));
  });
  const setTile = debounce((t) => {
    try { localStorage.setItem(TILE.key, String(t)); } catch { /* private mode */ }
    v.tile = t;
    setParams({ ...Object.fromEntries(parseHash().params), tile: t }); // no re-render
  }, 300);
  const grid = v.view === 'grid';
  const bar = h('div', { class: 'toolbar' },
    h('div', { class: 'field search' }, h('label', { class: 'small' }, 'Path contains'), search),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Format'), fmtSel),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Camera'), camera),
    CHOICES.map(([k, label]) => h('div', { class: 'field', [`data-${k}-field`]: '', hidden: !v.f[k] }, h('label', { class: 'small' }, label), choiceSelect(k, label, v, go, v.f[k] ? { [v.f[k]]: 0 } : {}))),
    h('div', { class: 'field view-field' }, h('span', { class: 'small' }, 'View'), h('div', { class: 'row', role: 'group', 'aria-label': 'View' }, viewBtn('table', 'Table'), viewBtn('grid', 'Grid'))),
    grid ? h('div', { class: 'field' }, h('label', { class: 'small' }, 'Tile size'), slider) : null,
    grid ? h('label', { class: 'chk small boxes-chk' }, h('input', { type: 'checkbox', checked: v.boxes, 'data-tiles-boxes': '', onchange: (e) => go({ boxes: e.target.checked ? '1' : '' }) }), ' Boxes') : null);
  return [bar, h('div', { class: 'toolbar filters2' }, flagBoxes(v, go), rangePanel(v, go))];
}

// A split or class choice (filter key k), from the names the page answer lists with their image
// counts.
function choiceSelect(k, label, v, go, counts) {
  const names = Object.keys(counts);
  return h('select', { 'aria-label': label, 'data-filter': k, onchange: (e) => go({ [k]: e.target.value, cursor: '' }) },
    h('option', { value: '' }, 'any'), names.map((n) => h('option', { value: n, selected: n === v.f[k] }, counts[n] ? `${n} (${fmtInt(counts[n])})` : n)));
}

// Shows each choice's field once the API said which names the scan has (none: it stays hidden;
// a name in the URL the scan lacks stays offered, so the empty list is explained).
function showChoices(body, v, go, data) {
  for (const [k, label, member] of CHOICES) {
    const field = body.querySelector(`[data-${k}-field]`);
    let counts = data[member];
    if (!field || !counts) continue;
    if (v.f[k] && !(v.f[k] in counts)) counts = { ...counts, [v.f[k]]: 0 };
    field.hidden = !Object.keys(counts).length;
    field.replaceChild(choiceSelect(k, label, v, go, counts), field.querySelector('select'));
  }
}

// Prev/next, "Page n of m" with a jump, and the page size.
function pager(v, data, go) {
  const pages = Math.max(1, Math.ceil(data.total / v.limit));
  const page = Math.floor(v.pos / v.limit) + 1;
  const to = (p) => go({ cursor: p <= 1 ? '' : String((p - 1) * v.limit) });
  const jump = h('input', { type: 'number', min: 1, max: pages, value: page, 'aria-label': 'Page number', 'data-page-jump': '', style: { width: '5em' },
    onchange: (e) => { const n = Math.round(Number(e.target.value)); if (n >= 1 && n <= pages) to(n); else e.target.value = page; } });
  const size = h('select', { 'aria-label': 'Images per page', 'data-page-size': '', onchange: (e) => go({ limit: Number(e.target.value) === 50 ? '' : e.target.value, cursor: '' }) },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === v.limit }, `${n} a page`)));
  return h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
    h('button', { class: 'btn small', type: 'button', disabled: page <= 1, onclick: () => to(page - 1), 'data-page-prev': '' }, '← Previous'),
    h('button', { class: 'btn small', type: 'button', disabled: !data.next_cursor, onclick: () => to(page + 1), 'data-page-next': '' }, 'Next →'),
    h('label', { class: 'small' }, 'Page ', jump, ` of ${fmtInt(pages)}`),
    size,
    h('span', { class: 'info', 'data-page-info': '' }, data.images.length ? `${fmtInt(v.pos + 1)}–${fmtInt(v.pos + data.images.length)} of ${fmtInt(data.total)}` : ''));
}

function table(s, v, data, open, go) {
  const sortField = v.sort.replace(/^-/, '');
  const desc = v.sort.startsWith('-');
  const th = ([key, label, field]) => {
    const on = sortField === field;
    return h('th', { class: key === 'filename' || key === 'format' ? '' : 'num', 'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none', scope: 'col' },
      h('button', { class: 'sort', type: 'button', onclick: () => go({ sort: on && !desc ? `-${field}` : on && desc ? '' : field, cursor: '' }), title: `Sort by ${label}` },
        label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, on ? (desc ? '▼' : '▲') : '')));
  };
  const rowsEls = data.images.map((r) => h('tr', { class: 'clickable', tabindex: 0, 'data-image-id': r.id, onclick: () => open(r.id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(r.id); } } },
    h('td', { class: 'thumbcell' }, r.is_corrupt ? h('div', { class: 'ph' }, '✕') : thumb(s.id, r.id, 96, '')),
    h('td', { class: 'path', title: r.path }, r.filename, h('div', { class: 'small muted', style: { overflow: 'hidden', textOverflow: 'ellipsis' } }, r.path.slice(0, r.path.length - r.filename.length))),
    h('td', null, r.format || '—'),
    h('td', { class: 'num' }, r.width ? `${r.width} × ${r.height}` : '—'),
    h('td', { class: 'num' }, fmtBytes(r.file_size_bytes)),
    h('td', { class: 'num' }, fmtNum(r.pixel_stats?.mean_brightness, 1)),
    h('td', { class: 'num' }, fmtNum(r.blur_score, 1)),
    h('td', { class: 'num' }, fmtNum(r.corner_stats?.delta, 1)),
    h('td', null, flagChips(r), r.is_corrupt && r.error ? h('div', { class: 'small muted', style: { maxWidth: '240px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }, title: r.error }, r.error) : null)));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-table': 'images' },
    h('thead', null, h('tr', null, h('th', null, h('span', { class: 'small muted' }, '')), COLS.map(th), h('th', null, 'Flags'))),
    h('tbody', null, rowsEls)));
}

// Tiles: the name's end stays in sight (the ellipsis takes its start), boxes drawn on request
// with the detail panel's own overlay.
function grid(s, v, data, open) {
  const size = v.tile > 200 ? 512 : 256;
  const sortName = ['filename', '-filename', ''].includes(v.sort) ? null : v.sort.replace(/^-/, '');
  const facts = (r) => (sortName === 'mean_brightness' ? `brightness ${fmtNum(r.pixel_stats?.mean_brightness, 1)}` : sortName === 'blur_score' ? `blur ${fmtNum(r.blur_score, 1)}` : r.width ? `${r.width} × ${r.height} · ${fmtBytes(r.file_size_bytes)}` : fmtBytes(r.file_size_bytes));
  const el = h('div', { class: 'grid image-grid', 'data-grid': 'images' }, data.images.map((r) => {
    const box = h('div', { class: 'img' }, r.is_corrupt ? h('div', { class: 'ph' }, 'no preview') : thumb(s.id, r.id, size, r.filename));
    if (v.boxes && !r.is_corrupt) addBoxes(s, r, box);
    return h('button', { class: 'tile', type: 'button', title: r.path, 'data-image-id': r.id, onclick: () => open(r.id) }, box,
      h('div', { class: 'cap' }, h('div', { class: 'name name-end', 'data-name': '' }, h('bdi', null, r.filename)), h('div', { class: 'val' }, facts(r)), flagChips(r).length ? h('div', { class: 'val' }, flagChips(r)) : null));
  }));
  el.style.setProperty('--tile', `${v.tile}px`); // a custom property: not settable as style.x
  return el;
}

async function addBoxes(s, r, box) {
  let b;
  try { b = await api(`/scans/${enc(s.id)}/images/${r.id}/annotations`); } catch { return; }
  const img = box.querySelector('img');
  if (!img || !b || !b.pixels || !b.boxes || !b.boxes.length) return;
  const wrap = h('span', { class: 'boxed' });
  img.replaceWith(wrap);
  wrap.append(img, boxOverlay(b));
}

export async function imagesTab(s, body, params, isCurrent, goTab) {
  const v = readView(params);
  const go = (p) => {
    // A filter's late change (a debounced input, or the change event leaving a field fires when
    // the user clicks another tab) must not pull the page back to this tab's view.
    if (!isCurrent()) return;
    const a = document.activeElement;
    typingIn = a && body.contains(a) ? ['filter', 'range', 'flagBox', 'view', 'pageSize', 'tilesBoxes'].map((k) => (k in a.dataset ? `[data-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${a.dataset[k]}"]` : '')).find(Boolean) || '' : '';
    goTab(viewParams(v, p));
  };
  const out = h('div', null, loading());
  clear(body, ...toolbar(s, v, go), out);
  const typed = typingIn && body.querySelector(typingIn);
  typingIn = '';
  if (typed) { // a re-render while typing: the caret stays where it was
    typed.focus();
    if (typed.type === 'search') typed.setSelectionRange(typed.value.length, typed.value.length);
  }
  let data;
  try {
    data = await api(`/scans/${enc(s.id)}/images?${apiQuery(v, v.pos)}`);
  } catch (e) {
    if (!isCurrent()) return;
    if (e.status !== 400) throw e;
    clear(out, errorBox(e, 'Check the filters'));
    markRendered('tab:images');
    return;
  }
  if (!isCurrent()) return;
  showChoices(body, v, go, data);
  const cleared = Object.fromEntries(FILTER_KEYS.map((k) => [k, '']));
  if (!data.images.length) {
    clear(out, h('div', { class: 'panel' }, emptyState('No images match', 'Change or clear the filters above.', h('div', null, h('button', { class: 'btn small', type: 'button', onclick: () => go({ ...cleared, cursor: '' }) }, 'Clear filters')))));
    markRendered('tab:images');
    return;
  }
  const ids = data.images.map((r) => String(r.id));
  // ←/→ in the detail: the neighbour on this page, else the first or last of the next or
  // previous page, which is then shown behind the panel.
  const step = async (id, d) => {
    const i = ids.indexOf(String(id));
    if (i >= 0 && i + d >= 0 && i + d < ids.length) { openImage(s.id, ids[i + d], { step, focus: d < 0 ? 'prev' : 'next' }); return; }
    const pos = v.pos + (d > 0 ? v.limit : -v.limit);
    if (i < 0 || pos < 0 || pos >= data.total) return; // the ends of the list
    const page = await api(`/scans/${enc(s.id)}/images?${apiQuery(v, pos)}`);
    const r = d > 0 ? page.images[0] : page.images[page.images.length - 1];
    if (!r || !isCurrent()) return;
    stepFocus = d < 0 ? 'prev' : 'next';
    goTab(viewParams(v, { cursor: pos ? String(pos) : '', image: String(r.id) }));
  };
  const open = (id) => openImage(s.id, id, { step });
  clear(out, v.view === 'grid' ? grid(s, v, data, open) : table(s, v, data, open, go), pager(v, data, go));
  const want = params.get('image');
  if (want && /^\d+$/.test(want)) openImage(s.id, want, { step, focus: stepFocus });
  stepFocus = '';
  markRendered('tab:images');
}
