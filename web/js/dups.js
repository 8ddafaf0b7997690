// Duplicates tab: review groups a page at a time (GET duplicates?kind=&cursor=&limit=), each
// member a tile with its resolution, bytes, format and hash distance, the suggested keeper
// starred; accept it with one key, call a group "not a duplicate", mark single images remove,
// keep or ok (PUT marks), and download what the marks take out (remove.txt, marks.csv).
import { api, scanUrl } from './api.js';
import { h, clear, fmtInt, fmtBytes, basename, loading, emptyState, errorBox, thumb, markRendered, debounce, nextId, toast } from './ui.js';
import { openImage } from './drawer.js';
import { setParams } from './router.js';

const LIMIT = 20; // groups a page: about 20 kB of JSON for small groups, at most ~400 kB
const MARK_LABEL = { keep: 'keep', remove: 'remove', ok: 'ok' };
const enc = encodeURIComponent;

// duplicatesTab(s, body, params, isCurrent): s is the scan page's state ({id, summary}),
// isCurrent() says whether the tab is still the one shown (answers arriving late are dropped).
export async function duplicatesTab(s, body, params, isCurrent) {
  const t0 = Number(params.get('threshold'));
  const v = {
    s, isCurrent,
    threshold: params.has('threshold') && Number.isInteger(t0) && t0 >= 0 && t0 <= 32 ? t0 : 8,
    kind: params.get('kind') === 'near' ? 'near' : 'exact',
    cursor: /^\d+$/.test(params.get('cursor') || '') ? Number(params.get('cursor')) : 0,
    data: null, marks: new Map(), applied: null, ctrl: null, mctrl: null,
    out: h('div', { 'data-dups': '' }, loading()),
    head: h('div', { class: 'dup-head', 'data-dup-counts': '' }),
    kindSel: h('div', { class: 'row', role: 'radiogroup', 'aria-label': 'Kind of duplicates' }),
  };
  const rid = nextId('thr');
  const range = h('input', { type: 'range', id: rid, min: 0, max: 16, step: 1, value: v.threshold, 'aria-describedby': `${rid}-help` });
  const numIn = h('input', { type: 'number', min: 0, max: 32, step: 1, value: v.threshold, style: { width: '4.5em' }, 'aria-label': 'Threshold (bits)' });
  // A threshold is a near-duplicate setting: moving it shows the near groups at that distance.
  const setT = debounce((t) => { v.threshold = t; v.kind = 'near'; v.cursor = 0; load(v); }, 250);
  range.addEventListener('input', () => { numIn.value = range.value; setT(Number(range.value)); });
  numIn.addEventListener('change', () => {
    const t = Math.max(0, Math.min(32, Math.round(Number(numIn.value) || 0)));
    numIn.value = t;
    range.value = Math.min(16, t);
    setT(t);
  });
  v.downloads = h('div', { class: 'downloads', 'aria-label': 'Marks downloads' });
  clear(body, h('div', { class: 'toolbar' },
    h('div', { class: 'threshold' }, h('label', { for: rid }, 'Near-duplicate threshold'), range, numIn, h('span', { class: 'muted small', id: `${rid}-help` }, 'bits of perceptual-hash difference (0 = identical hash, default 8)')),
    h('span', { class: 'grow' }), v.kindSel),
  h('div', { class: 'toolbar dup-bar' }, v.head, h('span', { class: 'grow' }), v.downloads),
  h('p', { class: 'small muted dup-keys' }, 'Keys in a group: ', h('kbd', null, 'a'), ' accept the suggested keeper (★) · ', h('kbd', null, 'n'), ' not a duplicate · ',
    h('kbd', null, 'j'), ' / ', h('kbd', null, 'k'), ' next / previous group. The other members of a group with a keeper go to the remove list.'),
  v.out);
  await load(v);
}

function sync(v) {
  setParams({ kind: v.kind === 'exact' ? '' : v.kind, threshold: v.threshold === 8 ? '' : v.threshold, cursor: v.cursor || '' });
}

