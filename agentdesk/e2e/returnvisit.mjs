// Browser test of a ticket's return visit ("Call customer" on My tickets),
// run by cmd/hotline's TestBrowserReturnVisit against hotline serve with a
// test trunk. The agent (DESK_LOGIN, Mandarin) signs in, not ready; the
// test has filed a ticket for them whose customer has a phone number
// (SUBJECT). The script and the Go test take turns over stdout/stdin:
//   - the agent refreshes My tickets and clicks the ticket's Call customer
//     button: the desk's phone rings first (role visit), the agent
//     answers; the script prints CONNECTED;
//   - the test's trunk is called for the customer's number, hears the
//     agent's microphone (FAKE_AUDIO) and talks back; it answers HEARD;
//   - the agent hears the customer (audio energy in the page's stats),
//     hangs up; the phone goes idle.
// Screenshots go to ARTIFACTS.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 90000;
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--use-file-for-fake-audio-capture=' + process.env.FAKE_AUDIO,
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

const stdin = createInterface({ input: process.stdin });
const lines = [];
let waiter = null;
stdin.on('line', (l) => { if (waiter) { const w = waiter; waiter = null; w(l); } else lines.push(l); });
const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => { waiter = r; }));

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

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, headless: true, args });
  console.error('step: the agent signs in (not ready)');
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(T);
  const desk = await ctx.newPage();
  desk.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });
  await desk.goto(base + '/desk/');
  await desk.fill('#login input[name=login]', process.env.DESK_LOGIN);
  await desk.fill('#login input[name=password]', process.env.DESK_PASSWORD);
  await desk.click('#login button[type=submit]');
  await desk.waitForSelector('#phone.idle');

  console.error('step: My tickets lists the ticket; the agent clicks Call customer');
  const button = '#mine li:has-text("' + process.env.SUBJECT + '") button.call-customer';
  for (let i = 0; i < 60 && !(await desk.$(button)); i++) {
    await desk.click('#btn-mine');
    await desk.waitForTimeout(500);
  }
  assert.equal(await desk.textContent(button), '回访电话');
  await desk.click(button);
  // The toast shows for 3 s: on a loaded machine the page can hide it
  // before a visibility check looks; its text stays.
  await desk.waitForSelector('#toast:has-text("回访")', { state: 'attached' });

  console.error('step: the desk phone rings first (return visit); the agent answers');
  await desk.waitForSelector('#phone.ringing.role-visit');
  assert.match(await desk.textContent('#phone-title'), /回访电话/);
  await desk.screenshot({ path: join(out, 'returnvisit-ringing.png') });
  await desk.click('#btn-phone-answer');
  await desk.waitForSelector('#phone.connected.role-visit');
  console.log('CONNECTED');
  assert.equal(await nextLine(), 'HEARD', 'the customer hears the agent');

  console.error('step: the agent hears the customer');
  const st = await waitStats(desk, (s) => s.received > 100 && s.energy > 0.01, 'the agent hears the customer');
  console.error('stats: ' + JSON.stringify(st));
  await desk.screenshot({ path: join(out, 'returnvisit-connected.png') });

  console.error('step: the agent hangs up');
  await desk.keyboard.press('Alt+H');
  await desk.waitForSelector('#phone.idle');
  console.error('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  stdin.close();
}
