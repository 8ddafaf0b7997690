// The dashboard in headless Chromium, run by tests/integration/test_dashboard.sh against a live
// imgedad. Environment: IMGEDA_URL (the daemon), IMGEDA_WORK (its scratch directory; the sample
// dataset is in $IMGEDA_WORK/data, inside scan.allowed_roots), IMGEDA_SOURCE (the repository),
// ARTIFACTS (where screenshots go). For now a smoke test; the dashboard's tests extend it.
import {
  BASE_URL, launch, newPage, screenshot, timed, run, assert, assertEqual, assertContains,
  assertNoPageErrors,
} from './lib.mjs';

await run(async () => {
  const browser = await timed('chromium launch', () => launch());
  const page = await newPage(browser, { width: 1280, height: 800 });

  const res = await timed('load /', () => page.goto(`${BASE_URL}/`, { waitUntil: 'load' }));
  assertEqual(res && res.status(), 200, 'GET / answers 200');
  assertContains(await page.title(), 'imgeda', 'the page title names imgeda');

  const health = await page.evaluate(async () => {
    const r = await fetch('/healthz');
    return { status: r.status, body: await r.json() };
  });
  assertEqual(health.status, 200, '/healthz fetched from the page answers 200');
  assertEqual(health.body.status, 'ok', '/healthz says ok');

  await timed('screenshot 00-home', () => screenshot(page, '00-home.png'));
  assertNoPageErrors(page, 'the home page');
  await browser.close();
});
