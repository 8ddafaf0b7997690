// Compare page: two finished scans (by default the last two versions of one root) → sections of
// changed, moved/copied, added and removed files from POST /diff, thumbnails old/new side by
// side with the perceptual-hash distance, and the summary deltas.
import { api } from './api.js';
import { h, clear, fmtInt, fmtBytes, fmtTime, basename, loading, emptyState, errorBox, markRendered, scanLabel, pageHead, thumb } from './ui.js';
import { setParams } from './router.js';

// Rows a section shows at first and adds per "Show more": the page stays fast at any churn.
const FIRST = 20;
const STEP = 100;

export function leave() {}

// "v2 · 2026-12-06 01:50 · 1,234 images" for a version of the chosen root.
function versionLabel(s) {
  return `v${s.version} · ${fmtTime(s.finished_at)} · ${fmtInt(s.progress?.total)} images`;
}

// The default pair for a chosen scan: it and the version before it, or, for a first version, it
// and the version after it. Versions are newest first.
function defaultPair(versions, id) {
  const i = versions.findIndex((s) => s.id === id);
  if (i < 0) return null;
  if (i + 1 < versions.length) return [versions[i + 1].id, id];
  if (i > 0) return [id, versions[i - 1].id];
  return null;
}

async function versionsOf(root) {
  if (!root) return [];
  const r = await api(`/scans?root=${encodeURIComponent(root)}&limit=200`);
  return r.scans.filter((s) => s.status === 'succeeded' && s.version).sort((a, b) => b.version - a.version);
}

export async function show(main, parts, params) {
  const box = h('div', { 'data-page': 'compare' });
  clear(main, box);
  box.append(pageHead('Compare versions', 'What changed between two versions of a dataset: files added, removed, re-encoded or moved, and how the quality numbers moved.'), loading());
  let scans, versions;
  const ids = () => new Set(scans.map((s) => s.id));
  try {
    scans = (await api('/scans?status=succeeded&limit=200')).scans;
    const want = params.get('new') || params.get('old') || scans[0]?.id;
    const root = scans.find((s) => s.id === want)?.root;
    versions = await versionsOf(root);
  } catch (e) {
    box.lastChild.replaceWith(errorBox(e, 'Cannot list scans'));
    return;
  }
  if (scans.length < 2) {
    box.lastChild.replaceWith(h('div', { class: 'panel' }, emptyState('Compare needs two finished scans', scans.length ? 'Rescan the dataset after changing it (Scans → Rescan keeps this version) and come back.' : 'Start a scan on the Scans page first.', h('div', null, h('a', { href: '#/scans' }, 'Go to the scans')))));
    markRendered('compare');
    return;
  }
  const given = (k) => (ids().has(params.get(k)) ? params.get(k) : null);
  let oldId = given('old');
  let newId = given('new');
  const one = newId || oldId;
  const pair = defaultPair(versions, one || versions[0]?.id);
  if (!(oldId && newId) && pair) [oldId, newId] = pair;
  newId = newId || scans[0].id;
  oldId = oldId || (scans.find((s) => s.id !== newId) || scans[0]).id;
  const form = pickForm(scans, versions, oldId, newId, (f) => run(f, result));
  const result = h('div', { 'data-result': '' });
  box.lastChild.replaceWith(form);
  box.append(result);
  /* Opened from a scan (one id given) or with both: compare at once; a bare #/compare waits. */
  if (params.get('old') || params.get('new')) run(form, result);
  else markRendered('compare');
}

// The old/new pickers: the versions of the root first (version, date, image count), then the
// other finished scans.
function pickForm(scans, versions, oldId, newId, submit) {
  const vids = new Set(versions.map((s) => s.id));
  const others = scans.filter((s) => !vids.has(s.id));
  const opts = (value) => [
    versions.length ? h('optgroup', { label: `Versions of ${versions[0].root}` }, versions.map((s) => h('option', { value: s.id, selected: s.id === value }, versionLabel(s)))) : null,
    others.length ? h('optgroup', { label: versions.length ? 'Other scans' : 'Finished scans' }, others.map((s) => h('option', { value: s.id, selected: s.id === value }, scanLabel(s)))) : null,
  ];
  const sel = (id, label, value) => h('div', { class: 'field grow' }, h('label', { for: id }, label), h('select', { id, name: id }, opts(value)));
  const form = h('form', { class: 'panel', onsubmit: (e) => { e.preventDefault(); submit(form); } },
    h('div', { class: 'row compare-pick', style: { alignItems: 'flex-end' } },
      sel('old', 'Old (baseline)', oldId), h('button', { class: 'btn', type: 'button', 'aria-label': 'Swap old and new', title: 'Swap', onclick: () => { const a = form.elements.old.value; form.elements.old.value = form.elements.new.value; form.elements.new.value = a; } }, '⇄'),
      sel('new', 'New', newId), h('button', { class: 'btn primary', type: 'submit' }, 'Compare')));
  return form;
}

