// Compare page: two finished scans → added, removed and changed files (with the fields that
// changed) from POST /diff, and the summary deltas side by side.
import { api } from './api.js';
import { h, clear, fmtInt, fmtBytes, loading, emptyState, errorBox, markRendered, scanLabel, pageHead } from './ui.js';
import { setParams } from './router.js';

const STEP = 100;

export function leave() {}


export async function show(main, parts, params) {
  const box = h('div', { 'data-page': 'compare' });
  clear(main, box);
  box.append(pageHead('Compare scans', 'What changed between two versions of a dataset: files added, removed or re-encoded, and how the quality numbers moved.'), loading());
  let scans;
  try {
    scans = (await api('/scans?status=succeeded&limit=200')).scans;
  } catch (e) {
    box.lastChild.replaceWith(errorBox(e, 'Cannot list scans'));
    return;
  }
  if (scans.length < 2) {
    box.lastChild.replaceWith(h('div', { class: 'panel' }, emptyState('Compare needs two finished scans', scans.length ? 'Scan a second version of the dataset (or rescan after changes) and come back.' : 'Start a scan on the Scans page first.', h('div', null, h('a', { href: '#/scans' }, 'Go to the scans')))));
    markRendered('compare');
    return;
  }
  const ids = new Set(scans.map((s) => s.id));
  const newId = ids.has(params.get('new')) ? params.get('new') : scans[0].id;
  const oldId = ids.has(params.get('old')) ? params.get('old') : (scans.find((s) => s.id !== newId && s.root === scans.find((x) => x.id === newId).root) || scans.find((s) => s.id !== newId)).id;
  const sel = (id, label, value) => h('div', { class: 'field grow' }, h('label', { for: id }, label),
    h('select', { id, name: id }, scans.map((s) => h('option', { value: s.id, selected: s.id === value }, scanLabel(s)))));
  const result = h('div', { 'data-result': '' });
  const form = h('form', { class: 'panel', onsubmit: (e) => { e.preventDefault(); run(form, result); } },
    h('div', { class: 'row', style: { alignItems: 'flex-end' } },
      sel('old', 'Old (baseline)', oldId), h('button', { class: 'btn', type: 'button', 'aria-label': 'Swap old and new', title: 'Swap', onclick: () => { const a = form.elements.old.value; form.elements.old.value = form.elements.new.value; form.elements.new.value = a; } }, '⇄'),
      sel('new', 'New', newId), h('button', { class: 'btn primary', type: 'submit' }, 'Compare')));
  box.lastChild.replaceWith(form);
  box.append(result);
  if (params.get('old') && params.get('new')) run(form, result);
  else markRendered('compare');
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
  const metric = (label, a, b, fmt = fmtInt, worseUp = true) => {
    const delta = (b ?? 0) - (a ?? 0);
    const cls = delta === 0 ? 'neutral' : (delta > 0) === worseUp ? 'up' : 'down';
    return h('tr', null, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, fmt(a)), h('td', { class: 'num' }, fmt(b)),
      h('td', { class: `num delta ${cls}` }, delta === 0 ? '±0' : `${delta > 0 ? '+' : '−'}${fmt(Math.abs(delta))}`));
  };
  const card = (label, n, cls) => h('div', { class: `card ${n ? cls : ''}`, 'data-card': label.toLowerCase() }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, fmtInt(n)));
  const lists = h('div');
  let tab = diff.changed.length ? 'changed' : diff.added.length ? 'added' : 'removed';
  const tabs = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Differences' });
  const renderList = () => {
    clear(tabs, [['added', 'Added', diff.added.length], ['removed', 'Removed', diff.removed.length], ['changed', 'Changed', diff.changed.length]].map(([k, l, c]) =>
      h('a', { href: '#', role: 'tab', 'aria-selected': String(k === tab), 'data-tab': k, onclick: (e) => { e.preventDefault(); tab = k; renderList(); } }, l, h('span', { class: 'count' }, fmtInt(c)))));
    const items = diff[tab];
    if (!items.length) { clear(lists, h('div', { class: 'panel' }, emptyState(`Nothing ${tab}`))); return; }
    let shown = 0;
    const tbody = h('tbody');
    const more = h('button', { class: 'btn small', type: 'button' }, 'Show more');
    const info = h('span', { class: 'info' });
    const add = () => {
      for (const it of items.slice(shown, shown + STEP)) {
        if (tab === 'changed') {
          tbody.append(h('tr', null, h('td', { class: 'mono small', style: { overflowWrap: 'anywhere' } }, it.path),
            h('td', { class: 'changes' }, Object.entries(it.fields).map(([f, c]) => h('div', null, h('strong', null, `${f}: `), h('span', { class: 'old' }, JSON.stringify(c.old)), ' → ', h('span', { class: 'new' }, JSON.stringify(c.new)))))));
        } else {
          tbody.append(h('tr', null, h('td', { class: 'mono small', style: { overflowWrap: 'anywhere' } }, it)));
        }
      }
      shown = Math.min(items.length, shown + STEP);
      info.textContent = `${fmtInt(shown)} of ${fmtInt(items.length)}`;
      more.hidden = shown >= items.length;
    };
    more.onclick = add;
    clear(lists, h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-diff': tab },
      h('thead', null, h('tr', null, h('th', null, 'Path'), tab === 'changed' ? h('th', null, 'Changed fields (old → new)') : null)), tbody)),
    h('div', { class: 'pager' }, more, info));
    add();
  };
  clear(result,
    h('div', { class: 'cards' }, card('Added', d.added_count, 'warn'), card('Removed', d.removed_count, 'warn'), card('Changed', d.changed_count, 'warn'), card('Unchanged', diff.unchanged_count, 'good')),
    h('section', { class: 'panel' }, h('h2', null, 'Summary'),
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
          metric('Duplicate groups', d.duplicate_groups_old, d.duplicate_groups_new))))),
    h('section', null, tabs, lists));
  renderList();
  markRendered('compare:result');
}
