// The dashboard in headless Chromium, run by tests/integration/test_dashboard.sh against a live
// imgedad. Environment: IMGEDA_URL (the daemon), IMGEDA_WORK (its scratch directory; the sample
// dataset is in $IMGEDA_WORK/data, inside scan.allowed_roots), IMGEDA_SOURCE (the repository),
// IMGEDA_PID (the daemon's pid: the last step stops it to see the "unreachable" state),
// ARTIFACTS (where screenshots go).
//
// What a user does, end to end: create a scan from the form and watch it complete, check the
// summary cards against the API, look at every tab, find the planted duplicate pair, filter the
// table to corrupt files, open a record, download the CSV, run a failing and a passing gate with
// a policy error shown at its line, compare two versions of the dataset, use it at phone width and
// by keyboard, and see the empty and error states.
import { cpSync, mkdirSync, readFileSync, rmSync, copyFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  BASE_URL, launch, newPage, screenshot, timed, run, assert, assertEqual, assertContains,
  assertNoPageErrors, pass, checkContrast, checkNoOverflow,
} from './lib.mjs';

const WORK = process.env.IMGEDA_WORK;

// Screenshot a view and check what a reviewer checks by eye: contrast and nothing overflowing.
async function look(page, name, options) {
  await screenshot(page, name, options);
  await checkContrast(page, name);
  await checkNoOverflow(page, name);
}
const SRC = process.env.IMGEDA_SOURCE;
const DATA = path.join(WORK, 'data');

