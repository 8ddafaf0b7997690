// Duplicate review as a user does it (run by tests/integration/test_dashboard_review.sh against a
// live imgedad with a finished scan of a folder holding exact duplicates): open the duplicates tab,
// see each tile's resolution, bytes, format and distance and the suggested keeper, accept it with
// the "a" key, mark a false positive ok, call a group not a duplicate, mark one image remove, then
// download the remove list from the page's link and check its lines exactly, page through the
// groups. Also: the tab ships pages of groups (< 1 MB, never the whole answer), its count is the
// overview's, the marks are still shown after a reload, and the tab fits a 390 px phone.
// Environment: IMGEDA_URL, IMGEDA_SCAN (the scan), IMGEDA_DATA (its root).
import { readFileSync } from 'node:fs';
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass, checkNoOverflow } from './lib.mjs';

const SCAN = process.env.IMGEDA_SCAN;
const apiGet = (page, p) => page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1${p}`);
const fetchText = (page, u) => page.evaluate(async (x) => { const r = await fetch(x); return { status: r.status, text: await r.text() }; }, u);
const nf = new Intl.NumberFormat('en-US');
// The dashboard's decimal units (web/js/ui.js fmtBytes), written out again to check the tiles.
function decimalBytes(b) {
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  let v = b;
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${u[i]}`;
}
const tileSel = (name) => `.duptile[data-path$="/${name}"]`;
const groupSel = (name) => `.dupgroup:has(${tileSel(name)})`;
const ready = (page) => page.waitForSelector('main[data-rendered="tab:duplicates"] [data-dups]:not([aria-busy])');

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900 });
  // Every answer of the duplicates endpoint the page asks for: a page of groups, and small.
  const dupAnswers = [];
  page.on('response', async (r) => {
    if (!r.url().includes(`/scans/${SCAN}/duplicates`)) return;
    dupAnswers.push({ url: r.url(), bytes: (await r.body()).length });
  });
  await page.goto(`${BASE_URL}/#/scan/${SCAN}/duplicates`);
  await ready(page);
  await page.waitForSelector(groupSel('cat.jpg'));

  // ---- one count everywhere: the tab, the tab's headline, the overview's card ----
  const sum = await apiGet(page, `/scans/${SCAN}/summary`);
  const all = await apiGet(page, `/scans/${SCAN}/duplicates?kind=exact&limit=100&cursor=0`);
  assertEqual(all.duplicate_count, sum.duplicates.exact_images, 'the API\'s duplicate_count is the summary\'s exact_images');
  assertEqual(await page.textContent('[data-tab="duplicates"] .count'), nf.format(sum.duplicates.exact_images), 'the tab counts the overview\'s duplicates');
  assertContains(await page.textContent('[data-dup-counts]'), `${all.duplicate_count} duplicates in ${all.total_groups} groups`, 'the tab says how many duplicates in how many groups');
  assertEqual(all.total_groups, 24, 'the fixture makes 24 groups');
  assertEqual(await page.$$eval('.dupgroup', (x) => x.length), 20, 'the first page shows 20 of them');
  assertEqual(await page.textContent('[data-page-info]'), 'groups 1–20 of 24', 'the pager says which');

  // ---- the group: 4 images, the best JPEG the suggested keeper, facts on each tile ----
  const cat = all.groups.find((g) => g.members.some((m) => m.path.endsWith('/cat.jpg')));
  const names = cat.members.map((m) => m.path.slice(m.path.lastIndexOf('/') + 1)).sort();
  assertEqual(names, ['cat.jpg', 'cat_copy.jpg', 'cat_reencoded.jpg', 'cat_small.jpg'], 'the copies, the re-encoded and the shrunk copy are one group');
  const keeper = cat.members.find((m) => m.id === cat.keeper);
  assert(keeper.path.endsWith('/cat.jpg'), 'the suggested keeper is cat.jpg (most pixels, then largest file, then first path)', keeper.path);
  assertEqual(await page.getAttribute(tileSel('cat.jpg'), 'data-keeper'), 'true', 'the keeper tile is marked');
  assertContains(await page.textContent(`${tileSel('cat.jpg')} .keeper-badge`), 'keeper', 'with a ★ keeper badge');
  for (const m of cat.members) {
    const name = m.path.slice(m.path.lastIndexOf('/') + 1);
    const want = `${nf.format(m.width)} × ${nf.format(m.height)} · ${decimalBytes(m.file_size_bytes)}\n${m.format} · distance ${m.distance}`;
    assertEqual(await page.innerText(`${tileSel(name)} [data-facts]`), want, `${name}: resolution, decimal bytes, format and distance`);
  }
  await screenshot(page, '40-review-before.png', { fullPage: true });

  // ---- accept the keeper with one key: the others are on their way out ----
  await page.focus(groupSel('cat.jpg'));
  await page.keyboard.press('a');
  await page.waitForSelector(`${tileSel('cat.jpg')}[data-mark="keep"]`);
  for (const n of ['cat_copy.jpg', 'cat_reencoded.jpg', 'cat_small.jpg']) await page.waitForSelector(`${tileSel(n)}[data-removed="true"]`);
  pass('"a" keeps cat.jpg and the other three members are shown as removed');
  assertContains(await page.textContent(`${groupSel('cat.jpg')} [data-group-status]`), 'keeping cat.jpg', 'the group says whom it keeps');
  assert(await page.evaluate(() => document.activeElement.classList.contains('dupgroup') && !document.activeElement.querySelector('[data-path$="/cat.jpg"]')),
    'the focus moved on to the next group');

  // ---- a false positive: the shrunk copy is wanted, marked ok ----
  await page.click(`${tileSel('cat_small.jpg')} [data-mark-btn="ok"]`);
  await page.waitForSelector(`${tileSel('cat_small.jpg')}[data-mark="ok"][data-removed="false"]`);
  assertEqual(await page.getAttribute(`${tileSel('cat_small.jpg')} [data-mark-btn="ok"]`, 'aria-pressed'), 'true', 'its OK button is pressed');
  pass('cat_small.jpg marked ok leaves the remove list');

  // ---- another group is not a duplicate, in a third one image is removed by hand ----
  await page.click(`${groupSel('dog.png')} [data-not-duplicate]`);
  await page.waitForFunction(() => document.querySelector('.dupgroup:has([data-path$="/dog.png"]) [data-group-status]').textContent.includes('not a duplicate'));
  pass('dog.png and its two copies are called not a duplicate');
  await page.click(`${tileSel('owl_copy.jpg')} [data-mark-btn="remove"]`);
  await page.waitForSelector(`${tileSel('owl_copy.jpg')}[data-mark="remove"]`);
  assertEqual(await page.textContent(`${tileSel('owl_copy.jpg')} [data-mark]`), 'remove', 'owl_copy.jpg shows its remove mark');
  await screenshot(page, '41-review-1440.png', { fullPage: true });

  // ---- the remove list, from the page's link: exactly the images that leave, by id ----
  const byName = Object.fromEntries(all.groups.flatMap((g) => g.members).map((m) => [m.path.slice(m.path.lastIndexOf('/') + 1), m]));
  const leaving = ['cat_copy.jpg', 'cat_reencoded.jpg', 'owl_copy.jpg'].map((n) => byName[n]).sort((x, y) => x.id - y.id);
  const want = leaving.map((m) => `${m.path}\n`).join('');
  const href = await page.getAttribute('[data-download="remove-list"]', 'href');
  const got = await fetchText(page, href);
  assertEqual(got.status, 200, 'the remove list link answers');
  assertEqual(got.text, want, 'the remove list holds exactly the copies a keeper drops and the image marked remove');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="remove-list"]')]);
  assertEqual(readFileSync(await download.path(), 'utf8'), want, `clicking the link downloads the same list (${download.suggestedFilename()})`);
  // ---- the next page of groups and back ----
  await page.click('[data-page-next]');
  await page.waitForFunction(() => document.querySelector('[data-page-info]')?.textContent === 'groups 21–24 of 24');
  assertEqual(await page.$$eval('.dupgroup', (x) => x.length), 4, 'Next shows the last 4 groups');
  assert(await page.evaluate(() => location.hash.includes('cursor=20')), 'the page is in the URL');
  await page.click('[data-page-prev]');
  await page.waitForFunction(() => document.querySelector('[data-page-info]')?.textContent === 'groups 1–20 of 24');
  await page.waitForSelector(`${tileSel('cat.jpg')}[data-mark="keep"]`);
  pass('Previous goes back to the first page, marks shown');
  const csv = await fetchText(page, await page.getAttribute('[data-download="marks-csv"]', 'href'));
  for (const line of [',cat.jpg,keep,', ',sub/cat_small.jpg,ok,', ',owl_copy.jpg,remove,', ',dog.png,not_duplicate,nd-']) assertContains(csv.text, line, `marks.csv has ${line}`);

  // ---- page weight: pages of groups only, each well under 1 MB ----
  assert(dupAnswers.length > 0 && dupAnswers.every((a) => /[?&]cursor=\d+/.test(a.url) && /[?&]limit=\d+/.test(a.url)), 'the tab asks for pages of groups, never the whole answer', JSON.stringify(dupAnswers));
  const biggest = Math.max(...dupAnswers.map((a) => a.bytes));
  assert(biggest < 1_000_000, `a page of groups weighs ${biggest} bytes (< 1 MB)`);

  // ---- the marks are the daemon's: a reload shows them again ----
  await page.reload();
  await ready(page);
  await page.waitForSelector(`${tileSel('cat.jpg')}[data-mark="keep"]`);
  await page.waitForSelector(`${tileSel('cat_copy.jpg')}[data-removed="true"]`);
  pass('after a reload the tiles show the marks');

  // ---- a phone: the grid wraps, nothing overflows ----
  const phone = await newPage(browser, { width: 390, height: 844 });
  await phone.goto(`${BASE_URL}/#/scan/${SCAN}/duplicates`);
  await ready(phone);
  await phone.waitForSelector(`${tileSel('cat.jpg')}[data-mark="keep"]`);
  await checkNoOverflow(phone, 'duplicates at 390 px');
  const tops = await phone.$$eval(`${groupSel('cat.jpg')} .duptile`, (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
  assert(tops >= 2, `the four tiles wrap into ${tops} rows on a phone`);
  await screenshot(phone, '42-review-390.png', { fullPage: true });
  await browser.close();
});
