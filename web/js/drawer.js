// The image detail panel: a larger preview, every field of the record, EXIF grouped apart, the
// original file and the path to copy. Opens over any page and is named in the URL (?image=ID),
// so a reload or a shared link opens it again; Escape or the close button closes it (and drops
// the parameter) and focus returns where it was. Given a step function (the Images tab's), ←/→
// and the ‹ › buttons show the previous or next image of the list behind it.
import { api, scanUrl } from './api.js';
import { h, clear, thumb, fmtBytes, fmtNum, fmtInt, loading, errorBox, flagChips, copyText } from './ui.js';
import { parseHash, setParams } from './router.js';

let current = null;

// Sets or drops the ?image= parameter of the current route, keeping the others.
function imageParam(id) {
  const p = Object.fromEntries(parseHash().params);
  if (id) p.image = String(id); else delete p.image;
  setParams(p);
}

function close(stepping = false) {
  if (!current) return null;
  const { root, back, returnFocus } = current;
  current = null;
  root.remove();
  back.remove();
  document.removeEventListener('keydown', onKey, true);
  if (stepping) return returnFocus;
  imageParam(null);
  if (returnFocus && returnFocus.isConnected) returnFocus.focus();
  return null;
}

function onKey(e) {
  if (!current) return;
  if (e.key === 'Escape') { e.preventDefault(); close(); return; }
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName || '');
  if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && current.step && !typing && !e.altKey && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    current.step(current.imageId, e.key === 'ArrowLeft' ? -1 : 1);
    return;
  }
  if (e.key === 'Tab') { // keep focus inside the panel while it is open
    const f = [...current.root.querySelectorAll('a[href], button, [tabindex="0"]')].filter((x) => !x.disabled);
    if (!f.length) return;
    const first = f[0];
    const last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }
}

const v = (x) => (x === null || x === undefined || x === '' ? '—' : x);

function rows(title, pairs) {
  return [h('tr', { class: 'section' }, h('th', { colspan: 2 }, title)),
    ...pairs.map(([k, val]) => h('tr', null, h('th', null, k), h('td', null, val instanceof Node ? val : String(v(val)))))];
}

