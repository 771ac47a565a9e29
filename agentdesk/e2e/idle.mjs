// Browser test: the desk logs itself out after the configured idle time
// (the server under test sets 3 s), and the old session no longer works.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-idle-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(dir, { executablePath: exe, headless: true, args, locale: 'zh-CN' });
  ctx.setDefaultTimeout(15000);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });

  console.log('step: agent logs in');
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=login]', 'alice');
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#state.not_ready');
  const before = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(before, 200, 'session works while the desk is in use');

  console.log('step: nobody touches the desk; it logs itself out');
  await page.waitForSelector('#login input[name=login]', { state: 'visible', timeout: 45000 });
  const after = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(after, 401, 'the session ended on the server too');
  console.log('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (ctx) await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
