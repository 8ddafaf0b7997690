// Issue tabs: corrupt as a table grouped by error; dark, overexposed, blurry and artifacts as a
// thumbnail grid (worst first by default, paged by the API) under a what-if threshold slider
// whose "n would be flagged" is summed from GET histograms as it moves.
import { api } from './api.js';
import { h, clear, fmtInt, fmtNum, fmtPct, fmtBytes, loading, emptyState, thumb, markRendered, nextId } from './ui.js';
import { setParams } from './router.js';
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

// Worst first, in words, for each metric issue's default order.
const WORST = { dark: 'darkest first', overexposed: 'brightest first', blurry: 'blurriest (lowest blur score) first', artifacts: 'strongest border difference first' };
// The setting each slider tries, and its range (blur scores have no top: 0..1000 covers them).
const SLIDER = { dark: ['dark_threshold', 255], overexposed: ['overexposed_threshold', 255], blurry: ['blur_threshold', 1000], artifacts: ['artifact_threshold', 255] };

export async function issuesTab(s, body, params, tab, ctx) {
  if (tab === 'corrupt') return corruptTab(s, body, ctx);
  const def = ISSUES[tab];
  const sortChoices = SORTS[tab];
  const sort = sortChoices.some(([v]) => v === params.get('sort')) ? params.get('sort') : def.sort;
  const total = s.summary[def.count];
  const [setting, max] = SLIDER[tab];
  const scanT = s.thresholds[setting];
  const t0 = Number(params.get('t'));
  const v = { s, tab, def, ctx, sort, total, scanT, hist: null, cursor: params.get('cursor') || '',
    t: params.has('t') && Number.isInteger(t0) && t0 >= 0 && t0 <= Math.max(max, Math.ceil(scanT)) ? t0 : null };
  const sel = h('select', { 'aria-label': 'Order', onchange: (e) => ctx.go({ sort: e.target.value }) },
    sortChoices.map(([o, l]) => h('option', { value: o, selected: o === sort }, l)));
  v.sel = sel;
  v.grid = h('div', { class: 'grid', 'data-grid': def.flag }, loading());
  v.pagerBox = h('div');
  v.order = h('div', { class: 'muted small', 'data-order-note': '' });
  v.whatif = h('section', { class: 'panel whatif', 'data-whatif': tab, 'aria-label': 'Try a threshold' }, loading('Loading the histogram…'));
  clear(body, h('div', { class: 'toolbar' },
    h('div', { class: 'grow' }, h('h2', { style: { margin: 0 }, 'data-headline': '' }, issueNoun(tab, total), h('span', { class: 'muted small' }, ` · ${fmtPct(total, s.summary.total_images)} of the scan`)),
      h('div', { class: 'muted small' }, def.why(s.thresholds)), v.order),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Order'), sel)), v.whatif, v.grid, v.pagerBox);
  const hist = api(`/scans/${enc(s.id)}/histograms`).catch(() => null);
  v.hist = await hist;
  if (!ctx.isCurrent()) return;
  if (v.hist) renderWhatIf(v, max);
  else v.whatif.remove();
  await loadGrid(v);
}

// The number of images a threshold t would flag, from the daemon's histogram x (result_hist.c):
// a "below" flag counts the keys < t, an "above" flag the keys > t; exact for integer t.
export function countAt(x, t) {
  const c = x.counts;
  let n = 0;
  if (x.flagged_when === 'below') {
    n = t >= x.lo ? x.under : 0;
    for (let k = 0; k < Math.min(c.length, t - x.lo); k++) n += c[k];
    return n;
  }
  n = t <= x.hi ? x.over : 0;
  for (let k = Math.max(0, t - x.lo + 1); k < c.length; k++) n += c[k];
  return n;
}

// The what-if slider: moving it says at once how many images that threshold would flag (summed
// from the histogram, no request); letting go lists them, worst first. The scan is unchanged.
function renderWhatIf(v, max) {
  const x = v.hist.histograms[v.tab];
  const rid = nextId('whatif');
  const start = v.t ?? Math.round(v.scanT);
  const range = h('input', { type: 'range', id: rid, min: 0, max: Math.max(max, Math.ceil(v.scanT)), step: 1, value: start, 'data-threshold-slider': '', 'aria-describedby': `${rid}-note` });
  const out = h('output', { for: rid, class: 'num', 'data-threshold-value': '' });
  const count = h('span', { 'data-would-flag': '' });
  const reset = h('button', { class: 'btn small', type: 'button', 'data-threshold-reset': '', onclick: () => { range.value = Math.round(v.scanT); show(); release(); } }, `Back to the scan's ${fmtNum(v.scanT, 0)}`);
  const show = () => {
    const t = Number(range.value);
    const n = countAt(x, t);
    out.value = String(t);
    count.dataset.count = String(n);
    count.textContent = `${fmtInt(n)} ${n === 1 ? 'image' : 'images'} would be flagged`;
    reset.hidden = t === Math.round(v.scanT);
  };
  const release = () => {
    const t = Number(range.value);
    v.t = t === v.scanT ? null : t;
    v.cursor = '';
    setParams({ sort: v.sort === v.def.sort ? '' : v.sort, t: v.t === null ? '' : v.t });
    loadGrid(v);
  };
  range.addEventListener('input', show);
  range.addEventListener('change', release);
  show();
  clear(v.whatif, h('div', { class: 'threshold' },
    h('label', { for: rid }, `Try a ${x.flagged_when === 'below' ? 'threshold below which' : 'threshold above which'} images are flagged`), range, out,
    h('b', { class: 'would-flag', role: 'status' }, count), reset),
  h('p', { class: 'small muted', id: `${rid}-note`, style: { margin: '.4rem 0 0' } },
    `What-if view: the scan's setting ${x.setting} = ${fmtNum(v.scanT, 0)} flagged ${fmtInt(x.flagged)}. Moving the slider changes nothing in the scan; the images below follow it when you let go. To keep a new threshold, scan again with it.`));
}

// The grid: at the scan's threshold its flagged images (GET images?flag=, in the chosen order);
// at a tried threshold the n images it would flag, worst first: all images in the metric's worst
// order (records without the value sort as the smallest, so an ascending list skips them).
async function loadGrid(v) {
  const { s, tab, def, ctx } = v;
  const x = v.hist ? v.hist.histograms[tab] : null;
  const whatIf = v.t !== null && x;
  const n = whatIf ? countAt(x, v.t) : v.total;
  v.order.textContent = whatIf || v.sort === def.sort ? `Worst first: ${WORST[tab]}.` : '';
  // A tried threshold lists the images it would flag in the metric's worst order only.
  v.sel.disabled = Boolean(whatIf);
  v.sel.title = whatIf ? 'At a tried threshold the images are listed worst first' : '';
  v.grid.dataset.threshold = whatIf ? String(v.t) : '';
  v.grid.setAttribute('aria-busy', 'true');
  if (!n) {
    clear(v.grid, h('div', { class: 'panel', style: { gridColumn: '1 / -1' } }, emptyState(whatIf ? `Nothing would be flagged at ${v.t}` : `No ${issueNoun(tab, 0).replace(/^0 /, '')}`,
      whatIf ? 'Move the slider to see more.' : 'Nothing in this scan was flagged for this.')));
    clear(v.pagerBox);
    v.grid.removeAttribute('aria-busy');
    markRendered(`tab:${tab}`);
    return;
  }
  const pos = /^\d+$/.test(v.cursor) ? Number(v.cursor) : 0;
  let url;
  if (whatIf) {
    const skip = x.flagged_when === 'below' ? v.hist.total_images - x.images : 0;
    url = `/scans/${enc(s.id)}/images?sort=${enc(def.sort)}&limit=${Math.min(PAGE, n - pos)}&cursor=${skip + pos}`;
  } else {
    url = `/scans/${enc(s.id)}/images?flag=${def.flag}&sort=${enc(v.sort)}&limit=${PAGE}${v.cursor ? `&cursor=${enc(v.cursor)}` : ''}`;
  }
  const data = await api(url);
  if (!ctx.isCurrent()) return;
  clear(v.grid, data.images.map((r) => tile(s, r, def.value)));
  v.grid.removeAttribute('aria-busy');
  const next = whatIf ? (pos + PAGE < n ? String(pos + PAGE) : null) : data.next_cursor;
  const onPage = (c) => {
    if (!whatIf) { ctx.go({ sort: v.sort, cursor: c }); return; }
    v.cursor = c || '';
    setParams({ t: v.t, cursor: v.cursor });
    loadGrid(v);
  };
  clear(v.pagerBox, ctx.pager({ limit: PAGE, shown: data.images.length, total: n }, whatIf ? String(pos) : v.cursor, next, onPage));
  markRendered(`tab:${tab}`);
}

// ---- corrupt: a table grouped by the decoder's error ----
// Records grouped a visit, in file-name order: the daemon walks that index (it holds the flags)
// and stops after them; by path it sorted every row first (1.5-2 s at 10^5 images).
const CORRUPT_MAX = 250;

async function corruptTab(s, body, ctx) {
  const total = s.summary.corrupt_count;
  const box = h('div', { 'data-grid': 'corrupt' }, loading());
  clear(body, h('div', { class: 'toolbar' },
    h('div', { class: 'grow' }, h('h2', { style: { margin: 0 }, 'data-headline': '' }, issueNoun('corrupt', total), h('span', { class: 'muted small' }, ` · ${fmtPct(total, s.summary.total_images)} of the scan`)),
      h('div', { class: 'muted small' }, ISSUES.corrupt.why()))), box);
  if (!total) {
    clear(box, h('div', { class: 'panel' }, emptyState('No corrupt images', 'Every file in this scan could be decoded.')));
    markRendered('tab:corrupt');
    return;
  }
  // Counts per error come from the histograms result (every corrupt file); the files listed
  // under each are those among the first CORRUPT_MAX by file name.
  const [data, hist] = await Promise.all([
    api(`/scans/${enc(s.id)}/images?flag=corrupt&sort=filename&limit=${CORRUPT_MAX}`),
    api(`/scans/${enc(s.id)}/histograms`).catch(() => null),
  ]);
  if (!ctx.isCurrent()) return;
  const groups = new Map();
  for (const r of data.images) {
    const e = r.error || 'unreadable';
    if (!groups.has(e)) groups.set(e, []);
    groups.get(e).push(r);
  }
  const counted = hist && Array.isArray(hist.corrupt_errors) ? hist.corrupt_errors : null;
  const rows = counted
    ? counted.map((c) => [c.error, groups.get(c.error) || [], c.count])
    : [...groups.entries()].map(([e, recs]) => [e, recs, recs.length]);
  if (!counted) rows.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
  const cut = data.total > data.images.length;
  clear(box, h('div', { class: 'table-wrap' }, h('table', { class: 'data corrupt-table', 'data-table': 'corrupt' },
    h('thead', null, h('tr', null, h('th', null, 'Error'), h('th', { class: 'num' }, 'Files'))),
    h('tbody', null, rows.map(([e, recs, n]) => h('tr', { 'data-error-group': e },
      h('td', null, h('details', null, h('summary', { class: 'mono', 'data-error': '' }, e),
        h('ul', { class: 'corrupt-files' }, recs.map((r) => h('li', null,
          h('button', { class: 'linklike mono', type: 'button', 'data-image-id': r.id, title: 'Open the record', onclick: () => openImage(s.id, r.id) }, r.path), ' ',
          h('span', { class: 'muted small' }, fmtBytes(r.file_size_bytes))))),
        recs.length < n ? h('p', { class: 'small muted', 'data-error-more': '' }, `${fmtInt(n - recs.length)} more with this error beyond the first ${fmtInt(data.images.length)} corrupt files by name: the Images tab (flag corrupt) lists them all.`) : null)),
      h('td', { class: 'num', 'data-error-count': '' }, fmtInt(n))))))),
  cut ? h('p', { class: 'small muted', 'data-corrupt-cut': '' }, counted
    ? `Every corrupt file is counted; the files listed are the first ${fmtInt(data.images.length)} of ${fmtInt(data.total)} by file name; the Images tab (flag corrupt) lists them all.`
    : `Grouped: the first ${fmtInt(data.images.length)} of ${fmtInt(data.total)} corrupt files by file name; the Images tab (flag corrupt) lists them all.`) : null);
  markRendered('tab:corrupt');
}
