// Helpers for the end-to-end browser tests (tests/e2e/*.mjs, run by tests/integration/
// test_dashboard.sh): Debian's headless Chromium through playwright-core, screenshots, asserts
// that print like the bash tests ("ok N - ...", "N passed, 0 failed"), page error tracking and
// timings. Node >= 18, no other dependency.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = process.env.ARTIFACTS || path.resolve(HERE, '../artifacts/dashboard');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const BASE_URL = (process.env.IMGEDA_URL || '').replace(/\/+$/, '');

let passed = 0;
const watchers = [];
const browsers = [];

// launch(): a headless Chromium. playwright-core gives every launch() a fresh, empty temporary
// profile (mkdtemp playwright_chromiumdev_profile-*, removed on close) and refuses a
// --user-data-dir argument, so none is passed. It adds --headless itself, which is the new
// headless mode in every Chromium >= 132. No network access beyond what the page asks for.
export async function launch({ args = [], ...options } = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    ...options,
    args: [
      '--no-sandbox', // root in CI; the daemon under test is local and trusted
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  }).catch((e) => {
    throw new Error(`cannot launch ${CHROMIUM} (install it with: sudo scripts/deps.sh test): ${e.message}`);
  });
  browsers.push(browser); // run() closes it if the test does not
  return browser;
}

