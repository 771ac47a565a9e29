// Browser test of the desk, the chat widget and the board in Debian's
// Chromium, driven by playwright-core. Run by e2e_test.go, which starts the
// server and passes BASE_URL, DESK_PASSWORD and ARTIFACTS.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const password = process.env.DESK_PASSWORD;
const out = process.env.ARTIFACTS;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 15000;

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dirs = [];
async function browserContext(name) {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-' + name + '-'));
  dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: exe, headless: true, args, viewport: { width: 1360, height: 860 }, locale: 'zh-CN',
  });
  ctx.setDefaultTimeout(T);
  return ctx;
}

function step(name) { console.log('step: ' + name); }

async function login(page, user) {
  await page.fill('#login input[name=login]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

const xss = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>粗体</b>';

let agentCtx, custCtx;
try {
  agentCtx = await browserContext('agent');
  custCtx = await browserContext('customer');
  const agent = agentCtx.pages()[0] || await agentCtx.newPage();
  const cust = custCtx.pages()[0] || await custCtx.newPage();
  for (const p of [agent, cust]) p.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });

  step('agent logs in and goes ready');
  await agent.goto(base + '/desk/');
  await login(agent, 'alice');
  await agent.waitForSelector('#state.not_ready');
  await agent.click('#btn-ready');
  await agent.waitForSelector('#state.ready');

  step('customer opens the widget and asks for an agent');
  await cust.setViewportSize({ width: 420, height: 760 });
  await cust.goto(base + '/chat/');
  await cust.fill('#prechat input[name=name]', xss);
  await cust.fill('#prechat input[name=phone]', '13900001234');
  await cust.fill('#prechat input[name=topic]', '话费查询');
  await cust.click('#prechat button[type=submit]');
  await cust.click('.msg.bot .buttons button[data-key="0"]');

  step('agent accepts the offer');
  await agent.waitForSelector('#offer:not([hidden])');
  assert.match(await agent.textContent('#offer-left'), /^0:\d\d$/);
  await agent.keyboard.press('Alt+A');
  await agent.waitForSelector('article.chat');
  await agent.waitForSelector('#offer', { state: 'hidden' });
  await cust.waitForFunction(() => document.getElementById('status').textContent.includes('Alice'));

  step('messages both ways; customer text stays text');
  await cust.fill('#text', xss);
  await cust.press('#text', 'Enter');
  const shown = agent.locator('article.chat .msg.customer', { hasText: '粗体' });
  await shown.waitFor();
  assert.ok((await shown.textContent()).includes('<img src=x onerror='), 'the payload is shown as text');
  assert.equal(await agent.locator('article.chat img, article.chat script, article.chat b').count(), 0, 'no element from customer text');
  assert.equal(await agent.evaluate(() => window.__xss), undefined, 'no script ran');
  assert.equal(await agent.locator('article.chat header .title', { hasText: '<img' }).count(), 1, 'the name is text too');
  await agent.fill('article.chat input[name=text]', '您好，我是客服 Alice，请问有什么可以帮您？');
  await agent.press('article.chat input[name=text]', 'Enter');
  await cust.locator('.msg.agent', { hasText: '请问有什么可以帮您' }).waitFor();
  // The typed number is an unproved claim: masked on the desk, badged unverified.
  await agent.locator('#customer dd', { hasText: '139****1234' }).waitFor();
  await agent.locator('article.chat .badge.unverified').waitFor();

  step('network drops on both sides; nothing is lost or doubled');
  await agentCtx.setOffline(true);
  await custCtx.setOffline(true);
  await agent.evaluate(() => window.hotlineDesk.sock.drop());
  await cust.evaluate(() => window.hotlineChat.sock.drop());
  await agent.fill('article.chat input[name=text]', '断网期间坐席消息');
  await agent.press('article.chat input[name=text]', 'Enter');
  await cust.fill('#text', '断网期间客户消息');
  await cust.press('#text', 'Enter');
  await cust.waitForTimeout(500);
  await custCtx.setOffline(false); // the customer comes back first and sends while the agent is away
  await cust.locator('.msg.customer:not(.sending)', { hasText: '断网期间客户消息' }).waitFor();
  await cust.fill('#text', '坐席掉线时的第二条');
  await cust.press('#text', 'Enter');
  await cust.locator('.msg.customer:not(.sending)', { hasText: '坐席掉线时的第二条' }).waitFor();
  await agentCtx.setOffline(false);
  await agent.locator('article.chat .msg.customer', { hasText: '坐席掉线时的第二条' }).waitFor();
  await cust.locator('.msg.agent:not(.sending)', { hasText: '断网期间坐席消息' }).waitFor();
  await agent.locator('article.chat .msg.agent:not(.sending)', { hasText: '断网期间坐席消息' }).waitFor();
  for (const [page, sel, text] of [
    [agent, 'article.chat .msg.customer', '断网期间客户消息'], [agent, 'article.chat .msg.customer', '坐席掉线时的第二条'],
    [agent, 'article.chat .msg.agent', '断网期间坐席消息'], [cust, '.msg.agent', '断网期间坐席消息'],
    [cust, '.msg.customer', '断网期间客户消息'], [cust, '.msg.customer', '坐席掉线时的第二条']]) {
    assert.equal(await page.locator(sel, { hasText: text }).count(), 1, text + ' shown once on ' + (page === agent ? 'desk' : 'widget'));
  }

  step('agent creates a ticket');
  await agent.fill('#ticket-form input[name=category]', 'billing');
  await agent.fill('#ticket-form input[name=subject]', '客户反映话费异常');
  await agent.fill('#ticket-form textarea[name=description]', '在线客服会话中登记');
  await agent.click('#ticket-form button[type=submit]');
  await agent.locator('#ticket-result', { hasText: '已创建工单' }).waitFor();
  await agent.locator('#customer li', { hasText: '客户反映话费异常' }).waitFor();

  step('agent claims it from the pool, starts and resolves it');
  await agent.click('#btn-pool');
  await agent.locator('#pool li', { hasText: '客户反映话费异常' }).locator('button').click();
  const mine = agent.locator('#mine li', { hasText: '客户反映话费异常' });
  await mine.locator('button', { hasText: '开始处理' }).click();
  await agent.locator('#mine li', { hasText: '处理中' }).waitFor();
  agent.once('dialog', (d) => d.accept('已解释话费构成'));
  await mine.locator('button', { hasText: '办结' }).click();
  await agent.locator('#mine li', { hasText: '已办结' }).waitFor();
  await agent.screenshot({ path: join(out, 'desk.png'), fullPage: true });

  step('agent ends the chat; customer rates; agent wraps up');
  await agent.click('article.chat header button.danger');
  await agent.waitForSelector('.wrapup');
  await cust.click('.msg.bot .buttons button[data-key="1"]');
  await cust.locator('#status', { hasText: '会话已结束' }).waitFor();
  await cust.screenshot({ path: join(out, 'chat.png'), fullPage: true });
  await agent.selectOption('.wrapup select', 'ticket_created');
  await agent.fill('.wrapup input', '已建单跟进');
  await agent.keyboard.press('Alt+W');
  await agent.waitForSelector('.wrapup', { state: 'detached' });

  step('supervisor board');
  const board = await custCtx.newPage();
  board.on('pageerror', (e) => { console.error('board page error: ' + e.message); process.exitCode = 1; });
  board.on('console', (m) => console.log('board console: ' + m.text()));
  await board.goto(base + '/board/');
  await login(board, 'sam');
  await board.locator('#agents tr', { hasText: 'Alice' }).waitFor();
  await board.locator('#queues tr', { hasText: 'general' }).waitFor();
  await board.screenshot({ path: join(out, 'board.png'), fullPage: true });
  await board.click('#btn-lang');
  await board.locator('h1', { hasText: 'Hotline supervisor board' }).waitFor();
  await board.locator('#agents .pill', { hasText: 'Ready' }).waitFor();
  console.log('ok');
} finally {
  if (agentCtx) await agentCtx.close();
  if (custCtx) await custCtx.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
