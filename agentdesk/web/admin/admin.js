// Administration page: agents, skills, queues, customers and the audit
// trail through /api/v1/admin/… (docs/administration.md). Validation
// errors are shown next to the field the API names.
'use strict';
import { applyI18n, toggleLang, currentLang } from '/common/i18n.js';
import { whoAmI, showLogin } from '/common/login.js';

const words = {
  zh: {
    app: 'Hotline 系统管理', 'tab.agents': '坐席', 'tab.skills': '技能', 'tab.queues': '队列', 'tab.customers': '客户', 'tab.audit': '审计',
    'f.login': '工号', 'f.display_name': '姓名', 'f.role': '角色', 'f.teams': '班组', 'f.skills': '技能（技能:熟练度）', 'f.password': '初始密码',
    'f.disabled': '停用', 'f.name': '名称', 'f.description': '说明', 'f.channel': '渠道', 'f.sl': '服务水平', 'f.sl_threshold': '服务水平阈值（秒）',
    'f.sl_target': '服务水平目标（%）', 'f.max_wait': '最长等待（秒）', 'f.on_max_wait': '超时处理', 'f.overflow_to': '溢出队列',
    'f.phone': '电话', 'f.account': '账号', 'f.tier': '客户等级', 'f.flags': '标记', 'f.at': '时间', 'f.actor': '操作人', 'f.action': '操作',
    'f.subject': '对象', 'f.change': '变更', 'agent.edit': '编辑坐席', 'agent.new': '新建坐席', 'queue.edit': '新建或修改队列',
    save: '保存', cancel: '取消', create: '创建', edit: '编辑', delete: '删除', deleted: '已删除', find: '查找', search: '电话、账号或姓名', export: '导出 CSV', import: '导入 CSV',
    saved: '已保存', stale: '已被他人修改，已重新载入，请再试一次', imported: '已导入', blacklisted: '黑名单', dnc: '免打扰',
    'tab.calendars': '日历', 'tab.flows': '流程', 'tab.announcements': '公告', 'f.time_zone': '时区', 'f.weekly': '每周工作时间（每行：星期 时段, 时段）',
    'f.holidays': '节假日', 'f.workdays': '调休上班日（日期:按星期）', 'calendar.edit': '新建或修改日历', preview: '预览', 'f.version': '版本', 'f.flows': '流程',
    'f.note': '说明', 'f.tests': '流程测试', 'flows.upload': '上传流程集（zip）', upload: '上传', rollback: '回滚', activate: '启用', active: '使用中',
    configured: '配置的流程', 'f.text': '内容', 'f.team': '班组（空：全体坐席）', 'f.severity': '级别', 'f.acked': '已确认', announce: '发布公告', withdraw: '撤回',
    open: '开放', closed: '关闭', 'f.site': '职场', 'f.capacity': '接待上限（语音/在线）', 'f.capacity.ph': '空：默认，如 1/3',
    'f.wrap_up': '话后整理（秒，空：默认）', 'f.weight': '优先级（权重）', 'f.selection': '分配策略', 'f.steps': '逐级放宽（JSON）',
    'f.calendar': '开放日历（空：全天）', 'f.join_empty': '无坐席时仍排队',
    'f.record': '通话录音', 'record.default': '默认（phones.record_queues）', 'record.on': '录音', 'record.off': '不录音',
    'tier.standard': '普通', 'tier.silver': '银卡', 'tier.gold': '金卡', 'tier.diamond': '钻石',
    'f.numbers': '其他联系号码', 'customer.edit': '新建或修改客户（改电话、号码、标记）',
    'f.ivr': '同时作为IVR公告（来电开头播放，在线客服显示）', 'f.ivr_areas': '地区（号码前缀，空：全部）', 'f.ivr_products': '号码类型（空：全部）',
    'tab.tickets': '工单设置', 'f.source': '来源', 'tickets.file': '恢复为配置文件', administered: '管理界面保存', file: '配置文件',
    'tickets.hint': '班组（组长、成员工号）、工单类别、派单规则、SLA 时限与升级、通知模板（JSON，时长如 "4h"）。保存后立即生效，优先于配置文件。',
  },
  en: {
    app: 'Hotline administration', 'tab.agents': 'Agents', 'tab.skills': 'Skills', 'tab.queues': 'Queues', 'tab.customers': 'Customers', 'tab.audit': 'Audit',
    'f.login': 'Login', 'f.display_name': 'Name', 'f.role': 'Role', 'f.teams': 'Teams', 'f.skills': 'Skills (skill:level)', 'f.password': 'First password',
    'f.disabled': 'Disabled', 'f.name': 'Name', 'f.description': 'Description', 'f.channel': 'Channel', 'f.sl': 'Service level', 'f.sl_threshold': 'SL threshold (s)',
    'f.sl_target': 'SL target (%)', 'f.max_wait': 'Max wait (s)', 'f.on_max_wait': 'At max wait', 'f.overflow_to': 'Overflow queue',
    'f.phone': 'Phone', 'f.account': 'Account', 'f.tier': 'Tier', 'f.flags': 'Flags', 'f.at': 'When', 'f.actor': 'Who', 'f.action': 'Action',
    'f.subject': 'Subject', 'f.change': 'Change', 'agent.edit': 'Edit agent', 'agent.new': 'New agent', 'queue.edit': 'Create or change a queue',
    save: 'Save', cancel: 'Cancel', create: 'Create', edit: 'Edit', delete: 'Delete', deleted: 'Deleted', find: 'Find', search: 'phone, account or name', export: 'Export CSV', import: 'Import CSV',
    saved: 'Saved', stale: 'Changed by someone else: reloaded, please try again', imported: 'Imported', blacklisted: 'blacklist', dnc: 'do not call',
    'tab.calendars': 'Calendars', 'tab.flows': 'Flows', 'tab.announcements': 'Announcements', 'f.time_zone': 'Time zone', 'f.weekly': 'Weekly hours (a line each: day period, period)',
    'f.holidays': 'Holidays', 'f.workdays': 'Make-up working days (date:like)', 'calendar.edit': 'Create or change a calendar', preview: 'Preview', 'f.version': 'Version', 'f.flows': 'Flows',
    'f.note': 'Note', 'f.tests': 'Flow tests', 'flows.upload': 'Upload a flow set (zip)', upload: 'Upload', rollback: 'Roll back', activate: 'Activate', active: 'serving',
    configured: 'the configured flows', 'f.text': 'Text', 'f.team': 'Team (empty: every agent)', 'f.severity': 'Severity', 'f.acked': 'Acknowledged', announce: 'Announce', withdraw: 'Withdraw',
    open: 'open', closed: 'closed', 'f.site': 'Site', 'f.capacity': 'Capacity (voice/chat)', 'f.capacity.ph': 'empty: default, e.g. 1/3',
    'f.wrap_up': 'Wrap-up (s, empty: default)', 'f.weight': 'Priority (weight)', 'f.selection': 'Agent selection', 'f.steps': 'Routing steps (JSON)',
    'f.calendar': 'Opening calendar (empty: always)', 'f.join_empty': 'Queue while nobody is logged in',
    'f.record': 'Call recording', 'record.default': 'default (phones.record_queues)', 'record.on': 'record', 'record.off': 'do not record',
    'tier.standard': 'Standard', 'tier.silver': 'Silver', 'tier.gold': 'Gold', 'tier.diamond': 'Diamond',
    'f.numbers': 'Further numbers', 'customer.edit': 'Create or change a customer (phone, numbers, flags)',
    'f.ivr': 'Also an IVR notice (played as calls start, shown in chats)', 'f.ivr_areas': 'Areas (number prefixes; empty: all)', 'f.ivr_products': 'Number kind (empty: all)',
    'tab.tickets': 'Ticket settings', 'f.source': 'Source', 'tickets.file': 'Back to the settings file', administered: 'saved here', file: 'the settings file',
    'tickets.hint': 'Groups (lead and member logins), categories, dispatch rules, SLA targets and escalation, notification templates (JSON; durations like "4h"). Saved settings apply at once and win over the settings file.',
  },
};
const w = (k) => (words[currentLang()] || words.zh)[k] || words.zh[k] || k;

