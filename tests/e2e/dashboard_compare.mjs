// Rescan then compare as a user does it (run by tests/integration/test_dashboard_compare.sh
// against a live imgedad with a finished scan, version 1, of IMGEDA_DATA): change the folder (add
// fresh.png, remove gone.jpg, edit edit.png, move sub/wander.png to moved/wander.png, copy
// twin.jpg), press Rescan on the scans page, see version 2 appear and version 1 stay, open the
// new version's Compare and check it picked the last two versions, shows each section with the
// API's counts and paths, old/new thumbnails of the right images and the phash distance in words.
// At 1440 and 390 px. Environment: IMGEDA_URL, IMGEDA_SCAN, IMGEDA_DATA, IMGEDA_NEXT (the edited
// edit.png and fresh.png).
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BASE_URL, launch, newPage, screenshot, run, assert, assertEqual, assertContains, pass, checkNoOverflow } from './lib.mjs';

const V1 = process.env.IMGEDA_SCAN;
const DATA = process.env.IMGEDA_DATA;
const NEXT = process.env.IMGEDA_NEXT;
const apiGet = (page, p) => page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1${p}`);
const apiPost = (page, p, body) => page.evaluate(async ([u, b]) => (await fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) })).json(), [`/api/v1${p}`, body]);
const rendered = (page, name) => page.waitForSelector(`main[data-rendered="${name}"]`, { timeout: 20_000 });
const count = async (page, sel) => Number((await page.textContent(sel)).replace(/,/g, ''));

await run(async () => {
  const browser = await launch();
  const page = await newPage(browser, { width: 1440, height: 900 });

  // ---- the folder changes, as a user's does between two scans ----
  copyFileSync(path.join(NEXT, 'fresh.png'), path.join(DATA, 'fresh.png'));
  rmSync(path.join(DATA, 'gone.jpg'));
  copyFileSync(path.join(NEXT, 'edit.png'), path.join(DATA, 'edit.png'));
  mkdirSync(path.join(DATA, 'moved'));
  renameSync(path.join(DATA, 'sub/wander.png'), path.join(DATA, 'moved/wander.png'));
  copyFileSync(path.join(DATA, 'twin.jpg'), path.join(DATA, 'twin_copy.jpg'));

  // ---- Rescan on the scans page: version 2 on top, version 1 kept ----
  await page.goto(`${BASE_URL}/#/scans`);
  const v1row = `tr[data-scan-id="${V1}"]`;
  await page.waitForSelector(`${v1row}[data-status="succeeded"]`);
  await page.click(`${v1row} [data-action="resume"]`);
  await page.waitForSelector('.toast:has-text("rescanning as version 2")');
  pass('Rescan says it makes version 2');
  await page.waitForSelector('tr[data-status="succeeded"]:has([data-col="version"]:has-text("v2"))', { timeout: 30_000 });
  const ids = await page.$$eval('tr[data-scan-id]', (els) => els.map((e) => e.dataset.scanId));
  assertEqual(ids.length, 2, 'two rows: the new version and the old one');
  assertEqual(ids[1], V1, 'version 1 stays, below the new one');
  const V2 = ids[0];
  const versions = await apiGet(page, `/scans?root=${encodeURIComponent(DATA)}`);
  assertEqual(versions.scans.map((s) => [s.id, s.version]).sort((a, b) => a[1] - b[1]), [[V1, 1], [V2, 2]], 'the API lists both versions of the root');
  await screenshot(page, '50-versions-scans-1440.png');

  // ---- Compare from the new version's row: the last two versions, compared at once ----
  await page.click(`tr[data-scan-id="${V2}"] [data-action="compare"]`);
  await rendered(page, 'compare:result');
  assertEqual(await page.inputValue('select[name="old"]'), V1, 'old is version 1');
  assertEqual(await page.inputValue('select[name="new"]'), V2, 'new is version 2');
  const opts = await page.$$eval('select[name="new"] optgroup:first-child option', (els) => els.map((e) => e.textContent));
  assertEqual(opts.length, 2, 'the picker lists the root\'s two versions');
  assert(/^v2 · \d{4}-\d\d-\d\d \d\d:\d\d · 6 images$/.test(opts[0]) && /^v1 · .* · 5 images$/.test(opts[1]), 'each with its date and image count', JSON.stringify(opts));

  const diff = await apiPost(page, '/diff', { old: V1, new: V2 });
  const s = diff.summary;
  assertEqual([s.added_count, s.removed_count, s.changed_count, s.moved_count, s.copied_count], [2, 1, 1, 1, 1], 'the API: fresh.png and twin_copy.jpg added, gone.jpg removed, edit.png changed, wander.png moved, twin_copy.jpg copied');
  for (const [card, n] of [['added', s.added_count], ['removed', s.removed_count], ['changed', s.changed_count], ['moved', s.moved_count], ['copied', s.copied_count], ['unchanged', diff.unchanged_count]]) {
    assertEqual(await count(page, `[data-card="${card}"] .value`), n, `the ${card} card says ${n}, as the API`);
  }
  const listed = (key) => page.$$eval(`[data-diff="${key}"] > *`, (els) => els.map((e) => e.dataset.path || e.textContent));
  assertEqual(await listed('added'), diff.added, 'the Added section lists the API\'s paths');
  assertEqual(await listed('removed'), diff.removed, 'the Removed section lists the API\'s paths');
  assertEqual(await listed('changed'), diff.changed.map((c) => c.path), 'the Changed section lists the API\'s paths');
  assertEqual(await listed('moved'), [...diff.moved.map((m) => m.new_path), ...diff.copied.map((c) => c.path)], 'the Moved or copied section lists the moves then the copies');

  // ---- the changed file: both thumbnails, of the right images, and the distance in words ----
  const ch = diff.changed[0];
  assert(ch.path.endsWith('/edit.png') && Number.isInteger(ch.phash_distance), 'edit.png changed, with a phash distance', JSON.stringify(ch));
  const row = `[data-diff="changed"] [data-path="${ch.path}"]`;
  assertEqual((await page.textContent(`${row} .cmp-dist`)).trim(), `phash distance ${ch.phash_distance} bit${ch.phash_distance === 1 ? '' : 's'}`, 'the distance is said in bits');
  assert(!(await page.textContent(row)).includes(diff.changed[0].fields.phash?.old ?? '\u0000'), 'not as two hex strings');
  assertContains(await page.textContent(row), 'width: 320 → 360', 'the other changed fields, old → new');
  // Edited in place: the file on disk is version 2's, so the old side says so rather than show
  // the new pixels as the old ones.
  const srcs = await page.$$eval(`${row} .cmp-side img`, (els) => els.map((e) => e.getAttribute('src')));
  assertEqual(srcs.length, 1, 'one thumbnail, the new one');
  assertContains(await page.textContent(`${row} [data-side="old"] [data-replaced]`), 'replaced in place', 'the old side says the old pixels are not kept');
  const imageOf = async (src) => (await apiGet(page, src.replace(/^\/api\/v1/, '').replace(/\/thumbnail.*$/, ''))).path;
  assert(srcs[0].includes(`/scans/${V2}/`), 'from version 2\'s scan', JSON.stringify(srcs));
  assertEqual(await imageOf(srcs[0]), ch.new_path, 'the new thumbnail is version 2\'s edit.png');
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((i) => i.complete && i.naturalWidth > 0), `${row} .cmp-side img`);
  pass('the thumbnail loads');

  // ---- the moved file: old path and new path side by side, thumbnails of each ----
  const mv = diff.moved[0];
  const mrow = `[data-diff="moved"] [data-path="${mv.new_path}"]`;
  assertEqual(await page.getAttribute(mrow, 'data-kind'), 'moved', 'wander.png is shown as moved');
  const msrc = await page.$$eval(`${mrow} .cmp-side img`, (els) => els.map((e) => e.getAttribute('src')));
  // The old path is gone from disk: both sides show the new path's bytes (the same content hash).
  assertEqual([await imageOf(msrc[0]), await imageOf(msrc[1])], [mv.new_path, mv.new_path], 'both thumbnails show the moved bytes (the old path is gone)');
  assertEqual(await page.textContent(`${mrow} [data-side="old"] .cmp-path`), mv.old_path, 'under the old path');
  assertEqual(await page.textContent(`${mrow} [data-side="new"] .cmp-path`), mv.new_path, 'and the new path');
  const cpsrc = await page.$$eval(`[data-diff="moved"] [data-path="${diff.copied[0].path}"] .cmp-side img`, (els) => els.map((e) => e.getAttribute('src')));
  assertEqual([await imageOf(cpsrc[0]), await imageOf(cpsrc[1])], [diff.copied[0].from, diff.copied[0].path], 'a copy shows its source and itself');
  const cp = diff.copied[0];
  assertEqual(await page.getAttribute(`[data-diff="moved"] [data-path="${cp.path}"]`, 'data-kind'), 'copied', 'twin_copy.jpg is shown as copied');
  await screenshot(page, '51-compare-1440.png', { fullPage: true });

  // ---- one section at a time ----
  await page.click('[data-tab="moved"]');
  assertEqual(await page.$$eval('[data-section]', (els) => els.map((e) => e.dataset.section)), ['moved'], 'the Moved/copied tab shows only that section');
  await page.click('[data-tab="all"]');
  assertEqual(await page.$$eval('[data-section]', (els) => els.map((e) => e.dataset.section)), ['changed', 'moved', 'added', 'removed'], 'All shows every section');

  // ---- a bare #/compare preselects the newest root's last two versions ----
  await page.goto(`${BASE_URL}/#/compare`);
  await rendered(page, 'compare');
  assertEqual([await page.inputValue('select[name="old"]'), await page.inputValue('select[name="new"]')], [V1, V2], 'the Compare page preselects the last two versions');

  // ---- a phone ----
  const phone = await newPage(browser, { width: 390, height: 844 });
  await phone.goto(`${BASE_URL}/#/compare?new=${V2}`);
  await rendered(phone, 'compare:result');
  await checkNoOverflow(phone, 'compare at 390 px');
  await screenshot(phone, '52-compare-390.png', { fullPage: true });
  await phone.goto(`${BASE_URL}/#/scans`);
  await phone.waitForSelector(`tr[data-scan-id="${V2}"]`);
  await screenshot(phone, '53-versions-scans-390.png', { fullPage: true });
  await browser.close();
});
