// Browser test of the ship dashboard: Debian's Chromium, headless, driven by
// playwright-core. Logs in with the URL `starphleet dashboard` printed, waits
// for SERVICE to be listed online, makes the service write a line and waits
// for it in the live log tail, checks the filter box, waits for the metrics
// charts to draw SERVICE's requests (pixels of the series' colour on the
// canvas) with its release marked on the timeline, saves a screenshot.
// usage: node dashboard.mjs LOGIN_URL SERVICE_PATH SAY_URL SCREENSHOT
// Prints one JSON line of findings; exits 1 (with the reason) on a failure.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const [loginUrl, service, sayUrl, screenshot] = process.argv.slice(2);
const mark = `BROWSER-MARK-${Date.now()}`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const found = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const requests = [];
  const pageErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Console errors but a resource's status, which is checked by URL (a browser asks for /favicon.ico, which is no part of the page).
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') pageErrors.push(`${r.status()} for ${r.url()}`); });
  const res = await page.goto(loginUrl, { waitUntil: 'domcontentloaded', timeout: 20_000 });
  found.landed = new URL(page.url()).pathname;
  found.status = res?.status();
  if (found.landed !== '/starphleet/dashboard/') throw new Error(`login did not land on the dashboard: ${page.url()}`);
  const row = page.locator(`#services tbody tr[data-path="${service}"]`);
  await row.waitFor({ timeout: 20_000 });
  await page.locator(`#services tbody tr[data-path="${service}"] td.state-online`).waitFor({ timeout: 20_000 });
  found.row = (await row.innerText()).replace(/\s+/g, ' ').trim();
  await page.locator('#conn.live').waitFor({ timeout: 10_000 });
  // A new line, written after the page is up, must appear live.
  const said = await fetch(`${sayUrl}?m=${mark}`);
  if (!said.ok) throw new Error(`${sayUrl} answered ${said.status}`);
  await page.locator('#log div', { hasText: mark }).first().waitFor({ timeout: 15_000 });
  found.liveLine = (await page.locator('#log div', { hasText: mark }).first().innerText()).trim();
  // The filter box keeps only matching lines in view.
  await page.fill('#filter', mark);
  const visible = await page.locator('#log div:not([hidden])').allInnerTexts();
  if (visible.length < 1 || !visible.every((l) => l.includes(mark))) throw new Error(`filter shows ${JSON.stringify(visible.slice(0, 5))}`);
  found.filtered = visible.length;
  await page.fill('#filter', '');
  found.unfiltered = await page.locator('#log div:not([hidden])').count();
  // The charts: a few more requests, then a later 10 s point must carry them. Waiting for all
  // 20 (not any request) matters: the chart spans an hour in 300 px, so two points of equal
  // rate ten seconds apart draw a line of one pixel; the burst makes a tall one.
  for (let i = 0; i < 20; i++) await fetch(`${sayUrl}?m=chart-${i}`);
  const card = page.locator(`.svc-metrics[data-path="${service}"]`);
  await page.waitForFunction((path) => {
    const el = document.querySelector(`.svc-metrics[data-path="${path}"]`);
    return el && Number(el.dataset.requests) >= 20 && Number(el.dataset.marks) > 0;
  }, service, { timeout: 40_000 });
  found.chartPoints = Number(await card.getAttribute('data-points'));
  found.chartRequests = Number(await card.getAttribute('data-requests'));
  found.charts = await card.locator('.chart canvas').count();
  if (found.charts !== 4) throw new Error(`${found.charts} chart canvases for ${service}, not 4`);
  // Pixels of the request series' colour (#2b6cb0) on the rate chart: a line is drawn.
  found.ratePixels = await card.locator('.chart[data-metric="rate"] canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0x2b) < 24 && Math.abs(d[i + 1] - 0x6c) < 24 && Math.abs(d[i + 2] - 0xb0) < 24 && d[i + 3] > 128) n += 1;
    return n;
  });
  if (found.ratePixels < 3) throw new Error(`the rate chart drew no line (${found.ratePixels} pixels of its colour)`);
  found.timeline = (await card.locator('ol.timeline li.live').first().innerText()).trim();
  if (!/^\d\d:\d\d:\d\d\s*v\d+ live/.test(found.timeline)) throw new Error(`the timeline shows '${found.timeline}'`);
  if (pageErrors.length) throw new Error(`the page reported errors: ${pageErrors.join(' | ')}`);
  const foreign = requests.filter((u) => new URL(u).host !== new URL(loginUrl).host);
  if (foreign.length) throw new Error(`the page fetched from elsewhere: ${foreign.join(', ')}`);
  found.requests = requests.length;
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  found.screenshot = screenshot;
  console.log(JSON.stringify(found));
} catch (err) {
  console.error(`dashboard test: ${err.message.split('\n')[0]}; so far: ${JSON.stringify(found)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
