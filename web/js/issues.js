// Issue tabs (corrupt, dark, overexposed, blurry, artifacts): one thumbnail grid per issue over
// GET images?flag=, the order chosen in the URL, paged by the API.
import { api } from './api.js';
import { h, clear, fmtInt, fmtNum, fmtPct, loading, emptyState, thumb, markRendered } from './ui.js';
import { openImage } from './drawer.js';

const PAGE = 48;
const enc = encodeURIComponent;

// Issue tabs: the images flag, the summary count, the default sort and the value that flagged.
export const ISSUES = {
  corrupt: { label: 'Corrupt', flag: 'corrupt', count: 'corrupt_count', sort: 'filename', value: (r) => ['error', r.error || 'unreadable'],
    why: () => 'Files that could not be decoded (truncated, wrong format, unreadable).' },
  dark: { label: 'Dark', flag: 'dark', count: 'dark_count', sort: 'mean_brightness', value: (r) => ['brightness', fmtNum(r.pixel_stats?.mean_brightness, 1)],
    why: (t) => `Mean brightness below ${t.dark_threshold} (0–255).` },
  overexposed: { label: 'Overexposed', flag: 'overexposed', count: 'overexposed_count', sort: '-mean_brightness', value: (r) => ['brightness', fmtNum(r.pixel_stats?.mean_brightness, 1)],
    why: (t) => `Mean brightness above ${t.overexposed_threshold} (0–255).` },
  blurry: { label: 'Blurry', flag: 'blurry', count: 'blurry_count', sort: 'blur_score', value: (r) => ['blur', fmtNum(r.blur_score, 1)],
    why: (t) => `Blur score (variance of the Laplacian) below ${t.blur_threshold}.` },
  artifacts: { label: 'Artifacts', flag: 'artifact', count: 'artifact_count', sort: '-delta', value: (r) => ['border Δ', fmtNum(r.corner_stats?.delta, 1)],
    why: (t) => `Corners differ from the centre by more than ${t.artifact_threshold} in brightness (letterboxing, vignetting).` },
};
const SORTS = {
  corrupt: [['filename', 'file name'], ['-file_size_bytes', 'largest first'], ['file_size_bytes', 'smallest first']],
  dark: [['mean_brightness', 'darkest first'], ['-mean_brightness', 'brightest first'], ['filename', 'file name']],
  overexposed: [['-mean_brightness', 'brightest first'], ['mean_brightness', 'least bright first'], ['filename', 'file name']],
  blurry: [['blur_score', 'blurriest first'], ['-blur_score', 'sharpest first'], ['filename', 'file name']],
  artifacts: [['-delta', 'strongest first'], ['delta', 'weakest first'], ['filename', 'file name']],
};

function tile(s, r, value) {
  const [label, val] = value(r);
  return h('button', { class: 'tile', type: 'button', title: r.path, 'data-image-id': r.id, onclick: () => openImage(s.id, r.id) },
    h('div', { class: 'img' }, r.is_corrupt ? h('div', { class: 'ph' }, 'no preview') : thumb(s.id, r.id, 256, r.filename)),
    h('div', { class: 'cap' }, h('div', { class: 'name' }, r.filename), h('div', { class: 'val', title: `${label}: ${val}` }, `${label} `, h('b', null, val))));
}

// "379 images with border artifacts", "1 dark image": the tab's label is not always an adjective.
function issueNoun(tab, n) {
  const img = n === 1 ? 'image' : 'images';
  return tab === 'artifacts' ? `${fmtInt(n)} ${img} with border artifacts` : `${fmtInt(n)} ${ISSUES[tab].label.toLowerCase()} ${img}`;
}

export async function issuesTab(s, body, params, tab, ctx) {
  const def = ISSUES[tab];
  const sortChoices = SORTS[tab];
  const sort = sortChoices.some(([v]) => v === params.get('sort')) ? params.get('sort') : def.sort;
  const cursor = params.get('cursor') || '';
  const total = s.summary[def.count];
  const sel = h('select', { 'aria-label': 'Order', onchange: (e) => ctx.go({ sort: e.target.value }) },
    sortChoices.map(([v, l]) => h('option', { value: v, selected: v === sort }, l)));
  const grid = h('div', { class: 'grid', 'data-grid': def.flag }, loading());
  clear(body, h('div', { class: 'toolbar' },
    h('div', { class: 'grow' }, h('h2', { style: { margin: 0 }, 'data-headline': '' }, issueNoun(tab, total), h('span', { class: 'muted small' }, ` · ${fmtPct(total, s.summary.total_images)} of the scan`)),
      h('div', { class: 'muted small' }, def.why(s.thresholds))),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Order'), sel)), grid);
  if (!total) {
    clear(grid); grid.replaceWith(h('div', { class: 'panel' }, emptyState(`No ${issueNoun(tab, 0).replace(/^0 /, '')}`, 'Nothing in this scan was flagged for this.')));
    markRendered(`tab:${tab}`);
    return;
  }
  const data = await api(`/scans/${enc(s.id)}/images?flag=${def.flag}&sort=${enc(sort)}&limit=${PAGE}${cursor ? `&cursor=${enc(cursor)}` : ''}`);
  if (!ctx.isCurrent()) return;
  clear(grid, data.images.map((r) => tile(s, r, def.value)));
  grid.after(ctx.pager({ limit: PAGE, shown: data.images.length, total: data.total }, cursor, data.next_cursor, (c) => ctx.go({ sort, cursor: c })));
  markRendered(`tab:${tab}`);
}
