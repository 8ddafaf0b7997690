// Scan page: header with downloads, then tabs — overview cards, plots, one thumbnail grid per
// issue, duplicate groups with a threshold control, the image table, annotations. Every list is
// paged by the API (never the whole scan in the browser), thumbnails load lazily.
import { api, scanUrl, ApiError } from './api.js';
import { h, clear, fmtInt, fmtBytes, fmtNum, fmtPct, fmtTime, fmtDuration, basename, loading, emptyState, errorBox, badge, thumb, flagChips, markRendered, debounce, nextId, toast, progressText } from './ui.js';
import { openImage, openFromParams } from './drawer.js';
import { duplicatesTab } from './dups.js';
import { imagesTab } from './images.js';
import { ISSUES, issuesTab } from './issues.js';
import { setParams } from './router.js';

const PAGE = 48;
const DEFAULTS = { dark_threshold: 40, overexposed_threshold: 220, artifact_threshold: 50, blur_threshold: 100 };

const TABS = [['overview', 'Overview'], ['plots', 'Plots'], ...Object.entries(ISSUES).map(([k, v]) => [k, v.label]), ['duplicates', 'Duplicates'], ['images', 'Images'], ['annotations', 'Annotations']];
const PLOTS = [['dimensions', 'Dimensions'], ['file-size', 'File size'], ['aspect-ratio', 'Aspect ratio'], ['brightness', 'Brightness'], ['channels', 'Colour channels'], ['blur', 'Blur'], ['artifacts', 'Border artifacts'], ['duplicates', 'Duplicates'], ['exif-camera', 'Cameras (EXIF)'], ['exif-focal', 'Focal length (EXIF)'], ['exif-iso', 'ISO (EXIF)']];

// State of the scan shown: kept while switching tabs so only the tab's own data is fetched.
let st = null;
let statusTimer = null;

export function leave() {
  clearInterval(statusTimer);
  statusTimer = null;
  st = null;
}

const enc = encodeURIComponent;

// Shows `tab` of scan s again with new view params (sort, filters, page), kept in the URL.
function goTab(s, tab, params) {
  const kept = Object.fromEntries(Object.entries(params).filter(([, v]) => v));
  setParams(kept);
  show(document.getElementById('main'), [s.id, tab], new URLSearchParams(kept));
}

