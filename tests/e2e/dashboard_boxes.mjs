// Annotations in the dashboard (issue 12, boxes), run by tests/integration/test_dashboard_boxes.sh
// against a live imgedad. Environment: IMGEDA_URL, IMGEDA_WORK (a class-per-folder dataset in
// $IMGEDA_WORK/cls, made by the runner).
//
// Also: a YOLO image's box is drawn on the detail preview (pixel check on a screenshot) and
// the toggle hides it.
//
// Defect guarded: a class-per-folder dataset has no annotation files, and the annotations tab
// said "No annotations in this dataset" instead of showing its classes.
import path from 'node:path';
import {
  BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, rendered, scanOf,
} from './lib.mjs';

const WORK = process.env.IMGEDA_WORK;
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

  // ---- A YOLO image's box on the detail preview, and the toggle that hides it ----
  const yolo = await scanOf(page, path.join(WORK, 'yolo'), 'yolo');
  await page.goto(`${BASE_URL}/#/scan/${yolo}/images`);
  await rendered(page, 'tab:images');
  await page.fill('input[data-filter="q"]', 'boxed');
  await page.waitForFunction(() => document.querySelectorAll('[data-table="images"] tbody tr').length === 1);
  await page.click('[data-table="images"] tbody tr');
  await page.waitForSelector('[data-drawer] .boxed svg.boxes');
  await page.waitForFunction(() => { const i = document.querySelector('[data-drawer] .boxed img'); return i && i.complete && i.naturalWidth > 0; });
  assertContains(await page.textContent('[data-drawer]'), 'Show boxes (1: cat)', 'the toggle names the boxes and their class');
  await screenshot(page, 'boxes-detail');
  // Magenta (the first class colour) along the box's left edge (x = 100 of 400 px, y 50..150),
  // grey beside it; measured on a screenshot of the preview, decoded in the page.
  const edge = async () => {
    const shot = await page.locator('[data-drawer] .boxed').screenshot();
    return page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const s = img.width / 400;
      const magenta = (x, y) => {
        let hit = false;
        for (let dx = -3; dx <= 3; dx++) {
          const [r, gr, b] = g.getImageData(Math.round(x * s) + dx, Math.round(y * s), 1, 1).data;
          hit = hit || (r > 200 && gr < 80 && b > 200);
        }
        return hit;
      };
      const ys = [60, 80, 100, 120, 140];
      return { edge: ys.filter((y) => magenta(100, y)).length, inside: ys.filter((y) => magenta(160, y)).length, outside: ys.filter((y) => magenta(40, y)).length, width: img.width };
    }, shot.toString('base64'));
  };
  const on = await edge();
  assertEqual([on.edge, on.inside, on.outside], [5, 0, 0], `the box's colour runs along its left edge only (preview ${on.width} px wide)`);
  await page.click('[data-boxes-toggle]');
  const off = await edge();
  assertEqual(off.edge, 0, 'with the toggle off no box is drawn');
  await page.click('[data-boxes-toggle]');
  assertEqual((await edge()).edge, 5, 'the toggle draws it again');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-drawer]', { state: 'detached' });
  await page.fill('input[data-filter="q"]', 'plain');
  await page.waitForFunction(() => document.querySelector('[data-table="images"] tbody td.path')?.textContent.startsWith('plain.png'));
  await page.click('[data-table="images"] tbody tr');
  await page.waitForFunction(() => document.querySelector('#drawer-title')?.textContent === 'plain.png' && document.querySelector('[data-drawer] [data-record]'));
  assert(!(await page.$('[data-drawer] svg.boxes')) && !(await page.$('[data-boxes-toggle]')), 'an image without labels has no boxes and no toggle');
  await browser.close();
});