function recordTable(r) {
  const ps = r.pixel_stats || {};
  const cs = r.corner_stats || {};
  const exifPresent = ['camera_make', 'camera_model', 'lens_model', 'focal_length_mm', 'iso_speed', 'f_number', 'exposure_time_sec', 'datetime_original', 'orientation_tag'].some((k) => r[k] !== null && r[k] !== undefined);
  const exposure = r.exposure_time_sec ? (r.exposure_time_sec < 1 ? `1/${Math.round(1 / r.exposure_time_sec)} s` : `${fmtNum(r.exposure_time_sec, 2)} s`) : null;
  return h('table', { class: 'kv', 'data-record': '' }, h('tbody', null,
    rows('File', [
      ['path', h('span', { class: 'mono' }, r.path)],
      ['size', `${fmtBytes(r.file_size_bytes)} (${fmtInt(r.file_size_bytes)} bytes)`],
      ['format', r.format], ['color mode', `${v(r.color_mode)} · ${v(r.num_channels)} channels · ${v(r.bit_depth)} bit`],
      ['dimensions', r.width ? `${r.width} × ${r.height} (aspect ${fmtNum(r.aspect_ratio, 3)})` : null],
      ['frames', r.num_frames],
      ['modified', r.mtime ? new Date(r.mtime * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : null],
      ['content hash', h('span', { class: 'mono' }, v(r.content_hash))],
    ]),
    rows('Quality', [
      ['flags', flagChips(r).length ? h('span', null, flagChips(r)) : 'none'],
      ['error', r.error],
      ['mean brightness', fmtNum(ps.mean_brightness, 2)],
      ['mean R / G / B', ps.mean_r !== undefined ? `${fmtNum(ps.mean_r, 1)} / ${fmtNum(ps.mean_g, 1)} / ${fmtNum(ps.mean_b, 1)}` : null],
      ['std R / G / B', ps.std_r !== undefined ? `${fmtNum(ps.std_r, 1)} / ${fmtNum(ps.std_g, 1)} / ${fmtNum(ps.std_b, 1)}` : null],
      ['min / max', ps.min_val !== undefined ? `${ps.min_val} / ${ps.max_val}` : null],
      ['blur score', fmtNum(r.blur_score, 2)],
      ['border delta', fmtNum(cs.delta, 2)],
      ['corner / center / border', cs.corner_mean !== undefined ? `${fmtNum(cs.corner_mean, 1)} / ${fmtNum(cs.center_mean, 1)} / ${fmtNum(cs.border_mean, 1)}` : null],
      ['phash', h('span', { class: 'mono' }, v(r.phash))],
      ['dhash', h('span', { class: 'mono' }, v(r.dhash))],
    ]),
    rows('EXIF', exifPresent || r.has_gps_data ? [
      ['camera', [r.camera_make, r.camera_model].filter(Boolean).join(' ') || null],
      ['lens', r.lens_model],
      ['focal length', r.focal_length_mm ? `${fmtNum(r.focal_length_mm, 1)} mm${r.focal_length_35mm ? ` (${r.focal_length_35mm} mm equiv.)` : ''}` : null],
      ['ISO', r.iso_speed], ['aperture', r.f_number ? `f/${fmtNum(r.f_number, 1)}` : null], ['exposure', exposure],
      ['taken', r.datetime_original], ['orientation', r.orientation_tag],
      ['GPS data', r.has_gps_data ? 'yes (location embedded)' : 'no'],
      ['distortion risk', r.distortion_risk],
    ] : [['EXIF', 'none in this file']]),
    rows('Analysis', [['analyzed at', r.analyzed_at], ['analyzer', r.analyzer_version], ['record id', r.id]]),
  ));
}

// Annotation boxes over the preview: an SVG in the original image's pixels (viewBox) laid over
// the scaled image, so boxes stay where they are at any preview size. Each box gets its class
// colour and name; a checkbox hides them (kept for the session).
const BOX_COLOURS = ['#ff00ff', '#00e5ff', '#ffd400', '#00e676', '#ff6d00', '#2979ff'];
let showBoxes = true;
const svgEl = (tag, attrs, ...kids) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, val] of Object.entries(attrs || {})) el.setAttribute(k, val);
  el.append(...kids);
  return el;
};

export function boxOverlay(b) {
  const W = b.width || 1;
  const H = b.height || 1;
  const names = [...new Set(b.boxes.map((x) => x.label))];
  const font = Math.max(8, Math.round(Math.min(W, H) * 0.06));
  return svgEl('svg', { class: 'boxes', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'data-boxes': String(b.boxes.length), 'aria-hidden': 'true' },
    ...b.boxes.map((x) => {
      const c = BOX_COLOURS[names.indexOf(x.label) % BOX_COLOURS.length];
      return svgEl('g', { 'data-box': x.label },
        svgEl('rect', { x: x.x, y: x.y, width: x.w, height: x.h, fill: 'none', stroke: c, 'stroke-width': 3, 'vector-effect': 'non-scaling-stroke' }),
        svgEl('text', { x: x.x + 2, y: Math.max(font, x.y - 3), fill: c, 'font-size': font, 'font-weight': 'bold', stroke: '#000', 'stroke-width': 0.6, 'paint-order': 'stroke' }, x.label));
    }));
}