async function run(form, result) {
  const oldId = form.elements.old.value;
  const newId = form.elements.new.value;
  setParams({ old: oldId, new: newId });
  if (oldId === newId) {
    clear(result, errorBox(new Error('Pick two different scans.')));
    return;
  }
  clear(result, loading('Comparing…'));
  let diff, so, sn;
  try {
    [diff, so, sn] = await Promise.all([api('/diff', { json: { old: oldId, new: newId } }), api(`/scans/${encodeURIComponent(oldId)}/summary`), api(`/scans/${encodeURIComponent(newId)}/summary`)]);
  } catch (e) {
    clear(result, errorBox(e, 'Cannot compare'));
    return;
  }
  const d = diff.summary;
  const card = (label, n, cls) => h('div', { class: `card ${n ? cls : ''}`, 'data-card': label.toLowerCase() }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, fmtInt(n)));
  clear(result,
    h('div', { class: 'cards' }, card('Added', d.added_count, 'warn'), card('Removed', d.removed_count, 'warn'), card('Changed', d.changed_count, 'warn'),
      card('Moved', d.moved_count ?? 0, 'warn'), card('Copied', d.copied_count ?? 0, 'warn'), card('Unchanged', diff.unchanged_count, 'good')),
    deltas(d, so, sn), sections(diff, oldId, newId));
  markRendered('compare:result');
}

function deltas(d, so, sn) {
  const metric = (label, a, b, fmt = fmtInt, worseUp = true) => {
    const delta = (b ?? 0) - (a ?? 0);
    const cls = delta === 0 ? 'neutral' : (delta > 0) === worseUp ? 'up' : 'down';
    return h('tr', null, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, fmt(a)), h('td', { class: 'num' }, fmt(b)),
      h('td', { class: `num delta ${cls}` }, delta === 0 ? '±0' : `${delta > 0 ? '+' : '−'}${fmt(Math.abs(delta))}`));
  };
  return h('section', { class: 'panel' }, h('h2', null, 'Summary'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-deltas': '' },
      h('thead', null, h('tr', null, h('th', null, ''), h('th', { class: 'num' }, 'Old'), h('th', { class: 'num' }, 'New'), h('th', { class: 'num' }, 'Change'))),
      h('tbody', null,
        metric('Images', d.total_old, d.total_new, fmtInt, false),
        metric('Total size', so.total_size_bytes, sn.total_size_bytes, fmtBytes, false),
        metric('Corrupt', d.corrupt_old, d.corrupt_new),
        metric('Dark', so.dark_count, sn.dark_count),
        metric('Overexposed', so.overexposed_count, sn.overexposed_count),
        metric('Blurry', so.blurry_count, sn.blurry_count),
        metric('Border artifacts', so.artifact_count, sn.artifact_count),
        metric('Duplicate images', so.duplicates?.exact_images, sn.duplicates?.exact_images),
        metric('Duplicate groups', d.duplicate_groups_old, d.duplicate_groups_new)))));
}

// "phash distance 3 bits": what the two hex strings meant.
function distanceText(n) {
  if (n === null || n === undefined) return 'no perceptual hash to compare';
  return n === 0 ? 'same perceptual hash (0 bits)' : `phash distance ${n} bit${n === 1 ? '' : 's'}`;
}

// A path as its folder and its file name, the name kept whole on a line of its own when the
// column is too narrow for both (a path broken anywhere split names as "edit.p / ng").
function pathParts(p) {
  const i = p.lastIndexOf('/') + 1;
  return [h('span', { class: 'cmp-dir' }, p.slice(0, i)), h('span', { class: 'cmp-name' }, p.slice(i))];
}

// A pair of thumbnails, old then new, each with its path.
function pairView(oldScan, oldImg, oldPath, newScan, newImg, newPath) {
  const side = (scan, img, p, label) => h('figure', { class: 'cmp-side', 'data-side': label },
    h('div', { class: 'cmp-img' }, img ? thumb(scan, img, 256, basename(p)) : h('div', { class: 'ph', 'data-replaced': '' }, 'replaced in place: the old pixels are not kept')),
    h('figcaption', null, h('span', { class: 'muted small' }, `${label} `), h('span', { class: 'mono small cmp-path', title: p }, ...pathParts(p))));
  return h('div', { class: 'cmp-pair' }, side(oldScan, oldImg, oldPath, 'old'), h('div', { class: 'cmp-arrow', 'aria-hidden': 'true' }, '→'), side(newScan, newImg, newPath, 'new'));
}

