// Browser test of the administration page (/admin/) in Debian's Chromium,
// driven by playwright-core. Run by cmd/hotline's TestBrowserAdministration
// against the real `hotline serve` with the demo center, which passes
// BASE_URL, ARTIFACTS, SMS_URL (a test SMS gateway: GET /outbox lists what
// was sent), FLOW_ZIP (the shipped flows with the chat transfer sent to
// promo-chat, skill promo) and the demo passwords of admin, liu.yang (the
// agent who gets the new skill) and wang.fang (a colleague without it).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.BASE_URL;
const out = process.env.ARTIFACTS;
const smsURL = process.env.SMS_URL;
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 20000;
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dirs = [];
const ctxs = [];
async function browserPage(name, viewport = { width: 1360, height: 860 }) {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-' + name + '-'));
  dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: exe, headless: true, args, viewport, locale: 'zh-CN',
  });
  ctx.setDefaultTimeout(T);
  ctxs.push(ctx);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { console.error(name + ' page error: ' + e.message); process.exitCode = 1; });
  return page;
}

function step(name) { console.log('step: ' + name); }

async function login(page, path, user, password) {
  await page.goto(base + path);
  await page.fill('#login input[name=login]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

async function deskReady(page, user, password) {
  await login(page, '/desk/', user, password);
  await page.waitForSelector('#state.not_ready');
  await page.click('#btn-ready');
  await page.waitForSelector('#state.ready');
}

async function tab(page, name) {
  await page.click(`#tabs [data-tab="${name}"]`);
  await page.waitForSelector(`[data-panel="${name}"]:not([hidden])`);
}

// openChat starts a chat from the widget and waits for the main menu.
async function openChat(page, name, phone) {
  await page.goto(base + '/chat/');
  await page.fill('#prechat input[name=name]', name);
  await page.fill('#prechat input[name=phone]', phone);
  await page.click('#prechat button[type=submit]');
  await page.locator('.msg.bot .buttons button[data-key="0"]').first().waitFor();
}

async function lastCode(phone) {
  for (let i = 0; i < 200; i++) {
    const sent = await (await fetch(smsURL + '/outbox')).json();
    const mine = (sent || []).filter((m) => m.to === phone);
    if (mine.length) return mine[mine.length - 1].text.match(/\d{6}/)[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no SMS to ' + phone);
}

try {
  const admin = await browserPage('admin');
  const promo = await browserPage('promo-agent');
  const other = await browserPage('other-agent');

  step('two agents sign in and go ready: liu.yang and wang.fang (better general skills, no promo skill)');
  await deskReady(promo, 'liu.yang', process.env.PROMO_AGENT_PASSWORD);
  await deskReady(other, 'wang.fang', process.env.OTHER_AGENT_PASSWORD);

  step('the administrator signs in on /admin/ and adds the skill promo');
  await login(admin, '/admin/', 'admin', process.env.ADMIN_PASSWORD);
  await admin.waitForSelector('#admin:not([hidden])');
  await admin.locator('#agents tr', { hasText: 'liu.yang' }).waitFor();
  await tab(admin, 'skills');
  await admin.fill('#skill-form input[name=name]', 'promo');
  await admin.fill('#skill-form input[name=description]', '双十一促销 Promotion');
  await admin.click('#skill-form button[type=submit]');
  await admin.locator('#skills tr', { hasText: 'promo' }).waitFor();

  step('edits the skill while someone else changes it: the page sends If-Match, is told and reloads; the edit again succeeds');
  const sf = admin.locator('#skill-form');
  await admin.locator('#skills tr', { hasText: 'promo' }).getByRole('button', { name: '编辑' }).click();
  assert.equal(await sf.locator('input[name=description]').inputValue(), '双十一促销 Promotion');
  const byOther = await admin.evaluate(async () => (await fetch('/api/v1/admin/skills/promo', {
    method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ description: '促销 (someone else)' }),
  })).status);
  assert.equal(byOther, 200, 'the other change');
  await sf.locator('input[name=description]').fill('双十一促销 Promotion 2026');
  await sf.locator('button[type=submit]').click();
  await admin.locator('#toast', { hasText: '已被他人修改' }).waitFor();
  await admin.locator('#skills tr', { hasText: 'someone else' }).waitFor();
  await admin.locator('#skills tr', { hasText: 'promo' }).getByRole('button', { name: '编辑' }).click();
  await sf.locator('input[name=description]').fill('双十一促销 Promotion 2026');
  await sf.locator('button[type=submit]').click();
  await admin.locator('#skills tr', { hasText: 'Promotion 2026' }).waitFor();

  step('adds the chat queue promo-chat requiring it: warned that no agent has the skill yet and no flow leads there');
  await tab(admin, 'queues');
  const qf = admin.locator('#queue-form');
  await qf.locator('input[name=id]').fill('promo-chat');
  await qf.locator('input[name=name]').fill('双十一促销 Promotion (chat)');
  await qf.locator('select[name=channel]').selectOption('chat');
  await qf.locator('input[name=skills]').fill('promo:3');
  await qf.locator('input[name=join_empty]').check();
  await qf.locator('button[type=submit]').click();
  await admin.locator('#queues tr', { hasText: 'promo-chat' }).waitFor();
  await qf.locator('.warn', { hasText: '无人接待' }).waitFor(); // the API's warning, in the page's language
  // and no flow transfers to it yet (the flow set comes below), with the field it concerns
  await qf.locator('.warn', { hasText: 'id: 当前服务的流程没有转到本队列' }).waitFor();
  await admin.screenshot({ path: join(out, 'admin-queues.png'), fullPage: true });

  step('gives liu.yang the skill while signed in and ready');
  await tab(admin, 'agents');
  await admin.locator('#agents tr', { hasText: 'liu.yang' }).locator('button').click();
  const af = admin.locator('#agent-form');
  await af.waitFor();
  const skills = await af.locator('input[name=skills]').inputValue();
  assert.ok(skills.includes('english'), 'the form shows the agent\'s skills: ' + skills);
  await af.locator('input[name=skills]').fill(skills + ', promo:5');
  await af.locator('button[type=submit]').click();
  await admin.locator('#agents tr', { hasText: 'liu.yang' }).filter({ hasText: 'promo' }).waitFor();

  step('uploads the flow set whose chat transfer uses promo-chat and activates it');
  await tab(admin, 'flows');
  await admin.setInputFiles('#flow-upload input[name=file]', process.env.FLOW_ZIP);
  await admin.fill('#flow-upload input[name=note]', '促销队列 promo queue');
  await admin.click('#flow-upload button[type=submit]');
  const set = admin.locator('#flowsets tr', { hasText: '促销队列' });
  await set.waitFor();
  assert.match(await set.textContent(), /\d+ ✓ \/ 0 ✗/, 'the flow tests pass');
  await set.locator('button').click();
  await admin.locator('#flowsets tr', { hasText: '★' }).filter({ hasText: '促销队列' }).waitFor();
  await admin.screenshot({ path: join(out, 'admin-flows.png'), fullPage: true });

  step('a chat asking for an agent reaches liu.yang from promo-chat, not wang.fang');
  const cust1 = await browserPage('customer-1', { width: 420, height: 760 });
  await openChat(cust1, '周先生', '13300000005');
  await cust1.click('.msg.bot .buttons button[data-key="0"]');
  await promo.waitForSelector('#offer:not([hidden])');
  assert.match(await promo.textContent('#offer-queue'), /promo-chat/);
  assert.match(await promo.textContent('#offer-who'), /周先生/);
  await promo.click('#btn-accept');
  await promo.locator('article.chat', { hasText: '周先生' }).waitFor();
  await cust1.locator('#status', { hasText: '刘洋' }).waitFor();
  assert.ok(await other.isHidden('#offer'), 'wang.fang was offered nothing');
  await promo.screenshot({ path: join(out, 'admin-desk-promo.png'), fullPage: true });

  step('liu.yang ends that chat, wraps up and steps away; a standard customer waits in promo-chat');
  await promo.click('article.chat header button.danger');
  await promo.click('.wrapup .primary');
  await promo.waitForSelector('.wrapup', { state: 'detached' });
  await promo.waitForSelector('#state.ready');
  await promo.click('#btn-not-ready');
  await promo.waitForSelector('#state.not_ready');
  const cust2 = await browserPage('customer-2', { width: 420, height: 760 });
  await openChat(cust2, '吴女士', '13300000007');
  await cust2.click('.msg.bot .buttons button[data-key="0"]');
  await cust2.locator('#status', { hasText: '排队' }).waitFor();

  step('the administrator upgrades 冯雪 (13300000004) from standard to diamond');
  await tab(admin, 'customers');
  // The tab lists every customer first; search once that list is in, so
  // its answer cannot land after the search's.
  await admin.waitForFunction(() => document.querySelectorAll('#customers tr').length > 1);
  await admin.fill('#customer-search input[name=q]', '13300000004');
  await admin.click('#customer-search button[type=submit]');
  await admin.waitForFunction(() => document.querySelectorAll('#customers tr').length === 1); // the search finds the one customer
  const custRow = admin.locator('#customers tr', { hasText: '13300000004' });
  await custRow.waitFor();
  assert.equal(await custRow.locator('select').inputValue(), 'standard');
  await custRow.locator('select').selectOption('diamond');
  await admin.locator('#toast', { hasText: '已保存' }).waitFor();
  await admin.waitForFunction(() => {
    const s = document.querySelector('#customers tr select');
    return s && s.value === 'diamond' && document.querySelectorAll('#customers tr').length === 1;
  });

  step('gives her a further number and do-not-call; a bad number is named next to its field');
  await admin.locator('#customers tr', { hasText: '13300000004' }).locator('button').click();
  const cf = admin.locator('#customer-form');
  assert.equal(await cf.locator('select[name=tier]').inputValue(), 'diamond');
  await cf.locator('input[name=numbers]').fill('0571-88');
  await cf.locator('button[type=submit]').click();
  await cf.locator('.err[data-for="numbers"]', { hasText: 'numbers[0]' }).waitFor();
  await cf.locator('input[name=numbers]').fill('057188001234');
  await cf.locator('input[name=do_not_call]').check();
  await cf.locator('button[type=submit]').click();
  await admin.locator('#customers tr', { hasText: '057188001234' }).filter({ hasText: '免打扰' }).waitFor();
  assert.equal(await admin.locator('#customers tr select').inputValue(), 'diamond', 'the tier stays');
  await admin.screenshot({ path: join(out, 'admin-customers.png'), fullPage: true });

  step('the next chat from that number proves it by SMS code and asks for an agent');
  const vip = await browserPage('customer-vip', { width: 420, height: 760 });
  await openChat(vip, '冯雪', '13300000004');
  await vip.click('.msg.bot .buttons button[data-key="1"]');
  await vip.locator('.msg.bot', { hasText: '验证码' }).waitFor();
  await vip.fill('#text', await lastCode('13300000004'));
  await vip.press('#text', 'Enter');
  await vip.locator('.msg.bot', { hasText: '验证成功' }).waitFor();
  await vip.locator('.msg.bot', { hasText: '余额' }).last().waitFor();
  await vip.locator('.msg.bot').last().locator('.buttons button[data-key="0"]').click();
  await vip.locator('#status', { hasText: '排队' }).waitFor();

  step('liu.yang comes back: the diamond customer, queued later, is offered first');
  await promo.click('#btn-ready');
  await promo.waitForSelector('#offer:not([hidden])');
  const first = await promo.textContent('#offer-who');
  assert.match(first, /冯雪/, 'the VIP chat is offered first, got: ' + first);
  assert.match(await promo.textContent('#offer-queue'), /promo-chat/);
  await promo.click('#btn-accept');
  await promo.locator('article.chat', { hasText: '冯雪' }).waitFor();
  await promo.locator('#customer dd', { hasText: '钻石' }).waitFor();
  await promo.locator('#customer .badge.verified').waitFor();
  await promo.screenshot({ path: join(out, 'admin-desk-vip.png'), fullPage: true });

  step('then the standard customer who waited longer');
  await promo.waitForFunction(() => /吴女士/.test(document.getElementById('offer-who').textContent) &&
    !document.getElementById('offer').hidden);
  await promo.click('#btn-accept');
  await promo.locator('article.chat', { hasText: '吴女士' }).waitFor();
  await cust2.locator('#status', { hasText: '刘洋' }).waitFor();

  step('the page switches to English');
  await admin.click('#btn-lang');
  await admin.locator('h1', { hasText: 'Hotline administration' }).waitFor();
  await admin.locator('#tabs [data-tab="customers"]', { hasText: 'Customers' }).waitFor();
  console.log('ok');
} finally {
  for (const c of ctxs) await c.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
