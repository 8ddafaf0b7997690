// Small DOM and formatting helpers shared by the pages. No framework: h() builds elements,
// everything else formats numbers the same way on every page.
import { thumbUrl } from './api.js';

// h('div', {class: 'x', onclick: fn, dataset: {...}}, child, [children], 'text') → Element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const nf = new Intl.NumberFormat('en-US');
export function fmtInt(n) { return n === null || n === undefined ? '—' : nf.format(Math.round(n)); }
export function fmtNum(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
export function fmtPct(part, whole) {
  if (!whole) return '0%';
  const p = (100 * part) / whole;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}
export function fmtBytes(b) {
  if (b === null || b === undefined) return '—';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = Number(b);
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${u[i]}`;
}
export function fmtDuration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const hr = Math.floor(m / 60);
  return `${hr}h ${String(m % 60).padStart(2, '0')}m`;
}
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function basename(p) { return String(p).split('/').pop(); }

// "1,024 / 2,000 · 369.1 img/s · ETA 3s" for a running scan's progress (API shape).
export function progressText(p) {
  return p.total ? `${fmtInt(p.processed)} / ${fmtInt(p.total)} · ${fmtNum(p.rate_per_s, 1)} img/s · ETA ${fmtDuration(p.eta_s)}` : 'finding files…';
}

// How a finished scan is named in pickers: "name — finished · N images".
export function scanLabel(s) { return `${s.name} — ${fmtTime(s.finished_at)} · ${fmtInt(s.progress?.total)} images`; }

export function toast(msg, bad = false) {
  const box = document.getElementById('toasts');
  const t = h('div', { class: bad ? 'toast bad' : 'toast' }, msg);
  box.append(t);
  while (box.childElementCount > 3) box.firstElementChild.remove(); // the newest three
  setTimeout(() => t.remove(), bad ? 7000 : 3500);
}

// A page's title block: h1, one line saying what the page is for, and its actions (right).
export function pageHead(title, sub, ...actions) {
  return h('div', { class: 'page-head' }, h('div', null, h('h1', null, title), h('div', { class: 'sub' }, sub)),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function loading(text = 'Loading…') { return h('div', { class: 'loading' }, text); }

export function emptyState(title, text, ...extra) {
  return h('div', { class: 'empty', 'data-empty': '' }, h('strong', null, title), text ? h('span', null, text) : null, ...extra);
}

export function errorBox(err, prefix) {
  const msg = err && err.message ? err.message : String(err);
  return h('div', { class: 'error-box', role: 'alert', 'data-error': err && err.code ? err.code : 'error' }, prefix ? `${prefix}: ${msg}` : msg);
}

// A thumbnail that loads only when scrolled near (native lazy loading) and shows a placeholder
// when the daemon cannot make one (corrupt file, file gone).
export function thumb(scanId, imageId, size = 256, alt = '') {
  if (!imageId) return h('div', { class: 'ph' }, 'no preview');
  const img = h('img', { src: thumbUrl(scanId, imageId, size), alt, loading: 'lazy', decoding: 'async' });
  img.addEventListener('error', () => img.replaceWith(h('div', { class: 'ph', title: 'The daemon could not make a thumbnail of this file' }, 'no preview')), { once: true });
  return img;
}

// Copies text to the clipboard and says so. The Clipboard API needs a secure context (https or
// loopback); elsewhere the text is copied through a selected, off-screen textarea.
export async function copyText(text, what = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = h('textarea', { readonly: true, style: { position: 'fixed', left: '-9999px' } });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    if (!ok) { toast('Copy failed: select the text and copy it by hand', true); return; }
  }
  toast(what);
}

// A "Copy" button for the text that getText() returns when pressed.
export function copyButton(label, getText, what) {
  return h('button', { class: 'btn small', type: 'button', 'data-copy': label, onclick: () => copyText(getText(), what) }, label);
}

export function badge(text, cls) { return h('span', { class: `badge ${cls || text}` }, text); }

export const FLAGS = [
  ['is_corrupt', 'corrupt'], ['is_dark', 'dark'], ['is_overexposed', 'overexposed'],
  ['is_blurry', 'blurry'], ['has_border_artifact', 'artifact'],
];
export function flagChips(rec) {
  return FLAGS.filter(([k]) => rec[k]).map(([, name]) => h('span', { class: `flag ${name}` }, name));
}

// Records "a view finished rendering its data": the browser test reads these to time tabs.
export function markRendered(name) {
  const m = (window.__imgeda = window.__imgeda || { renders: [] });
  m.renders.push({ name, t: performance.now() });
  document.getElementById('main').dataset.rendered = name;
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

// Unique element ids, for <label for=…>.
let uid = 0;
export function nextId(prefix) { uid += 1; return `${prefix}-${uid}`; }