// The API's warnings carry a stable code, the field and an English message
// (docs/administration.md, "Warnings"); the page says them in Mandarin by
// code (an unknown code is shown with the message as sent).
const warningsZh = {
  no_agent_has_skills: '没有在用坐席具备本队列要求的技能：客户将无人接待',
  team_has_no_agents: '该班组没有在用坐席：无人能看到这条公告',
  capacity_at_next_login: '坐席当前接待数超过新的上限：下次登录时生效',
  not_applied_to_routing: '尚未应用到路由：坐席下次登录时生效',
  no_flow_leads_here: '当前服务的流程没有转到本队列，也没有队列溢出到这里：只有坐席转接能把客户带来',
};
const warningText = (list) => (list || []).map((x) => {
  const text = currentLang() === 'en' ? x.message : warningsZh[x.code] || x.message;
  return (x.field ? x.field + ': ' : '') + text;
}).join(' ');
const $ = (id) => document.getElementById(id);
const A = { tab: 'agents', etags: {} };
window.hotlineAdmin = A;

function toast(text) {
  const n = $('toast');
  n.textContent = text; n.hidden = false;
  clearTimeout(toast.t); toast.t = setTimeout(() => { n.hidden = true; }, 3000);
}

function translate() {
  applyI18n();
  for (const n of document.querySelectorAll('[data-a]')) n.textContent = w(n.dataset.a);
  for (const n of document.querySelectorAll('[data-a-ph]')) n.placeholder = w(n.dataset.aPh);
}

