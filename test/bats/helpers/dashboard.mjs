// Browser test of the ship dashboard: Debian's Chromium, headless, driven by
// playwright-core. Logs in with the URL `starphleet dashboard` printed, waits
// for SERVICE to be listed online, makes the service write a line and waits
// for it in the live log tail, checks the filter box, saves a screenshot.
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
  page.on('request', (r) => requests.push(r.url()));
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
