// The dashboard's shell: hash routes → page modules, the daemon connection indicator and the
// token prompt. Routes: #/scans, #/scan/<id>/<tab>?…, #/compare?old=&new=, #/gate?scan=.
import { healthz, onConnection, setToken } from './api.js';
import { h, clear } from './ui.js';
import { closeDrawer } from './drawer.js';
import { parseHash } from './router.js';
import * as scans from './scans.js';
import * as scan from './scan.js';
import * as compare from './compare.js';
import * as gate from './gate.js';

const main = document.getElementById('main');
let active = null; // the page module shown now (has leave())

function route() {
  closeDrawer();
  const { parts, params } = parseHash();
  const name = parts[0] || 'scans';
  const mod = { scans, scan, compare, gate }[name];
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

// Connection indicator: polls /healthz; a request that fails flips it at once.
const conn = document.getElementById('conn');
const banner = document.getElementById('banner');
let version = '';
function setConn(state) {
  conn.classList.toggle('up', state === 'up');
  conn.classList.toggle('down', state === 'down');
  conn.querySelector('.conn-text').textContent = state === 'up' ? `imgedad ${version}`.trim() : state === 'down' ? 'daemon unreachable' : 'connecting…';
  if (state === 'down') {
    banner.hidden = false;
    banner.textContent = `Cannot reach imgedad at ${location.host}. Is the daemon running? Retrying every 5 s…`;
  } else if (state === 'up' && banner.dataset.kind !== 'auth') {
    banner.hidden = true;
  }
}
async function poll() {
  try {
    const r = await healthz();
    version = r.version || '';
    setConn('up');
  } catch {
    setConn('down');
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
setInterval(poll, 5000);
route();