// Loads one page of groups and renders it with the marks known so far, then asks for the marks
// again (about 1.3 s at 10^5 images, since the daemon reads every record: the groups do not
// wait for them; [data-dups][data-marks="loading"] says they are on the way).
async function load(v) {
  sync(v);
  if (v.ctrl) v.ctrl.abort();
  const ctrl = (v.ctrl = new AbortController());
  v.out.setAttribute('aria-busy', 'true');
  const q = `kind=${v.kind}&threshold=${v.threshold}&limit=${LIMIT}&cursor=${v.cursor}`;
  try {
    v.data = await api(`/scans/${enc(v.s.id)}/duplicates?${q}`, { signal: ctrl.signal });
  } catch (e) {
    if (e.name !== 'AbortError' && v.isCurrent()) { v.out.removeAttribute('aria-busy'); clear(v.out, errorBox(e)); }
    return;
  }
  if (!v.isCurrent() || ctrl !== v.ctrl) return;
  renderPage(v);
  if (v.scroll) v.out.scrollIntoView({ block: 'start' });
  v.scroll = false;
  showMarks(v);
  v.out.removeAttribute('aria-busy');
  markRendered('tab:duplicates');
  await loadMarks(v);
}

// Every marked image of the scan (pages of 1,000, at most 20 of them): tiles show their marks.
async function loadMarks(v) {
  if (v.mctrl) v.mctrl.abort();
  const ctrl = (v.mctrl = new AbortController());
  v.out.dataset.marks = 'loading';
  const marks = new Map();
  let cursor = 0;
  let r = null;
  try {
    for (let i = 0; i < 20; i++) {
      r = await api(`/scans/${enc(v.s.id)}/marks?limit=1000&cursor=${cursor}&threshold=${v.threshold}`, { signal: ctrl.signal });
      for (const m of r.images) marks.set(m.image_id, m);
      if (r.next_cursor === null || r.next_cursor === undefined) break;
      cursor = r.next_cursor;
    }
  } catch (e) {
    if (e.name !== 'AbortError' && v.isCurrent()) toast(`Cannot load the marks: ${e.message}`, true);
    return;
  }
  if (!v.isCurrent() || ctrl !== v.mctrl) return;
  v.marks = marks;
  v.applied = { total: r.total, ...(r.marks || {}) };
  showMarks(v);
  v.out.dataset.marks = 'loaded';
}

function renderPage(v) {
  const d = v.data;
  const sum = v.s.summary.duplicates || {};
  const radio = (k, label) => h('button', { class: `btn small${k === v.kind ? ' primary' : ''}`, type: 'button', role: 'radio', 'aria-checked': String(k === v.kind), 'data-kind': k,
    onclick: () => { if (k !== v.kind) { v.kind = k; v.cursor = 0; load(v); } } }, label);
  clear(v.kindSel, radio('exact', `Same hash · ${fmtInt(sum.exact_groups)}`), radio('near', v.kind === 'near' ? `Near (≤ ${v.threshold} bits) · ${fmtInt(d.total_groups)}` : `Near (≤ ${v.threshold} bits)`));
  // The count of the overview's card and the tab: images beyond one per group.
  clear(v.head, h('strong', null, `${fmtInt(d.duplicate_count)} ${d.duplicate_count === 1 ? 'duplicate' : 'duplicates'}`),
    h('span', { class: 'muted' }, ` in ${fmtInt(d.total_groups)} ${d.total_groups === 1 ? 'group' : 'groups'} of ${fmtInt(d.total_images)} images`,
      v.kind === 'near' ? ` within ${d.threshold} bits` : ' with the same perceptual hash'),
    h('span', { class: 'muted', 'data-marks-count': '' }));
  const rq = v.kind === 'near' && v.threshold !== 8 ? `?threshold=${v.threshold}` : '';
  clear(v.downloads,
    h('a', { class: 'btn small', href: scanUrl(v.s.id, `/remove.txt${rq}`), download: `${v.s.id}-remove.txt`, 'data-download': 'remove-list', title: 'Paths the marks take out, one a line' }, '⤓ Download remove list'),
    h('a', { class: 'btn small', href: scanUrl(v.s.id, '/marks.csv'), download: `${v.s.id}-marks.csv`, 'data-download': 'marks-csv', title: 'content_hash,path,mark,group' }, '⤓ marks.csv'));
  if (!d.groups.length) {
    clear(v.out, h('div', { class: 'panel' }, emptyState('No duplicate groups', v.cursor ? 'No more groups on this page.'
      : v.kind === 'near' ? `No two images are within ${v.threshold} bits of each other. Raise the threshold to find looser matches.` : 'No two readable images share a perceptual hash.')));
    return;
  }
  const groups = d.groups.map((g, i) => group(v, g, v.cursor + i));
  const prevAt = Math.max(0, v.cursor - LIMIT);
  // A new page starts at its first group, wherever the pager was. next_cursor is a string (an
  // opaque cursor to the API), a group offset here.
  const go = (c) => { v.cursor = c; v.scroll = true; load(v); };
  clear(v.out, groups, h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Pages of groups' },
    h('button', { class: 'btn small', type: 'button', disabled: !v.cursor, 'data-page-prev': '', onclick: () => go(prevAt) }, '← Previous'),
    h('button', { class: 'btn small', type: 'button', disabled: d.next_cursor === null || d.next_cursor === undefined, 'data-page-next': '', onclick: () => go(Number(d.next_cursor)) }, 'Next →'),
    h('span', { class: 'info', 'data-page-info': '' }, `groups ${fmtInt(v.cursor + 1)}–${fmtInt(v.cursor + d.groups.length)} of ${fmtInt(d.total_groups)}`)));
}

