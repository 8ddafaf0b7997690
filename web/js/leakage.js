// Leakage page (#/leakage?splits=name:scanId,…&threshold=): images of one split that reappear in
// another (POST /api/v1/leakage over one finished scan per split), shown as groups of thumbnails
// with each image's split. Opened from a scan with that scan as a split and, as the other splits,
// the latest scans of its sibling folders (data/train → data/val, data/test).
import { api } from './api.js';
import { h, clear, fmtInt, basename, loading, emptyState, errorBox, markRendered, pageHead, thumb, scanLabel } from './ui.js';
import { openImage } from './drawer.js';
import { setParams } from './router.js';

const GROUPS = 20; // groups a page: each member costs a lookup of its image id
const enc = encodeURIComponent;
const parent = (p) => String(p).replace(/\/+$/, '').replace(/\/[^/]*$/, '');

export function leave() {}

// The splits asked for in the URL, or else this scan and its siblings' latest scans.
function initialSplits(params, scans) {
  const byId = new Map(scans.map((s) => [s.id, s]));
  const asked = (params.get('splits') || '').split(',').filter(Boolean).map((x) => {
    const i = x.lastIndexOf(':');
    return { name: x.slice(0, i), id: x.slice(i + 1) };
  }).filter((x) => x.name && byId.has(x.id));
  if (asked.length !== 1) return asked;
  const root = byId.get(asked[0].id).root;
  const seen = new Set([root]);
  for (const s of scans) { // newest first: the latest version of each sibling folder
    if (seen.has(s.root) || parent(s.root) !== parent(root)) continue;
    seen.add(s.root);
    asked.push({ name: basename(s.root), id: s.id });
  }
  return asked.slice(0, 16);
}

export async function show(main, parts, params) {
  const wait = loading();
  const box = h('div', { 'data-page': 'leakage' }, pageHead('Leakage across splits', 'Images of one split (train, val, test…) that reappear, identical or nearly, in another: each one inflates the scores measured on the other split.'), wait);
  clear(main, box);
  const scans = await api('/scans?status=succeeded&limit=200').then((d) => d.scans, (e) => { wait.replaceWith(errorBox(e, 'Cannot list the finished scans')); return null; });
  if (!scans) return;
  const rows = h('div', { class: 'leak-splits', 'data-splits': '' });
  const addRow = (sp) => {
    const name = h('input', { type: 'text', value: sp ? sp.name : '', placeholder: 'split name', 'aria-label': 'Split name', 'data-split-name': '', style: { width: '9em' } });
    const sel = h('select', { 'aria-label': 'Scan of the split', 'data-split-scan': '' }, scans.map((s) => h('option', { value: s.id, selected: sp && s.id === sp.id }, scanLabel(s))));
    if (!sp) name.value = basename(scans.find((s) => s.id === sel.value)?.root || '');
    sel.addEventListener('change', () => { if (!name.value) name.value = basename(scans.find((s) => s.id === sel.value).root); });
    const row = h('div', { class: 'row', style: { marginBottom: '.4rem' } }, name, sel,
      h('button', { class: 'btn small', type: 'button', 'aria-label': 'Remove this split', onclick: () => row.remove() }, '✕'));
    rows.append(row);
  };
  const t0 = Number(params.get('threshold'));
  const thr = h('input', { type: 'number', min: 0, max: 32, step: 1, value: params.has('threshold') && Number.isInteger(t0) ? t0 : 0, style: { width: '4.5em' }, 'aria-label': 'Threshold (bits)', 'data-leak-threshold': '' });
  const result = h('div', { 'data-leak-result': '' });
  const splits = initialSplits(params, scans);
  splits.forEach(addRow);
  while (rows.children.length < 2 && scans.length) addRow(null);
  const form = h('form', { class: 'panel', onsubmit: (e) => { e.preventDefault(); run(result, rows, thr, scans); } },
    h('p', { class: 'small muted', style: { marginTop: 0 } }, 'One finished scan per split (scan each split folder on its own).'), rows,
    h('div', { class: 'row', style: { alignItems: 'center', gap: '.6rem', flexWrap: 'wrap' } },
      h('button', { class: 'btn small', type: 'button', onclick: () => addRow(null) }, '+ Split'),
      h('label', null, 'Near threshold ', thr, h('span', { class: 'muted small' }, ' bits (0: same perceptual hash)')),
      h('span', { class: 'grow' }), h('button', { class: 'btn primary', type: 'submit', 'data-leak-run': '' }, 'Find leakage')));
  wait.replaceWith(form, result);
  if (scans.length < 2) {
    clear(result, h('div', { class: 'panel' }, emptyState('Leakage needs two finished scans', 'Scan each split folder (train, val, test) on its own, then come back.')));
    markRendered('leakage');
    return;
  }
  if (splits.length >= 2) await run(result, rows, thr, scans);
  else markRendered('leakage');
}

