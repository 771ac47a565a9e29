// Browser test of the desk softphone in Debian's Chromium with a fake
// microphone (a beep) and permission granted: a call rings on the desk,
// the agent answers, audio flows both ways, mute and the keypad work, the
// chosen microphone is remembered, the agent hangs up. Run by phone_test.go,
// whose Go caller queues the call, plays a tone toward the agent and
// checks what it hears.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 45000;

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // A microphone that plays a beep, and the permission prompt answered yes.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  // The server under test offers its loopback address only; candidates
  // carry addresses, not mDNS names.
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required'];

function step(name) { console.log('step: ' + name); }

// waitStats polls the page's peer-connection figures until ok(stats).
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

const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-phone-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(dir, { executablePath: exe, headless: true, args, viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
  ctx.setDefaultTimeout(T);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });
  page.on('response', (r) => { if (r.status() >= 400) console.log('http ' + r.status() + ' ' + r.url()); });

  step('agent logs in and goes ready');
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=login]', 'alice');
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#state.not_ready');
  await page.waitForSelector('#phone.idle');
  await page.click('#btn-ready');

  step('the call rings on the desk');
  await page.waitForSelector('#phone.ringing');
  const caller = await page.textContent('#phone-caller');
  assert.equal(caller, '139****4321', 'the caller is shown masked');
  assert.ok(await page.isHidden('#offer'), 'the ring banner stands in for the offer card');
  await page.screenshot({ path: join(out, 'phone-ringing.png') });

  step('the agent answers; media flows');
  await page.click('#btn-phone-answer');
  await page.waitForSelector('#phone.connected');
  const st = await waitStats(page, (s) => s.sent > 50 && s.received > 50 && s.energy > 0, 'audio both ways');
  console.log('stats: ' + JSON.stringify(st));
  assert.match(st.codec, /PCM[UA]/, 'G.711 negotiated');

  step('mute and unmute');
  await page.click('#btn-phone-mute');
  await page.waitForFunction(() => /静音/.test(document.getElementById('phone-status').textContent));
  assert.equal(await page.evaluate(() => window.hotlinePhone.stream.getAudioTracks()[0].enabled), false, 'the microphone track is off');
  await page.click('#btn-phone-mute');
  await page.waitForFunction(() => document.getElementById('phone-status').textContent === '');

  step('DTMF from the keypad');
  await page.click('#phone-keys-label');
  await page.click('#phone-keys button[data-key="5"]');

  step('the microphone chosen is remembered');
  const mics = await page.$$eval('#phone-mic option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(mics.length > 0, 'the fake microphones are listed');
  await page.selectOption('#phone-mic', mics[mics.length - 1]);
  assert.equal(await page.evaluate(() => localStorage.getItem('hotline.phone.mic')), mics[mics.length - 1]);
  await page.screenshot({ path: join(out, 'phone-call.png') });

  step('the agent hangs up (Alt+H)');
  // Let the caller hear the agent for a while before the end.
  await waitStats(page, (s) => s.sent > 150, 'more audio to the caller');
  await page.keyboard.press('Alt+H');
  await page.waitForSelector('#phone.idle');
  assert.equal(await page.evaluate(() => window.hotlinePhone.stream), null, 'the microphone is released');

  step('after a reload the choice is still there');
  await page.reload();
  await page.waitForSelector('#state');
  await page.waitForFunction(() => document.querySelectorAll('#phone-mic option').length > 1);
  assert.equal(await page.inputValue('#phone-mic'), mics[mics.length - 1], 'the remembered microphone is selected');
  console.log('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (ctx) await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
