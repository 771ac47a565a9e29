// Supervisor board: queues and agents pushed live, supervisor actions,
// and listen, whisper or barge on an agent's live call (sup.monitor): the
// supervisor's leg rings on this page's softphone (/desk/phone.js), which
// answers it by itself.
'use strict';
import { HotlineSocket, wsURL, el, clock } from '/common/proto.js';
import { t, reason, applyI18n, toggleLang, currentLang } from '/common/i18n.js';
import { whoAmI, showLogin } from '/common/login.js';
import { initPhone, phoneFrame, renderPhone } from '/desk/phone.js';

const $ = (id) => document.getElementById(id);
const B = { sock: null, data: null };
window.hotlineBoard = B;

function toast(text) {
  const n = $('toast');
  n.textContent = text; n.hidden = false;
  clearTimeout(toast.t); toast.t = setTimeout(() => { n.hidden = true; }, 3000);
}
const errText = (e) => (e && (e.code + ': ' + (e.message || ''))) || String(e);

async function start() {
  applyI18n();
  $('btn-lang').onclick = () => toggleLang(() => { render(true); renderPhone(); });
  if (!(await whoAmI())) { showLogin($('login'), connect); return; }
  connect();
}

function connect() {
  $('board').hidden = false;
  B.sock = new HotlineSocket(wsURL('/ws/desk'), 'hotline.desk.v1', {
    view: 'board',
    onFrame: (f) => {
      if (f.type.startsWith('phone.') || f.type === 'call.monitor') { phoneFrame(f); return; }
      if (f.type !== 'snapshot' && f.type !== 'board') return;
      // Waits are shown as server now − entry time, so they run on between
      // pushes; skew is the server's clock ahead of this one.
      B.data = f.data; B.skew = new Date(f.data.at) - Date.now(); render(true);
    },
    onStatus: (s) => { $('conn').textContent = t('status.' + s); $('conn').className = 'conn ' + s; },
    onFatal: (code, reason) => toast(reason || String(code)),
  });
  B.sock.connect();
  initPhone(B.sock, toast, { autoAnswer: true });
  setInterval(render, 1000);
}

function editSkills(a) {
  const v = prompt(t('b.skills') + ' (general=5,billing=3)', 'general=5');
  if (!v) return;
  const skills = {};
  for (const part of v.split(',')) {
    const [k, n] = part.split('=');
    if (k && n) skills[k.trim()] = Number(n);
  }
  act('sup.skills', { agent_id: a.agent_id, skills });
}

function act(type, data) { B.sock.cmd(type, data).catch((e) => toast(errText(e))); }

// monitorCell lists an agent's live calls with listen, whisper and barge.
function monitorCell(a) {
  const calls = a.calls || [];
  if (!calls.length) return el('td', { class: 'muted', text: '—' });
  return el('td', {}, ...calls.map((c) => el('div', { class: 'row monitor', 'data-call': c },
    el('span', { class: 'muted', text: c }),
    ...['listen', 'whisper', 'barge'].map((m) => el('button', { type: 'button', 'data-mode': m, text: t('b.' + m),
      onclick: () => B.sock.cmd('sup.monitor', { contact_id: c, mode: m }).then(() => toast(t('b.monitor_ringing')), (e) => toast(errText(e))) })))));
}

const serverNow = () => Date.now() + (B.skew || 0);
const waited = (since) => (since ? Math.max(0, serverNow() - new Date(since)) : 0);

function moveCell(q, c, qs) {
  const others = qs.filter((x) => x.queue !== q.queue && x.channel === q.channel);
  if (!others.length) return el('td', { class: 'muted', text: '—' });
  const sel = el('select', { 'aria-label': t('b.move_to'), 'data-move': c.contact_id }, others.map((x) => el('option', { value: x.queue, text: x.queue })));
  return el('td', {}, el('div', { class: 'row' }, sel,
    el('button', { text: t('b.move'), onclick: () => B.sock.cmd('sup.move', { contact_id: c.contact_id, queue: sel.value }).then(() => toast(t('b.moved') + ' ' + sel.value), (e) => toast(errText(e))) })));
}