// The preview with its boxes (when the dataset has some for this image) and the toggle.
function previewWithBoxes(img, boxes) {
  if (!boxes || !boxes.boxes || !boxes.boxes.length || !boxes.pixels) return h('div', { class: 'preview' }, img);
  const overlay = boxOverlay(boxes);
  const wrap = h('div', { class: 'boxed' }, img, showBoxes ? overlay : null);
  const toggle = h('input', { type: 'checkbox', checked: showBoxes, 'data-boxes-toggle': '',
    onchange: (e) => { showBoxes = e.target.checked; if (showBoxes) wrap.append(overlay); else overlay.remove(); } });
  const classes = [...new Set(boxes.boxes.map((x) => x.label))].join(', ');
  return [h('div', { class: 'preview' }, wrap),
    h('label', { class: 'small boxes-toggle' }, toggle, ` Show boxes (${fmtInt(boxes.boxes.length)}: ${classes})`)];
}

// Opens the panel for one record of a scan. opts.step(imageId, -1|+1), when given, shows the
// previous or next image of the list the panel was opened from.
export async function openImage(scanId, imageId, opts = {}) {
  const kept = close(true); // a step keeps where focus returns to at the end
  const returnFocus = kept || document.activeElement;
  const back = h('div', { class: 'drawer-backdrop', onclick: () => close() });
  const title = h('h2', { id: 'drawer-title' }, 'Image');
  const closeBtn = h('button', { class: 'btn small', type: 'button', onclick: () => close(), 'aria-label': 'Close details' }, 'Close ✕');
  const stepBtn = (d, label, text) => (opts.step ? h('button', { class: 'btn small', type: 'button', 'aria-label': label, title: `${label} (${d < 0 ? '←' : '→'})`, 'data-step': d < 0 ? 'prev' : 'next', onclick: () => opts.step(imageId, d) }, text) : null);
  const body = h('div', { class: 'body' }, loading());
  const root = h('aside', { class: 'drawer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'drawer-title', 'data-drawer': '', 'data-image-id': imageId },
    h('header', null, stepBtn(-1, 'Previous image', '‹'), title, stepBtn(1, 'Next image', '›'), closeBtn), body);
  document.body.append(back, root);
  current = { root, back, returnFocus, imageId: String(imageId), step: opts.step };
  imageParam(imageId);
  document.addEventListener('keydown', onKey, true);
  (opts.focus === 'next' || opts.focus === 'prev' ? root.querySelector(`[data-step="${opts.focus}"]`) : null)?.focus() || closeBtn.focus();
  try {
    const base = `/scans/${encodeURIComponent(scanId)}/images/${imageId}`;
    const boxesP = api(`${base}/annotations`).catch(() => null); // no boxes is not an error
    const r = await api(base);
    const boxes = r.is_corrupt ? null : await boxesP;
    if (!current || current.root !== root) return;
    title.textContent = r.filename || r.path;
    title.title = r.path;
    const actions = h('div', { class: 'row drawer-actions' },
      h('a', { class: 'btn small', href: scanUrl(scanId, `/images/${imageId}/original`), target: '_blank', rel: 'noopener', 'data-original': '' }, 'Open original ↗'),
      h('button', { class: 'btn small', type: 'button', 'data-copy-path': '', onclick: () => copyText(r.path, 'Path copied') }, 'Copy path'));
    clear(body,
      r.is_corrupt ? h('div', { class: 'preview' }, h('div', { class: 'ph' }, `no preview: ${r.error || 'unreadable'}`))
        : previewWithBoxes(thumb(scanId, imageId, Math.max(16, Math.min(768, Math.max(r.width || 0, r.height || 0) || 768)), r.filename), boxes),
      actions, recordTable(r));
  } catch (e) {
    clear(body, errorBox(e));
  }
}

// Opens the image the URL names (?image=ID) unless it is already open: a reload or a shared link.
export function openFromParams(scanId, params, opts) {
  const id = params.get('image');
  if (!id || !/^\d+$/.test(id) || (current && current.imageId === id)) return;
  openImage(scanId, id, opts);
}

// Closes the panel for a route change: the new route's own parameters stay as they are.
export function closeDrawer() { close(true); }