export async function show(main, parts, params) {
  const id = parts[0];
  const tab = TABS.some(([t]) => t === parts[1]) ? parts[1] : 'overview';
  if (!id) { location.hash = '#/scans'; return; }
  if (!st || st.id !== id || !main.contains(st.root)) {
    leave();
    st = { id, scan: null, summary: null, root: h('div', { 'data-page': 'scan' }), head: h('div'), tabs: h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Scan views' }), body: h('div', { 'data-tab-body': '' }), thresholds: { ...DEFAULTS } };
    st.root.append(st.head, st.tabs, st.body);
    clear(main, st.root);
    clear(st.body, loading());
    try {
      st.scan = await api(`/scans/${enc(id)}`);
    } catch (e) {
      clear(st.root, e.status === 404 ? emptyState('No such scan', 'It may have been deleted.', h('div', null, h('a', { href: '#/scans' }, 'Back to the scans'))) : errorBox(e, 'Cannot load the scan'));
      st = null; // shown again (a daemon back after being away), the scan is loaded anew
      return;
    }
    await loadThresholds(st);
    if (st.scan.status === 'succeeded') {
      try { st.summary = await api(`/scans/${enc(id)}/summary`); } catch (e) { st.summaryError = e; }
    }
    renderHead(st);
    if (st.scan.status !== 'succeeded') watchUnfinished(st);
  }
  st.tab = tab;
  renderTabs(st);
  st.tabs.hidden = st.scan.status !== 'succeeded'; // no results to show yet
  if (st.scan.status !== 'succeeded') { renderUnfinished(st); return; }
  const body = clear(st.body);
  body.dataset.tab = tab;
  const fn = { overview, plots, duplicates, images, annotations }[tab] || issueTab;
  try {
    await fn(st, body, params, tab);
    if (tab !== 'images' && st && st.tab === tab) openFromParams(id, params); // images.js: with ←/→
  } catch (e) {
    if (st && st.tab === tab) clear(body, errorBox(e));
  }
}

// The thresholds and the profile the scan ran with: its options, else the daemon's defaults.
async function loadThresholds(s) {
  let d = {};
  try { d = (await api('/config')).scan_defaults || {}; } catch { /* older daemon: SPEC defaults */ }
  const o = s.scan.options || {};
  for (const k of Object.keys(DEFAULTS)) s.thresholds[k] = o[k] ?? d[k] ?? DEFAULTS[k];
  s.profile = o.profile ?? d.profile ?? 'compatible'; // the options the scan was asked with first
}

function renderHead(s) {
  const sc = s.scan;
  const p = sc.progress || {};
  const secs = sc.started_at && sc.finished_at ? (new Date(sc.finished_at) - new Date(sc.started_at)) / 1000 : null;
  const dl = (label, rest, title) => h('a', { class: 'btn small', href: scanUrl(sc.id, rest), download: '', title, 'data-download': label }, `⤓ ${label}`);
  const ok = sc.status === 'succeeded';
  clear(s.head, h('div', { class: 'page-head' },
    h('div', { style: { minWidth: 0 } },
      h('div', { class: 'small' }, h('a', { href: '#/scans' }, '← Scans')),
      h('h1', null, sc.name, ' ', badge(sc.status)),
      h('div', { class: 'sub mono' }, sc.root),
      h('div', { class: 'sub' }, [
        ok ? `${fmtInt(s.summary ? s.summary.total_images : p.total)} images · ${fmtBytes(s.summary ? s.summary.total_size_bytes : p.bytes)}` : `${fmtInt(p.processed)} of ${fmtInt(p.total)} processed`,
        sc.imported ? ' · imported manifest' : secs !== null ? ` · scanned in ${fmtDuration(secs)}` : '',
        sc.finished_at ? ` · finished ${fmtTime(sc.finished_at)}` : ''].join(''),
      // The profile the daemon ran the scan with (an import's is in its manifest's header only).
      sc.imported ? null : h('span', { 'data-profile': s.profile }, ` · ${s.profile} profile`))),
    h('div', { class: 'actions' },
      ok ? h('a', { class: 'btn', href: `#/gate?scan=${enc(sc.id)}` }, 'Run gate') : null,
      ok ? h('a', { class: 'btn', href: `#/compare?new=${enc(sc.id)}` }, 'Compare…') : null,
      ok ? h('a', { class: 'btn', href: `#/leakage?splits=${enc(`${basename(sc.root)}:${sc.id}`)}`, 'data-leakage-link': '', title: 'Images of this split that reappear in another split' }, 'Leakage…') : null)),
  ok ? h('div', { class: 'downloads', style: { marginBottom: '1rem' }, 'aria-label': 'Downloads' },
    dl('Manifest', '/manifest', 'The JSONL manifest (imgeda format)'), dl('CSV', '/export.csv', 'One row per image'),
    dl('SQLite', '/export.sqlite', 'A SQLite database of the records'), dl('Parquet', '/export.parquet', 'A Parquet file of the records (pandas, DuckDB, Polars)'), dl('PDF report', '/report.pdf', 'Report with summary, checks and plots'),
    dl('HTML report', '/report.html', 'Single-file HTML report')) : null);
}

function renderTabs(s) {
  const sum = s.summary;
  const counts = {
    ...(sum ? Object.fromEntries(Object.entries(ISSUES).map(([k, v]) => [k, sum[v.count]])) : {}),
    duplicates: sum && sum.duplicates ? sum.duplicates.exact_images : undefined,
    images: sum ? sum.total_images : undefined,
  };
  // The tab elements are made once per scan and updated in place: replacing them on every tab
  // change would drop the keyboard focus to the body after the first arrow key.
  if (!s.tabLinks || !s.tabs.contains(s.tabLinks[0])) {
    s.tabLinks = TABS.map(([t, label]) => h('a', { href: `#/scan/${enc(s.id)}/${t}`, role: 'tab', 'data-tab': t }, label, h('span', { class: 'count', hidden: true })));
    clear(s.tabs, s.tabLinks);
    s.tabs.onkeydown = (e) => tabKey(e, s.tabLinks);
    s.tabs.onscroll = () => updateTabHints(s.tabs);
  }
  s.tabLinks.forEach((a, i) => {
    const t = TABS[i][0];
    a.setAttribute('aria-selected', String(t === s.tab));
    a.tabIndex = t === s.tab ? 0 : -1; // roving tabindex: Tab enters the strip at the open tab
    const c = a.querySelector('.count');
    c.hidden = counts[t] === undefined;
    c.textContent = counts[t] === undefined ? '' : fmtInt(counts[t]);
  });
  const cur = s.tabLinks.find((a) => a.dataset.tab === s.tab);
  if (cur) { // on a narrow screen the strip scrolls sideways: keep the open tab in sight
    const box = s.tabs.getBoundingClientRect();
    const r = cur.getBoundingClientRect();
    if (r.left < box.left) s.tabs.scrollLeft -= box.left - r.left + 24;
    else if (r.right > box.right) s.tabs.scrollLeft += r.right - box.right + 24;
  }
  updateTabHints(s.tabs);
}

// A strip wider than the screen fades out on the side where more tabs are (data-more, app.css),
// so a phone user sees that it scrolls.
function updateTabHints(nav) {
  const more = [];
  if (nav.scrollLeft > 1) more.push('left');
  if (nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1) more.push('right');
  if (more.length) nav.dataset.more = more.join(' '); else delete nav.dataset.more;
}
window.addEventListener('resize', () => { if (st && st.tabs) updateTabHints(st.tabs); });

// WAI-ARIA tabs with automatic activation: ←/→ move to the previous/next tab (wrapping), Home
// and End to the first and last; the tab gets the focus and opens, and keeps the focus.
function tabKey(e, links) {
  const i = links.indexOf(document.activeElement);
  const keys = { ArrowRight: i + 1, ArrowLeft: i - 1 + links.length, Home: 0, End: links.length - 1 };
  if (i < 0 || !(e.key in keys)) return;
  e.preventDefault();
  const next = links[keys[e.key] % links.length];
  next.focus();
  next.click();
}

// ---- scans that have no results yet ----
function renderUnfinished(s) {
  const sc = s.scan;
  const p = sc.progress || {};
  const pct = p.total ? (100 * p.processed) / p.total : 0;
  let content;
  if (sc.status === 'failed') {
    content = [h('div', { class: 'error-box', role: 'alert' }, h('strong', null, 'This scan failed. '), sc.error || 'No reason was recorded.'),
      h('p', null, 'What was analysed before the failure is kept; resume the scan to continue.'), actionBtn(sc, 'resume', 'Resume scan')];
  } else if (sc.status === 'cancelled') {
    content = [emptyState('This scan was cancelled', `${fmtInt(p.processed)} of ${fmtInt(p.total)} images were analysed. Resume it to finish; results appear once it has succeeded.`), h('div', { class: 'row', style: { justifyContent: 'center' } }, actionBtn(sc, 'resume', 'Resume scan'))];
  } else {
    content = [h('h2', null, sc.status === 'queued' ? 'Waiting for a worker…' : 'Scanning…'),
      h('div', { class: 'progress running', role: 'progressbar', 'aria-valuenow': Math.round(pct), 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('span', { style: { width: `${pct}%` } })),
      h('p', { class: 'progress-text' }, progressText(p)),
      h('p', { class: 'muted' }, 'Results (summary, issues, duplicates, plots) appear when the scan has finished.'), actionBtn(sc, 'cancel', 'Cancel scan')];
  }
  clear(s.body, h('div', { class: 'panel' }, content));
  markRendered(`tab:${s.tab}`);
}

function actionBtn(sc, verb, label) {
  return h('button', { class: 'btn', type: 'button', onclick: async () => {
    try { await api(`/scans/${enc(sc.id)}/${verb}`, { method: 'POST' }); st = null; window.dispatchEvent(new HashChangeEvent('hashchange')); } catch (e) { toast(e.message, true); }
  } }, label);
}

function watchUnfinished(s) {
  statusTimer = setInterval(async () => {
    if (!st || st !== s) return;
    try {
      const sc = await api(`/scans/${enc(s.id)}`);
      if (!st || st !== s) return;
      const changed = sc.status !== s.scan.status;
      s.scan = sc;
      if (sc.status === 'succeeded') { clearInterval(statusTimer); st = null; window.dispatchEvent(new HashChangeEvent('hashchange')); return; }
      renderHead(s);
      if (changed) {
        renderUnfinished(s);
      } else if (sc.status === 'running') { // update the bar in place: focus stays on Cancel
        const p = sc.progress || {};
        const bar = s.body.querySelector('.progress');
        const text = s.body.querySelector('.progress-text');
        if (bar && text) {
          const pct = p.total ? (100 * p.processed) / p.total : 0;
          bar.firstElementChild.style.width = `${pct}%`;
          bar.setAttribute('aria-valuenow', Math.round(pct));
          text.textContent = progressText(p);
        }
      }
    } catch { /* the banner tells */ }
  }, 1000);
}

// ---- overview ----
function card(label, value, note, cls, href) {
  return h(href ? 'a' : 'div', { class: `card ${cls || ''}`, href, 'data-card': label.toLowerCase() }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), note ? h('div', { class: 'note' }, note) : null);
}

async function overview(s, body) {
  const sum = s.summary;
  if (!sum) { clear(body, errorBox(s.summaryError || new Error('no summary'), 'Cannot load the summary')); return; }
  const n = sum.total_images;
  if (!n) {
    clear(body, h('div', { class: 'panel' }, emptyState('No images found', `The folder ${s.scan.root} holds no files with an image extension. Check the path, or the extensions option of the scan.`)));
    markRendered('tab:overview');
    return;
  }
  const base = `#/scan/${enc(s.id)}/`;
  const issue = (key) => { const c = sum[ISSUES[key].count]; return card(ISSUES[key].label, fmtInt(c), `${fmtPct(c, n)} of images`, c ? (key === 'corrupt' ? 'bad' : 'warn') : 'good', base + key); };
  const dup = sum.duplicates || {};
  const formats = Object.entries(sum.format_counts || {}).sort((a, b) => b[1] - a[1]);
  const cards = h('div', { class: 'cards', 'data-cards': '' },
    card('Images', fmtInt(n), `${fmtNum(sum.total_pixels / 1e6, 1)} megapixels`, '', base + 'images'),
    card('Total size', fmtBytes(sum.total_size_bytes), `${fmtBytes(sum.total_size_bytes / n)} per image`),
    issue('corrupt'), issue('dark'), issue('overexposed'), issue('blurry'), issue('artifacts'),
    card('Duplicates', fmtInt(dup.exact_images), `${fmtInt(dup.exact_groups)} ${dup.exact_groups === 1 ? 'group' : 'groups'} · ${fmtInt(dup.byte_identical_images)} byte-identical`, dup.exact_images ? 'warn' : 'good', base + 'duplicates'),
    h('div', { class: 'card', 'data-card': 'formats' }, h('div', { class: 'label' }, 'Formats'),
      h('div', { class: 'formats' }, formats.length ? formats.map(([f, c]) => h('div', { class: 'row', style: { justifyContent: 'space-between', gap: '.5rem' } }, h('span', null, f), h('span', { class: 'num' }, fmtInt(c)))) : '—')));
  const pct = sum.percentiles || {};
  const pRows = [['width', 'Width (px)', 0], ['height', 'Height (px)', 0], ['file_size_bytes', 'File size', -1], ['mean_brightness', 'Brightness', 1], ['blur_score', 'Blur score', 1]]
    .filter(([k]) => pct[k]).map(([k, label, dg]) => {
      const f = (x) => (dg < 0 ? fmtBytes(x) : fmtNum(x, dg));
      return h('tr', null, h('th', null, label), h('td', { class: 'num' }, fmtInt(pct[k].n)), h('td', { class: 'num' }, f(pct[k].p5)), h('td', { class: 'num' }, f(pct[k].p50)), h('td', { class: 'num' }, f(pct[k].p95)));
    });
  const cams = Object.entries(sum.camera_make_counts || {}).sort((a, b) => b[1] - a[1]).slice(0, 6);
  const modes = Object.entries(sum.mode_counts || {}).sort((a, b) => b[1] - a[1]);
  clear(body, cards,
    h('div', { class: 'two-col' },
      h('section', { class: 'panel' }, h('h2', null, 'Distributions'),
        h('div', { class: 'table-wrap' }, h('table', { class: 'data' }, h('thead', null, h('tr', null, h('th', null, ''), h('th', { class: 'num' }, 'n'), h('th', { class: 'num' }, 'p5'), h('th', { class: 'num' }, 'median'), h('th', { class: 'num' }, 'p95'))), h('tbody', null, pRows))),
        h('p', { class: 'small muted', style: { marginBottom: 0 } }, `Width ${fmtInt(sum.min_width)}–${fmtInt(sum.max_width)} px, height ${fmtInt(sum.min_height)}–${fmtInt(sum.max_height)} px over readable images.`)),
      h('section', { class: 'panel' }, h('h2', null, 'Camera and colour'),
        h('table', { class: 'kv' }, h('tbody', null,
          h('tr', null, h('th', null, 'EXIF present'), h('td', null, `${fmtInt(sum.exif_present_count)} (${fmtPct(sum.exif_present_count, n)})`)),
          h('tr', null, h('th', null, 'Rotated by EXIF'), h('td', null, fmtInt(sum.rotated_count))),
          h('tr', null, h('th', null, 'With GPS location'), h('td', null, fmtInt(sum.gps_flagged_count))),
          h('tr', null, h('th', null, 'High lens distortion risk'), h('td', null, fmtInt(sum.high_distortion_risk_count))),
          h('tr', null, h('th', null, 'Colour modes'), h('td', null, modes.map(([m, c]) => `${m} ${fmtInt(c)}`).join(' · ') || '—')),
          h('tr', null, h('th', null, 'Cameras'), h('td', null, cams.length ? cams.map(([m, c]) => `${m} ${fmtInt(c)}`).join(' · ') : 'no EXIF camera make'))))),
    ));
  markRendered('tab:overview');
}

// ---- plots ----
async function plots(s, body) {
  clear(body, h('div', { class: 'plots' }, PLOTS.map(([type, title]) => h('figure', { class: 'plot', 'data-plot': type },
    h('img', { src: scanUrl(s.id, `/plots/${type}.png`), alt: `${title} plot`, loading: 'lazy', width: 1350, height: 900 }),
    h('figcaption', null, h('span', null, title), h('span', { class: 'links' },
      h('a', { href: scanUrl(s.id, `/plots/${type}.svg`), target: '_blank', rel: 'noopener' }, 'SVG'),
      h('a', { href: scanUrl(s.id, `/plots/${type}.pdf`), download: '' }, 'PDF')))))));
  markRendered('tab:plots');
}

// ---- paging over /images ----
function pager(info, cursor, next, onPage) {
  const pos = /^\d+$/.test(cursor || '0') ? Number(cursor || 0) : null;
  const prev = pos !== null && pos > 0 ? String(Math.max(0, pos - info.limit)) : null;
  return h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
    h('button', { class: 'btn small', type: 'button', disabled: pos === null || pos === 0, onclick: () => onPage(pos - info.limit <= 0 ? '' : prev), 'data-page-prev': '' }, '← Previous'),
    h('button', { class: 'btn small', type: 'button', disabled: !next, onclick: () => onPage(next), 'data-page-next': '' }, 'Next →'),
    h('span', { class: 'info', 'data-page-info': '' }, info.shown ? `${pos !== null ? `${fmtInt(pos + 1)}–${fmtInt(pos + info.shown)}` : `${fmtInt(info.shown)}`} of ${fmtInt(info.total)}` : ''));
}

