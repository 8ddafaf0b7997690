// The issue tabs as a user uses them (run by tests/integration/test_dashboard_issues.sh against a
// live imgedad with a finished scan of a folder of greys, noise, letterboxes and corrupt files):
// the what-if threshold slider says at once how many images a threshold would flag (the count the
// histograms API and the records give, with no request while it moves), the grid follows on
// release, worst first; the default order is worst first and says so; the corrupt tab is a table
// grouped by error with each group's files; the leakage page, opened from a split's scan, shows
// the leaked groups with thumbnails and each image's split, and says when there is none.
// Screenshots at 1440 and 390 px.
// Environment: IMGEDA_URL, IMGEDA_SCAN (the scan), IMGEDA_DATA (its root), IMGEDA_SPLIT_train,
// IMGEDA_SPLIT_val, IMGEDA_SPLIT_test (the scans of the split folders).
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass, checkNoOverflow, apiGet, rendered } from './lib.mjs';

const SCAN = process.env.IMGEDA_SCAN;
const nf = new Intl.NumberFormat('en-US');
const gridReady = (page, t) => page.waitForSelector(`[data-grid][data-threshold="${t}"]:not([aria-busy])`);
// Moves the slider as a drag does: input events while it moves, one change on release.
const slide = (page, t, release) => page.$eval('[data-threshold-slider]', (el, [v, rel]) => {
  el.value = String(v);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  if (rel) el.dispatchEvent(new Event('change', { bubbles: true }));
}, [t, release]);
const tileIds = (page) => page.$$eval('[data-grid] .tile', (els) => els.map((e) => Number(e.dataset.imageId)));

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900 });
  const sum = await (await fetch(`${BASE_URL}/api/v1/scans/${SCAN}/summary`)).json();
  const recs = (await (await fetch(`${BASE_URL}/api/v1/scans/${SCAN}/images?limit=1000`)).json()).images;
  const hist = (await (await fetch(`${BASE_URL}/api/v1/scans/${SCAN}/histograms`)).json()).histograms;
  const bright = (r) => r.pixel_stats?.mean_brightness;
  const metric = { dark: bright, overexposed: bright, blurry: (r) => r.blur_score };
  const below = { dark: true, overexposed: false, blurry: true };
  const flagged = (tab, t) => recs.filter((r) => metric[tab](r) !== undefined && metric[tab](r) !== null && (below[tab] ? metric[tab](r) < t : metric[tab](r) > t));
  let histRequests = 0;
  let imageRequests = 0;
  page.on('request', (r) => {
    if (r.url().includes('/histograms')) histRequests++;
    if (r.url().includes('/images?')) imageRequests++;
  });

  // ---- dark: the slider starts at the scan's threshold with the summary's count ----
  await page.goto(`${BASE_URL}/#/scan/${SCAN}/dark`);
  await rendered(page, 'tab:dark');
  await page.waitForSelector('[data-would-flag]');
  assertEqual(await page.inputValue('[data-threshold-slider]'), '40', 'the dark slider starts at the scan\'s threshold');
  assertEqual(Number(await page.getAttribute('[data-would-flag]', 'data-count')), sum.dark_count, 'and says the summary\'s dark count');
  assertContains(await page.textContent('[data-whatif]'), 'What-if view', 'the panel says it is a what-if view');
  assertContains(await page.textContent('[data-order-note]'), 'Worst first: darkest first', 'the tab says its order: darkest first');
  const shown = await page.$$eval('[data-grid] .tile', (els) => els.map((e) => Number(e.querySelector('.val b').textContent)));
  assertEqual(shown, [...shown].sort((a, b) => a - b), 'the dark images are listed darkest first');
  assertEqual(shown.length, sum.dark_count, 'every dark image is shown');
  await screenshot(page, '60-issues-dark.png', { fullPage: true });

  // ---- moving: the count changes at once, from the histogram, with no request ----
  const before = { h: histRequests, i: imageRequests };
  for (const t of [10, 41, 100, 130]) {
    await slide(page, t, false);
    const want = flagged('dark', t).length;
    assertEqual(Number(await page.getAttribute('[data-would-flag]', 'data-count')), want, `at ${t} the slider says ${want} would be flagged (the records' count)`);
    assertContains(await page.textContent('[data-would-flag]'), `${nf.format(want)} ${want === 1 ? 'image' : 'images'} would be flagged`, `and says it in words at ${t}`);
    assertEqual(await page.textContent('[data-threshold-value]'), String(t), `the value ${t} is shown`);
  }
  assertEqual([histRequests, imageRequests], [before.h, before.i], 'moving the slider asks the daemon nothing');

  // ---- release: the grid lists what 100 would flag, darkest first ----
  await slide(page, 100, true);
  await gridReady(page, 100);
  const want100 = flagged('dark', 100).sort((a, b) => bright(a) - bright(b) || a.id - b.id);
  assertEqual((await tileIds(page)).length, want100.length, `on release the grid shows the ${want100.length} images 100 would flag`);
  const vals100 = await page.$$eval('[data-grid] .tile .val b', (els) => els.map((e) => Number(e.textContent)));
  assertEqual(vals100, want100.map((r) => Math.round(bright(r) * 10) / 10), 'darkest first');
  assertContains(page.url(), 't=100', 'the tried threshold is in the URL');
  await screenshot(page, '61-issues-dark-whatif.png', { fullPage: true });
  await page.reload();
  await gridReady(page, 100);
  assertEqual(await page.inputValue('[data-threshold-slider]'), '100', 'a reload keeps the tried threshold');
  await page.click('[data-threshold-reset]');
  await page.waitForSelector('[data-grid][data-threshold=""]:not([aria-busy])');
  assertEqual((await tileIds(page)).length, sum.dark_count, '"Back to the scan\'s 40" lists the scan\'s dark images again');

  // ---- overexposed and blurry: the same, with "above" and blur scores ----
  for (const [tab, t, first] of [['overexposed', 200, 'brightest first'], ['blurry', 300, 'blurriest']]) {
    await page.goto(`${BASE_URL}/#/scan/${SCAN}/${tab}`);
    await rendered(page, `tab:${tab}`);
    await page.waitForSelector('[data-would-flag]');
    assertContains(await page.textContent('[data-order-note]'), first, `the ${tab} tab says ${first}`);
    const key = tab === 'blurry' ? 'blurry_count' : 'overexposed_count';
    assertEqual(Number(await page.getAttribute('[data-would-flag]', 'data-count')), sum[key], `${tab}: the slider starts at the summary's count`);
    await slide(page, t, true);
    const want = flagged(tab, t);
    assertEqual(Number(await page.getAttribute('[data-would-flag]', 'data-count')), want.length, `${tab} at ${t}: ${want.length} would be flagged`);
    await gridReady(page, t);
    const ids = await tileIds(page);
    assertEqual(ids.length, want.length, `${tab} at ${t}: the grid shows them`);
    const vals = ids.map((id) => metric[tab](recs.find((r) => r.id === id)));
    const sorted = [...vals].sort((a, b) => (below[tab] ? a - b : b - a));
    assertEqual(vals, sorted, `${tab} at ${t}: worst first`);
    assertEqual(new Set(ids), new Set(want.map((r) => r.id)), `${tab} at ${t}: exactly the images past ${t}`);
  }
  assertEqual(hist.blurry.threshold, 100, 'the histograms carry the scan\'s blur threshold');
  await screenshot(page, '62-issues-blurry-whatif.png', { fullPage: true });

  // ---- corrupt: a table grouped by error ----
  await page.goto(`${BASE_URL}/#/scan/${SCAN}/corrupt`);
  await rendered(page, 'tab:corrupt');
  const corrupt = recs.filter((r) => r.is_corrupt);
  assertEqual(corrupt.length, 5, 'the fixture has 5 corrupt files');
  const byErr = new Map();
  for (const r of corrupt) byErr.set(r.error || 'unreadable', (byErr.get(r.error || 'unreadable') || 0) + 1);
  const rows = await page.$$eval('[data-table="corrupt"] tbody tr', (trs) => trs.map((tr) => [tr.querySelector('[data-error]').textContent, Number(tr.querySelector('[data-error-count]').textContent)]));
  assertEqual(rows.length, byErr.size, `one row per error (${byErr.size})`);
  assert(rows.length >= 2, 'the two kinds of broken files give different errors', JSON.stringify(rows));
  for (const [e, n] of rows) assertEqual(byErr.get(e), n, `"${e.slice(0, 40)}": ${n} files`);
  assertEqual(rows.map(([, n]) => n), [...rows.map(([, n]) => n)].sort((a, b) => b - a), 'the largest group first');
  assertEqual(await page.$$eval('[data-table="corrupt"] .tile', (x) => x.length), 0, 'no tiles');
  await page.click('[data-table="corrupt"] tbody tr:first-child summary');
  const paths = await page.$$eval('[data-table="corrupt"] tbody tr:first-child [data-image-id]', (els) => els.map((e) => e.textContent));
  assertEqual(paths.length, rows[0][1], 'expanding a group lists its files');
  assert(paths.every((p) => p.startsWith(process.env.IMGEDA_DATA)), 'with their paths', paths.join(', '));
  await screenshot(page, '63-issues-corrupt.png', { fullPage: true });
  await page.click('[data-table="corrupt"] tbody tr:first-child [data-image-id]');
  await page.waitForSelector('.drawer, [role="dialog"]');
  pass('a file of the table opens its record');

  // ---- leakage: from the train scan's page, its sibling splits filled in ----
  const SPLIT = { train: process.env.IMGEDA_SPLIT_train, val: process.env.IMGEDA_SPLIT_val, test: process.env.IMGEDA_SPLIT_test };
  await page.goto(`${BASE_URL}/#/scan/${SPLIT.train}/overview`);
  await rendered(page, 'tab:overview');
  await page.click('[data-leakage-link]');
  await rendered(page, 'leakage');
  const names = await page.$$eval('[data-split-name]', (els) => els.map((e) => e.value).sort());
  assertEqual(names, ['test', 'train', 'val'], 'the train scan\'s page opens leakage with its sibling splits val and test');
  const api = await (await fetch(`${BASE_URL}/api/v1/leakage`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ splits: SPLIT, threshold: 0 }) })).json();
  const leakedPaths = api.leaks.map((l) => l.path).sort();
  assert(leakedPaths.some((p) => p.endsWith('/val/copy_of_t1.jpg')) && leakedPaths.some((p) => p.endsWith('/train/t1.jpg')), 'the API finds the byte copy in val and its original', leakedPaths.join(', '));
  assertContains(await page.textContent('[data-leak-count]'), `${api.leaks.length} leaked images`, 'the page counts the API\'s leaked images');
  const shownPaths = (await page.$$eval('[data-leak-group] .tile', (els) => els.map((e) => e.dataset.path))).sort();
  assertEqual(shownPaths, leakedPaths, 'every leaked image is shown in a group');
  const g1 = await page.$$eval('[data-leak-group]:has([data-path$="/t1.jpg"]) .tile', (els) => els.map((e) => [e.dataset.path.split('/').pop(), e.dataset.split]).sort());
  assertEqual(g1, [['copy_of_t1.jpg', 'val'], ['t1.jpg', 'train']], 't1.jpg and its copy are one group, each with its split');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-leak-group] img')].every((i) => i.complete && i.naturalWidth > 0));
  pass('their thumbnails load');
  await screenshot(page, '65-leakage.png', { fullPage: true });
  // A clean pair of splits: the empty state.
  await page.goto(`${BASE_URL}/#/leakage?splits=train:${SPLIT.train},test:${SPLIT.test}`);
  await page.waitForSelector('[data-leak-empty]');
  assertContains(await page.textContent('[data-leak-empty]'), 'No leakage', 'train and test share nothing: "No leakage"');
  await screenshot(page, '66-leakage-empty.png', { fullPage: true });

  // ---- phone ----
  const phone = await newPage(browser, { width: 390, height: 844 });
  for (const [tab, t] of [['dark', 100], ['corrupt', null]]) {
    await phone.goto(`${BASE_URL}/#/scan/${SCAN}/${tab}${t ? `?t=${t}` : ''}`);
    await rendered(phone, `tab:${tab}`);
    if (tab === 'corrupt') await phone.click('[data-table="corrupt"] tbody tr:first-child summary');
    await checkNoOverflow(phone, `${tab} at 390 px`);
    await screenshot(phone, `64-issues-${tab}-phone.png`, { fullPage: true });
  }
  await phone.goto(`${BASE_URL}/#/leakage?splits=train:${SPLIT.train},val:${SPLIT.val}`);
  await phone.waitForSelector('[data-leak-groups]');
  await rendered(phone, 'leakage');
  await checkNoOverflow(phone, 'leakage at 390 px');
  await screenshot(phone, '67-leakage-phone.png', { fullPage: true });
  await browser.close();
});
