// The dashboard against an imgedad with auth.token set (run by tests/integration/
// test_dashboard.sh after the main test): the page asks for the token, refuses a wrong one,
// and with the right one everything works — including what the browser fetches without our
// headers (EventSource progress, <img> thumbnails, download links), which rely on the
// SameSite=Strict cookie the page sets. Environment: IMGEDA_URL, IMGEDA_WORK, IMGEDA_TOKEN.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass } from './lib.mjs';

const TOKEN = process.env.IMGEDA_TOKEN;
const DATA = path.join(process.env.IMGEDA_WORK, 'data');

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1280, height: 800, acceptDownloads: true });
  await page.goto(`${BASE_URL}/#/scans`);
  await page.waitForSelector('#banner:not([hidden]) input[type=password]');
  assertContains(await page.textContent('#banner'), 'needs a token', 'a daemon with a token makes the page ask for it');
  await screenshot(page, '20-auth-prompt.png');
  await page.fill('#banner input[type=password]', 'wrong');
  await page.press('#banner input[type=password]', 'Enter');
  await page.waitForSelector('#banner:not([hidden]):has-text("refused")');
  pass('a wrong token is refused and asked for again');
  await page.fill('#banner input[type=password]', TOKEN);
  await page.press('#banner input[type=password]', 'Enter');
  await page.waitForSelector('main[data-rendered="scans"]');
  assert(await page.isHidden('#banner'), 'with the right token the banner goes away and the scans load');
  const form = 'form[data-form="new-scan"]';
  await page.fill(`${form} input[name="root"]`, DATA);
  await page.click(`${form} button[type="submit"]`);
  await page.waitForSelector('tr[data-status="succeeded"]', { timeout: 30_000 });
  pass('a scan started from the form completes, seen through the event stream');
  const id = await page.getAttribute('tr[data-status="succeeded"]', 'data-scan-id');
  await page.goto(`${BASE_URL}/#/scan/${id}/dark`);
  await page.waitForSelector('main[data-rendered="tab:dark"]');
  await page.waitForFunction(() => { const i = document.querySelector('[data-grid] img'); return i && i.complete; });
  assert(await page.$eval('[data-grid] img', (i) => i.naturalWidth > 0), 'thumbnails load with the token cookie');
  await page.click('[data-tab="overview"]');
  await page.waitForSelector('main[data-rendered="tab:overview"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="CSV"]')]);
  const csv = readFileSync(await dl.path(), 'utf8');
  assertContains(csv, 'street_copy.jpg', 'the CSV download works with the token cookie');
  const noCookie = await page.evaluate(async () => (await fetch('/api/v1/scans', { credentials: 'omit' })).status);
  assertEqual(noCookie, 401, 'the API still refuses a request without the token');
  await browser.close();
});