function cell(text) { const td = document.createElement('td'); td.textContent = text == null ? '' : String(text); return td; }
function row(...cells) { const tr = document.createElement('tr'); for (const c of cells) tr.append(c instanceof Node ? c : cell(c)); return tr; }
function button(label, fn) { const b = document.createElement('button'); b.type = 'button'; b.textContent = label; b.onclick = fn; return b; }

// api calls the administration API; a 4xx answer rejects with its error body.
async function api(method, path, body, headers) {
  const h = Object.assign({}, headers || {});
  if (body !== undefined && !(body instanceof Blob) && typeof body !== 'string') { h['Content-Type'] = 'application/json'; body = JSON.stringify(body); }
  const r = await fetch(path, { method, headers: h, body, credentials: 'same-origin' });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) throw Object.assign(new Error('http ' + r.status), { status: r.status, body: data });
  return { data, etag: r.headers.get('ETag') };
}

// showErrors puts an API error next to the field it names ("" for the form).
function showErrors(form, err) {
  for (const n of form.querySelectorAll('.err[data-for]')) n.textContent = '';
  if (!err) return; // cleared: no error to show
  const e = err.body && err.body.error;
  if (!e) { toast(String(err)); return; }
  const base = (e.field || '').replace(/\[.*$/, '');
  const slot = form.querySelector(`.err[data-for="${CSS.escape(base)}"]`) || form.querySelector('.err[data-for=""]');
  slot.textContent = (e.field ? e.field + ': ' : '') + e.message;
  const input = form.elements[base];
  if (input && input.focus) input.focus();
}

const parseLevels = (s, key) => s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
  const [name, level] = x.split(':').map((y) => y.trim());
  return { skill: name, [key]: Number(level || 1) };
});
const levels = (list, key) => (list || []).map((s) => `${s.skill}:${s[key]}`).join(', ');
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const idem = () => ({ 'Idempotency-Key': (crypto.randomUUID && crypto.randomUUID()) || String(Date.now() + Math.random()) });

async function loadAgents() {
  const { data } = await api('GET', '/api/v1/admin/agents?limit=500');
  const body = $('agents'); body.replaceChildren();
  for (const a of data.agents) {
    body.append(row(a.login, a.display_name + (a.disabled ? ' ⛔' : ''), a.role, a.teams.join(', '), levels(a.skills, 'proficiency'),
      (() => { const td = document.createElement('td'); td.append(button(w('edit'), () => editAgent(a))); return td; })()));
  }
}

function editAgent(a) {
  const f = $('agent-form');
  f.hidden = false; f.dataset.id = a.id; A.etags['agent:' + a.id] = '"' + a.version + '"';
  f.skills.value = levels(a.skills, 'proficiency'); f.teams.value = a.teams.join(', ');
  f.display_name.value = a.display_name; f.disabled.checked = a.disabled;
  f.site.value = a.site || '';
  f.capacity.value = a.capacity ? `${a.capacity.voice}/${a.capacity.chat}` : '';
  f.wrap_up_seconds.value = a.wrap_up_seconds == null ? '' : a.wrap_up_seconds;
  f.querySelector('.warn').textContent = '';
  f.skills.focus();
}