// newPage(browser, {width, height}): a page in its own context, watched for errors (see watch).
export async function newPage(browser, { width = 1280, height = 800, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(30_000);
  watch(page);
  return page;
}

// watch(page): records uncaught page errors, console errors and failed requests (network
// failures and HTTP statuses >= 400). Uncaught page errors fail the test (checked by run() at the
// end, or at once with assertNoPageErrors); console errors and failed requests are printed as
// diagnostics and can be asserted on by the test. Idempotent.
export function watch(page) {
  let w = watchers.find((x) => x.page === page);
  if (w) return w;
  w = { page, pageErrors: [], consoleErrors: [], failedRequests: [] };
  page.on('pageerror', (e) => w.pageErrors.push(e.stack || String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location();
      w.consoleErrors.push(`${m.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  const httpFailed = new WeakSet(); // a 404 script is also aborted: report it once
  page.on('response', (r) => {
    if (r.status() < 400) return;
    httpFailed.add(r.request());
    w.failedRequests.push(`${r.request().method()} ${r.url()}: HTTP ${r.status()}`);
  });
  page.on('requestfailed', (r) => {
    if (httpFailed.has(r)) return;
    w.failedRequests.push(`${r.method()} ${r.url()}: ${(r.failure() && r.failure().errorText) || 'failed'}`);
  });
  watchers.push(w);
  return w;
}

export function assertNoPageErrors(page, what = 'the page') {
  const w = watch(page);
  if (w.pageErrors.length) {
    throw new Error(`${what} threw ${w.pageErrors.length} uncaught error(s):\n  ${w.pageErrors.join('\n  ')}`);
  }
  pass(`no uncaught errors in ${what}`);
}

// screenshot(page, name): writes $ARTIFACTS/name (PNG) and returns its path.
export async function screenshot(page, name, options = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, ...options });
  console.log(`screenshot: ${file}`);
  return file;
}

// timed(label, fn): runs fn, prints "timing: <label> <ms> ms", returns its result.
export async function timed(label, fn) {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    console.log(`timing: ${label} ${Math.round(performance.now() - t0)} ms`);
  }
}

// Asserts: each success prints "ok N - what"; a failure throws with what was expected.
export function pass(what) {
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}
const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
export function assert(cond, what, detail = '') {
  if (!cond) throw new Error(`${what}${detail ? `: ${detail}` : ''}`);
  pass(what);
}
export function assertEqual(actual, expected, what) {
  const a = show(actual);
  const e = show(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
  pass(what);
}
export function assertContains(haystack, needle, what) {
  if (!String(haystack).includes(needle)) {
    throw new Error(`${what}: ${show(String(haystack).slice(0, 500))} lacks ${show(needle)}`);
  }
  pass(what);
}

function report() {
  for (const w of watchers) {
    let url = '?';
    try { url = w.page.url(); } catch { /* closed */ }
    // At most 10 of each (a grid of missing files fails 48 thumbnails alike), then a count.
    for (const [what, list] of [['console error', w.consoleErrors], ['failed request', w.failedRequests]]) {
      for (const e of list.slice(0, 10)) console.log(`# ${what} on ${url}: ${e}`);
      if (list.length > 10) console.log(`# ...and ${list.length - 10} more ${what}s`);
    }
  }
}

// run(async () => {...}): the test's body. Prints "N passed, 0 failed", or "FAIL: ..." and
// "N passed, 1 failed" with exit code 1 on the first failed assert, thrown error or uncaught page
// error. A watchdog ends a hung test after $E2E_TIMEOUT_MS (default 180 s).
export async function run(body) {
  const limit = Number(process.env.E2E_TIMEOUT_MS || 180_000);
  const dog = setTimeout(() => {
    report();
    console.error(`FAIL: the test did not finish within ${limit} ms`);
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  }, limit);
  dog.unref();
  try {
    if (!BASE_URL) throw new Error('IMGEDA_URL is not set (run through tests/integration/test_dashboard.sh)');
    await body();
    const bad = watchers.filter((w) => w.pageErrors.length);
    if (bad.length) {
      throw new Error(`uncaught page errors:\n  ${bad.flatMap((w) => w.pageErrors).join('\n  ')}`);
    }
    report();
    console.log(`${passed} passed, 0 failed`);
  } catch (e) {
    report();
    console.error(`FAIL: ${e && e.stack ? e.stack : e}`);
    console.log(`${passed} passed, 1 failed`);
    process.exitCode = 1;
  } finally {
    clearTimeout(dog);
    for (const b of browsers) await b.close().catch(() => {});
  }
}

// checkContrast(page, what): every visible text element's colour against its effective background
// meets WCAG 2.1 AA (4.5:1, or 3:1 for large text: >= 24px, or >= 18.66px bold). Disabled
// controls and placeholders are exempt, as WCAG exempts inactive components. Returns the count.
export async function checkContrast(page, what) {
  const bad = await page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
      return bg;
    };
    const out = [];
    let n = 0;
    for (const el of document.querySelectorAll('body *')) {
      if (![...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) continue;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (!r.width || !r.height || cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
      if (el.closest('[disabled], .drawer-backdrop, svg, noscript') || el.closest('[hidden]')) continue;
      let fg = parse(cs.color);
      const bg = background(el);
      let op = 1;
      for (let e = el; e; e = e.parentElement) op *= Number(getComputedStyle(e).opacity);
      fg = over({ ...fg, a: fg.a * op }, bg);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      n++;
      if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1`);
    }
    return { n, out };
  });
  assert(!bad.out.length, `${what}: all ${bad.n} text elements meet WCAG AA contrast`, bad.out.slice(0, 8).join('; '));
  return bad.n;
}

// checkNoOverflow(page, what): the page is no wider than the viewport, and no text is cut off
// inside an element that hides its overflow without an ellipsis or a scroll bar of its own.
export async function checkNoOverflow(page, what) {
  const r = await page.evaluate(() => {
    const cut = [];
    for (const el of document.querySelectorAll('main *, header *')) {
      const cs = getComputedStyle(el);
      if (cs.overflowX !== 'hidden' || cs.textOverflow === 'ellipsis') continue;
      if (![...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) continue;
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && !el.closest('.tabs')) cut.push(`${el.tagName.toLowerCase()}.${el.className}`);
    }
    return { sw: document.documentElement.scrollWidth, w: window.innerWidth, cut };
  });
  assert(r.sw <= r.w + 1, `${what}: the page fits the ${r.w}px viewport`, `it is ${r.sw}px wide`);
  assert(!r.cut.length, `${what}: no text is clipped`, r.cut.slice(0, 8).join(', '));
}

// Small API helpers for the e2e tests (run in the page, so they go through its origin).
export const apiGet = (page, p) => page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1${p}`);
export const apiPost = (page, p, body) => page.evaluate(async ([u, b]) => {
  const r = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof b === 'string' ? b : JSON.stringify(b) });
  return { status: r.status, body: await r.json() };
}, [`/api/v1${p}`, body]);
export const rendered = (page, name, timeout = 15_000) => page.waitForSelector(`main[data-rendered="${name}"]`, { timeout });

// scanOf(page, root, name): starts a scan of root and waits (30 s at most) until it succeeds.
export async function scanOf(page, root, name) {
  const c = await apiPost(page, '/scans', { root, name });
  assertEqual(c.status, 202, `a scan of ${path.basename(root)} is accepted`);
  for (let i = 0; i < 300; i++) {
    const s = await apiGet(page, `/scans/${c.body.id}`);
    if (s.status === 'succeeded') return c.body.id;
    await page.waitForTimeout(100);
  }
  throw new Error(`scan ${c.body.id} did not finish`);
}
