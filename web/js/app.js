// The dashboard's shell: hash routes → page modules, the daemon connection indicator and the
// token prompt. Routes: #/scans, #/scan/<id>/<tab>?…, #/compare?old=&new=, #/gate?scan=, #/leakage?splits=.
import { healthz, onConnection, setToken } from './api.js';
import { h, clear } from './ui.js';
import { closeDrawer } from './drawer.js';
import { parseHash } from './router.js';
import * as scans from './scans.js';
import * as scan from './scan.js';
import * as compare from './compare.js';
import * as gate from './gate.js';
import * as leakage from './leakage.js';

const main = document.getElementById('main');
let active = null; // the page module shown now (has leave())

function route() {
  closeDrawer();
  const { parts, params } = parseHash();
  const name = parts[0] || 'scans';
  const mod = { scans, scan, compare, gate, leakage }[name];
  for (const a of document.querySelectorAll('[data-nav]')) {
    const on = a.dataset.nav === name || (name === 'scan' && a.dataset.nav === 'scans');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (active && active !== mod && active.leave) active.leave();
  if (!mod) {
    active = null;
    clear(main, h('div', { class: 'empty' }, h('strong', null, 'No such page'), h('a', { href: '#/scans' }, 'Go to the scans')));
    return;
  }
  const same = active === mod;
  active = mod;
  mod.show(main, parts.slice(1), params, same);
}

// Connection indicator: polls /healthz every 5 s while the daemon answers; a request that fails
// flips it at once, and then it retries after 1, 2, 4, 8, then every 10 s (a "Retry now" button
// skips the wait). When the daemon answers again the banner goes and a view that was showing an
// "unreachable" error is drawn again, so nothing needs a reload.
const conn = document.getElementById('conn');
const banner = document.getElementById('banner');
const UP_EVERY = 5000;
const BACKOFF = [1000, 2000, 4000, 8000, 10000];
let version = '';
let state = 'connecting';
let failures = 0;
let pollTimer = null;
function schedule(ms) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, ms);
}
function showDown(ms) {
  const retry = h('button', { class: 'btn small', type: 'button', onclick: () => poll() }, 'Retry now');
  clear(banner, h('span', null, `Cannot reach imgedad at ${location.host}. Is the daemon running? Retrying in ${Math.round(ms / 1000)} s…`), ' ', retry);
}
function setConn(next) {
  const was = state;
  state = next;
  conn.classList.toggle('up', next === 'up');
  conn.classList.toggle('down', next === 'down');
  conn.querySelector('.conn-text').textContent = next === 'up' ? `imgedad ${version}`.trim() : next === 'down' ? 'daemon unreachable' : 'connecting…';
  if (next === 'down') {
    banner.hidden = false;
    banner.dataset.kind = banner.dataset.kind === 'auth' ? 'auth' : 'down';
    if (was !== 'down') { failures = 0; schedule(BACKOFF[0]); }
    if (banner.dataset.kind === 'down') showDown(BACKOFF[Math.min(failures, BACKOFF.length - 1)]);
  } else if (next === 'up') {
    failures = 0;
    if (banner.dataset.kind === 'down') { delete banner.dataset.kind; banner.hidden = true; clear(banner); }
    if (was === 'down') {
      schedule(UP_EVERY);
      if (main.querySelector('[data-error="unreachable"]')) route(); // the view failed meanwhile: load it again
    }
  }
}
async function poll() {
  try {
    const r = await healthz();
    version = r.version || '';
    setConn('up');
    schedule(UP_EVERY);
  } catch {
    if (state === 'down') failures += 1;
    setConn('down');
    schedule(BACKOFF[Math.min(failures, BACKOFF.length - 1)]);
  }
}
onConnection((s) => {
  if (s === 'auth') askToken();
  else setConn(s);
});

let tokenTried = false;
function askToken() {
  if (banner.dataset.kind === 'auth') return;
  banner.dataset.kind = 'auth';
  const refused = tokenTried;
  banner.hidden = false;
  const input = h('input', { type: 'password', 'aria-label': 'API token', placeholder: 'auth.token of imgedad', autocomplete: 'off' });
  const form = h('form', { class: 'row', onsubmit: (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    tokenTried = true;
    delete banner.dataset.kind;
    banner.hidden = true;
    route();
  } }, h('span', null, refused ? 'That token was refused; try again.' : 'This imgedad needs a token (auth.token in its config).'), input, h('button', { class: 'btn small', type: 'submit' }, 'Use token'));
  clear(banner, form);
  input.focus();
}

window.addEventListener('hashchange', route);
poll();
route();
