// Gate page: a YAML policy editor (pre-filled with the daemon's example policy, validated as you
// type with errors shown at their line) run against a finished scan; the verdict per check with
// sample images of what failed.
import { api, ApiError } from './api.js';
import { h, clear, fmtInt, fmtNum, copyButton, loading, emptyState, errorBox, thumb, basename, markRendered, debounce, nextId, scanLabel, pageHead } from './ui.js';
import { openImage } from './drawer.js';
import { setParams } from './router.js';

const DRAFT_KEY = 'imgeda_policy_draft';
const LINE = 20; // px, the editor's line height (app.css)
const PAD = 8;
const DESCRIBE = {
  min_images_total: 'images in the scan (at least)',
  max_corrupt_pct: '% corrupt or unreadable',
  max_overexposed_pct: '% overexposed',
  max_underexposed_pct: '% dark',
  max_duplicate_pct: '% exact duplicates',
  max_blurry_pct: '% blurry',
  max_artifact_pct: '% with border artifacts',
  min_width: 'smallest width (px, at least)',
  min_height: 'smallest height (px, at least)',
  allowed_formats: 'images in other formats',
  max_aspect_ratio: 'largest width/height ratio',
};

let example = null;
export function leave() {}

// Parses "policy:L:C: key: reason" (the gate's 400) into an error like /policy/validate gives.
function parseMessage(msg) {
  const m = /policy:(\d+):(\d+):\s*(.*)$/.exec(msg || '');
  return m ? { line: Number(m[1]), column: Number(m[2]), message: msg } : { line: null, column: null, message: msg };
}

function editor(text, onChange) {
  const id = nextId('policy');
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const hl = h('div', { class: 'hl', hidden: true });
  const ta = h('textarea', { id, spellcheck: false, autocomplete: 'off', autocapitalize: 'off', wrap: 'off', 'aria-label': 'Policy (YAML)', 'data-editor': '' });
  ta.value = text;
  let errLines = new Set();
  const renderGutter = () => {
    const n = ta.value.split('\n').length;
    if (gutter.childElementCount !== n || errLines.size || gutter.querySelector('.err')) {
      clear(gutter, Array.from({ length: n }, (_, i) => h('div', { class: errLines.has(i + 1) ? 'err' : '' }, i + 1)));
    }
    gutter.scrollTop = ta.scrollTop;
  };
  const place = () => {
    const first = [...errLines][0];
    hl.hidden = !first;
    if (first) hl.style.top = `${PAD + (first - 1) * LINE - ta.scrollTop}px`;
    gutter.scrollTop = ta.scrollTop;
  };
  ta.addEventListener('input', () => { renderGutter(); onChange(ta.value); });
  ta.addEventListener('scroll', place);
  ta.addEventListener('keydown', (e) => { // Tab indents (two spaces); Escape then Tab leaves the editor
    if (e.key === 'Tab' && !e.shiftKey && !ta.dataset.escaped) {
      e.preventDefault();
      ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end');
      ta.dispatchEvent(new Event('input'));
    } else if (e.key === 'Escape') {
      ta.dataset.escaped = '1';
    } else {
      delete ta.dataset.escaped;
    }
  });
  const wrap = h('div', { class: 'editor' }, gutter, h('div', { class: 'ta-wrap' }, hl, ta));
  renderGutter();
  return {
    el: wrap, ta,
    setErrors(lines) { errLines = new Set(lines.filter(Boolean)); renderGutter(); place(); },
    goTo(line, col) {
      const lines = ta.value.split('\n');
      let pos = 0;
      for (let i = 0; i < Math.min(line - 1, lines.length); i++) pos += lines[i].length + 1;
      pos += Math.max(0, (col || 1) - 1);
      ta.focus();
      ta.setSelectionRange(pos, pos);
      ta.scrollTop = Math.max(0, (line - 5) * LINE);
      place();
    },
  };
}

