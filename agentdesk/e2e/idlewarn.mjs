// Browser test of the idle rule with a short timeout (12 s here, one minute
// in the seed): an agent who keeps working stays signed in past the
// timeout (the page reports activity), a warning with "keep working" shows
// before the logout, and the login page says why after it.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-idlewarn-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(dir, { executablePath: exe, headless: true, args, locale: 'zh-CN', viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(20000);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });
  const me = () => page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);

  console.log('step: agent signs in and works past the idle timeout');
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=login]', 'alice');
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#state.not_ready');
  const start = Date.now();
  while (Date.now() - start < 16000) {
    await page.mouse.move(100 + (Date.now() % 200), 300);
    await page.keyboard.press('Shift');
    await page.waitForTimeout(1500);
    assert.equal(await page.isHidden('#idle-warning'), true, 'no warning while working');
  }
  assert.equal(await me(), 200, 'the session lives on the server while the agent works');
  assert.equal(await page.isVisible('#state'), true);

  console.log('step: left alone, a warning shows; "keep working" keeps the desk');
  await page.waitForSelector('#idle-warning:not([hidden])');
  await page.screenshot({ path: join(out, 'idle-warning.png') });
  await page.click('#btn-stay');
  await page.waitForSelector('#idle-warning', { state: 'hidden' });
  assert.equal(await me(), 200);

  console.log('step: left alone again, the desk signs out and says why');
  await page.waitForSelector('#idle-warning:not([hidden])');
  await page.waitForSelector('#login input[name=login]', { state: 'visible' });
  await page.locator('#signout-reason', { hasText: '无操作' }).waitFor();
  await page.screenshot({ path: join(out, 'signed-out.png') });
  assert.equal(await me(), 401, 'the session ended on the server too');
  console.log('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (ctx) await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