// The changed fields but the hashes: a phash as its distance, a content hash as "changed".
function fieldList(fields) {
  return Object.entries(fields).filter(([f]) => f !== 'phash').map(([f, c]) => (/hash/.test(f)
    ? h('div', null, h('strong', null, `${f}: `), 'changed')
    : h('div', null, h('strong', null, `${f}: `), h('span', { class: 'old' }, JSON.stringify(c.old)), ' → ', h('span', { class: 'new' }, JSON.stringify(c.new)))));
}

// One section (a heading with its count, rows added FIRST then STEP at a time by "Show more").
function section(key, title, items, row) {
  const list = h('div', { class: 'cmp-list', 'data-diff': key });
  const more = h('button', { class: 'btn small', type: 'button' }, 'Show more');
  const info = h('span', { class: 'info' });
  let shown = 0;
  const add = (n) => {
    list.append(...items.slice(shown, shown + n).map((it, k) => row(it, shown + k)));
    shown = Math.min(items.length, shown + n);
    info.textContent = `${fmtInt(shown)} of ${fmtInt(items.length)}`;
    more.hidden = shown >= items.length;
  };
  more.onclick = () => add(STEP);
  const sec = h('section', { class: 'panel cmp-section', 'data-section': key }, h('h2', null, title, ' ', h('span', { class: 'count' }, fmtInt(items.length))));
  if (!items.length) sec.append(emptyState(`Nothing ${title.toLowerCase()}`));
  else { sec.append(list, h('div', { class: 'pager' }, more, info)); add(FIRST); }
  return sec;
}

function sections(diff, oldId, newId) {
  const ids = diff.ids || { changed: [], moved: [], copied: [] };
  const moves = [...diff.moved.map((m, i) => ({ kind: 'moved', from: m.old_path, to: m.new_path, id: ids.moved[i] })),
    ...(diff.copied || []).map((c, i) => ({ kind: 'copied', from: c.from, to: c.path, id: ids.copied[i] }))];
  const build = {
    /* Changed in place (same path, same root): the file on disk is the new one, so the old
     * version's thumbnail would show the new pixels; the old side says so instead. */
    changed: () => section('changed', 'Changed', diff.changed, (c, i) => h('div', { class: 'cmp-row', 'data-path': c.path },
      pairView(oldId, (c.new_path || c.path) === c.path ? null : ids.changed[i]?.[0], c.path, newId, ids.changed[i]?.[1], c.new_path || c.path),
      h('div', { class: 'changes' }, h('div', { class: 'cmp-dist', 'data-distance': c.phash_distance ?? '' }, distanceText(c.phash_distance)), fieldList(c.fields)))),
    moved: () => section('moved', 'Moved or copied', moves, (m) => h('div', { class: 'cmp-row', 'data-path': m.to, 'data-kind': m.kind },
      /* A moved file's old path is gone from disk; its bytes are the new path's (same content hash). */
      m.kind === 'moved' ? pairView(newId, m.id?.[1], m.from, newId, m.id?.[1], m.to) : pairView(oldId, m.id?.[0], m.from, newId, m.id?.[1], m.to),
      h('div', { class: 'changes' }, h('span', { class: `badge ${m.kind}` }, m.kind), h('div', { class: 'muted small' }, m.kind === 'moved' ? 'same bytes, new path; the old path is gone' : 'same bytes as a file that is still there')))),
    added: () => section('added', 'Added', diff.added, (p) => h('div', { class: 'cmp-path-row mono small' }, p)),
    removed: () => section('removed', 'Removed', diff.removed, (p) => h('div', { class: 'cmp-path-row mono small' }, p)),
  };
  const counts = { changed: diff.changed.length, moved: moves.length, added: diff.added.length, removed: diff.removed.length };
  const body = h('div');
  const tabs = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Differences' });
  let tab = 'all';
  const render = () => {
    clear(tabs, [['all', 'All'], ['changed', 'Changed'], ['moved', 'Moved/copied'], ['added', 'Added'], ['removed', 'Removed']].map(([k, l]) =>
      h('a', { href: '#', role: 'tab', 'aria-selected': String(k === tab), 'data-tab': k, onclick: (e) => { e.preventDefault(); tab = k; render(); } }, l,
        k === 'all' ? null : h('span', { class: 'count' }, fmtInt(counts[k])))));
    clear(body, ...(tab === 'all' ? Object.keys(build) : [tab]).map((k) => build[k]()));
  };
  render();
  return h('div', { class: 'cmp-sections' }, tabs, body);
}
