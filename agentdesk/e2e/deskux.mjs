// Browser test of the desk and the board as an agent and a supervisor use
// them: the real transfer targets and ticket choices, the agent's own
// pools (an IVR fault ticket reaches the fault desk's pool), a ticket
// dispatched by the rules, the board's waiting list with live waits and a
// move by picking the contact. Run by e2e_test.go (TestBrowserDeskAndBoard).
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// One browser, one context (cookie jar) per person: cheaper than a
// browser each on a loaded machine.
let browser;
async function browserContext() {
  if (!browser) browser = await chromium.launch({ executablePath: exe, headless: true, args });
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
  ctx.setDefaultTimeout(15000);
  return ctx;
}
const t0 = Date.now();
function step(name) { console.log('step: ' + name + ' (' + (Date.now() - t0) + ' ms)'); }
async function login(page, user) {
  await page.fill('#login input[name=login]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}
async function startChat(page, name) {
  await page.setViewportSize({ width: 420, height: 760 });
  await page.goto(base + '/chat/');
  await page.fill('#prechat input[name=name]', name);
  await page.fill('#prechat input[name=phone]', '13900002222');
  await page.click('#prechat button[type=submit]');
  await page.click('.msg.bot .buttons button[data-key="0"]');
}

let agentCtx, custCtx, supCtx, bobCtx;
try {
  agentCtx = await browserContext();
  custCtx = await browserContext();
  supCtx = await browserContext();
  const agent = await agentCtx.newPage();
  const cust = await custCtx.newPage();
  const board = await supCtx.newPage();
  for (const p of [agent, cust, board]) p.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });

  step('agent signs in: the pool offers her own groups; the IVR fault ticket is in the fault desk pool');
  await agent.goto(base + '/desk/');
  await login(agent, 'alice');
  await agent.waitForSelector('#state.not_ready');
  const groups = await agent.$$eval('#pool-group option', (os) => os.map((o) => o.value));
  assert.deepEqual(groups, ['fault-desk', 'general'], 'pool groups are hers');
  await agent.selectOption('#pool-group', 'fault-desk');
  await agent.click('#btn-pool');
  await agent.locator('#pool li', { hasText: '宽带故障' }).waitFor();

  step('the ticket form offers the categories of the settings, and no group to an agent');
  const cats = await agent.$$eval('#categories option', (os) => os.map((o) => o.value));
  assert.ok(cats.includes('broadband') && cats.includes('billing'), 'categories: ' + cats);
  assert.equal(await agent.isHidden('#ticket-group'), true, 'an agent does not pick the group');

  step('a customer waits while the agent is not ready; the board lists them with a growing wait');
  await startChat(cust, '排队客户');
  await board.goto(base + '/board/');
  await login(board, 'sam');
  const row = board.locator('#waiting tr', { hasText: '排队客户' });
  await row.waitFor();
  await board.waitForFunction(() => {
    const n = document.querySelector('#waiting tr td[data-entered]');
    return n && /^0:0[2-9]$/.test(n.textContent);
  }, null, { timeout: 10000 });
  const longest = await board.textContent('#queues td[data-longest="general"]');
  assert.notEqual(longest, '0:00', 'longest wait runs while the customer waits');
  assert.equal(await board.textContent('#queues tr:has(td[data-longest="general"]) td:nth-child(4)'), '1', 'alice staffs general');
  await board.screenshot({ path: join(out, 'deskux-board.png'), fullPage: true });

  step('the supervisor moves the waiting customer by picking them');
  await row.locator('select').selectOption('billing');
  await row.locator('button').click();
  await board.locator('#waiting tr', { hasText: '排队客户' }).locator('td').first().filter({ hasText: 'billing' }).waitFor();

  step('the agent goes ready, accepts, and sees the real transfer targets');
  await agent.click('#btn-ready');
  await agent.waitForSelector('#offer:not([hidden])');
  await agent.click('#btn-accept');
  await agent.waitForSelector('article.chat');
  await agent.focus('article.chat select.transfer-target');
  await agent.waitForFunction(() => document.querySelectorAll('article.chat select.transfer-target option[value^="q:"]').length === 3);
  const targets = await agent.$$eval('article.chat select.transfer-target option', (os) => os.map((o) => o.value));
  assert.ok(targets.includes('q:general') && targets.includes('q:billing'), 'queues: ' + targets);
  assert.ok(!targets.some((v) => v.startsWith('a:')), 'nobody else is ready');

  step('a ticket from the desk goes through the dispatch rules');
  await agent.fill('#ticket-form input[name=category]', 'billing');
  await agent.fill('#ticket-form input[name=subject]', '话费疑问回访');
  await agent.click('#ticket-form button[type=submit]');
  await agent.waitForFunction(() => document.getElementById('ticket-result').textContent !== '');
  assert.match(await agent.textContent('#ticket-result'), /已创建工单/);
  await agent.selectOption('#pool-group', 'general');
  await agent.click('#btn-pool');
  await agent.locator('#pool li', { hasText: '话费疑问回访' }).waitFor();
  await agent.screenshot({ path: join(out, 'deskux-desk.png'), fullPage: true });

  step('a colleague goes ready: he is offered as a transfer target');
  bobCtx = await browserContext();
  const bob = await bobCtx.newPage();
  bob.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });
  await bob.goto(base + '/desk/');
  await login(bob, 'bob');
  await bob.waitForSelector('#state.not_ready');
  await bob.click('#btn-ready');
  await bob.waitForSelector('#state.ready');
  await agent.evaluate(() => { for (const c of window.hotlineDesk.chats.values()) c.targetsAt = 0; });
  await agent.focus('article.chat .msg'); // leave the select, then open it again
  await agent.focus('article.chat select.transfer-target');
  await agent.locator('article.chat select.transfer-target option', { hasText: 'Bob' }).waitFor({ state: 'attached' });

  step('the agent signs out mid-chat: the chat goes to the ready colleague, the customer is told');
  await agent.click('#btn-logout');
  await cust.locator('#status', { hasText: '客服已离开' }).waitFor();
  await bob.waitForSelector('#offer:not([hidden])');
  await bob.locator('#offer-note', { hasText: '原坐席已签出' }).waitFor();
  await bob.click('#btn-accept');
  await bob.waitForSelector('article.chat');
  await cust.waitForFunction(() => document.getElementById('status').textContent.includes('Bob'));
  await agent.waitForSelector('#login input[name=login]', { state: 'visible' });
  console.log('ok');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  for (const c of [agentCtx, custCtx, supCtx, bobCtx]) if (c) await c.close();
  if (browser) await browser.close();
}
