// The dashboard defects of issue 12, each as a user meets it, run by
// tests/integration/test_dashboard_defects.sh against a live imgedad. Environment: IMGEDA_URL,
// IMGEDA_WORK (the sample dataset is in $IMGEDA_WORK/data), IMGEDA_PID (the daemon, stopped by the
// last step), IMGEDAD, DAEMON_PORT, DAEMON_DATA and WEB_DIR (to start it again the same way).
//
// Each block names the defect it guards: tabs keep the keyboard focus; the issue headlines read as
// English; the gate shows its allowed_formats limit; the CI command wraps and can be copied; the
// tab strip on a phone shows that it scrolls; a file name that is not UTF-8 gets its thumbnail;
// the HTML report counts bytes as the dashboard does; the page recovers when the daemon is back.
import { copyFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass, checkNoOverflow,
  apiGet, apiPost, rendered, scanOf,
} from './lib.mjs';

const WORK = process.env.IMGEDA_WORK;
// DEFECTS=tabs,gate,... runs only those blocks (to see each fail alone on an older build).
const only = (name) => !process.env.DEFECTS || process.env.DEFECTS.split(',').includes(name);
const DATA = path.join(WORK, 'data');

// Which tab has the focus, and what the roving tabindex says.
const tabState = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return {
    focused: a && a.getAttribute('role') === 'tab' ? a.dataset.tab : `${a ? a.tagName : 'none'}`,
    selected: [...document.querySelectorAll('[role=tab][aria-selected=true]')].map((x) => x.dataset.tab),
    zero: [...document.querySelectorAll('[role=tab]')].filter((x) => x.tabIndex === 0).map((x) => x.dataset.tab),
  };
});

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900, permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  const v1 = await scanOf(page, DATA, 'sample');
  const sum = await apiGet(page, `/scans/${v1}/summary`);

  // ---- Defect: arrow keys on the tabs worked once, then the focus dropped to the body ----
  if (only('tabs')) {
    await page.goto(`${BASE_URL}/#/scan/${v1}/overview`);
    await rendered(page, 'tab:overview');
    await page.focus('[data-tab="overview"]');
    const order = ['plots', 'corrupt', 'dark', 'overexposed'];
    for (const want of order) {
      await page.keyboard.press('ArrowRight');
      await rendered(page, `tab:${want}`);
      const t = await tabState(page);
      assertEqual(t, { focused: want, selected: [want], zero: [want] }, `ArrowRight: focus, selection and tabindex 0 are on ${want}`);
    }
    await page.keyboard.press('ArrowLeft');
    await rendered(page, 'tab:dark');
    assertEqual((await tabState(page)).focused, 'dark', 'ArrowLeft moves the focus back to dark');
    await page.keyboard.press('End');
    await rendered(page, 'tab:annotations');
    assertEqual((await tabState(page)).focused, 'annotations', 'End moves to the last tab and keeps the focus');
    await page.keyboard.press('ArrowRight');
    await rendered(page, 'tab:overview');
    assertEqual((await tabState(page)).focused, 'overview', 'ArrowRight on the last tab wraps to the first');
    await page.keyboard.press('Home');
    assertEqual((await tabState(page)).zero, ['overview'], 'Home stays on the first tab; only it has tabindex 0');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    assertEqual((await tabState(page)).focused, 'overview', 'Tab into the strip lands on the open tab (roving tabindex)');
  }

  // ---- Defect: "379 artifacts images" ----
  if (only('wording')) {
    await page.goto(`${BASE_URL}/#/scan/${v1}/overview`);
    await rendered(page, 'tab:overview');
    for (const [tab, re] of [['artifacts', /^\d[\d,]* images? with border artifacts$/], ['dark', /^\d[\d,]* dark images?$/], ['corrupt', /^\d[\d,]* corrupt images?$/]]) {
      await page.click(`[data-tab="${tab}"]`);
      await rendered(page, `tab:${tab}`);
      const head = (await page.textContent('[data-tab-body] .toolbar h2')).split(' · ')[0].trim();
      assert(re.test(head), `the ${tab} tab's headline reads "${head}"`, `expected ${re}`);
    }
    assertEqual(sum.artifact_count, 1, 'the sample has one image with border artifacts');
    await page.click('[data-tab="artifacts"]');
    await rendered(page, 'tab:artifacts');
    assertContains(await page.textContent('[data-tab-body] .toolbar h2'), '1 image with border artifacts', 'one image is "1 image with border artifacts"');
    await screenshot(page, 'defects-01-artifacts-1440.png');
  }

  // ---- Defect: the gate's allowed_formats limit showed "0" ----
  const policy = 'min_images_total: 1\nallowed_formats: [jpeg, webp]\n';
  if (only('gate')) {
    await page.goto(`${BASE_URL}/#/gate?scan=${v1}`);
    await rendered(page, 'gate');
    await page.fill('[data-editor]', policy);
    await page.waitForSelector('[data-validation].ok');
    await page.click('button:has-text("Run gate")');
    await page.waitForSelector('tr[data-check="allowed_formats"]');
    const limit = (await page.textContent('tr[data-check="allowed_formats"] td:nth-child(2)')).trim();
    assertEqual(limit, 'jpeg, webp', 'the allowed_formats row shows the allowed formats as its limit, not "0"');
    const g = await apiPost(page, `/scans/${v1}/gate`, policy);
    const af = g.body.checks.find((c) => c.name === 'allowed_formats');
    assertEqual(af.allowed, ['jpeg', 'webp'], 'the gate API lists the allowed formats with that check');
    assertEqual(af.threshold, 0, 'and keeps imgeda\'s threshold 0 beside them');
  }

  // ---- Defect: policy validation reported one error when there were several ----
  if (only('policy')) {
    await page.goto(`${BASE_URL}/#/scans`);
    await rendered(page, 'scans');
    await page.goto(`${BASE_URL}/#/gate?scan=${v1}`);
    await rendered(page, 'gate');
    const bad = 'max_corupt_pct: 1\nmin_images_total: 5\nmin_width: wide\nmax_blurry_pct: -2\n';
    await page.fill('[data-editor]', bad);
    await page.waitForSelector('.editor .gutter div.err');
    const v = await apiPost(page, '/policy/validate', bad);
    assertEqual(v.body.errors.map((e) => [e.line, e.column, e.key]), [[1, 1, 'max_corupt_pct'], [3, 12, 'min_width'], [4, 17, 'max_blurry_pct']], 'the API lists all three problems with line, column and key');
    await page.waitForFunction(() => document.querySelectorAll('[data-validation] li').length > 1, null, { timeout: 5_000 }).catch(() => {});
    assertEqual(await page.$$eval('.editor .gutter div.err', (x) => x.map((d) => d.textContent.trim())), ['1', '3', '4'], 'the editor marks lines 1, 3 and 4');
    const items = await page.$$eval('[data-validation] li', (x) => x.map((li) => li.textContent));
    assertEqual(items.length, 3, 'the page lists three errors');
    assertContains(items[1], 'line 3, column 12', 'each at its line and column');
    assertContains(await page.textContent('[data-validation] strong'), '3 errors', 'and says how many');
    await screenshot(page, 'defects-08-policy-errors-1440.png');
  }

  // ---- Defect: the CI curl line overflowed its box; no way to copy it but by selecting ----
  if (only('ci')) {
    await page.goto(`${BASE_URL}/#/scans`); // a fresh gate page even right after the block above
    await rendered(page, 'scans');
    await page.goto(`${BASE_URL}/#/gate?scan=${v1}`);
    await rendered(page, 'gate');
    await page.fill('[data-editor]', policy);
    await page.waitForSelector('[data-validation].ok');
    await page.waitForFunction(() => document.querySelector('[data-ci]').textContent.includes('allowed_formats'));
    for (const [w, hgt] of [[1440, 900], [390, 844]]) {
      await page.setViewportSize({ width: w, height: hgt });
      const box = await page.$eval('[data-ci]', (e) => ({ sw: e.scrollWidth, cw: e.clientWidth }));
      assert(box.sw <= box.cw + 1, `at ${w} px the CI command fits its box (wraps)`, `${box.sw} px of text in ${box.cw} px`);
      await page.$eval('[data-ci]', (e) => e.scrollIntoView({ block: 'center' }));
      await screenshot(page, `defects-02-gate-ci-${w}.png`);
      await checkNoOverflow(page, `gate at ${w} px`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.click('[data-copy="Copy command"]');
    await page.waitForSelector('.toast:has-text("copied")');
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assertEqual(clip, await page.textContent('[data-ci]'), '"Copy command" puts the CI command on the clipboard');
    assertContains(clip, 'curl -fsS -X POST', 'which is the curl line');
    await page.click('[data-copy="Copy policy as JSON"]');
    await page.waitForFunction(async () => (await navigator.clipboard.readText()).startsWith('{'));
    const pj = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    assertEqual(pj.allowed_formats, ['jpeg', 'webp'], '"Copy policy as JSON" copies the policy as the daemon read it');
  }

  // ---- Defect: the phone's tab strip was clipped with no hint that it scrolls ----
  if (only('phone')) {
    const phone = await newPage(browser, { width: 390, height: 844, isMobile: true, hasTouch: true });
    await phone.goto(`${BASE_URL}/#/scan/${v1}/overview`);
    await rendered(phone, 'tab:overview');
    const strip = async () => phone.$eval('[role=tablist]', (n) => {
      const b = n.getBoundingClientRect();
      const cur = n.querySelector('[aria-selected=true]').getBoundingClientRect();
      return { more: n.dataset.more || '', mask: getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage, wider: n.scrollWidth > n.clientWidth, curIn: cur.left >= b.left - 1 && cur.right <= b.right + 1 };
    });
    let s = await strip();
    assert(s.wider, 'at 390 px the tabs are wider than the screen');
    assertEqual(s.more, 'right', 'the strip says more tabs are to the right');
    assert(s.mask && s.mask !== 'none', 'and fades out at its right edge (a scroll hint)', s.mask);
    await screenshot(phone, 'defects-03-tabs-390.png');
    await phone.goto(`${BASE_URL}/#/scan/${v1}/images`);
    await rendered(phone, 'tab:images');
    s = await strip();
    assert(s.curIn, 'a tab opened far right is scrolled into sight');
    assertContains(s.more, 'left', 'then the strip hints at the tabs to the left');
    await screenshot(phone, 'defects-04-tabs-390-scrolled.png');
  }

  // ---- Defect: a non-UTF-8 file name's thumbnail was refused (403 outside allowed_roots) ----
  if (only('latin1')) {
    const LATIN = path.join(WORK, 'latin');
    mkdirSync(LATIN, { recursive: true });
    copyFileSync(path.join(DATA, 'street.jpg'), Buffer.concat([Buffer.from(`${LATIN}/caf`), Buffer.from([0xe9]), Buffer.from('.jpg')]));
    copyFileSync(path.join(DATA, 'snow.png'), path.join(LATIN, 'plain.png'));
    const lat = await scanOf(page, LATIN, 'latin-1 names');
    await page.goto(`${BASE_URL}/#/scan/${lat}/images`);
    await rendered(page, 'tab:images');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-table="images"] img')].every((i) => i.complete), null, { timeout: 20_000 });
    const thumbs = await page.$$eval('[data-table="images"] tbody tr', (rs) => rs.map((r) => ({ name: r.querySelector('td.path').firstChild.textContent, ok: !!r.querySelector('img') && r.querySelector('img').naturalWidth > 0, src: r.querySelector('img') ? r.querySelector('img').getAttribute('src') : '' })));
    const cafe = thumbs.find((t) => t.name.startsWith('caf'));
    assert(cafe && cafe.ok, `the dashboard shows the thumbnail of ${cafe ? cafe.name : 'caf\\xe9.jpg'}`, JSON.stringify(thumbs));
    const st = await page.evaluate(async (u) => (await fetch(u)).status, cafe.src);
    assertEqual(st, 200, 'its thumbnail URL as the dashboard asks for it answers 200');
    await screenshot(page, 'defects-05-latin1-thumbnail.png');
  }

  // ---- Defect: the HTML report counted bytes in 1024s labelled MB/KB, the dashboard in 1000s ----
  if (only('units')) {
    await page.goto(`${BASE_URL}/#/scan/${v1}/overview`);
    await rendered(page, 'tab:overview');
    const shown = (await page.textContent('[data-card="total size"] .value')).trim();
    const html = await page.evaluate(async (u) => (await fetch(u)).text(), `/api/v1/scans/${v1}/report.html`);
    const norm = (x) => { const m = /^([\d.]+) (B|KB|MB|GB)$/.exec(x.trim()); return m ? `${Number(m[1])} ${m[2]}` : x; };
    const dec = norm(shown);
    assert(/ KB$/.test(dec), `the dashboard shows the sample's ${sum.total_size_bytes} bytes as ${shown}`);
    assertEqual(dec, `${Number((sum.total_size_bytes / 1000).toFixed(sum.total_size_bytes >= 1e5 ? 0 : 1))} KB`, 'in decimal units (1 KB = 1000 bytes)');
    assertContains(html, dec, 'the HTML report shows the same total size');
  }

  // ---- Defect: importing a manifest over 8 MiB failed without saying why ----
  if (only('import')) {
    const big = path.join(WORK, 'big.jsonl');
    const line = `${JSON.stringify({ path: '/x/a.jpg', filename: 'a.jpg', note: 'x'.repeat(900) })}\n`;
    writeFileSync(big, line.repeat(Math.ceil((9 << 20) / line.length)));
    const before = (await apiGet(page, '/scans?limit=200')).scans.length;
    await page.goto(`${BASE_URL}/#/scans`);
    await rendered(page, 'scans');
    await page.setInputFiles('input[type=file]', big);
    await page.waitForSelector('.toast.bad');
    const msg = await page.textContent('.toast.bad');
    assertContains(msg, 'limits.max_body_bytes', 'a manifest over the body limit is refused naming the setting to raise');
    assertContains(msg, '9.44 MB', 'with the file\'s size');
    assertEqual((await apiGet(page, '/scans?limit=200')).scans.length, before, 'and no scan was added');
    await screenshot(page, 'defects-09-import-too-large.png');
  }

  // ---- Defect: after the daemon came back the page still said it was unreachable ----
  if (only('reconnect')) {
    await page.goto(`${BASE_URL}/#/scans`);
    await rendered(page, 'scans');
    process.kill(Number(process.env.IMGEDA_PID), 'SIGTERM');
    for (let i = 0; i < 200; i++) { // the data directory's lock goes with the process
      try { process.kill(Number(process.env.IMGEDA_PID), 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.waitForSelector('#banner:not([hidden])', { timeout: 15_000 });
    assertContains(await page.textContent('#banner'), 'Cannot reach imgedad', 'a stopped daemon shows the unreachable banner');
    await page.evaluate((id) => { location.hash = `#/scan/${id}/overview`; }, v1); // a view that fails meanwhile
    await page.waitForSelector('main [data-error="unreachable"]');
    pass('a view opened while the daemon is away shows why it is empty');
    await screenshot(page, 'defects-06-daemon-away.png');
    const log = openSync(path.join(WORK, 'daemon2.log'), 'a');
    const args = ['--listen', `127.0.0.1:${process.env.DAEMON_PORT}`, '--data-dir', process.env.DAEMON_DATA, '--set', `scan.allowed_roots=${WORK}`, '--set', 'scan.workers=2'];
    if (process.env.WEB_DIR) args.push('--web-dir', process.env.WEB_DIR);
    const again = spawn(process.env.IMGEDAD, args, { stdio: ['ignore', log, log] });
    const t0 = Date.now();
    try {
      await page.waitForFunction(() => document.getElementById('banner').hidden, null, { timeout: 20_000 });
      await rendered(page, 'tab:overview', 20_000);
      pass(`when the daemon is back the banner goes and the view loads, without a reload (${Date.now() - t0} ms)`);
      assertEqual(await page.$$eval('main [data-error]', (x) => x.length), 0, 'no "unreachable" error is left on the page');
      assertEqual((await page.textContent('[data-card="images"] .value')).trim(), String(sum.total_images), 'the overview shows the scan again');
      assertContains(await page.textContent('#conn'), 'imgedad', 'the indicator is back to the daemon\'s version');
      await screenshot(page, 'defects-07-daemon-back.png');
    } finally {
      again.kill('SIGTERM');
      await new Promise((r) => { if (again.exitCode !== null) r(); else again.on('exit', r); });
    }
    assertEqual(again.exitCode, 0, 'the restarted daemon stops cleanly');
  }
});