export async function show(main, parts, params) {
  const box = h('div', { 'data-page': 'gate' });
  clear(main, box);
  box.append(pageHead('Quality gate', 'Check a scan against a policy, the same way CI does. Thresholds are percentages of all images unless named otherwise.'), loading());
  let scans;
  try {
    const r = await Promise.all([api('/scans?status=succeeded&limit=200'), example === null ? api('/policy/example').catch(() => '') : example]);
    scans = r[0].scans;
    example = typeof r[1] === 'string' ? r[1] : '';
  } catch (e) {
    box.lastChild.replaceWith(errorBox(e, 'Cannot load scans'));
    return;
  }
  let draft = null;
  try { draft = sessionStorage.getItem(DRAFT_KEY); } catch { /* none */ }
  const validation = h('div', { class: 'validation', 'aria-live': 'polite', 'data-validation': '' });
  const verdict = h('div', { 'data-verdict': '' });
  let ed = null;
  let vctrl = null;
  let lastPolicy = null;
  let updateCi = () => {};
  const showErrors = (errors) => {
    ed.setErrors(errors.map((e) => e.line));
    validation.className = 'validation';
    clear(validation, h('strong', { style: { color: 'var(--bad)' } }, errors.length === 1 ? 'Policy has an error' : `Policy has ${errors.length} errors`),
      h('ul', null, errors.map((e) => h('li', null, e.line ? h('button', { class: 'linklike', type: 'button', onclick: () => ed.goTo(e.line, e.column) }, `line ${e.line}, column ${e.column}`) : null, e.line ? ': ' : '', e.message.replace(/^policy:\d+:\d+:\s*/, '')))));
  };
  const validate = debounce(async (text) => {
    try { sessionStorage.setItem(DRAFT_KEY, text); } catch { /* ignore */ }
    if (vctrl) vctrl.abort();
    vctrl = new AbortController();
    try {
      const r = await api('/policy/validate', { body: text, signal: vctrl.signal });
      if (r.valid) {
        lastPolicy = r.policy || null;
        updateCi();
        ed.setErrors([]);
        validation.className = 'validation ok';
        validation.textContent = '✓ Policy is valid';
      } else {
        showErrors(r.errors || []);
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      validation.className = 'validation';
      validation.textContent = e.code === 'unreachable' ? e.message : '';
    }
  }, 300);
  ed = editor(draft ?? example, validate);
  const scanId = nextId('scan');
  const pick = scans.some((s) => s.id === params.get('scan')) ? params.get('scan') : scans[0]?.id;
  const sel = h('select', { id: scanId, name: 'scan', onchange: () => setParams({ scan: sel.value }) }, scans.map((s) => h('option', { value: s.id, selected: s.id === pick }, scanLabel(s))));
  const runBtn = h('button', { class: 'btn primary', type: 'submit', disabled: !scans.length }, 'Run gate');
  const form = h('form', { class: 'panel', onsubmit: (e) => { e.preventDefault(); run(); } },
    h('div', { class: 'field', style: { marginBottom: '.8rem' } }, h('label', { for: scanId }, 'Scan'), scans.length ? sel : h('div', { class: 'muted' }, 'No finished scans yet: start one on the Scans page.')),
    h('div', { class: 'row', style: { marginBottom: '.4rem' } }, h('label', { for: ed.ta.id }, 'Policy (YAML or JSON)'), h('span', { class: 'grow' }),
      h('button', { class: 'btn small', type: 'button', onclick: () => { ed.ta.value = example; ed.ta.dispatchEvent(new Event('input')); } }, 'Reset to example')),
    ed.el, validation,
    h('div', { class: 'row', style: { marginTop: '.6rem' } }, runBtn, h('span', { class: 'muted small' }, 'Tab indents; press Escape then Tab to leave the editor.')));
  const run = async () => {
    const id = sel.value;
    setParams({ scan: id });
    runBtn.disabled = true;
    clear(verdict, loading('Running the gate…'));
    try {
      const r = await api(`/scans/${encodeURIComponent(id)}/gate`, { body: ed.ta.value, accept: [412] });
      renderVerdict(verdict, r, scans.find((s) => s.id === id));
      verdict.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 400) {
        const pe = parseMessage(e.message);
        showErrors([pe]);
        clear(verdict, errorBox(e, 'The policy was rejected'));
      } else {
        clear(verdict, errorBox(e, 'The gate could not run'));
      }
    } finally {
      runBtn.disabled = false;
    }
  };
  // The CI one-liner for this policy (as the daemon read it) and the chosen scan's folder.
  // It wraps inside its box (app.css pre.cmd) and has copy buttons, so nobody selects it by hand.
  const cmd = h('pre', { class: 'cmd', 'data-ci': '' });
  let policyJson = '{}';
  updateCi = () => {
    const sc = scans.find((x) => x.id === sel.value);
    policyJson = JSON.stringify(lastPolicy || {});
    const body = JSON.stringify({ root: sc ? sc.root : '/path/to/images', policy: lastPolicy || {} });
    cmd.textContent = `curl -fsS -X POST http://${location.host}/api/v1/gate \\\n  -d '${body.replace(/'/g, "'\\''")}'`;
  };
  sel.addEventListener('change', updateCi);
  const ci = h('section', { class: 'panel' }, h('h2', null, 'In CI'),
    h('p', { class: 'small', style: { margin: 0 } }, 'One request scans the folder (resuming its last scan, so unchanged files are not read again), then gates it with this policy. 200 = passed; 412 = failed, which fails curl -f:'),
    cmd, h('div', { class: 'row', style: { marginTop: '.5rem' } },
      copyButton('Copy command', () => cmd.textContent, 'Command copied'),
      copyButton('Copy policy as JSON', () => policyJson, 'Policy copied')));
  updateCi();
  box.lastChild.replaceWith(h('div', { class: 'gate-layout' }, form, h('div', null, verdict, ci)));
  if (!scans.length) clear(verdict, h('div', { class: 'panel' }, emptyState('Nothing to gate yet', 'The gate runs against a finished scan.')));
  else clear(verdict, h('div', { class: 'panel' }, emptyState('No verdict yet', 'Edit the policy and press “Run gate”.')));
  validate(ed.ta.value);
  markRendered('gate');
}

