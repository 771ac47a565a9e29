// Browser test of the board's KPI tiles: values, colours against the
// targets, this interval's value, "no data", and the language switch. Run
// by kpis_test.go (TestBrowserBoardKPIs).
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, headless: true, args });
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
  ctx.setDefaultTimeout(20000);
  const board = await ctx.newPage();
  board.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });
  await board.goto(base + '/board/');
  await board.fill('#login input[name=login]', 'sam');
  await board.fill('#login input[name=password]', password);
  await board.click('#login button[type=submit]');

  const tile = (id) => board.locator('#kpi-tiles .tile[data-kpi="' + id + '"]');
  await tile('SL01').waitFor();
  assert.equal(await board.locator('#kpi-tiles .tile').count(), 23, 'one tile per KPI');
  // SL01 2/3 = 66.7 % against ≥ 90 %: red.
  assert.equal((await tile('SL01').locator('.v').textContent()).trim(), '66.7%');
  assert.match(await tile('SL01').getAttribute('class'), /\bbreach\b/);
  assert.match(await tile('SL01').textContent(), /人工接通率/);
  assert.match(await tile('SL01').textContent(), />=0\.9/);
  // SL04 5 s against ≤ 15 s: green; this interval (08:45) had no request.
  assert.equal((await tile('SL04').locator('.v').textContent()).trim(), '5.0s');
  assert.match(await tile('SL04').getAttribute('class'), /\bok\b/);
  assert.match(await tile('SL04').locator('.sub').textContent(), /本时段 无数据/);
  // No outbound attempts: no data, never 0 %.
  assert.equal((await tile('MK04').locator('.v').textContent()).trim(), '无数据');
  assert.match(await tile('MK04').getAttribute('class'), /\bno_data\b/);
  // The trend line: the 08:00, 08:15 and 08:30 intervals had requests.
  assert.equal(await tile('SL01').locator('svg polyline').count(), 1, 'SL01 has a trend line');
  await board.screenshot({ path: join(out, 'board-kpis.png'), fullPage: true });

  await board.click('#btn-lang');
  await board.locator('#kpi-tiles .tile[data-kpi="SL01"]', { hasText: 'Agent answer rate' }).waitFor();
  assert.equal((await tile('MK04').locator('.v').textContent()).trim(), 'no data');
  console.log('ok: board KPI tiles');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