// capacityOf reads "voice/chat" ("" is the center's default).
function capacityOf(text) {
  const t = text.trim();
  if (!t) return null;
  const [voice, chat] = t.split('/').map((x) => Number(x.trim()));
  return { voice, chat, voice_blocks_chat: true };
}
const secondsOrNull = (v) => (String(v).trim() === '' ? null : Number(v));

async function saveAgent(ev) {
  ev.preventDefault();
  const f = ev.target, id = f.dataset.id;
  const body = { skills: parseLevels(f.skills.value, 'proficiency'), capacity: capacityOf(f.capacity.value),
    wrap_up_seconds: secondsOrNull(f.wrap_up_seconds.value) };
  if (A.role === 'admin') Object.assign(body, { teams: list(f.teams.value), display_name: f.display_name.value, disabled: f.disabled.checked, site: f.site.value.trim() });
  try {
    const { data } = await api('PATCH', '/api/v1/admin/agents/' + encodeURIComponent(id), body, { 'If-Match': A.etags['agent:' + id] });
    const warn = warningText(data.warnings);
    f.querySelector('.warn').textContent = warn;
    f.hidden = !warn; toast(w('saved')); loadAgents();
  } catch (err) {
    if (err.status === 409 && err.body && err.body.error.field === 'If-Match') { toast(w('stale')); f.hidden = true; loadAgents(); return; }
    showErrors(f, err);
  }
}

async function newAgent(ev) {
  ev.preventDefault();
  const f = ev.target;
  const body = { login: f.login.value.trim(), display_name: f.display_name.value, role: f.role.value, password: f.password.value,
    skills: parseLevels(f.skills.value, 'proficiency') };
  try { await api('POST', '/api/v1/admin/agents', body, idem()); f.reset(); showErrors(f, null); toast(w('saved')); loadAgents(); } catch (err) { showErrors(f, err); }
}

async function loadSkills() {
  const { data } = await api('GET', '/api/v1/admin/skills?limit=500');
  const body = $('skills'); body.replaceChildren();
  for (const s of data.skills) {
    body.append(row(s.name, s.description, (() => {
      const td = document.createElement('td');
      td.append(button(w('edit'), () => editSkill(s)), ' ', button(w('delete'), () => deleteSkill(s)));
      return td;
    })()));
  }
}

// editSkill fills the form with a skill and keeps its ETag: saving sends it
// as If-Match, so an edit that lost to someone else's is refused (409).
function editSkill(s) {
  const f = $('skill-form');
  f.dataset.id = s.name; A.etags['skill:' + s.name] = '"' + s.version + '"';
  f.name.value = s.name; f.description.value = s.description;
  showErrors(f, null);
  f.description.focus();
}

const staleReload = (err, reload) => {
  if (err.status === 409 && err.body && err.body.error && err.body.error.field === 'If-Match') { toast(w('stale')); reload(); return true; }
  return false;
};

async function saveSkill(ev) {
  ev.preventDefault();
  const f = ev.target, name = f.name.value.trim();
  const h = f.dataset.id === name ? { 'If-Match': A.etags['skill:' + name] } : {};
  try {
    await api('PUT', '/api/v1/admin/skills/' + encodeURIComponent(name), { description: f.description.value }, h);
    showErrors(f, null); delete f.dataset.id; f.reset(); toast(w('saved')); loadSkills();
  } catch (err) {
    if (staleReload(err, loadSkills)) { delete f.dataset.id; return; }
    showErrors(f, err);
  }
}

async function deleteSkill(s) {
  const f = $('skill-form');
  try {
    await api('DELETE', '/api/v1/admin/skills/' + encodeURIComponent(s.name), undefined, { 'If-Match': '"' + s.version + '"' });
    showErrors(f, null); toast(w('deleted')); loadSkills();
  } catch (err) {
    if (staleReload(err, loadSkills)) return;
    showErrors(f, err); // in use: named next to the name field
  }
}

async function loadQueues() {
  const { data } = await api('GET', '/api/v1/admin/queues?limit=500');
  const body = $('queues'); body.replaceChildren();
  A.queues = {};
  for (const q of data.queues) {
    A.queues[q.id] = q;
    body.append(row(q.id, q.name, q.channel, levels(q.skills, 'min_proficiency'), `${q.sl_target_percent}% / ${q.sl_threshold_seconds}s`, q.max_wait_seconds,
      (() => { const td = document.createElement('td'); td.append(button(w('edit'), () => editQueue(q))); return td; })()));
  }
}