function renderVerdict(box, r, scan) {
  const passed = r.checks.filter((c) => c.passed).length;
  const fmtVal = (name, v) => (v === null || v === undefined ? '—' : Array.isArray(v) ? (v.length ? v.join(', ') : 'any') : name.endsWith('_pct') ? `${fmtNum(v, 2)}%` : fmtNum(v, 2));
  clear(box,
    h('div', { class: `verdict ${r.passed ? 'pass' : 'fail'}`, role: 'status', 'data-passed': String(r.passed) },
      h('span', null, r.passed ? '✓ PASSED' : '✕ FAILED'),
      h('span', { class: 'meta' }, `${passed} of ${r.checks.length} checks passed · ${scan ? scan.name : r.scan_id} · ${fmtInt(r.total_images)} images`)),
    h('div', { class: 'table-wrap', style: { marginBottom: '1rem' } }, h('table', { class: 'data', 'data-checks': '' },
      h('thead', null, h('tr', null, h('th', null, 'Check'), h('th', { class: 'num' }, 'Limit'), h('th', { class: 'num' }, 'Observed'), h('th', null, 'Result'), h('th', null, 'Samples'))),
      h('tbody', null, r.checks.map((c) => h('tr', { 'data-check': c.name },
        h('td', null, h('div', { class: 'mono' }, c.name), h('div', { class: 'small muted' }, DESCRIBE[c.name] || '')),
        h('td', { class: 'num', 'data-limit': '' }, c.name === 'allowed_formats' ? (c.allowed || []).join(', ') || '—' : fmtVal(c.name, c.threshold)),
        h('td', { class: 'num' }, c.name === 'allowed_formats' ? fmtInt(c.observed) : fmtVal(c.name, c.observed)),
        h('td', null, h('span', { class: `badge ${c.passed ? 'pass' : 'fail'}` }, c.passed ? 'pass' : 'fail')),
        h('td', null, (c.sample_paths || []).length ? h('div', { class: 'samples' }, c.sample_paths.slice(0, 6).map((p, i) => {
          const id = c.sample_ids ? c.sample_ids[i] : null;
          const img = c.name === 'max_corrupt_pct' ? h('div', { class: 'ph' }, '✕') : thumb(r.scan_id, id, 96, basename(p)); // no thumbnail of an undecodable file
          return h('button', { type: 'button', title: p, 'aria-label': `Open ${basename(p)}`, onclick: () => id && openImage(r.scan_id, id) }, img);
        }), c.sample_paths.length > 6 ? h('span', { class: 'small muted' }, `+${c.sample_paths.length - 6}`) : null) : h('span', { class: 'muted small' }, '—'))))))));
  markRendered('gate:verdict');
}