// Leak items are one per path; the groups are the images joined by a shared hash (exact) or a
// closest match (near), found with a union-find over paths.
function groupsOf(leaks) {
  const up = new Map();
  const find = (x) => { while (up.get(x) !== x) x = up.get(x); return x; };
  const add = (x) => { if (!up.has(x)) up.set(x, x); };
  const join = (a, b) => { add(a); add(b); up.set(find(a), find(b)); };
  const byHash = new Map();
  for (const l of leaks) {
    add(l.path);
    if (l.match_type === 'exact') { if (byHash.has(l.phash)) join(l.path, byHash.get(l.phash)); else byHash.set(l.phash, l.path); }
    else if (l.matched_path) join(l.path, l.matched_path);
  }
  const groups = new Map();
  for (const p of up.keys()) {
    const r = find(p);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r).push(p);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

async function run(result, rows, thr, scans) {
  const sp = [...rows.children].map((r) => ({ name: r.querySelector('[data-split-name]').value.trim(), id: r.querySelector('[data-split-scan]').value }));
  const threshold = Math.max(0, Math.min(32, Math.round(Number(thr.value) || 0)));
  setParams({ splits: sp.map((x) => `${x.name}:${x.id}`).join(','), threshold: threshold || '' });
  clear(result, loading('Comparing the splits…'));
  let data;
  try {
    data = await api('/leakage', { method: 'POST', json: { splits: Object.fromEntries(sp.map((x) => [x.name, x.id])), threshold } });
  } catch (e) {
    clear(result, errorBox(e, 'Cannot compare the splits'));
    markRendered('leakage');
    return;
  }
  const scansById = new Map(scans.map((s) => [s.id, s]));
  const splitOf = (p) => sp.find((x) => { const root = scansById.get(x.id)?.root || ''; return p.startsWith(`${root.replace(/\/+$/, '')}/`); }) || sp[0];
  const groups = groupsOf(data.leaks);
  if (!groups.length) {
    clear(result, h('div', { class: 'panel', 'data-leak-empty': '' }, emptyState('No leakage', `No image of ${sp.map((x) => x.name).join(', ').replace(/, ([^,]*)$/, ' or $1')} reappears in another of these splits${threshold ? ` within ${threshold} bits` : ' (same perceptual hash)'}.`)));
    markRendered('leakage');
    return;
  }
  const list = h('div', { 'data-leak-groups': '' });
  clear(result, h('h2', { 'data-leak-count': '' }, `${fmtInt(data.leaks.length)} leaked ${data.leaks.length === 1 ? 'image' : 'images'} in ${fmtInt(groups.length)} ${groups.length === 1 ? 'group' : 'groups'}`,
    h('span', { class: 'muted small' }, groups.length > GROUPS ? ` · the first ${GROUPS} groups shown` : '')), list);
  for (const g of groups.slice(0, GROUPS)) {
    const items = await Promise.all(g.map(async (p) => {
      const s = splitOf(p);
      const r = await api(`/scans/${enc(s.id)}/images?q=${enc(p)}&limit=5`).catch(() => ({ images: [] }));
      return { p, s, rec: r.images.find((x) => x.path === p) };
    }));
    list.append(h('section', { class: 'panel leak-group', 'data-leak-group': '' },
      h('div', { class: 'small muted', style: { marginBottom: '.4rem' } }, `In ${[...new Set(items.map((i) => i.s.name))].join(' and ')}`),
      h('div', { class: 'leak-item' }, items.map(({ p, s, rec }) => h('button', { class: 'tile', type: 'button', title: p, 'data-split': s.name, 'data-path': p, onclick: () => rec && openImage(s.id, rec.id) },
        h('div', { class: 'img' }, rec ? thumb(s.id, rec.id, 256, basename(p)) : h('div', { class: 'ph' }, 'no preview')),
        h('div', { class: 'cap' }, h('div', { class: 'name' }, basename(p)), h('div', { class: 'val' }, 'split ', h('b', null, s.name))))))));
  }
  markRendered('leakage');
}