function editQueue(q) {
  const f = $('queue-form');
  f.dataset.id = q.id; A.etags['queue:' + q.id] = '"' + q.version + '"';
  for (const k of ['id', 'name', 'channel', 'sl_threshold_seconds', 'sl_target_percent', 'max_wait_seconds', 'overflow_to']) f.elements[k].value = q[k] || '';
  f.on_max_wait.value = q.on_max_wait || 'ticket';
  f.skills.value = levels(q.skills, 'min_proficiency');
  f.weight.value = q.weight || 0; f.selection.value = q.selection || 'best_proficiency'; f.join_empty.checked = !!q.join_empty;
  f.steps.value = (q.steps || []).length ? JSON.stringify(q.steps) : '';
  f.wrap_up_seconds.value = q.wrap_up_seconds == null ? '' : q.wrap_up_seconds; f.calendar.value = q.calendar || '';
  f.record.value = q.record == null ? '' : String(q.record);
  f.name.focus();
}

async function saveQueue(ev) {
  ev.preventDefault();
  const f = ev.target, id = f.id.value.trim();
  const body = { id, name: f.name.value, channel: f.channel.value, skills: parseLevels(f.skills.value, 'min_proficiency'),
    sl_threshold_seconds: Number(f.sl_threshold_seconds.value), sl_target_percent: Number(f.sl_target_percent.value),
    max_wait_seconds: Number(f.max_wait_seconds.value), on_max_wait: f.on_max_wait.value, overflow_to: f.overflow_to.value.trim(),
    weight: Number(f.weight.value || 0), selection: f.selection.value, join_empty: f.join_empty.checked, calendar: f.calendar.value.trim() };
  const wrap = secondsOrNull(f.wrap_up_seconds.value);
  if (wrap != null) body.wrap_up_seconds = wrap;
  if (f.record.value) body.record = f.record.value === 'true';
  try { body.steps = f.steps.value.trim() ? JSON.parse(f.steps.value) : []; } catch (err) {
    showErrors(f, { body: { error: { field: 'steps', message: String(err.message || err) } } }); return;
  }
  const existing = f.dataset.id === id;
  try {
    const { data } = existing
      ? await api('PUT', '/api/v1/admin/queues/' + encodeURIComponent(id), body, { 'If-Match': A.etags['queue:' + id] })
      : await api('POST', '/api/v1/admin/queues', body, idem());
    f.querySelector('.warn').textContent = warningText(data.warnings);
    showErrors(f, null); delete f.dataset.id; toast(w('saved')); loadQueues();
  } catch (err) {
    if (err.status === 409 && err.body && err.body.error.field === 'If-Match') { toast(w('stale')); loadQueues(); return; }
    showErrors(f, err);
  }
}

async function loadCustomers(q) {
  const { data } = await api('GET', '/api/v1/admin/customers?limit=100&q=' + encodeURIComponent(q || ''));
  const body = $('customers'); body.replaceChildren();
  for (const c of data.customers) {
    const sel = document.createElement('select');
    for (const t of ['standard', 'silver', 'gold', 'diamond']) { const o = document.createElement('option'); o.value = t; o.textContent = w('tier.' + t); sel.append(o); }
    sel.value = c.tier;
    sel.onchange = async () => {
      try { await api('PATCH', '/api/v1/admin/customers/' + c.id, { tier: sel.value }, { 'If-Match': '"' + c.version + '"' }); toast(w('saved')); } catch (err) { toast(err.status === 409 ? w('stale') : JSON.stringify(err.body)); }
      loadCustomers(q);
    };
    const td = document.createElement('td'); td.append(sel);
    const edit = document.createElement('td'); edit.append(button(w('edit'), () => editCustomer(c)));
    body.append(row(c.phone, (c.numbers || []).join(', '), c.account, c.name, td,
      [c.blacklisted && w('blacklisted'), c.do_not_call && w('dnc')].filter(Boolean).join(', '), edit));
  }
}

function editCustomer(c) {
  const f = $('customer-form');
  f.dataset.id = c.id; A.etags['customer:' + c.id] = '"' + c.version + '"';
  f.phone.value = c.phone || ''; f.numbers.value = (c.numbers || []).join(', '); f.account.value = c.account || '';
  f.name.value = c.name || ''; f.tier.value = c.tier; f.blacklisted.checked = !!c.blacklisted; f.do_not_call.checked = !!c.do_not_call;
  showErrors(f, null); f.phone.focus();
}

