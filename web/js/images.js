// Images tab: every record of a scan in a table, filtered (path, flag, format), sorted by a
// column and paged by the API; a row opens the image detail (drawer.js).
import { api } from './api.js';
import { h, clear, fmtInt, fmtBytes, fmtNum, loading, emptyState, thumb, flagChips, markRendered, debounce } from './ui.js';
import { openImage } from './drawer.js';

const enc = encodeURIComponent;

function pager(info, cursor, next, onPage) {
  const pos = /^\d+$/.test(cursor || '0') ? Number(cursor || 0) : null;
  const prev = pos !== null && pos > 0 ? String(Math.max(0, pos - info.limit)) : null;
  return h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Pages' },
    h('button', { class: 'btn small', type: 'button', disabled: pos === null || pos === 0, onclick: () => onPage(pos - info.limit <= 0 ? '' : prev), 'data-page-prev': '' }, '← Previous'),
    h('button', { class: 'btn small', type: 'button', disabled: !next, onclick: () => onPage(next), 'data-page-next': '' }, 'Next →'),
    h('span', { class: 'info', 'data-page-info': '' }, info.shown ? `${pos !== null ? `${fmtInt(pos + 1)}–${fmtInt(pos + info.shown)}` : `${fmtInt(info.shown)}`} of ${fmtInt(info.total)}` : ''));
}


const COLS = [
  ['filename', 'File', 'filename'], ['format', 'Format', 'format'], ['width', 'Size (px)', 'width'], ['file_size_bytes', 'Bytes', 'file_size_bytes'],
  ['mean_brightness', 'Brightness', 'mean_brightness'], ['blur_score', 'Blur', 'blur_score'], ['delta', 'Border Δ', 'delta'],
];

export async function imagesTab(s, body, params, isCurrent, goTab) {
  const q = params.get('q') || '';
  const flag = params.get('flag') || '';
  const format = params.get('format') || '';
  const sort = params.get('sort') || '';
  const cursor = params.get('cursor') || '';
  const limit = 50;
  const go = (p) => goTab({ q, flag, format, sort, ...p });
  const search = h('input', { type: 'search', value: q, placeholder: 'part of the path, e.g. train/ or .png', 'aria-label': 'Filter by path', 'data-filter': 'q' });
  search.addEventListener('input', debounce(() => go({ q: search.value, cursor: '' }), 300));
  const flagSel = h('select', { 'aria-label': 'Only images flagged as', 'data-filter': 'flag', onchange: (e) => go({ flag: e.target.value, cursor: '' }) },
    [['', 'any'], ['corrupt', 'corrupt'], ['dark', 'dark'], ['overexposed', 'overexposed'], ['blurry', 'blurry'], ['artifact', 'border artifact'], ['duplicate', 'duplicate']].map(([v, l]) => h('option', { value: v, selected: v === flag }, l)));
  const formats = Object.keys(s.summary.format_counts || {}).sort();
  const fmtSel = h('select', { 'aria-label': 'Format', 'data-filter': 'format', onchange: (e) => go({ format: e.target.value, cursor: '' }) },
    h('option', { value: '' }, 'any'), formats.map((f) => h('option', { value: f, selected: f === format }, f)));
  const tableBox = h('div', null, loading());
  clear(body, h('div', { class: 'toolbar' },
    h('div', { class: 'field search' }, h('label', { class: 'small' }, 'Path contains'), search),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Flag'), flagSel),
    h('div', { class: 'field' }, h('label', { class: 'small' }, 'Format'), fmtSel)), tableBox);
  if (q) { search.focus(); search.setSelectionRange(q.length, q.length); }
  const qs = new URLSearchParams({ limit });
  if (q) qs.set('q', q);
  if (flag) qs.set('flag', flag);
  if (format) qs.set('format', format);
  if (sort) qs.set('sort', sort);
  if (cursor) qs.set('cursor', cursor);
  const data = await api(`/scans/${enc(s.id)}/images?${qs}`);
  if (!isCurrent()) return;
  if (!data.images.length) {
    clear(tableBox, h('div', { class: 'panel' }, emptyState('No images match', 'Change or clear the filters above.', h('div', null, h('button', { class: 'btn small', type: 'button', onclick: () => go({ q: '', flag: '', format: '', cursor: '' }) }, 'Clear filters')))));
    markRendered('tab:images');
    return;
  }
  const sortField = sort.replace(/^-/, '');
  const desc = sort.startsWith('-');
  const th = ([key, label, field]) => {
    const on = sortField === field;
    return h('th', { class: key === 'filename' || key === 'format' ? '' : 'num', 'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none', scope: 'col' },
      h('button', { class: 'sort', type: 'button', onclick: () => go({ sort: on && !desc ? `-${field}` : on && desc ? '' : field, cursor: '' }), title: `Sort by ${label}` },
        label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, on ? (desc ? '▼' : '▲') : '')));
  };
  const rowsEls = data.images.map((r) => h('tr', { class: 'clickable', tabindex: 0, 'data-image-id': r.id, onclick: () => openImage(s.id, r.id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openImage(s.id, r.id); } } },
    h('td', { class: 'thumbcell' }, r.is_corrupt ? h('div', { class: 'ph' }, '✕') : thumb(s.id, r.id, 96, '')),
    h('td', { class: 'path', title: r.path }, r.filename, h('div', { class: 'small muted', style: { overflow: 'hidden', textOverflow: 'ellipsis' } }, r.path.slice(0, r.path.length - r.filename.length))),
    h('td', null, r.format || '—'),
    h('td', { class: 'num' }, r.width ? `${r.width} × ${r.height}` : '—'),
    h('td', { class: 'num' }, fmtBytes(r.file_size_bytes)),
    h('td', { class: 'num' }, fmtNum(r.pixel_stats?.mean_brightness, 1)),
    h('td', { class: 'num' }, fmtNum(r.blur_score, 1)),
    h('td', { class: 'num' }, fmtNum(r.corner_stats?.delta, 1)),
    h('td', null, flagChips(r), r.is_corrupt && r.error ? h('div', { class: 'small muted', style: { maxWidth: '240px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }, title: r.error }, r.error) : null)));
  clear(tableBox,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-table': 'images' },
      h('thead', null, h('tr', null, h('th', null, h('span', { class: 'small muted' }, '')), COLS.map(th), h('th', null, 'Flags'))),
      h('tbody', null, rowsEls))),
    pager({ limit, shown: data.images.length, total: data.total }, cursor, data.next_cursor, (c) => go({ cursor: c })));
  markRendered('tab:images');
}
