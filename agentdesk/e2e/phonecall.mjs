// Browser test of the desk phone on a real SIP call, run by cmd/hotline's
// TestBrowserAnswersSIPCall against hotline serve. Three pages in one
// Chromium: the agent (DESK_LOGIN, Mandarin), a second agent (DESK2_LOGIN,
// English) who serves the queue the call is transferred to, and a
// supervisor (SUP_LOGIN) on the board.
//
// The script and the Go test take turns over stdout/stdin:
//   - the agent goes ready and prints READY; the test's SIP caller dials
//     10000 and presses 0; the desk rings, the agent answers, hears the
//     caller (audio energy in the page's stats) while its fake microphone
//     (FAKE_AUDIO, a WAV file) reaches the caller;
//   - the second agent goes ready; the agent picks the queue TRANSFER_QUEUE
//     in the call tools and transfers blind with a note; the second agent's
//     desk rings naming TRANSFER_QUEUE and showing the note, they answer
//     and hear the caller; the script prints TRANSFERRED and
//     waits for a line on stdin (the test checks the caller hears the
//     second agent's microphone);
//   - the supervisor clicks Listen on the second agent's call on the board;
//     the board's phone answers by itself and hears the call; the
//     supervisor leaves;
//   - the first agent goes ready; the second consults them (Consult): the
//     first agent's desk rings, they answer and hear the second; Cancel
//     ends it; Consult again, answered, Conference: the script prints
//     CONFERENCE (the test checks the caller hears the agents again after
//     the hold music and answers HEARD); Complete transfer: the second
//     agent's phone goes idle, the first keeps the caller (COMPLETED,
//     HEARD);
//   - QUIET: the test's caller goes silent (OK); the agent mutes; the
//     supervisor clicks Whisper on the agent's call: the agent hears the
//     supervisor; WHISPER: the test checks the caller does not
//     (NOT-HEARD); the supervisor switches to Barge on the board's card:
//     BARGE, the test checks the caller hears the supervisor (HEARD); the
//     supervisor leaves, the agent hangs up.
// With UNTIL=listen the script ends after the supervisor left: the second
// agent hangs up and the script prints DONE (cmd/hotline's
// TestBrowserAnswersBaresipCall, whose caller is baresip, checks the rest
// of the call itself).
// Screenshots of the three pages go to ARTIFACTS, their names prefixed
// with SHOTS (default "phonecall").
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 90000;
const shots = process.env.SHOTS || 'phonecall';
const shot = (name) => join(out, shots + name + '.png');
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--use-file-for-fake-audio-capture=' + process.env.FAKE_AUDIO,
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

// The Go test's lines on stdin, read one at a time.
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

// heard waits until the page received more audio with energy than before.
async function heard(page, who) {
  const before = await page.evaluate(() => window.hotlinePhone.stats());
  return waitStats(page, (s) => s.received > before.received + 100 && s.energy > before.energy + 0.005, who + ' hears the call');
}

// silent waits until the page hears nothing: its audio energy stays put
// over 20 packets.
async function silent(page, who) {
  let prev = await page.evaluate(() => window.hotlinePhone.stats());
  const end = Date.now() + T;
  while (Date.now() < end) {
    await page.waitForTimeout(500);
    const s = await page.evaluate(() => window.hotlinePhone.stats());
    if (s.received > prev.received + 20 && s.energy - prev.energy < 0.0005) return s;
    if (s.received > prev.received + 20) prev = s;
  }
  throw new Error(who + ' never went quiet');
}

// goReady makes the agent ready from wrap-up (or waits until they are).
async function goReady(page) {
  await page.waitForFunction(() => {
    if (document.querySelector('#state.ready')) return true;
    const b = document.querySelector('#btn-ready');
    if (b && !b.disabled) b.click();
    return false;
  }, null, { polling: 500, timeout: T });
}