async function saveCustomer(ev) {
  ev.preventDefault();
  const f = ev.target, id = f.dataset.id;
  const body = { phone: f.phone.value.trim(), numbers: list(f.numbers.value), account: f.account.value.trim(), name: f.name.value,
    tier: f.tier.value, blacklisted: f.blacklisted.checked, do_not_call: f.do_not_call.checked };
  try {
    const { data } = id
      ? await api('PATCH', '/api/v1/admin/customers/' + encodeURIComponent(id), body, { 'If-Match': A.etags['customer:' + id] })
      : await api('POST', '/api/v1/admin/customers', body, idem());
    f.reset(); delete f.dataset.id; showErrors(f, null); toast(w('saved'));
    loadCustomers(data.phone || data.account || '');
  } catch (err) {
    if (err.status === 409 && err.body && err.body.error.field === 'If-Match') { toast(w('stale')); loadCustomers(''); return; }
    showErrors(f, err);
  }
}

async function importCSV(ev) {
  ev.preventDefault();
  const f = ev.target, out = f.querySelector('.problems');
  out.replaceChildren();
  const file = f.file.files[0];
  if (!file) return;
  try {
    const { data } = await api('POST', '/api/v1/admin/customers/import', file, { 'Content-Type': 'text/csv' });
    toast(`${w('imported')}: +${data.created} / ~${data.updated}`); loadCustomers('');
  } catch (err) {
    for (const p of (err.body && err.body.problems) || [{ line: 0, message: JSON.stringify(err.body) }]) {
      const li = document.createElement('li'); li.textContent = `line ${p.line}${p.field ? ' ' + p.field : ''}: ${p.message}`; out.append(li);
    }
  }
}

async function loadAudit() {
  const { data } = await api('GET', '/api/v1/admin/audit?limit=200');
  const body = $('audit'); body.replaceChildren();
  for (const r of data.records) {
    const pre = document.createElement('pre'); pre.textContent = JSON.stringify({ before: r.before, after: r.after });
    const td = document.createElement('td'); td.append(pre);
    body.append(row(new Date(r.at).toLocaleString(), r.actor + ' (' + r.actor_role + ')', r.action, r.subject_kind + ' ' + r.subject_id, td));
  }
}


// Calendars: weekly hours as lines "mon 08:00-12:00, 13:30-18:00".
const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const weeklyText = (wk) => days.filter((d) => (wk || {})[d] && wk[d].length).map((d) => d + ' ' + wk[d].join(', ')).join('\n');
function weeklyOf(text) {
  const out = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [day, ...rest] = line.split(/\s+/);
    out[day] = list(rest.join(' '));
  }
  return out;
}
function calendarBody(f) {
  return { time_zone: f.time_zone.value.trim(), weekly: weeklyOf(f.weekly.value), holidays: list(f.holidays.value),
    workdays: list(f.workdays.value).map((x) => { const [date, like] = x.split(':'); return like ? { date, like } : { date }; }) };
}

async function loadCalendars() {
  const { data } = await api('GET', '/api/v1/admin/calendars?limit=500');
  const body = $('calendars'); body.replaceChildren();
  for (const c of data.calendars) {
    body.append(row(c.name, c.time_zone, weeklyText(c.weekly), c.holidays.join(', '),
      (() => { const td = document.createElement('td'); td.append(button(w('edit'), () => editCalendar(c))); return td; })()));
  }
}

function editCalendar(c) {
  const f = $('calendar-form');
  f.dataset.id = c.name; A.etags['calendar:' + c.name] = '"' + c.version + '"';
  f.id.value = c.name; f.time_zone.value = c.time_zone; f.weekly.value = weeklyText(c.weekly);
  f.holidays.value = c.holidays.join(', '); f.workdays.value = c.workdays.map((x) => x.date + (x.like ? ':' + x.like : '')).join(', ');
  f.weekly.focus();
}

async function saveCalendar(ev) {
  ev.preventDefault();
  const f = ev.target, id = f.id.value.trim();
  const h = f.dataset.id === id ? { 'If-Match': A.etags['calendar:' + id] } : {};
  try {
    await api('PUT', '/api/v1/admin/calendars/' + encodeURIComponent(id), calendarBody(f), h);
    showErrors(f, null); delete f.dataset.id; toast(w('saved')); loadCalendars();
  } catch (err) {
    if (err.status === 409 && err.body && err.body.error.field === 'If-Match') { toast(w('stale')); loadCalendars(); return; }
    showErrors(f, err);
  }
}