// The API as the page sees it (same origin), for numbers to check the UI against.
const apiGet = (page, p) => page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1${p}`);
const apiPost = (page, p, body) => page.evaluate(async ([u, b]) => {
  const r = await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
  return { status: r.status, body: await r.json() };
}, [`/api/v1${p}`, body]);

// Waits until the app says the view `name` has its data on screen (main[data-rendered]).
async function rendered(page, name) {
  await page.waitForSelector(`main[data-rendered="${name}"]`, { timeout: 15_000 });
}

async function openTab(page, tab) {
  await page.click(`[data-tab="${tab}"]`);
  await rendered(page, `tab:${tab}`);
}

async function imagesLoaded(page, sel) {
  await page.waitForFunction((s) => [...document.querySelectorAll(s)].every((i) => i.complete), sel, { timeout: 20_000 });
  return page.$$eval(sel, (imgs) => imgs.filter((i) => i.naturalWidth > 0).length);
}

async function waitScan(page, id, status = 'succeeded') {
  for (let i = 0; i < 300; i++) {
    const s = await apiGet(page, `/scans/${id}`);
    if (s.status === status) return s;
    await page.waitForTimeout(100);
  }
  throw new Error(`scan ${id} did not reach ${status}`);
}

await run(async () => {
  const browser = await timed('chromium launch', () => launch());
  const page = await newPage(browser, { width: 1280, height: 800, acceptDownloads: true });
  const alerts = []; // only the delete confirmation is expected; an alert would be injected script
  page.on('dialog', (d) => { if (d.type() !== 'confirm') alerts.push(d.message()); d.accept(); });
  const foreign = []; // the dashboard must never leave the daemon
  page.on('request', (r) => { if (!r.url().startsWith(BASE_URL) && !r.url().startsWith('data:') && !r.url().startsWith('blob:') && r.url() !== 'about:blank') foreign.push(r.url()); });

  // ---- Scans: empty state, then a scan created from the form ----
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  assertContains(await page.textContent('[data-list="scans"]'), 'No scans yet', 'an empty daemon shows "No scans yet"');
  await page.waitForSelector('.conn.up');
  pass('the connection indicator shows the daemon up');
  await look(page, '01-scans-empty.png');

  // Bad roots get a clear message in the form, not a crash.
  await page.fill('form[data-form="new-scan"] input[name="root"]', '/etc');
  await page.click('form[data-form="new-scan"] button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('.form-error').textContent.length > 0);
  assertContains(await page.textContent('.form-error'), 'allowed', 'a root outside scan.allowed_roots is refused with the reason');

  const form = 'form[data-form="new-scan"]';
  await page.fill(`${form} input[name="root"]`, DATA);
  await page.fill(`${form} input[name="name"]`, 'sample v1');
  await page.click(`${form} summary`);
  assertEqual(await page.inputValue(`${form} input[name="dark_threshold"]`), '40', 'the form shows the dark threshold default (40)');
  assertEqual(await page.inputValue(`${form} input[name="blur_threshold"]`), '100', 'the form shows the blur threshold default (100)');
  assertEqual(await page.$$eval(`${form} select[name="profile"] option`, (os) => os.map((o) => `${o.value}:${o.textContent}`)), ['compatible:Compatible', 'fast:Fast'], 'the form offers the two profiles');
  assertEqual(await page.inputValue(`${form} select[name="profile"]`), 'compatible', 'the profile defaults to compatible');
  assertContains(await page.textContent(`${form} [data-profile-hint]`), 'exact values', 'the profile\'s hint says what it means');
  await page.click(`${form} button[type="submit"]`);
  const row = page.locator('tr[data-scan-id]', { hasText: 'sample v1' });
  await row.waitFor();
  pass('the new scan appears in the list without a reload');
  await page.waitForSelector('tr[data-status="succeeded"]:has-text("sample v1")', { timeout: 30_000 });
  pass('its status turns to succeeded live');
  const v1 = await row.getAttribute('data-scan-id');
  assertEqual((await apiGet(page, `/scans/${v1}`)).options.profile, undefined, 'the default profile is left to the daemon (no option sent)');
  const sum = await apiGet(page, `/scans/${v1}/summary`);
  assertEqual((await row.locator('[data-col="images"]').textContent()).trim(), String(sum.total_images), 'the list shows the scan\'s image count');
  await look(page, '02-scans-list.png');

  // ---- Live progress of a longer scan, then cancel, resume and delete from the list ----
  const BIG = path.join(WORK, 'big');
  mkdirSync(BIG, { recursive: true });
  for (let i = 0; i < 250; i++) {
    for (const f of ['street.jpg', 'night.jpg', 'letterbox.jpg', 'snow.png']) copyFileSync(path.join(DATA, f), path.join(BIG, `${i}_${f}`));
  }
  await page.fill(`${form} input[name="root"]`, BIG);
  await page.fill(`${form} input[name="name"]`, 'big');
  await page.click(`${form} summary`); // the options were closed after the last scan
  await page.fill(`${form} input[name="workers"]`, '1');
  await page.fill(`${form} input[name="checkpoint_every"]`, '20');
  await page.selectOption(`${form} select[name="profile"]`, 'fast');
  assertContains(await page.textContent(`${form} [data-profile-hint]`), 'approximate', 'the fast profile\'s hint says its values are approximate');
  await page.click(`${form} button[type="submit"]`);
  const bigRow = page.locator('tr[data-scan-id]', { hasText: 'big' });
  await page.waitForSelector('tr[data-status="running"]:has-text("big") .progress-text:has-text("img/s")', { timeout: 30_000 });
  const live = await bigRow.locator('.progress-text').textContent();
  assert(/[\d,]+ \/ 1,000 · [\d.,]+ img\/s · ETA/.test(live), 'a running scan shows processed/total, rate and ETA live', live);
  // The row is redrawn on every progress event: scroll by selector, not by element.
  await page.evaluate(() => { const r = [...document.querySelectorAll('tr[data-scan-id]')].find((x) => x.textContent.includes('big')); if (r) r.scrollIntoView({ block: 'center' }); });
  await look(page, '02b-scans-running.png');
  // By keyboard: focus stays on Cancel while progress events redraw the row, Enter presses it.
  await page.focus('tr[data-status="running"] [data-action="cancel"]');
  await page.waitForTimeout(600);
  assertEqual(await page.evaluate(() => document.activeElement.dataset.action), 'cancel', 'keyboard focus stays on Cancel while the row updates live');
  await page.keyboard.press('Enter');
  await page.waitForSelector('tr[data-status="cancelled"]:has-text("big")', { timeout: 30_000 });
  pass('Cancel stops the scan (status cancelled)');
  await bigRow.locator('button:has-text("Resume")').click();
  await page.waitForSelector('tr[data-status="succeeded"]:has-text("big")', { timeout: 60_000 });
  pass('Resume finishes it (status succeeded)');
  assertEqual((await bigRow.locator('[data-col="images"]').textContent()).trim().replace(/,/g, ''), '1000', 'the resumed scan counts all 1000 images');
  const bigId = await bigRow.getAttribute('data-scan-id');
  assertEqual((await apiGet(page, `/scans/${bigId}`)).options.profile, 'fast', 'the form sends the profile chosen as the API\'s "profile" option');
  await page.goto(`${BASE_URL}/#/scan/${bigId}`);
  await rendered(page, 'tab:overview');
  assertEqual(await page.getAttribute('[data-page="scan"] [data-profile]', 'data-profile'), 'fast', 'the scan page shows the profile the scan ran with (fast)');
  await look(page, '02c-scan-fast-profile.png');
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  await bigRow.locator('button:has-text("Delete")').click(); // the confirm dialog is accepted
  await bigRow.waitFor({ state: 'detached' });
  const afterDelete = await apiGet(page, '/scans');
  assert(!afterDelete.scans.some((x) => x.name === 'big'), 'Delete removes the scan from the list and the API');

  // ---- Scan page: cards against the API ----
  await row.locator('a.scan-name').click();
  await rendered(page, 'tab:overview');
  const card = async (name) => (await page.textContent(`[data-card="${name}"] .value`)).trim().replace(/,/g, '');
  assertContains(await page.textContent('[data-page="scan"] [data-profile="compatible"]'), 'compatible profile', 'the scan page shows the default profile (compatible)');
  assertEqual(await card('images'), String(sum.total_images), 'images card = summary.total_images');
  assertEqual(await card('corrupt'), String(sum.corrupt_count), 'corrupt card = summary.corrupt_count');
  assertEqual(await card('dark'), String(sum.dark_count), 'dark card = summary.dark_count');
  assertEqual(await card('overexposed'), String(sum.overexposed_count), 'overexposed card = summary.overexposed_count');
  assertEqual(await card('blurry'), String(sum.blurry_count), 'blurry card = summary.blurry_count');
  assertEqual(await card('artifacts'), String(sum.artifact_count), 'artifacts card = summary.artifact_count');
  assertEqual(await card('duplicates'), String(sum.duplicates.exact_images), 'duplicates card = summary.duplicates.exact_images');
  const formats = await page.textContent('[data-card="formats"]');
  for (const [f, c] of Object.entries(sum.format_counts)) assertContains(formats, `${f}${c}`, `formats card lists ${f} ${c}`);
  await look(page, '03-scan-overview.png');

  // ---- Plots ----
  await openTab(page, 'plots');
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight)); // lazy images
  const plots = await page.$$eval('[data-plot] img', (x) => x.length);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-plot] img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30_000 });
  assertEqual(plots, 11, 'the plots tab shows all 11 plots, each decoded');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, '04-plots.png', { fullPage: true });

  // ---- One tab per issue: the grid holds the flagged images with their value ----
  const issues = { corrupt: 'corrupt_count', dark: 'dark_count', overexposed: 'overexposed_count', blurry: 'blurry_count', artifacts: 'artifact_count' };
  for (const [tab, key] of Object.entries(issues)) {
    await openTab(page, tab);
    // The corrupt tab is a table grouped by error: each file is a row of its group, not a tile.
    const tiles = await page.$$eval(tab === 'corrupt' ? '[data-grid] [data-table="corrupt"] [data-image-id]' : '[data-grid] .tile', (x) => x.length);
    assertEqual(tiles, sum[key], `the ${tab} tab shows ${sum[key]} image(s)`);
  }
  await openTab(page, 'dark');
  assertContains(await page.textContent('[data-grid] .tile'), 'brightness', 'a dark tile shows the brightness that flagged it');
  assertEqual(await imagesLoaded(page, '[data-grid] img'), sum.dark_count, 'dark thumbnails load');
  await look(page, '05-issue-dark.png');
  await openTab(page, 'corrupt');
  assertContains(await page.textContent('[data-grid]'), 'broken.jpg', 'the corrupt tab shows broken.jpg');

  // ---- Duplicates: the planted pair side by side, under a threshold control ----
  await openTab(page, 'duplicates');
  const pair = page.locator('.dupgroup', { has: page.locator('[data-path$="/street.jpg"]') });
  await pair.locator('[data-path$="/street_copy.jpg"]').waitFor();
  pass('the duplicates tab groups street.jpg with street_copy.jpg');
  assertEqual(await imagesLoaded(page, '.dupgroup img'), await page.$$eval('.dupgroup img', (x) => x.length), 'every duplicate thumbnail loads');
  await look(page, '06-duplicates.png');
  await page.fill('.threshold input[type=number]', '0');
  await page.press('.threshold input[type=number]', 'Enter');
  await page.waitForFunction(() => location.hash.includes('threshold=0'));
  await page.waitForSelector('[data-dups]:not([aria-busy])');
  await rendered(page, 'tab:duplicates');
  await pair.locator('[data-path$="/street_copy.jpg"]').waitFor();
  pass('at threshold 0 the identical pair is still one group');
  const api0 = await apiGet(page, `/scans/${v1}/duplicates?threshold=0`);
  assertEqual(await page.$$eval('.dupgroup', (x) => x.length), api0.near.length, 'the groups shown at threshold 0 = the API\'s near groups');

  // ---- Image table: filter to corrupt, sort, detail panel ----
  await openTab(page, 'images');
  assertEqual(await page.$$eval('[data-table="images"] tbody tr', (x) => x.length), sum.total_images, 'the table lists every image');
  assertEqual(Object.keys((await apiGet(page, `/scans/${v1}/images?limit=1`)).classes), [], 'the sample folder has no annotation classes');
  assertEqual(await page.isVisible('[data-class-field]'), false, 'a scan without classes shows no class choice');
  await page.check('[data-flag-box="corrupt"]'); // flags are checkboxes (several at once)
  await page.waitForFunction((n) => document.querySelectorAll('[data-table="images"] tbody tr').length === n, sum.corrupt_count);
  assertContains(await page.textContent('[data-table="images"] tbody'), 'broken.jpg', 'filtered to corrupt, the table shows broken.jpg');
  assertContains(await page.textContent('[data-table="images"] tbody'), 'Premature end', 'with its decoder error');
  await look(page, '07-images-corrupt.png');
  await page.uncheck('[data-flag-box="corrupt"]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-table="images"] tbody tr').length === n, sum.total_images);
  await page.click('th:has-text("Brightness") button');
  await page.waitForFunction(() => location.hash.includes('sort=mean_brightness'));
  await rendered(page, 'tab:images');
  const byApi = await apiGet(page, `/scans/${v1}/images?sort=mean_brightness&limit=50`);
  const names = await page.$$eval('[data-table="images"] tbody tr', (rs) => rs.map((r) => r.querySelector('td.path').firstChild.textContent));
  assertEqual(names, byApi.images.map((r) => r.filename), 'sorting by brightness shows the API\'s order');
  await page.fill('input[data-filter="q"]', 'letterbox');
  await page.waitForFunction(() => document.querySelectorAll('[data-table="images"] tbody tr').length === 1);
  pass('the path filter narrows the table to letterbox.jpg');
  await page.click('[data-table="images"] tbody tr');
  await page.waitForSelector('[data-drawer] [data-record]');
  const detail = await page.textContent('[data-drawer]');
  assertContains(detail, 'letterbox.jpg', 'the detail panel shows the record');
  assertContains(detail, 'EXIF', 'the detail panel has an EXIF section');
  assertContains(detail, 'border delta', 'and every quality field');
  assertEqual(await imagesLoaded(page, '[data-drawer] .preview img'), 1, 'the larger preview loads');
  await look(page, '08-image-detail.png');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-drawer]', { state: 'detached' });
  pass('Escape closes the detail panel');

  // ---- Annotations: a flat folder says so ----
  await openTab(page, 'annotations');
  assertContains(await page.textContent('[data-tab-body]'), 'No annotations', 'a flat folder shows the no-annotations state');

  // ---- Annotations of a YOLO dataset ----
  cpSync(path.join(SRC, 'tests/fixtures/annotations/yolo'), path.join(WORK, 'yolo'), { recursive: true });
  const yolo = await apiPost(page, '/scans', { root: path.join(WORK, 'yolo'), name: 'yolo' });
  await waitScan(page, yolo.body.id);
  const ann = await apiGet(page, `/scans/${yolo.body.id}/annotations`);
  await page.goto(`${BASE_URL}/#/scan/${yolo.body.id}/annotations`);
  await rendered(page, 'tab:annotations');
  assertEqual(await page.getAttribute('[data-annotations]', 'data-annotations'), 'yolo', 'a YOLO dataset is shown as YOLO');
  const classes = await page.textContent('[data-classes]');
  for (const c of ann.classes) assertContains(classes, `${c.name}`, `class ${c.name} (${c.count}) is listed`);
  assertEqual(await card('objects'), String(ann.total_annotations), 'objects card = total_annotations');
  assertContains(await page.textContent('[data-tab-body]'), 'labels/val/e.txt:2', 'annotation problems name file:line');
  await look(page, '08b-annotations-yolo.png');
  await page.goto(`${BASE_URL}/#/scan/${v1}/overview`);
  await rendered(page, 'tab:overview');

  // ---- Downloads: the CSV ----
  await openTab(page, 'overview');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="CSV"]')]);
  const csvPath = path.join(WORK, 'download.csv');
  await dl.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
  assertEqual(csv.length, sum.total_images + 1, 'the downloaded CSV has a header and one row per image');
  assertContains(csv[0], 'path', 'the CSV header names the path column');
  assertContains(csv.join('\n'), 'street_copy.jpg', 'the CSV lists street_copy.jpg');
  const hrefs = await page.$$eval('[data-download]', (as) => as.map((a) => a.getAttribute('data-download')));
  assertEqual(hrefs, ['Manifest', 'CSV', 'SQLite', 'Parquet', 'PDF report', 'HTML report'], 'manifest, CSV, SQLite, Parquet, PDF and HTML report are offered');
  for (const a of await page.$$eval('[data-download]', (as) => as.map((x) => x.href))) {
    const st = await page.evaluate(async (u) => (await fetch(u)).status, a);
    assertEqual(st, 200, `download ${a.replace(BASE_URL, '')} answers 200`);
  }

  // ---- Import a manifest (the one just downloaded) from the Scans page ----
  const [mdl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="Manifest"]')]);
  const manifestPath = path.join(WORK, 'sample-v1.jsonl');
  await mdl.saveAs(manifestPath);
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  await page.setInputFiles('input[type=file]', manifestPath);
  await page.waitForFunction((id) => location.hash.startsWith('#/scan/') && !location.hash.includes(id), v1);
  await rendered(page, 'tab:overview');
  assertEqual(await card('images'), String(sum.total_images), 'an imported manifest opens as a scan with the same image count');
  assertContains(await page.textContent('[data-page="scan"] .page-head'), 'imported manifest', 'and says it was imported');

  // A file that is no manifest is refused with the daemon's reason, nothing else changes.
  const before = (await apiGet(page, '/scans?limit=200')).scans.length;
  writeFileSync(path.join(WORK, 'garbage.jsonl'), '{"path": 12}\nthis is not JSON\n');
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  await page.setInputFiles('input[type=file]', path.join(WORK, 'garbage.jsonl'));
  await page.waitForSelector('.toast.bad');
  assertContains(await page.textContent('.toast.bad'), 'Import failed', 'a broken manifest is refused with a message');
  assertEqual((await apiGet(page, '/scans?limit=200')).scans.length, before, 'and no scan was added');

  // ---- Gate: example policy, an error at its line, a failing and a passing run ----
  await page.goto(`${BASE_URL}/#/gate?scan=${v1}`);
  await rendered(page, 'gate');
  const example = readFileSync(path.join(SRC, 'config/policy.example.yaml'), 'utf8');
  assertEqual(await page.inputValue('[data-editor]'), example, 'the editor starts with the example policy');
  await page.waitForSelector('[data-validation].ok');
  pass('the example policy validates');
  await page.fill('[data-editor]', 'max_corrupt_pct: 1.0\nmin_images: 3\n');
  await page.waitForSelector('.editor .gutter div.err');
  assertEqual((await page.textContent('.editor .gutter div.err')).trim(), '2', 'an unknown key is marked at line 2');
  assertContains(await page.textContent('[data-validation]'), 'line 2', 'the message names line 2');
  assertContains(await page.textContent('[data-validation]'), 'unknown key', 'and says why');
  await look(page, '09-gate-invalid.png');
  await page.fill('[data-editor]', example);
  await page.waitForSelector('[data-validation].ok');
  await page.click('button:has-text("Run gate")');
  await page.waitForSelector('[data-verdict] .verdict');
  assertEqual(await page.getAttribute('.verdict', 'data-passed'), 'false', 'the example policy fails the 7-image sample (min_images_total 100)');
  const gateApi = await page.evaluate(async ([id, body]) => (await fetch(`/api/v1/scans/${id}/gate`, { method: 'POST', body })).json(), [v1, example]);
  for (const c of gateApi.checks) {
    const res = (await page.textContent(`tr[data-check="${c.name}"] .badge`)).trim();
    assertEqual(res, c.passed ? 'pass' : 'fail', `verdict row ${c.name} matches the API`);
  }
  assertEqual(await imagesLoaded(page, 'tr[data-check="max_underexposed_pct"] .samples img'), 1, 'the dark-image check shows its sample thumbnail');
  await look(page, '10-gate-failed.png');
  const passing = 'min_images_total: 5\nmax_corrupt_pct: 50\nmax_overexposed_pct: 50\nmax_underexposed_pct: 50\nmax_duplicate_pct: 50\n';
  await page.fill('[data-editor]', passing);
  await page.waitForSelector('[data-validation].ok');
  await page.click('button:has-text("Run gate")');
  await page.waitForSelector('.verdict[data-passed="true"]');
  pass('a lenient policy passes');
  await look(page, '11-gate-passed.png');

  // ---- Compare: a second version with one file removed, one added, one changed ----
  const DATA2 = path.join(WORK, 'data_v2');
  rmSync(DATA2, { recursive: true, force: true });
  cpSync(DATA, DATA2, { recursive: true });
  rmSync(path.join(DATA2, 'night.jpg'));
  copyFileSync(path.join(DATA, 'snow.png'), path.join(DATA2, 'snow_new.png'));
  copyFileSync(path.join(DATA, 'street.jpg'), path.join(DATA2, 'letterbox.jpg'));
  const c2 = await apiPost(page, '/scans', { root: DATA2, name: 'sample v2' });
  assertEqual(c2.status, 202, 'a second scan is accepted');
  await waitScan(page, c2.body.id);
  // Compare matches records by path, so compare v1 with a rescan of the same folder changed in place.
  cpSync(DATA, path.join(WORK, 'data_base'), { recursive: true });
  const base = await apiPost(page, '/scans', { root: path.join(WORK, 'data_base'), name: 'base' });
  await waitScan(page, base.body.id);
  rmSync(path.join(WORK, 'data_base', 'night.jpg'));
  copyFileSync(path.join(DATA, 'snow.png'), path.join(WORK, 'data_base', 'snow_new.png'));
  copyFileSync(path.join(DATA, 'street.jpg'), path.join(WORK, 'data_base', 'letterbox.jpg'));
  const changed = await apiPost(page, '/scans', { root: path.join(WORK, 'data_base'), name: 'base changed' });
  await waitScan(page, changed.body.id);
  await page.goto(`${BASE_URL}/#/compare`);
  await rendered(page, 'compare');
  await page.selectOption('select[name="old"]', base.body.id);
  await page.selectOption('select[name="new"]', changed.body.id);
  await page.click('button:has-text("Compare")');
  await rendered(page, 'compare:result');
  const diff = (await apiPost(page, '/diff', { old: base.body.id, new: changed.body.id })).body;
  const dcard = async (n) => Number((await page.textContent(`[data-card="${n}"] .value`)).replace(/,/g, ''));
  assertEqual(await dcard('added'), diff.summary.added_count, 'compare: added = the API\'s (1)');
  assertEqual(await dcard('removed'), diff.summary.removed_count, 'compare: removed = the API\'s (1)');
  assertEqual(await dcard('changed'), diff.summary.changed_count, 'compare: changed = the API\'s');
  assert(diff.summary.added_count === 1 && diff.summary.removed_count === 1 && diff.summary.changed_count >= 1, 'the planted changes are found');
  assertContains(await page.textContent('[data-diff]'), 'letterbox.jpg', 'the changed list names letterbox.jpg');
  assertContains(await page.textContent('[data-diff]'), '→', 'with old → new field values');
  await page.click('[data-tab="added"]');
  assertContains(await page.textContent('[data-diff]'), 'snow_new.png', 'the added list names snow_new.png');
  await page.click('[data-tab="changed"]');
  assertContains(await page.textContent('[data-deltas]'), 'Images', 'the summary deltas are shown');
  await look(page, '12-compare.png', { fullPage: true });

  // ---- A failed scan: its folder vanished before a rescan ----
  cpSync(DATA, path.join(WORK, 'gone'), { recursive: true });
  const gone = await apiPost(page, '/scans', { root: path.join(WORK, 'gone'), name: 'gone' });
  await waitScan(page, gone.body.id);
  renameSync(path.join(WORK, 'gone'), path.join(WORK, 'gone_moved'));
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  await page.locator(`tr[data-scan-id="${gone.body.id}"] button:has-text("Rescan")`).click();
  // A rescan is a new version of the root: the new version fails, the old one stays succeeded.
  const failedRow = 'tr[data-status="failed"]:has(a.scan-name:text-is("gone"))';
  await page.waitForSelector(failedRow, { timeout: 30_000 });
  const goneV2 = await page.getAttribute(failedRow, 'data-scan-id');
  assert(goneV2 !== gone.body.id && await page.isVisible(`tr[data-scan-id="${gone.body.id}"][data-status="succeeded"]`), 'the rescan is a new version and the old one stays succeeded');
  assertContains(await page.textContent(`tr[data-scan-id="${goneV2}"]`), 'cannot open', 'a failed scan shows its reason in the list');
  await page.click(`tr[data-scan-id="${goneV2}"] a.scan-name`);
  await page.waitForSelector('[data-tab-body] .error-box');
  assertContains(await page.textContent('[data-tab-body]'), 'This scan failed', 'the scan page says the scan failed');
  assertContains(await page.textContent('[data-tab-body]'), 'No such file or directory', 'with the reason');
  assert(await page.isVisible('[data-tab-body] button:has-text("Resume scan")'), 'and offers to resume it');
  await look(page, '13b-failed-scan.png');

  // ---- Hostile file names are shown as text, never run ----
  const HOST = path.join(WORK, 'hostile');
  mkdirSync(HOST, { recursive: true });
  const evil = ['<img src=x onerror=alert(1)>.jpg', '"><svg onload=alert(2)>.png', "it's & <b>bold<\\b>.jpg"];
  copyFileSync(path.join(DATA, 'street.jpg'), path.join(HOST, evil[0]));
  copyFileSync(path.join(DATA, 'snow.png'), path.join(HOST, evil[1]));
  copyFileSync(path.join(DATA, 'night.jpg'), path.join(HOST, evil[2]));
  // And one photo with camera EXIF, made by Pillow (a test dependency) for the detail panel.
  execFileSync('/usr/bin/python3', ['-c', `
from PIL import Image
from PIL.TiffImagePlugin import IFDRational as R
im = Image.new('RGB', (320, 240), (90, 140, 200))
e = Image.Exif()
e[0x010F] = 'TestCam'; e[0x0110] = 'TC-100 Pro'
e[0x8769] = {0x829D: R(28, 10), 0x829A: R(1, 250), 0x8827: 200, 0x920A: R(45, 10), 0xA434: 'TestLens 4.5mm F2.8', 0x9003: '2024:05:01 12:34:56'}
e[0x8825] = {0x0001: 'N', 0x0002: (R(52, 1), R(30, 1), R(0, 1)), 0x0003: 'E', 0x0004: (R(13, 1), R(24, 1), R(0, 1))}
im.save('${path.join(HOST, 'camera.jpg')}', quality=90, exif=e.tobytes())
`]);
  const hostile = await apiPost(page, '/scans', { root: HOST, name: '<b>not bold</b>' });
  await waitScan(page, hostile.body.id);
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  assertContains(await page.textContent(`tr[data-scan-id="${hostile.body.id}"] a.scan-name`), '<b>not bold</b>', 'a scan name with markup is shown as text');
  await page.goto(`${BASE_URL}/#/scan/${hostile.body.id}/images`);
  await rendered(page, 'tab:images');
  const shown = await page.textContent('[data-table="images"] tbody');
  for (const name of evil) assertContains(shown, name, `the file name ${JSON.stringify(name)} is shown literally`);
  assertEqual(await page.$$eval('main b, main svg[onload], main img[src="x"]', (x) => x.length), 0, 'no element was injected by a file name');
  await page.click('[data-table="images"] tbody tr:has-text("camera.jpg")');
  await page.waitForSelector('[data-drawer] [data-record]');
  const exif = await page.textContent('[data-drawer]');
  for (const want of ['TestCam TC-100 Pro', 'TestLens 4.5mm F2.8', 'f/2.8', '1/250 s', '200', '4.5 mm', '2024:05:01 12:34:56', 'yes (location embedded)']) {
    assertContains(exif, want, `the detail panel shows EXIF ${want}`);
  }
  await page.evaluate(() => { const b = document.querySelector('[data-drawer] .body'); b.scrollTop = b.scrollHeight; });
  await look(page, '08c-image-detail-exif.png');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(300);
  assertEqual(alerts, [], 'no script from a file name ran');

  // ---- Empty states: no images found ----
  mkdirSync(path.join(WORK, 'empty'), { recursive: true });
  writeFileSync(path.join(WORK, 'empty', 'notes.txt'), 'no images here\n');
  const empty = await apiPost(page, '/scans', { root: path.join(WORK, 'empty'), name: 'empty folder' });
  await waitScan(page, empty.body.id);
  await page.goto(`${BASE_URL}/#/scan/${empty.body.id}/overview`);
  await rendered(page, 'tab:overview');
  assertContains(await page.textContent('[data-tab-body]'), 'No images found', 'a scan of a folder without images says "No images found"');
  await look(page, '13-no-images.png');
  await page.goto(`${BASE_URL}/#/scan/doesnotexist/overview`);
  await page.waitForSelector('[data-empty]');
  assertContains(await page.textContent('main'), 'No such scan', 'an unknown scan id shows "No such scan"');

  // ---- Keyboard: skip link, tabs by arrows, table rows by Enter ----
  await page.goto(`${BASE_URL}/#/scan/${v1}/overview`);
  await page.reload(); // a fresh document: focus starts at the top
  await rendered(page, 'tab:overview');
  await page.keyboard.press('Tab');
  assertEqual(await page.evaluate(() => document.activeElement.id), 'skip-link', 'the first Tab lands on "Skip to content"');
  await page.focus('[data-tab="overview"]');
  await page.keyboard.press('ArrowRight');
  await rendered(page, 'tab:plots');
  pass('ArrowRight on the tabs opens the next tab');
  await page.goto(`${BASE_URL}/#/scan/${v1}/images`);
  await rendered(page, 'tab:images');
  await page.focus('[data-table="images"] tbody tr');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-drawer] [data-record]');
  assertEqual(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Close details', 'Enter on a row opens the panel with focus on Close');
  await page.keyboard.press('Escape');
  assertEqual(await page.evaluate(() => document.activeElement.tagName), 'TR', 'closing returns focus to the row');

  // ---- Narrow screen ----
  const phone = await newPage(browser, { width: 390, height: 844, isMobile: true, hasTouch: true });
  for (const [route, name, shot] of [['#/scans', 'scans', '14-narrow-scans.png'], [`#/scan/${v1}/overview`, 'tab:overview', '15-narrow-scan.png'], [`#/scan/${v1}/images`, 'tab:images', '16-narrow-images.png'], [`#/gate?scan=${v1}`, 'gate', '17-narrow-gate.png'], [`#/scan/${v1}/duplicates`, 'tab:duplicates', '17b-narrow-duplicates.png'], [`#/compare?old=${base.body.id}&new=${changed.body.id}`, 'compare:result', '17c-narrow-compare.png']]) {
    await phone.goto(`${BASE_URL}/${route}`);
    await rendered(phone, name);
    await look(phone, shot); // includes: the page fits the 390 px viewport
  }
  assertNoPageErrors(phone, 'the narrow pages');

  assertEqual(foreign, [], 'no request of the dashboard left the daemon');
  const csp = await page.evaluate(async () => (await fetch('/')).headers.get('Content-Security-Policy'));
  assertContains(csp, "default-src 'self'", 'the dashboard is served with a self-only Content-Security-Policy');

  // ---- The daemon goes away: the page says so ----
  assertNoPageErrors(page, 'the dashboard');
  await page.goto(`${BASE_URL}/#/scans`);
  await rendered(page, 'scans');
  process.kill(Number(process.env.IMGEDA_PID), 'SIGTERM');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 15_000 });
  assertContains(await page.textContent('#banner'), 'Cannot reach imgedad', 'a stopped daemon shows the unreachable banner');
  assertContains(await page.textContent('#conn'), 'unreachable', 'and the indicator says so');
  await look(page, '18-daemon-unreachable.png');
  await browser.close();
});
