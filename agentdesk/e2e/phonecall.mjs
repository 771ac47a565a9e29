// Browser test of the desk phone on a real SIP call, run by cmd/hotline's
// TestBrowserAnswersSIPCall against hotline serve: the agent (DESK_LOGIN)
// goes ready and prints READY; the test's SIP caller dials 10000 and
// presses 0; the desk rings, the agent answers, hears the caller (audio
// energy in the page's stats) while its fake microphone (FAKE_AUDIO, a
// WAV file) reaches the caller; then the agent hangs up.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 90000;
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--use-file-for-fake-audio-capture=' + process.env.FAKE_AUDIO,
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

async function waitStats(page, ok, what) {
  const end = Date.now() + T;
  let s;
  while (Date.now() < end) {
    s = await page.evaluate(() => window.hotlinePhone.stats());
    if (ok(s)) return s;
    await page.waitForTimeout(250);
  }
  throw new Error('waiting for ' + what + ': ' + JSON.stringify(s));
}

const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-phonecall-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(dir, { executablePath: exe, headless: true, args, viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
  ctx.setDefaultTimeout(T);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });

  console.error('step: the agent signs in and goes ready');
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=login]', process.env.DESK_LOGIN);
  await page.fill('#login input[name=password]', process.env.DESK_PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#phone.idle');
  await page.click('#btn-ready');
  await page.waitForSelector('#state.ready');
  console.log('READY');

  console.error('step: the SIP call rings on the desk; the agent answers');
  await page.waitForSelector('#phone.ringing');
  await page.click('#btn-phone-answer');
  await page.waitForSelector('#phone.connected');

  console.error('step: the caller is heard, the agent speaks');
  const st = await waitStats(page, (s) => s.received > 100 && s.energy > 0.01 && s.sent > 200, 'audio both ways');
  console.error('stats: ' + JSON.stringify(st));
  await page.screenshot({ path: join(out, 'phonecall.png') });

  console.error('step: the agent hangs up');
  await page.keyboard.press('Alt+H');
  await page.waitForSelector('#phone.idle');
  console.error('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (ctx) await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
