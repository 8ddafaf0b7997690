// Versions in the dashboard (run by tests/integration/test_dashboard_versions.sh): "Rescan" on a
// succeeded scan adds a new row, version 2 of the same root, and keeps version 1 in the list and
// in the API. Environment: IMGEDA_URL, IMGEDA_WORK.
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, pass } from './lib.mjs';

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1280, height: 800 });
  await page.goto(`${BASE_URL}/#/scans`);
  const row = 'tr[data-status="succeeded"]:has-text("versioned")';
  await page.waitForSelector(row, { timeout: 30_000 });
  assertEqual(await page.textContent(`${row} [data-col="version"]`), ' · v1', 'a first scan shows v1');
  await page.click(`${row} button:has-text("Rescan")`);
  await page.waitForFunction(() => document.querySelectorAll('tr[data-scan-id]').length === 2, null, { timeout: 20_000 });
  await page.waitForSelector('tr[data-status="succeeded"]:has([data-col="version"]:has-text("v2"))', { timeout: 30_000 });
  const versions = await page.$$eval('[data-col="version"]', (els) => els.map((e) => e.textContent.trim()));
  assertEqual(JSON.stringify(versions), JSON.stringify(['· v2', '· v1']), 'the new version on top, the old one kept');
  const list = await (await page.request.get(`${BASE_URL}/api/v1/scans`)).json();
  assert(list.scans.length === 2 && list.scans.every((s) => s.status === 'succeeded' && s.name === 'versioned'), 'both versions in the API', JSON.stringify(list));
  await screenshot(page, '30-scans-versions.png');
  pass('Rescan makes version 2 and keeps version 1');
  await browser.close();
});