async function previewCalendar() {
  const f = $('calendar-form'), out = f.querySelector('.preview');
  out.replaceChildren();
  try {
    const { data } = await api('POST', '/api/v1/admin/calendars/preview?count=7', Object.assign({ name: f.id.value.trim() }, calendarBody(f)));
    showErrors(f, null);
    const head = document.createElement('li'); head.textContent = (data.open_now ? w('open') : w('closed')) + ' (' + data.time_zone + ')'; out.append(head);
    for (const sp of data.spans) { const li = document.createElement('li'); li.textContent = sp.opens + ' → ' + (sp.closes || '…'); out.append(li); }
  } catch (err) { showErrors(f, err); }
}

// Flow sets: upload a zip, activate a version, roll back.
async function loadFlows() {
  const { data } = await api('GET', '/api/v1/admin/flows?limit=50');
  $('flows-active').textContent = w('active') + ': ' + (data.active.serving || (data.active.version ? 'v' + data.active.version : w('configured')));
  const body = $('flowsets'); body.replaceChildren();
  for (const v of data.versions) {
    const td = document.createElement('td');
    if (!v.active) td.append(button(w('activate'), () => activateFlows(String(v.version))));
    const dl = document.createElement('a'); dl.href = '/api/v1/admin/flows/' + v.version + '/archive'; dl.textContent = ' zip'; td.append(dl);
    const tests = v.tests ? `${v.tests.passed} ✓ / ${v.tests.failed} ✗` : '';
    body.append(row('v' + v.version + (v.active ? ' ★' : ''), v.flows.join(', '), v.note, tests, new Date(v.uploaded_at).toLocaleString(), td));
  }
}

function flowProblems(err) {
  const out = $('flow-upload').querySelector('.problems');
  out.replaceChildren();
  const ps = (err && err.body && (err.body.problems || (err.body.error && [err.body.error.message]))) || [String(err)];
  for (const p of ps) { const li = document.createElement('li'); li.textContent = p; out.append(li); }
}

async function activateFlows(version) {
  try { await api('POST', '/api/v1/admin/flows/' + version + '/activate'); $('flow-upload').querySelector('.problems').replaceChildren(); toast(w('saved')); loadFlows(); } catch (err) { flowProblems(err); }
}

async function uploadFlows(ev) {
  ev.preventDefault();
  const f = ev.target, file = f.file.files[0];
  f.querySelector('.problems').replaceChildren();
  if (!file) return;
  try {
    await api('POST', '/api/v1/admin/flows?note=' + encodeURIComponent(f.note.value), file, Object.assign({ 'Content-Type': 'application/zip' }, idem()));
    f.reset(); toast(w('saved')); loadFlows();
  } catch (err) { flowProblems(err); }
}

async function rollbackFlows() {
  try { await api('POST', '/api/v1/admin/flows/rollback'); toast(w('saved')); loadFlows(); } catch (err) { flowProblems(err); }
}

// Announcements: to every agent or a team, acknowledged on the desk.
async function loadAnnouncements() {
  const { data } = await api('GET', '/api/v1/admin/announcements?limit=100');
  const body = $('announcements'); body.replaceChildren();
  for (const a of data.announcements) {
    const td = document.createElement('td');
    if (a.live) td.append(button(w('withdraw'), async () => { try { await api('POST', '/api/v1/admin/announcements/' + a.id + '/withdraw'); loadAnnouncements(); } catch (err) { toast(JSON.stringify(err.body)); } }));
    body.append(row(new Date(a.created_at).toLocaleString(), (a.severity === 'outage' ? '⚠ ' : '') + a.text, a.team || '*', `${a.acked} / ${a.recipients}`, td));
  }
}

async function announce(ev) {
  ev.preventDefault();
  const f = ev.target;
  try {
    const body = { text: f.text.value, team: f.team.value.trim(), severity: f.severity.value };
    if (f.ivr.checked) body.ivr = { areas: list(f.ivr_areas.value), products: f.ivr_products.value ? [f.ivr_products.value] : [] };
    const { data } = await api('POST', '/api/v1/admin/announcements', body, idem());
    f.reset(); showErrors(f, null); loadAnnouncements();
    const warn = warningText(data.warnings);
    toast(warn ? w('saved') + ' — ' + warn : w('saved'));
  } catch (err) { showErrors(f, err); }
}