// ---- issue tabs (issues.js: one thumbnail grid per issue) ----
function issueTab(s, body, params, tab) {
  return issuesTab(s, body, params, tab, { isCurrent: () => st === s && st.tab === tab, go: (p) => goTab(s, tab, p), pager });
}

// ---- duplicates (dups.js: paged groups, keepers and marks) ----
function duplicates(s, body, params) {
  return duplicatesTab(s, body, params, () => st === s && st.tab === 'duplicates');
}

// ---- image table (images.js: filters, sort, paging) ----
function images(s, body, params) {
  return imagesTab(s, body, params, () => st === s && st.tab === 'images', (p) => goTab(s, 'images', p));
}

// ---- annotations ----
function bars(entries, max) {
  return h('div', { class: 'bars' }, entries.map(([name, c]) => [h('span', { title: name, style: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } }, name),
    h('div', { class: 'bar' }, h('span', { style: { width: `${max ? (100 * c) / max : 0}%` } })), h('span', { class: 'num' }, fmtInt(c))]));
}

async function annotations(s, body) {
  let a;
  try {
    a = await api(`/scans/${enc(s.id)}/annotations`);
  } catch (e) {
    if (!st || st.tab !== 'annotations') return;
    clear(body, h('div', { class: 'panel' }, emptyState('No annotation statistics', e instanceof ApiError && e.status !== 0 ? e.message : 'The daemon could not read the dataset layout.')));
    markRendered('tab:annotations');
    return;
  }
  if (!st || st.tab !== 'annotations') return;
  // Class folders label images without annotation files: their labels are the statistics.
  const isCls = a.format === 'classification';
  if (!a.detected || a.format === 'flat' || (!a.annotation_files && !(isCls && a.total_annotations))) {
    clear(body, h('div', { class: 'panel' }, emptyState('No annotations in this dataset',
      `${s.scan.root} is ${a.format === 'flat' ? 'a flat folder of images' : `laid out as ${a.format}`} without annotation files. YOLO, COCO, Pascal VOC and class-per-folder layouts are recognised.`)));
    markRendered('tab:annotations');
    return;
  }
  const classes = (a.classes || []).length ? a.classes.map((c) => [c.declared === false ? `${c.name} (undeclared)` : c.name, c.count, c.images]).sort((x, y) => y[1] - x[1])
    : Object.entries(a.class_counts || {}).sort((x, y) => y[1] - x[1]);
  const issues = Object.entries(a.issue_counts || {}).filter(([, c]) => c);
  const list = (title, items, total, fmt = (x) => x) => (total ? h('section', { class: 'panel' }, h('h2', null, `${title} (${fmtInt(total)})`),
    h('ul', { class: 'small', style: { margin: 0, paddingLeft: '1.1rem' } }, items.slice(0, 20).map((p) => h('li', null, fmt(p)))),
    total > 20 ? h('p', { class: 'small muted' }, `…and ${fmtInt(total - 20)} more`) : null) : null);
  const issueItem = (it) => [h('span', { class: 'mono' }, `${it.file}${it.line ? `:${it.line}` : ''}`), ' ', h('span', { class: 'flag' }, String(it.kind).replace(/_/g, ' ')), ' ', it.message];
  const splits = a.splits || [];
  clear(body,
    h('div', { class: 'cards', 'data-annotations': a.format },
      card('Layout', isCls ? 'Folder' : String(a.format).toUpperCase(), isCls ? `${fmtInt(a.num_classes)} class folders` : `${fmtInt(a.annotation_files)} annotation files`),
      card('Annotated', fmtInt(a.annotated_images), `${fmtPct(a.annotated_images, a.total_images)} of ${fmtInt(a.total_images)} images`),
      card('Objects', fmtInt(a.total_annotations), `${fmtNum(a.mean_objects_per_image, 2)} per image, max ${fmtInt(a.max_objects_per_image)}`),
      card('Classes', fmtInt(a.num_classes)),
      isCls ? null : card('Box sizes', `${fmtInt(a.small_count)} / ${fmtInt(a.medium_count)} / ${fmtInt(a.large_count)}`, 'small / medium / large (COCO areas)'),
      card('Issues', fmtInt(a.issues_total), issues.map(([k, c]) => `${k.replace(/_/g, ' ')} ${c}`).join(' · ') || 'none', a.issues_total ? 'warn' : 'good')),
    h('div', { class: 'two-col' },
      h('div', null,
        h('section', { class: 'panel', 'data-classes': '' }, h('h2', null, 'Objects per class'), classes.length ? bars(classes.slice(0, 40), Math.max(...classes.map((c) => c[1]))) : emptyState('No classes'), classes.length > 40 ? h('p', { class: 'small muted' }, `${classes.length - 40} more classes`) : null),
        splits.length ? h('section', { class: 'panel' }, h('h2', null, 'Splits'),
          h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
            h('thead', null, h('tr', null, h('th', null, 'Split'), h('th', { class: 'num' }, 'Images'), h('th', { class: 'num' }, 'Annotated'), h('th', { class: 'num' }, 'Objects'), h('th', null, 'Classes'))),
            h('tbody', null, splits.map((sp) => h('tr', null, h('th', { scope: 'row' }, sp.name), h('td', { class: 'num' }, fmtInt(sp.images)), h('td', { class: 'num' }, fmtInt(sp.annotated_images)), h('td', { class: 'num' }, fmtInt(sp.annotations)),
              h('td', { class: 'small' }, Object.entries((a.split_class_counts || {})[sp.name] || {}).map(([c, n]) => `${c} ${n}`).join(' · ')))))))) : null),
      h('div', null,
        list('Annotation problems', a.issues || [], a.issues_total, issueItem),
        list('Images without annotations', a.orphan_images || [], a.orphan_images_total, (p) => h('span', { class: 'mono' }, p)),
        list('Annotations without images', a.orphan_annotations || [], a.orphan_annotations_total, (p) => h('span', { class: 'mono' }, p)))),
    (a.notes || []).length ? h('p', { class: 'small muted' }, a.notes.join(' ')) : null);
  markRendered('tab:annotations');
}