function group(v, g, index) {
  const ids = g.members.map((m) => m.id);
  const keeper = g.members.find((m) => m.id === g.keeper);
  const status = h('span', { class: 'dup-status small', 'data-group-status': '' });
  const sec = h('section', { class: 'dupgroup', tabindex: 0, 'data-group': index, 'aria-label': `Group ${index + 1}: ${g.size} images` },
    h('header', null, h('strong', null, `${fmtInt(g.size)} images`),
      // The headline says what a group is; a group only says where it differs from that.
      g.members_truncated ? h('span', { class: 'muted' }, `the first ${fmtInt(g.members.length)} shown`) : null,
      status, h('span', { class: 'grow' }),
      h('button', { class: 'btn small primary', type: 'button', 'data-accept': '', disabled: !keeper, title: keeper ? `Keep ${keeper.path}; the others go to the remove list` : '', onclick: () => accept(v, g, sec) }, 'Accept keeper ', h('kbd', null, 'a')),
      h('button', { class: 'btn small', type: 'button', 'data-not-duplicate': '', onclick: () => notDuplicate(v, ids, sec) }, 'Not a duplicate ', h('kbd', null, 'n'))),
    h('div', { class: 'members' }, g.members.map((m) => memberTile(v, m, m.id === g.keeper))));
  sec.style.setProperty('--n', String(Math.min(g.members.length, 6))); // its share of a row (app.css)
  sec.addEventListener('keydown', (e) => groupKey(e, v, g, ids, sec));
  return sec;
}

function groupKey(e, v, g, ids, sec) {
  if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName)) return;
  const step = (d) => {
    const all = [...v.out.querySelectorAll('.dupgroup')];
    const next = all[all.indexOf(sec) + d];
    if (next) next.focus();
  };
  const acts = { a: () => accept(v, g, sec), n: () => notDuplicate(v, ids, sec), j: () => step(1), k: () => step(-1) };
  if (!acts[e.key]) return;
  e.preventDefault();
  acts[e.key]();
}

function memberTile(v, m, isKeeper) {
  const res = m.width ? `${fmtInt(m.width)} × ${fmtInt(m.height)}` : '—';
  const dist = m.distance === null || m.distance === undefined ? '—' : String(m.distance);
  const btn = (mark, label) => h('button', { class: 'btn small', type: 'button', 'data-mark-btn': mark, 'aria-pressed': 'false', onclick: (e) => toggleMark(v, m.id, mark, e.currentTarget) }, label);
  return h('div', { class: `tile duptile${isKeeper ? ' keeper' : ''}`, title: m.path, 'data-path': m.path, 'data-image-id': m.id, 'data-keeper': isKeeper ? 'true' : null },
    h('button', { class: 'open', type: 'button', 'aria-label': `Open ${m.path}`, onclick: () => openImage(v.s.id, m.id) },
      h('div', { class: 'img' }, thumb(v.s.id, m.id, 256, basename(m.path)),
        isKeeper ? h('span', { class: 'keeper-badge', title: 'Suggested keeper: the most pixels, then the largest file' }, '★ keeper') : null,
        h('span', { class: 'mark-badge', 'data-mark': '', hidden: true }))),
    h('div', { class: 'cap' }, h('div', { class: 'name' }, basename(m.path)),
      h('div', { class: 'val mono', title: m.path }, folderOf(v, m.path)),
      h('div', { 'data-facts': '' }, h('div', { class: 'val' }, h('b', null, res), ` · ${fmtBytes(m.file_size_bytes)}`),
        h('div', { class: 'val' }, `${m.format || '?'} · distance ${dist}`))),
    h('div', { class: 'tile-actions', role: 'group', 'aria-label': `Marks of ${basename(m.path)}` }, btn('keep', 'Keep'), btn('remove', 'Remove'), btn('ok', 'OK')));
}

