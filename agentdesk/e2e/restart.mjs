// Browser test of a chat that survives a crash of the server. Run by
// cmd/hotline's TestBrowserChatSurvivesKill, which runs `hotline serve` (the
// demo center, flows open 24×7, SMS to a test gateway) as a child process:
// this script prints KILL once the customer waits in the queue; the test
// kills the server with SIGKILL, starts it again on the same address and
// writes RESTARTED to the script's stdin.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const login = process.env.DESK_LOGIN;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 20000;
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const lines = createInterface({ input: process.stdin });
const restarted = new Promise((resolve) => lines.on('line', (l) => { if (l.trim() === 'RESTARTED') resolve(); }));

const pages = [];
const dirs = [];
const ctxs = [];
async function browserContext(name) {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-' + name + '-'));
  dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: exe, headless: true, args, viewport: { width: 1360, height: 860 }, locale: 'zh-CN',
  });
  ctx.setDefaultTimeout(T);
  ctxs.push(ctx);
  const page = ctx.pages()[0] || await ctx.newPage();
  pages.push([name, page]);
  page.on('pageerror', (e) => { console.error(name + ' page error: ' + e.message); process.exitCode = 1; });
  return page;
}

// Progress goes to stderr: stdout carries only the KILL handshake.
function step(name) { console.error('step: ' + name); }
const text = (page) => page.evaluate(() => document.body.innerText);
const wrong = '975318'; // a code no one sent: typed masked, shown nowhere
const phone = '13300000004'; // a demo customer (account 0571-88000004)

try {
  step('an agent signs in and stays not ready: the chat will wait');
  const agent = await browserContext('agent');
  await agent.goto(base + '/desk/');
  await agent.fill('#login input[name=login]', login);
  await agent.fill('#login input[name=password]', password);
  await agent.click('#login button[type=submit]');
  await agent.waitForSelector('#state.not_ready');
  const cust = await browserContext('customer');

  step('a customer claims a number and asks for the balance: a code is asked for');
  await cust.setViewportSize({ width: 420, height: 760 });
  await cust.goto(base + '/chat/');
  await cust.fill('#prechat input[name=name]', '冯雪');
  await cust.fill('#prechat input[name=phone]', phone);
  await cust.click('#prechat button[type=submit]');
  await cust.locator('.msg.bot', { hasText: '请选择' }).waitFor();
  await cust.click('.msg.bot .buttons button[data-key="1"]');
  await cust.locator('.msg.bot', { hasText: '验证码' }).waitFor();
  assert.equal(await cust.getAttribute('#text', 'type'), 'password', 'the code is typed into a hidden field');

  step('a wrong code, typed masked: no balance, the digits shown nowhere');
  await cust.fill('#text', wrong);
  await cust.press('#text', 'Enter');
  await cust.locator('.msg.bot', { hasText: '不正确' }).waitFor();
  await cust.locator('.msg.customer.masked:not(.sending)').first().waitFor();

  step('it asks for an agent (typed at the masked prompt: dots) and waits in the queue');
  await cust.fill('#text', '人工');
  await cust.press('#text', 'Enter');
  await cust.locator('#status', { hasText: '排队' }).waitFor();
  let shown = await text(cust);
  for (const secret of [wrong, '余额为', '0571-88000004']) assert.ok(!shown.includes(secret), 'the widget shows ' + secret);
  // The snapshot of a reconnect replaces the transcript: the marker goes
  // only when the restarted server has answered.
  await cust.evaluate(() => {
    const m = document.createElement('div');
    m.id = 'before-restart';
    document.getElementById('transcript').append(m);
  });

  step('the server is killed (SIGKILL) and started again');
  console.log('KILL');
  await restarted;
  await cust.locator('#before-restart').waitFor({ state: 'detached', timeout: 60000 });
  await cust.locator('#conn.online').waitFor();

  step('the page is back in the same chat: its transcript, its place in the queue, masked input still dots');
  await cust.locator('.msg.bot', { hasText: '不正确' }).waitFor();
  await cust.locator('.msg.bot', { hasText: '转接人工' }).waitFor();
  await cust.locator('.msg.customer.masked', { hasText: '••••••' }).first().waitFor();
  await cust.locator('#status', { hasText: '排队' }).waitFor();
  shown = await text(cust);
  for (const secret of [wrong, '余额为', '0571-88000004']) assert.ok(!shown.includes(secret), 'after the restart the widget shows ' + secret);
  await cust.screenshot({ path: join(out, 'restart-chat.png'), fullPage: true });

  step('the desk is back too; the agent goes ready and takes the chat');
  await agent.locator('#conn.online').waitFor({ timeout: 60000 });
  await agent.waitForSelector('#state.not_ready');
  await agent.click('#btn-ready');
  await agent.waitForSelector('#offer:not([hidden])');
  await agent.keyboard.press('Alt+A');
  const chat = agent.locator('article.chat').first();
  await chat.waitFor();
  await cust.locator('#status', { hasText: '客服已接入' }).waitFor();

  step('the desk shows the transcript from before the crash, unverified, the number masked, no account');
  await chat.locator('.msg.bot', { hasText: '不正确' }).waitFor();
  await chat.locator('.msg.customer', { hasText: '••••••' }).first().waitFor();
  await chat.locator('.badge.unverified').waitFor();
  await agent.locator('#customer dd', { hasText: '133****0004' }).waitFor();
  shown = await text(agent);
  for (const secret of [wrong, phone, '0571-88000004']) assert.ok(!shown.includes(secret), 'the desk shows ' + secret);

  step('they talk');
  await agent.fill('article.chat input[name=text]', '您好，我已接入，请问有什么可以帮您？');
  await agent.press('article.chat input[name=text]', 'Enter');
  await cust.locator('.msg.agent', { hasText: '我已接入' }).waitFor();
  await cust.fill('#text', '我还在，刚才断线了');
  await cust.press('#text', 'Enter');
  await chat.locator('.msg.customer', { hasText: '刚才断线了' }).waitFor();
  await agent.screenshot({ path: join(out, 'restart-desk.png'), fullPage: true });
  console.error('ok');
} catch (e) {
  // What each page showed, to read the failure by.
  for (const [name, page] of pages) console.error('--- ' + name + ':\n' + await text(page).catch(() => '?'));
  throw e;
} finally {
  lines.close();
  for (const c of ctxs) await c.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
