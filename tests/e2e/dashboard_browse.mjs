// Browsing the images of a scan as a user does it (issue 12), run by
// tests/integration/test_dashboard_browse.sh against a live imgedad. Environment: IMGEDA_URL,
// IMGEDA_WORK (a YOLO folder of 31 images in $IMGEDA_WORK/browse, and $IMGEDA_WORK/splits with
// train/{cat/s1,cat/s2,dog/s3}.png and val/{cat/s4,dog/s5,bird/s6}.png, made by the runner).
//
// Natural sort of names (img2 before img10), page size and jump to a page, an image opened by
// its URL (?image=ID, kept by a reload, dropped on close), ←/→ through the list across a page
// boundary, "open original" and "copy path", the grid with its tile-size slider (kept in the URL
// and localStorage), a long name showing its end, boxes on tiles on request, several flags and a
// range at once, the split of a dataset with train/val folders (and no split choice without
// them), the class of its images (class folders; the YOLO folder's one labelled image). Screenshots of each view at 1440 and 390 px.
import path from 'node:path';
import {
  BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass, rendered, scanOf, apiGet, checkNoOverflow,
} from './lib.mjs';

const WORK = process.env.IMGEDA_WORK;
const LONG = 'a_very_long_descriptive_file_name_from_the_camera_roll_export_final_v2_0042.png';
const rowNames = (page) => page.$$eval('[data-table="images"] tbody tr td.path', (tds) => tds.map((td) => td.firstChild.textContent));
const info = (page) => page.textContent('[data-page-info]');
const waitInfo = (page, text) => page.waitForFunction((t) => document.querySelector('[data-page-info]')?.textContent === t, text);
const hashParams = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] || '')));
const drawerTitle = (page) => page.textContent('[data-drawer] #drawer-title');
const waitDrawer = (page, name) => page.waitForFunction((n) => document.querySelector('[data-drawer] #drawer-title')?.textContent === n, name);

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900 });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  const scan = await scanOf(page, path.join(WORK, 'browse'), 'browse');
  const all = await apiGet(page, `/scans/${scan}/images?limit=100`);
  const idOf = Object.fromEntries(all.images.map((r) => [r.filename, String(r.id)]));
  const natural = [LONG, ...Array.from({ length: 30 }, (_, i) => `img${i + 1}.png`)];

  // ---- natural sort, page size, jump to a page ----
  await page.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename`);
  await rendered(page, 'tab:images');
  assertEqual(await rowNames(page), natural.slice(0, 31), 'sorted by name: img1, img2, …, img9, img10 (not img1, img10, img11)');
  assertEqual(await info(page), '1–31 of 31', 'one page of 50 holds them all');
  await page.selectOption('[data-page-size]', '25');
  await waitInfo(page, '1–25 of 31');
  assertEqual((await hashParams(page)).limit, '25', 'the page size is in the URL');
  assertEqual(await rowNames(page), natural.slice(0, 25), '25 a page');
  assertContains(await page.textContent('.pager'), 'of 2', 'two pages');
  await page.fill('[data-page-jump]', '2');
  await page.press('[data-page-jump]', 'Enter');
  await waitInfo(page, '26–31 of 31');
  assertEqual(await rowNames(page), natural.slice(25), 'page 2 by the jump box: img25..img30 in natural order');
  assertEqual((await hashParams(page)).cursor, '25', 'the page is in the URL');
  await screenshot(page, '60-browse-table-1440.png', { fullPage: true });

  // ---- an image by its URL; ←/→ through the list, across the page boundary ----
  await page.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename&limit=25&image=${idOf['img23.png']}`);
  await rendered(page, 'tab:images');
  await waitDrawer(page, 'img23.png');
  pass('?image=ID opens the image detail');
  await page.reload();
  await rendered(page, 'tab:images');
  await waitDrawer(page, 'img23.png');
  pass('a reload keeps it open');
  await page.keyboard.press('ArrowRight');
  await waitDrawer(page, 'img24.png');
  assertEqual((await hashParams(page)).image, idOf['img24.png'], '→ shows the next image and names it in the URL');
  await page.keyboard.press('ArrowRight');
  await waitDrawer(page, 'img25.png');
  await waitInfo(page, '26–31 of 31');
  let hp = await hashParams(page);
  assertEqual([hp.cursor, hp.image], ['25', idOf['img25.png']], '→ past the last row opens the first of the next page, which is shown behind');
  await page.keyboard.press('ArrowLeft');
  await waitDrawer(page, 'img24.png');
  await waitInfo(page, '1–25 of 31');
  pass('← before the first row goes back to the previous page\'s last image');
  await page.keyboard.press('ArrowLeft');
  await waitDrawer(page, 'img23.png');
  await page.click('[data-drawer] [data-step="next"]');
  await waitDrawer(page, 'img24.png');
  pass('the › button steps too');

  // ---- open original, copy path ----
  const href = await page.getAttribute('[data-drawer] [data-original]', 'href');
  assertEqual(await page.getAttribute('[data-drawer] [data-original]', 'target'), '_blank', 'the original opens in a new tab');
  const orig = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('Content-Type'), n: (await r.arrayBuffer()).byteLength }; }, href);
  const rec = all.images.find((r) => r.filename === 'img24.png');
  assertEqual(orig, { status: 200, type: 'image/png', n: rec.file_size_bytes }, 'the original link answers the whole PNG file');
  const [popup] = await Promise.all([page.context().waitForEvent('page'), page.click('[data-drawer] [data-original]')]);
  await popup.waitForLoadState();
  assert(popup.url().endsWith(`/images/${idOf['img24.png']}/original`), 'clicking it opens the file in a new tab', popup.url());
  await popup.close();
  await page.click('[data-drawer] [data-copy-path]');
  await page.waitForSelector('.toast:has-text("Path copied")');
  assertEqual(await page.evaluate(() => navigator.clipboard.readText()), rec.path, 'copy path puts the full path on the clipboard');
  await screenshot(page, '61-browse-detail-1440.png');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-drawer]', { state: 'detached' });
  assert(!('image' in (await hashParams(page))), 'closing the detail drops ?image= from the URL');

  // ---- grid, tile size, the end of a long name, boxes on tiles ----
  await page.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename`);
  await rendered(page, 'tab:images');
  await page.click('[data-view="grid"]');
  await page.waitForSelector('[data-grid="images"] .tile');
  assertEqual(await page.$$eval('[data-grid="images"] .tile', (t) => t.length), 31, 'the grid shows the page as tiles');
  const colWidth = () => page.$eval('[data-grid="images"] .tile', (t) => t.getBoundingClientRect().width);
  const w0 = await colWidth();
  await page.$eval('[data-tile-size]', (s) => { s.value = '300'; s.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('tile') === '300');
  const w1 = await colWidth();
  assert(w1 > w0 * 1.4 && w1 >= 300, 'the slider makes the tiles larger', `${w0} → ${w1}`);
  assertEqual(await page.evaluate(() => localStorage.getItem('imgeda_tile')), '300', 'and the size is remembered');
  const nameEnd = await page.$eval(`[data-grid="images"] .tile[data-image-id="${idOf[LONG]}"] [data-name]`, (el) => {
    const box = el.getBoundingClientRect();
    const text = el.querySelector('bdi').firstChild;
    const r = document.createRange();
    r.setStart(text, text.length - 8);
    r.setEnd(text, text.length);
    const end = r.getBoundingClientRect();
    r.setStart(text, 0);
    r.setEnd(text, 1);
    const start = r.getBoundingClientRect();
    return { cut: el.scrollWidth > el.clientWidth, endIn: end.left >= box.left - 1 && end.right <= box.right + 1, startOut: start.left < box.left };
  });
  assertEqual(nameEnd, { cut: true, endIn: true, startOut: true }, 'a long name shows its end ("…v2_0042.png") and loses its start');
  assert(!(await page.$('[data-grid="images"] svg.boxes')), 'no boxes on tiles unless asked');
  await page.check('[data-tiles-boxes]');
  const boxed = `[data-grid="images"] .tile[data-image-id="${idOf['img3.png']}"] svg.boxes[data-boxes="1"]`;
  await page.waitForSelector(boxed);
  assertEqual(await page.$$eval('[data-grid="images"] svg.boxes', (x) => x.length), 1, 'the box toggle draws img3.png\'s one box, on its tile only');
  assertEqual((await hashParams(page)).boxes, '1', 'the toggle is in the URL');
  assert(await colWidth() >= 300, 'the tiles keep their size when the view is drawn again', String(await colWidth()));
  await screenshot(page, '62-browse-grid-1440.png', { fullPage: true });
  await page.reload();
  await rendered(page, 'tab:images');
  await page.waitForSelector(boxed);
  assertEqual(await page.$eval('[data-tile-size]', (s) => s.value), '300', 'a reload keeps the grid, its size and the boxes');
  assert(await colWidth() >= 300, 'the tiles are drawn at the kept size', String(await colWidth()));

  // ---- several flags (AND) and a range ----
  await page.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename`);
  await rendered(page, 'tab:images');
  await page.check('[data-flag-box="dark"]');
  await waitInfo(page, '1–10 of 10');
  await page.check('[data-flag-box="blurry"]');
  await waitInfo(page, '1–5 of 5');
  assertEqual(await rowNames(page), ['img1.png', 'img2.png', 'img3.png', 'img4.png', 'img5.png'], 'dark AND blurry: the five flat dark images');
  assertEqual((await hashParams(page)).flag, 'dark,blurry', 'both flags are in the URL');
  await page.click('[data-ranges] summary');
  await page.fill('[data-range="min_width"]', '50');
  await waitInfo(page, '1–3 of 3');
  assertEqual(await rowNames(page), ['img3.png', 'img4.png', 'img5.png'], 'and at least 50 px wide (img n is 40 + 4n px)');
  assertEqual((await hashParams(page)).min_width, '50', 'the range is in the URL');
  assertEqual(await page.evaluate(() => document.activeElement?.dataset.range), 'min_width', 'the range input keeps the focus while the list updates');
  await page.fill('[data-range="max_width"]', '10');
  await page.waitForSelector('[data-error="bad_request"]');
  assertContains(await page.textContent('[data-error]'), 'min_width (50) is above max_width (10)', 'an empty range is explained');
  await page.fill('[data-range="max_width"]', '');
  await waitInfo(page, '1–3 of 3');
  await screenshot(page, '63-browse-filters-1440.png', { fullPage: true });
  assertEqual(await page.isVisible('[data-split-field]'), false, 'a scan without split folders shows no split choice');
  assertEqual(await page.$$eval('[data-filter="class"] option', (os) => os.map((o) => o.textContent)), ['any', 'cat (1)'], 'the YOLO folder\'s class choice: the class of its one labelled image');

  // ---- the split of a dataset with train/val folders ----
  const splitScan = await scanOf(page, path.join(WORK, 'splits'), 'splits');
  await page.goto(`${BASE_URL}/#/scan/${splitScan}/images?sort=filename`);
  await rendered(page, 'tab:images');
  await page.waitForSelector('[data-split-field]:not([hidden])');
  assertEqual(await page.$$eval('[data-filter="split"] option', (os) => os.map((o) => o.textContent)), ['any', 'train (3)', 'val (3)'], 'the split choice lists the scan\'s splits with their counts');
  await page.selectOption('[data-filter="split"]', 'val');
  await waitInfo(page, '1–3 of 3');
  assertEqual(await rowNames(page), ['s4.png', 's5.png', 's6.png'], 'split val: the images under val/');
  assertEqual((await hashParams(page)).split, 'val', 'the split is in the URL');
  await page.reload();
  await rendered(page, 'tab:images');
  await waitInfo(page, '1–3 of 3');
  assertEqual(await page.$eval('[data-filter="split"]', (e) => e.value), 'val', 'a reload keeps the split chosen');
  await screenshot(page, '67-browse-split-1440.png', { fullPage: true });

  // ---- the class of an image (its class folder here) ----
  await page.waitForSelector('[data-class-field]:not([hidden])');
  assertEqual(await page.$$eval('[data-filter="class"] option', (os) => os.map((o) => o.textContent)), ['any', 'bird (1)', 'cat (3)', 'dog (2)'], 'the class choice lists the scan\'s classes with their counts');
  await page.selectOption('[data-filter="class"]', 'cat');
  await waitInfo(page, '1–1 of 1');
  assertEqual(await rowNames(page), ['s4.png'], 'class cat AND split val: val/cat/ only');
  await page.selectOption('[data-filter="split"]', '');
  await waitInfo(page, '1–3 of 3');
  assertEqual(await rowNames(page), ['s1.png', 's2.png', 's4.png'], 'class cat: the images of every cat/ folder, only those');
  assertEqual((await hashParams(page)).class, 'cat', 'the class is in the URL');
  await page.reload();
  await rendered(page, 'tab:images');
  await waitInfo(page, '1–3 of 3');
  assertEqual(await page.$eval('[data-filter="class"]', (e) => e.value), 'cat', 'a reload keeps the class chosen');
  await page.selectOption('[data-filter="class"]', 'dog');
  await waitInfo(page, '1–2 of 2');
  assertEqual(await rowNames(page), ['s3.png', 's5.png'], 'class dog: its two images');
  await screenshot(page, '68-browse-class-1440.png', { fullPage: true });

  // ---- a phone ----
  const phone = await newPage(browser, { width: 390, height: 844 });
  await phone.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename&flag=dark&min_width=50`);
  await rendered(phone, 'tab:images');
  await screenshot(phone, '64-browse-table-390.png', { fullPage: true });
  await checkNoOverflow(phone, 'the images tab at 390 px');
  await phone.goto(`${BASE_URL}/#/scan/${scan}/images?sort=filename&view=grid&boxes=1`);
  await rendered(phone, 'tab:images');
  await phone.waitForSelector(boxed);
  await screenshot(phone, '65-browse-grid-390.png', { fullPage: true });
  await checkNoOverflow(phone, 'the grid at 390 px');
  await phone.click(`[data-grid="images"] .tile[data-image-id="${idOf['img3.png']}"]`);
  await waitDrawer(phone, 'img3.png');
  await phone.waitForSelector('[data-drawer] svg.boxes');
  await screenshot(phone, '66-browse-detail-390.png');
  await browser.close();
});