// The member's folder under the scan's root ("./" for the root itself): the root is in the page
// head, and repeated on every tile it would hide the part that tells copies apart.
function folderOf(v, p) {
  const root = String(v.s.scan.root || '').replace(/\/+$/, '');
  const dir = p.slice(0, p.length - basename(p).length);
  return root && dir.startsWith(`${root}/`) ? `./${dir.slice(root.length + 1)}` : dir || '/';
}

// Paints each tile's mark (keep, remove, ok, and "removed" for members a keeper takes out) and
// the marks line, in place: the keyboard focus stays where the reviewer is.
function showMarks(v) {
  for (const t of v.out.querySelectorAll('.duptile')) {
    const m = v.marks.get(Number(t.dataset.imageId));
    const mark = m && m.mark ? m.mark : '';
    const nd = m && m.not_duplicate && m.not_duplicate.length;
    const removed = m && m.removed;
    t.dataset.mark = mark;
    t.dataset.removed = removed ? 'true' : 'false';
    const badge = t.querySelector('[data-mark]');
    const text = mark === 'remove' || (removed && !mark) ? 'remove' : mark ? MARK_LABEL[mark] : nd ? 'not a duplicate' : '';
    badge.hidden = !text;
    badge.textContent = text;
    badge.className = `mark-badge ${text.replace(/ /g, '-')}`;
    for (const b of t.querySelectorAll('[data-mark-btn]')) b.setAttribute('aria-pressed', String(b.dataset.markBtn === mark));
  }
  for (const sec of v.out.querySelectorAll('.dupgroup')) {
    const tiles = [...sec.querySelectorAll('.duptile')];
    const kept = tiles.filter((t) => t.dataset.mark === 'keep').map((t) => basename(t.dataset.path));
    const nd = tiles.every((t) => (v.marks.get(Number(t.dataset.imageId))?.not_duplicate || []).length);
    const st = sec.querySelector('[data-group-status]');
    st.textContent = kept.length ? `✓ keeping ${kept.join(', ')}` : nd ? '✓ not a duplicate' : '';
    sec.dataset.reviewed = kept.length || nd ? 'true' : 'false';
  }
  const a = v.applied || {};
  const line = v.out.parentElement && v.out.parentElement.querySelector('[data-marks-count]');
  if (line) line.textContent = a.total ? ` · ${fmtInt(a.total)} marked or taken out · ${fmtInt(a.removed)} on the remove list` : '';
}

async function putMarks(v, ids, mark, what) {
  try {
    await api(`/scans/${enc(v.s.id)}/marks`, { method: 'PUT', json: { image_ids: ids, mark } });
  } catch (e) {
    toast(`${what}: ${e.message}`, true);
    return false;
  }
  guessMarks(v, ids, mark);
  loadMarks(v); // the daemon's word (who leaves through a keeper) replaces the guess
  return true;
}

// What a PUT does, painted at once: the marks list takes a while on a large scan. A keeper's
// group-mates on this page leave unless marked keep or ok or not duplicates of it.
function guessMarks(v, ids, mark) {
  for (const id of ids) {
    const m = { ...(v.marks.get(id) || { image_id: id, not_duplicate: [] }) };
    if (mark === 'not_duplicate') m.not_duplicate = [...(m.not_duplicate || []), 'new'];
    else m.mark = mark;
    if (mark === null) m.not_duplicate = [];
    m.removed = mark === 'remove';
    v.marks.set(id, m);
  }
  if (mark === 'keep') {
    for (const sec of v.out.querySelectorAll('.dupgroup')) {
      const tiles = [...sec.querySelectorAll('.duptile')].map((t) => Number(t.dataset.imageId));
      if (!tiles.includes(ids[0])) continue;
      for (const id of tiles) {
        const m = v.marks.get(id) || { image_id: id, not_duplicate: [] };
        if (!m.mark && !(m.not_duplicate || []).length) v.marks.set(id, { ...m, removed: true });
      }
    }
  }
  showMarks(v);
}

async function accept(v, g, sec) {
  if (!g.keeper) return;
  if (await putMarks(v, [g.keeper], 'keep', 'Cannot accept the keeper')) {
    const next = sec.nextElementSibling;
    if (next && next.classList.contains('dupgroup')) next.focus(); else sec.focus();
  }
}

async function notDuplicate(v, ids, sec) {
  if (ids.length < 2) return;
  if (await putMarks(v, ids, 'not_duplicate', 'Cannot mark the group')) sec.focus();
}

// A tile's Keep / Remove / OK: pressing the mark it holds clears the image's marks.
async function toggleMark(v, id, mark, btn) {
  const on = btn.getAttribute('aria-pressed') === 'true';
  if (await putMarks(v, [id], on ? null : mark, 'Cannot mark the image')) btn.focus();
}
