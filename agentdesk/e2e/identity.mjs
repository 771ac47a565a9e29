// Browser test of the chat customer's identity: a number typed into the
// widget is a claim. Run by identity_test.go, which starts the server with
// the shipped flows, a customer 13900000001 (account A100, balance 123.45)
// and a test SMS gateway at SMS_URL (GET /outbox lists what was sent).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const smsURL = process.env.SMS_URL;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 15000;
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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
  page.on('pageerror', (e) => { console.error(name + ' page error: ' + e.message); process.exitCode = 1; });
  return page;
}

function step(name) { console.log('step: ' + name); }

async function lastCode(phone, n) {
  for (let i = 0; i < 100; i++) {
    const sent = await (await fetch(smsURL + '/outbox')).json();
    const mine = (sent || []).filter((m) => m.to === phone);
    if (mine.length >= n) return mine[n - 1].text.match(/\d{6}/)[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no SMS number ' + n + ' to ' + phone);
}

async function openChat(page, phone) {
  await page.setViewportSize({ width: 420, height: 760 });
  await page.goto(base + '/chat/');
  await page.fill('#prechat input[name=name]', '张三');
  await page.fill('#prechat input[name=phone]', phone);
  await page.click('#prechat button[type=submit]');
  await page.locator('.msg.bot', { hasText: '请选择' }).waitFor();
}

const text = (page) => page.evaluate(() => document.body.innerText);

try {
  const agent = await browserContext('agent');
  const custA = await browserContext('customer-a');
  const custB = await browserContext('customer-b');

  step('agent logs in and goes ready');
  await agent.goto(base + '/desk/');
  await agent.fill('#login input[name=login]', 'alice');
  await agent.fill('#login input[name=password]', password);
  await agent.click('#login button[type=submit]');
  await agent.waitForSelector('#state.not_ready');
  await agent.click('#btn-ready');
  await agent.waitForSelector('#state.ready');

  step('a customer types a number and asks for the balance: a code is asked for, no balance');
  await openChat(custA, '139 0000 0001');
  await custA.click('.msg.bot .buttons button[data-key="1"]');
  await custA.locator('.msg.bot', { hasText: '验证码' }).waitFor();
  assert.equal(await custA.getAttribute('#text', 'type'), 'password', 'the code is typed into a hidden field');
  const codeA = await lastCode('13900000001', 1);
  const wrong = codeA === '975318' ? '864297' : '975318';
  await custA.fill('#text', wrong);
  await custA.press('#text', 'Enter');
  await custA.locator('.msg.bot', { hasText: '不正确' }).waitFor();
  await custA.locator('.msg.customer.masked:not(.sending)').first().waitFor();
  let shown = await text(custA);
  assert.ok(!shown.includes(wrong), 'the typed code is not shown in the customer bubble');
  assert.ok(!shown.includes('123.45'), 'no balance before the code');

  step('it asks for an agent: the desk shows it unverified, the number masked, no account');
  await custA.fill('#text', '人工');
  await custA.press('#text', 'Enter');
  await agent.waitForSelector('#offer:not([hidden])');
  await agent.keyboard.press('Alt+A');
  const chatA = agent.locator('article.chat').first();
  await chatA.locator('.badge.unverified').waitFor();
  await agent.locator('#customer .badge.unverified').waitFor();
  await agent.locator('#customer dd', { hasText: '139****0001' }).waitFor();
  await chatA.locator('.msg.customer', { hasText: '••••••' }).first().waitFor();
  shown = await text(agent);
  for (const secret of ['13900000001', 'A100', '123.45', wrong, codeA]) assert.ok(!shown.includes(secret), 'the desk shows ' + secret);

  step('another chat proves the number with the code from the SMS: the balance follows');
  await openChat(custB, '13900000001');
  await custB.click('.msg.bot .buttons button[data-key="1"]');
  await custB.locator('.msg.bot', { hasText: '验证码' }).waitFor();
  const codeB = await lastCode('13900000001', 2);
  await custB.fill('#text', codeB);
  await custB.press('#text', 'Enter');
  await custB.locator('.msg.bot', { hasText: '验证成功' }).waitFor();
  await custB.locator('.msg.bot', { hasText: '您的账户余额为123.45元' }).waitFor();
  shown = await text(custB);
  assert.ok(!shown.includes(codeB), 'the code is not shown on the widget');
  assert.ok(!shown.includes('请按'), 'the chat does not speak like a phone');
  assert.equal(await custB.getAttribute('#text', 'type'), 'text', 'plain input again after the code');
  await custB.screenshot({ path: join(out, 'identity-chat.png'), fullPage: true });

  step('the verified customer reaches the agent: verified badge, account, no code');
  await custB.locator('.msg.bot').last().locator('.buttons button[data-key="0"]').click();
  await agent.waitForSelector('#offer:not([hidden])');
  await agent.keyboard.press('Alt+A');
  const chatB = agent.locator('article.chat', { has: agent.locator('.badge.verified') });
  await chatB.waitFor();
  await agent.locator('#customer .badge.verified').waitFor();
  await agent.locator('#customer dd', { hasText: 'A100' }).waitFor();
  await chatB.locator('.msg.customer', { hasText: '••••••' }).waitFor();
  shown = await text(agent);
  for (const secret of [codeA, codeB, wrong]) {
    const i = shown.indexOf(secret);
    assert.ok(i < 0, 'the desk shows the code ' + secret + ': …' + shown.slice(Math.max(0, i - 80), i + 40) + '…');
  }
  await agent.screenshot({ path: join(out, 'identity-desk.png'), fullPage: true });

  step('the widget switches language completely');
  await custB.click('#btn-lang');
  await custB.locator('.msg.customer .who', { hasText: 'Me' }).first().waitFor();
  await custB.locator('#composer button[type=submit]', { hasText: 'Send' }).waitFor();
  assert.equal(await custB.title(), 'Online service');

  step('the desk switches language completely');
  await agent.click('#btn-lang');
  await agent.locator('article.chat .badge.verified', { hasText: 'Verified by SMS' }).waitFor();
  await agent.locator('article.chat .badge.unverified', { hasText: 'Unverified' }).waitFor();
  await agent.locator('article.chat button[type=submit]', { hasText: 'Send' }).first().waitFor();
  await agent.locator('#customer h3', { hasText: 'Past contacts' }).waitFor();
  assert.equal(await agent.title(), 'Hotline agent desktop');
  assert.equal(await agent.locator('article.chat .msg.bot .who', { hasText: '智能助手' }).count(), 0, 'no Mandarin label left on the transcript');
  console.log('ok');
} finally {
  for (const c of ctxs) await c.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