function render(fresh) {
  const d = B.data;
  if (!d) return;
  const qs = d.queues || [], as = d.agents || [];
  // Between pushes only the clocks run: the waiting list (with its move
  // selects) is rebuilt only when new data came.
  for (const q of qs) {
    const n = document.querySelector('[data-longest="' + CSS.escape(q.queue) + '"]');
    if (n) n.textContent = clock(waited(q.oldest_at));
  }
  for (const n of document.querySelectorAll('[data-entered]')) n.textContent = clock(waited(n.dataset.entered));
  const longest = qs.reduce((a, q) => Math.max(a, waited(q.oldest_at)), 0);
  const lt = document.querySelector('[data-tile="longest"]');
  if (lt) lt.textContent = clock(longest);
  for (const n of document.querySelectorAll('[data-since]')) n.textContent = clock(Date.now() - new Date(n.dataset.since));
  if (!fresh) return;
  applyI18n();
  $('updated').textContent = t('b.updated') + ' ' + new Date(d.at).toLocaleTimeString();
  const sum = (k) => qs.reduce((a, q) => a + (q[k] || 0), 0);
  const tiles = [[t('b.waiting'), sum('waiting')], [t('b.longest'), clock(longest), 'longest'], [t('b.answered'), sum('answered')], [t('b.abandoned'), sum('abandoned')],
    [t('b.staffed'), as.filter((a) => a.state !== 'logged_out' && !a.offline).length], [t('state.ready'), as.filter((a) => a.state === 'ready' && !a.offline).length]];
  $('tiles').replaceChildren(...tiles.map(([k, v, key]) => el('div', { class: 'tile' }, el('div', { class: 'v', text: String(v), 'data-tile': key || '' }), el('div', { class: 'k', text: k }))));
  renderKPIs(d.kpis || []);
  $('queues').replaceChildren(...qs.map((q) => el('tr', {},
    el('td', { text: q.queue + ' (' + q.channel + ')' }), el('td', { class: 'num', text: q.waiting }),
    el('td', { class: 'num' + (waited(q.oldest_at) >= 120000 ? ' crit' : waited(q.oldest_at) >= 60000 ? ' warn' : ''), 'data-longest': q.queue, text: clock(waited(q.oldest_at)) }),
    el('td', { class: 'num', text: q.staffed + (q.staffed_offline ? ' (+' + q.staffed_offline + ' ' + t('b.offline') + ')' : '') }),
    el('td', { class: 'num', text: q.available }), el('td', { class: 'num', text: q.answered || 0 }), el('td', { class: 'num', text: q.abandoned || 0 }))));
  const rows = [];
  for (const q of qs) {
    for (const c of q.contacts || []) {
      rows.push(el('tr', { 'data-contact': c.contact_id },
        el('td', { text: q.queue }), el('td', { class: 'num', text: c.position }),
        el('td', { text: (c.name || t('b.anonymous')) + ' · ' + c.contact_id + (c.callback ? ' · ' + t('b.callback') : '') }),
        el('td', { class: 'num', 'data-entered': c.entered_at, text: clock(waited(c.entered_at)) }),
        moveCell(q, c, qs)));
    }
  }
  $('waiting').replaceChildren(...rows);
  $('no-waiting').hidden = rows.length > 0;
  $('agents').replaceChildren(...as.map((a) => el('tr', { class: a.offline ? 'offline' : '', 'data-agent': a.agent_id },
    el('td', { text: (a.name || a.agent_id) + (a.offline ? ' (' + t('b.offline') + ')' : '') }),
    el('td', {}, el('span', { class: 'pill ' + a.state, text: t('state.' + a.state) + (a.state === 'not_ready' && a.reason ? ' · ' + reason(a.reason) : '') })),
    el('td', { class: 'num', 'data-since': a.since, text: clock(Date.now() - new Date(a.since)) }),
    el('td', { text: (a.contacts || []).join(', ') + (a.offer ? ' → ' + a.offer : '') }),
    monitorCell(a),
    el('td', {}, el('div', { class: 'row' },
      el('button', { text: t('b.force_ready'), onclick: () => act('sup.force_state', { agent_id: a.agent_id, state: 'ready' }) }),
      el('button', { text: t('b.force_nr'), onclick: () => act('sup.force_state', { agent_id: a.agent_id, state: 'not_ready', reason: 'supervisor' }) }),
      el('button', { class: 'danger', text: t('b.logout'), onclick: () => act('sup.logout', { agent_id: a.agent_id }) }),
      el('button', { text: t('b.set_skills'), onclick: () => editSkills(a) }))))));
}

// The KPI tiles (docs/metrics.md): today's value coloured against its
// target, this interval's value and the trend of the last intervals.
function fmtKPI(v, unit) {
  if (v === null || v === undefined) return t('b.no_data');
  switch (unit) {
    case 'fraction': return (v * 100).toFixed(1) + '%';
    case 'seconds': return v >= 60 ? clock(v * 1000) : v.toFixed(1) + 's';
    case 'count': return String(Math.round(v));
    default: return v.toFixed(2);
  }
}

function sparkline(trend) {
  const pts = trend.map((v, i) => [i, v]).filter(([, v]) => v !== null && v !== undefined);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 20');
  svg.setAttribute('preserveAspectRatio', 'none');
  if (pts.length < 2) return svg;
  const vs = pts.map(([, v]) => v), lo = Math.min(...vs), hi = Math.max(...vs), span = hi - lo || 1;
  const n = Math.max(trend.length - 1, 1);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', pts.map(([i, v]) => (i * 100 / n).toFixed(1) + ',' + (18 - (v - lo) / span * 16).toFixed(1)).join(' '));
  svg.append(line);
  return svg;
}

function renderKPIs(ks) {
  const zh = currentLang() === 'zh';
  $('kpi-tiles').replaceChildren(...ks.map((k) => el('div', { class: 'tile ' + k.status, 'data-kpi': k.id, title: k.id + ' ' + k.name + (k.day ? ' · ' + k.day : '') },
    el('div', { class: 'v', text: fmtKPI(k.today, k.unit) }),
    el('div', { class: 'k', text: k.id + ' ' + (zh ? k.name_zh : k.name) }),
    el('div', { class: 'sub' },
      el('span', { text: k.day ? k.day : t('b.interval') + ' ' + fmtKPI(k.interval, k.unit) }),
      el('span', { text: k.target ? t('b.target') + ' ' + k.target : '' })),
    sparkline(k.trend || []))));
}

start();