async function signIn(browser, locale, path, login, password) {
  const ctx = await browser.newContext({ locale, viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(T);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { console.error(login + ' page error: ' + e.message); process.exitCode = 1; });
  await page.goto(base + path);
  await page.fill('#login input[name=login]', login);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  return page;
}

let browser;
try {
  browser = await chromium.launch({ executablePath: exe, headless: true, args });

  console.error('step: the agents sign in, the first goes ready; the supervisor opens the board');
  const desk = await signIn(browser, 'zh-CN', '/desk/', process.env.DESK_LOGIN, process.env.DESK_PASSWORD);
  await desk.waitForSelector('#phone.idle');
  const desk2 = await signIn(browser, 'en-US', '/desk/', process.env.DESK2_LOGIN, process.env.DESK2_PASSWORD);
  await desk2.waitForSelector('#phone.idle');
  const board = await signIn(browser, 'zh-CN', '/board/', process.env.SUP_LOGIN, process.env.SUP_PASSWORD);
  await board.waitForSelector('#agents tr');
  await desk.click('#btn-ready');
  await desk.waitForSelector('#state.ready');
  console.log('READY');

  console.error('step: the SIP call rings on the desk; the agent answers');
  await desk.waitForSelector('#phone.ringing');
  await desk.click('#btn-phone-answer');
  await desk.waitForSelector('#phone.connected');
  await desk.waitForSelector('#call-tools:not([hidden])');
  // The empty chat pane says the agent is on another contact, not "go ready".
  await desk.waitForFunction(() => document.querySelector('#no-chats').textContent.includes('其他接入'), null, { timeout: T });

  console.error('step: the caller is heard, the agent speaks');
  const st = await waitStats(desk, (s) => s.received > 100 && s.energy > 0.01 && s.sent > 200, 'audio both ways');
  console.error('stats: ' + JSON.stringify(st));
  await desk.screenshot({ path: shot('') });

  console.error('step: a transfer without a target says what is missing');
  await desk.click('#btn-call-transfer');
  await desk.waitForSelector('#call-error:not([hidden])');
  assert.match(await desk.textContent('#call-error'), /转接目标/);

  console.error('step: the second agent goes ready; the agent transfers blind to ' + process.env.TRANSFER_QUEUE);
  await desk2.click('#btn-ready');
  await desk2.waitForSelector('#state.ready');
  await desk.focus('#call-target');
  const opt = '#call-target option[value="q:' + process.env.TRANSFER_QUEUE + '"]';
  await desk.waitForSelector(opt, { state: 'attached' });
  await desk.selectOption('#call-target', 'q:' + process.env.TRANSFER_QUEUE);
  const note = '客户报修宽带，已核实身份';
  await desk.fill('#call-note', note);
  await desk.screenshot({ path: shot('-transfer') });
  await desk.click('#btn-call-transfer');
  await desk.waitForSelector('#phone.idle');

  console.error('step: the second agent\'s desk rings with the note; they answer and hear the caller');
  // The card names the queue the call waits in now, and the note.
  await desk2.waitForSelector('#phone.ringing');
  await desk2.waitForSelector('#phone-note:not([hidden])');
  assert.equal(await desk2.textContent('#phone-note'), 'Transferred to you: ' + note);
  assert.equal(await desk2.textContent('#phone-queue'), 'Queue ' + process.env.TRANSFER_QUEUE);
  await desk2.screenshot({ path: shot('-second-agent-ringing') });
  await desk2.click('#btn-phone-answer');
  await desk2.waitForSelector('#phone.connected');
  await desk2.waitForSelector('#call-tools:not([hidden])');
  assert.equal(await desk2.textContent('#btn-call-transfer'), 'Blind transfer');
  assert.equal(await desk2.textContent('#phone-queue'), 'Queue ' + process.env.TRANSFER_QUEUE);
  assert.equal(await desk2.isVisible('#phone-note'), true, 'the note stays during the call');
  const st2 = await heard(desk2, 'the second agent');
  console.error('second agent stats: ' + JSON.stringify(st2));
  console.log('TRANSFERRED');
  const answer = await nextLine();
  assert.equal(answer, 'HEARD', 'the test says whether the caller hears the second agent');
  await desk2.screenshot({ path: shot('-second-agent') });

  console.error('step: the supervisor listens from the board');
  const listen = '#agents tr:has-text("' + process.env.DESK2_NAME + '") [data-call] button[data-mode=listen]';
  await board.waitForSelector(listen);
  await board.click(listen);
  await board.waitForSelector('#phone.connected.role-listen');
  await board.waitForSelector('#call-monitor:not([hidden])');
  const sst = await heard(board, 'the supervisor');
  console.error('supervisor stats: ' + JSON.stringify(sst));
  await board.screenshot({ path: shot('-board-listen'), fullPage: true });

  console.error('step: the supervisor leaves');
  await board.click('#btn-phone-hangup');
  await board.waitForSelector('#phone', { state: 'hidden' });

  if (process.env.UNTIL === 'listen') {
    console.error('step: the second agent hangs up');
    await desk2.keyboard.press('Alt+H');
    await desk2.waitForSelector('#phone.idle');
    console.log('DONE');
  } else {
    console.error('step: the first agent goes ready again; the second consults them, then cancels');
    await goReady(desk);
    const agentOpt = '#call-target option[value^="a:"]:not([disabled])';
    const pickAgent = async () => {
      // The targets load on focus; the ready agent shows once the list is in.
      for (let i = 0; i < 40; i++) {
        await desk2.focus('#btn-call-consult');
        await desk2.focus('#call-target');
        if (await desk2.$(agentOpt)) break;
        await desk2.waitForTimeout(500);
      }
      const v = await desk2.$eval(agentOpt, (o) => o.value);
      await desk2.selectOption('#call-target', v);
    };
    await pickAgent();
    await desk2.click('#btn-call-consult');
    await desk2.waitForSelector('#call-consult:not([hidden])');
    await desk.waitForSelector('#phone.ringing.role-consult');
    await desk.click('#btn-phone-answer');
    await desk.waitForSelector('#phone.connected.role-consult');
    await desk2.waitForSelector('#btn-call-conference:not([disabled])');
    const cst = await heard(desk, 'the consulted agent');
    console.error('consulted agent stats: ' + JSON.stringify(cst));
    await desk2.screenshot({ path: shot('-consult') });
    await desk2.click('#btn-call-cancel');
    await desk.waitForSelector('#phone.idle');
    await desk2.waitForSelector('#call-tools:not([hidden])');
    assert.equal(await desk2.isHidden('#call-consult'), true, 'the consultation tools go away after cancel');

    console.error('step: the second agent consults again, makes it a conference, then completes the transfer');
    await goReady(desk);
    await pickAgent();
    await desk2.click('#btn-call-consult');
    await desk.waitForSelector('#phone.ringing.role-consult');
    await desk.click('#btn-phone-answer');
    await desk.waitForSelector('#phone.connected.role-consult');
    await desk2.waitForSelector('#btn-call-conference:not([disabled])');
    await desk2.click('#btn-call-conference');
    await desk2.waitForSelector('#btn-call-conference[disabled]');
    assert.match(await desk2.textContent('#call-consult-status'), new RegExp('Three-way conference · ' + process.env.DESK_NAME));
    await desk2.screenshot({ path: shot('-conference') });
    console.log('CONFERENCE');
    assert.equal(await nextLine(), 'HEARD', 'the caller hears the conference');
    await desk2.click('#btn-call-complete');
    await desk2.waitForSelector('#phone.idle');
    await desk.waitForSelector('#phone.connected');
    console.log('COMPLETED');
    assert.equal(await nextLine(), 'HEARD', 'the caller hears the agent who took the call');
    await desk.screenshot({ path: shot('-completed') });

    console.error('step: the caller and the agent go quiet; the supervisor whispers from the board');
    console.log('QUIET');
    assert.equal(await nextLine(), 'OK');
    await desk.click('#btn-phone-mute');
    await silent(desk, 'the agent');
    const agentRow = '#agents tr:has-text("' + process.env.DESK_NAME + '") [data-call] ';
    await board.waitForSelector(agentRow + 'button[data-mode=whisper]');
    await board.click(agentRow + 'button[data-mode=whisper]');
    await board.waitForSelector('#phone.connected.role-whisper');
    await board.waitForSelector('#btn-monitor-whisper.primary');
    const wst = await heard(desk, 'the agent hears the whisper');
    console.error('agent stats while whispered to: ' + JSON.stringify(wst));
    await board.screenshot({ path: shot('-board-whisper'), fullPage: true });
    console.log('WHISPER');
    assert.equal(await nextLine(), 'NOT-HEARD', 'the caller does not hear the whisper');

    console.error('step: the supervisor barges in');
    await board.click('#btn-monitor-barge');
    await board.waitForSelector('#phone.connected.role-barge');
    await board.waitForSelector('#btn-monitor-barge.primary');
    await board.screenshot({ path: shot('-board-barge'), fullPage: true });
    console.log('BARGE');
    assert.equal(await nextLine(), 'HEARD', 'the caller hears the supervisor barge in');

    console.error('step: the supervisor leaves; the agent hangs up');
    await board.click('#btn-phone-hangup');
    await board.waitForSelector('#phone', { state: 'hidden' });
    await desk.keyboard.press('Alt+H');
    await desk.waitForSelector('#phone.idle');
  }
  console.error('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  stdin.close();
}
