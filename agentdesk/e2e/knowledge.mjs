// Browser test of the desk's knowledge pane: suggestions from the
// customer's words, search as you type, an agents-only article that cannot
// be sent, and a public article sent into the chat and shown sanitized on
// the customer's page. Run by knowledge_test.go.
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

let agentCtx, custCtx;
try {
  agentCtx = await browserContext('kb-agent');
  custCtx = await browserContext('kb-customer');
  const agent = agentCtx.pages()[0] || await agentCtx.newPage();
  const cust = custCtx.pages()[0] || await custCtx.newPage();
  for (const p of [agent, cust]) p.on('pageerror', (e) => { console.error('page error: ' + e.message); process.exitCode = 1; });

  step('agent logs in and goes ready');
  await agent.goto(base + '/desk/');
  await agent.fill('#login input[name=login]', 'alice');
  await agent.fill('#login input[name=password]', password);
  await agent.click('#login button[type=submit]');
  await agent.waitForSelector('#state.not_ready');
  await agent.waitForSelector('#kb-pane');
  await agent.click('#btn-ready');
  await agent.waitForSelector('#state.ready');

  step('customer asks for an agent, who accepts');
  await cust.setViewportSize({ width: 420, height: 760 });
  await cust.goto(base + '/chat/');
  await cust.fill('#prechat input[name=name]', '王女士');
  await cust.fill('#prechat input[name=phone]', '13900005678');
  await cust.click('#prechat button[type=submit]');
  await cust.click('.msg.bot .buttons button[data-key="0"]');
  await agent.waitForSelector('#offer:not([hidden])');
  await agent.click('#btn-accept');
  await agent.waitForSelector('article.chat');
  await cust.waitForFunction(() => document.getElementById('status').textContent.includes('Alice'));

  step('the customer describes the problem; the pane suggests the article');
  await cust.fill('#text', '家里宽带断网了，一直上不了网怎么办');
  await cust.press('#text', 'Enter');
  await agent.locator('article.chat .msg.customer', { hasText: '宽带断网' }).waitFor();
  await agent.click('#kb-suggest');
  await agent.locator('#kb-hits li[data-id="broadband-down"]').waitFor();

  step('search as you type');
  await agent.fill('#kb-q', '漫游');
  await agent.locator('#kb-hits li[data-id="roaming-intl"]').waitFor();
  await agent.locator('#kb-hits li[data-id="roaming-intl"] .kb-snippet mark', { hasText: '漫游' }).first().waitFor();

  step('an agents-only article cannot be sent');
  await agent.fill('#kb-q', '错误代码');
  await agent.locator('#kb-hits li[data-id="system-codes"]').click();
  await agent.locator('#kb-view .kb-title', { hasText: '营业系统宽带错误代码' }).waitFor();
  assert.ok(await agent.locator('#kb-send').isDisabled(), 'agents-only articles are not sendable');

  step('the agent opens the public article and sends it');
  await agent.fill('#kb-q', '宽带断网');
  await agent.locator('#kb-hits li[data-id="broadband-down"]').click();
  await agent.locator('#kb-view .kb-title', { hasText: '宽带断网自助排查' }).waitFor();
  assert.equal(await agent.locator('#kb-view script, #kb-view img').count(), 0, 'the pane shows no script or image');
  await agent.click('#kb-send');
  await agent.locator('#kb-status', { hasText: '已发送' }).waitFor();
  await agent.locator('article.chat .msg.agent .kb-card[data-article="broadband-down"]').waitFor();

  step('the customer sees the article rendered, and safe');
  const card = cust.locator('.msg.agent .kb-card[data-article="broadband-down"]');
  await card.waitFor();
  assert.match(await card.textContent(), /重启光猫/);
  assert.equal(await card.locator('strong', { hasText: '重启光猫' }).count(), 1, 'Markdown rendered');
  assert.equal(await card.locator('li').count(), 2, 'the list rendered');
  assert.equal(await cust.locator('.kb-card script, .kb-card img, .kb-card [onerror]').count(), 0, 'no script, image or handler');
  assert.equal(await cust.locator('.kb-card a[href^="javascript"]').count(), 0, 'no javascript: link');
  assert.equal(await cust.evaluate(() => window.__xss), undefined, 'no script ran on the customer page');
  assert.equal(await agent.evaluate(() => window.__xss), undefined, 'no script ran on the desk');

  if (out) {
    await agent.screenshot({ path: join(out, 'knowledge-desk.png'), fullPage: true });
    await cust.screenshot({ path: join(out, 'knowledge-chat.png'), fullPage: true });
  }
  step('done');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  for (const c of [agentCtx, custCtx]) if (c) await c.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
