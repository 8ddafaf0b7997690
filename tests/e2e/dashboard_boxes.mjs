// Annotations in the dashboard (issue 12, boxes), run by tests/integration/test_dashboard_boxes.sh
// against a live imgedad. Environment: IMGEDA_URL, IMGEDA_WORK (a class-per-folder dataset in
// $IMGEDA_WORK/cls, made by the runner).
//
// Defect guarded: a class-per-folder dataset has no annotation files, and the annotations tab
// said "No annotations in this dataset" instead of showing its classes.
import path from 'node:path';
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains } from './lib.mjs';

const WORK = process.env.IMGEDA_WORK;
const apiGet = (page, p) => page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1${p}`);
const apiPost = (page, p, body) => page.evaluate(async ([u, b]) => {
  const r = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
  return { status: r.status, body: await r.json() };
}, [`/api/v1${p}`, body]);
const rendered = (page, name, timeout = 15_000) => page.waitForSelector(`main[data-rendered="${name}"]`, { timeout });

async function scanOf(page, root, name) {
  const c = await apiPost(page, '/scans', { root, name });
  assertEqual(c.status, 202, `a scan of ${path.basename(root)} is accepted`);
  for (let i = 0; i < 300; i++) {
    const s = await apiGet(page, `/scans/${c.body.id}`);
    if (s.status === 'succeeded') return c.body.id;
    await page.waitForTimeout(100);
  }
  throw new Error(`scan ${c.body.id} did not finish`);
}

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900 });
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');

  // ---- Class-per-folder statistics in the annotations tab ----
  const cls = await scanOf(page, path.join(WORK, 'cls'), 'classes');
  await page.goto(`${BASE_URL}/#/scan/${cls}/annotations`);
  await rendered(page, 'tab:annotations');
  const body = await page.textContent('main');
  assert(!body.includes('No annotations in this dataset'), 'a class-per-folder dataset does not say "No annotations"', body.slice(0, 300));
  assert(await page.$('[data-annotations="classification"]'), 'the annotations cards are shown for class folders');
  const bars = await page.$$eval('[data-classes] .bars > span[title]', (els) => els.map((e) => e.textContent));
  assertEqual(bars, ['cat', 'dog', 'bird'], 'objects per class lists the three class folders, largest first');
  assertContains(body, '3 class folders', 'the layout card counts class folders');
  await screenshot(page, 'boxes-classification');
  await browser.close();
});
