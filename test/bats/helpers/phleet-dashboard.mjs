// Browser test of the phleet dashboard (`starphleet dashboard --serve`):
// Debian's Chromium, headless, driven by playwright-core. Logs in with the
// printed URL, waits until every ship in SHIPS (comma-separated) is listed
// up with SERVICE online and a log line of each ship is in the merged tail,
// saves a screenshot and touches $READY_FILE. With DOWN_SHIP it then waits
// for that ship to be shown unreachable (its services kept, marked last known).
// usage: node phleet-dashboard.mjs LOGIN_URL SHIPS SERVICE SCREENSHOT [DOWN_SHIP]
// Prints one JSON line of findings; exits 1 (with the reason) on a failure.
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [loginUrl, shipList, service, screenshot, down] = process.argv.slice(2);
const ships = shipList.split(',');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const found = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', (r) => { if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') errors.push(`${r.status()} for ${r.url()}`); });
  await page.goto(loginUrl, { waitUntil: 'domcontentloaded', timeout: 20_000 });
  found.landed = new URL(page.url()).pathname;
  if (found.landed !== '/') throw new Error(`login did not land on the page: ${page.url()}`);
  await page.locator('#conn.live').waitFor({ timeout: 15_000 });
  for (const s of ships) {
    await page.locator(`#ships tbody tr[data-ship="${s}"] td.state-online`).waitFor({ timeout: 30_000 });
    await page.locator(`#services tbody tr[data-ship="${s}"][data-path="${service}"] td.state-online`).waitFor({ timeout: 30_000 });
    await page.waitForFunction((ship) => [...document.querySelectorAll('#log div')].some((d) => d.textContent.split(' ')[1] === ship), s, { timeout: 30_000 });
  }
  found.services = await page.locator('#services tbody tr').count();
  found.logLines = await page.locator('#log div').count();
  found.heading = (await page.locator('#phleet').innerText()).trim();
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  if (process.env.READY_FILE) writeFileSync(process.env.READY_FILE, 'ready\n');
  if (down) {
    await page.locator(`#ships tbody tr[data-ship="${down}"] td.state-failed`).waitFor({ timeout: 60_000 });
    found.downRow = (await page.locator(`#ships tbody tr[data-ship="${down}"]`).innerText()).replace(/\s+/g, ' ').trim();
    found.downServices = await page.locator(`#services tbody tr.stale[data-ship="${down}"]`).count();
    if (found.downServices < 1) throw new Error(`${down}'s last known services are not shown`);
  }
  if (errors.length) throw new Error(`the page reported errors: ${errors.join(' | ')}`);
  console.log(JSON.stringify(found));
} catch (err) {
  console.error(`phleet dashboard test: ${err.message.split('\n')[0]}; so far: ${JSON.stringify(found)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