async function loadTicketSettings() {
  const { data, etag } = await api('GET', '/api/v1/admin/ticket-settings');
  const f = $('ticket-form');
  A.etags.tickets = etag; A.ticketSource = data.source;
  $('ticket-source').textContent = w(data.source);
  f.settings.value = JSON.stringify(data.settings, null, 2);
  f.tofile.disabled = data.source !== 'administered';
  showErrors(f, null);
}

async function saveTicketSettings(ev) {
  ev.preventDefault();
  const f = ev.target;
  let body;
  try { body = JSON.parse(f.settings.value); } catch (err) {
    showErrors(f, { body: { error: { field: 'body', message: String(err.message || err) } } }); return;
  }
  try {
    await api('PUT', '/api/v1/admin/ticket-settings', body, A.etags.tickets ? { 'If-Match': A.etags.tickets } : {});
    toast(w('saved')); loadTicketSettings();
  } catch (err) {
    if (err.status === 409 && err.body && err.body.error.field === 'If-Match') { toast(w('stale')); loadTicketSettings(); return; }
    showErrors(f, err);
  }
}

async function resetTicketSettings() {
  try {
    await api('DELETE', '/api/v1/admin/ticket-settings', undefined, A.etags.tickets ? { 'If-Match': A.etags.tickets } : {});
    toast(w('saved')); loadTicketSettings();
  } catch (err) { showErrors($('ticket-form'), err); }
}

const loaders = { agents: loadAgents, skills: loadSkills, queues: loadQueues, customers: () => loadCustomers(''),
  calendars: loadCalendars, flows: loadFlows, announcements: loadAnnouncements, tickets: loadTicketSettings, audit: loadAudit };

function show(tab) {
  A.tab = tab;
  for (const b of document.querySelectorAll('#tabs [data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  for (const p of document.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== tab;
  loaders[tab]().catch((err) => toast(err.body && err.body.error ? err.body.error.message : String(err)));
}

async function start() {
  translate();
  $('btn-lang').onclick = () => toggleLang(translate);
  for (const b of document.querySelectorAll('#tabs [data-tab]')) b.onclick = () => show(b.dataset.tab);
  // Keyboard: Alt+1…9 switch tabs.
  document.addEventListener('keydown', (ev) => {
    const tabs = [...document.querySelectorAll('#tabs [data-tab]')];
    const i = Number(ev.key) - 1;
    if (ev.altKey && i >= 0 && i < tabs.length) { ev.preventDefault(); show(tabs[i].dataset.tab); }
  });
  $('agent-form').onsubmit = saveAgent;
  $('agent-form').cancel.onclick = () => { $('agent-form').hidden = true; };
  $('agent-new').onsubmit = newAgent;
  $('skill-form').onsubmit = saveSkill;
  $('queue-form').onsubmit = saveQueue;
  $('queue-form').cancel.onclick = () => { $('queue-form').reset(); delete $('queue-form').dataset.id; };
  $('customer-search').onsubmit = (ev) => { ev.preventDefault(); loadCustomers(ev.target.q.value.trim()); };
  $('customer-import').onsubmit = importCSV;
  $('customer-form').onsubmit = saveCustomer;
  $('customer-form').cancel.onclick = () => { $('customer-form').reset(); delete $('customer-form').dataset.id; showErrors($('customer-form'), null); };
  $('calendar-form').onsubmit = saveCalendar;
  $('calendar-form').preview.onclick = previewCalendar;
  $('calendar-form').cancel.onclick = () => { $('calendar-form').reset(); delete $('calendar-form').dataset.id; };
  $('flow-upload').onsubmit = uploadFlows;
  $('flow-upload').rollback.onclick = rollbackFlows;
  $('announcement-form').onsubmit = announce;
  $('ticket-form').onsubmit = saveTicketSettings;
  $('ticket-form').tofile.onclick = resetTicketSettings;
  const me = await whoAmI();
  if (!me) { showLogin($('login'), () => begin()); return; }
  begin(me);
}

async function begin(me) {
  me = me || await whoAmI();
  A.role = me && (me.role || (me.agent && me.agent.role));
  $('admin').hidden = false;
  show('agents');
}

start();
