// Supervisor board: queues and agents pushed live, supervisor actions.
'use strict';
import { HotlineSocket, wsURL, el, clock } from '/common/proto.js';
import { t, reason, applyI18n, toggleLang } from '/common/i18n.js';
import { whoAmI, showLogin } from '/common/login.js';

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
  $('btn-lang').onclick = () => toggleLang(render);
  if (!(await whoAmI())) { showLogin($('login'), connect); return; }
  connect();
}

function connect() {
  $('board').hidden = false;
  B.sock = new HotlineSocket(wsURL('/ws/desk'), 'hotline.desk.v1', {
    view: 'board',
    onFrame: (f) => { if (f.type === 'snapshot' || f.type === 'board') { B.data = f.data; render(); } },
    onStatus: (s) => { $('conn').textContent = t('status.' + s); $('conn').className = 'conn ' + s; },
    onFatal: (code, reason) => toast(reason || String(code)),
  });
  B.sock.connect();
  $('move').onsubmit = async (e) => {
    e.preventDefault();
    try { await B.sock.cmd('sup.move', { contact_id: e.target.contact.value.trim(), queue: e.target.queue.value.trim() }); $('move-result').textContent = 'OK'; }
    catch (err) { $('move-result').textContent = errText(err); }
  };
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

function render() {
  applyI18n();
  const d = B.data;
  if (!d) return;
  $('updated').textContent = t('b.updated') + ' ' + new Date(d.at).toLocaleTimeString();
  const qs = d.queues || [], as = d.agents || [];
  const sum = (k) => qs.reduce((a, q) => a + (q[k] || 0), 0);
  const longest = qs.reduce((a, q) => Math.max(a, q.longest_wait_ns || 0), 0);
  const tiles = [[t('b.waiting'), sum('waiting')], [t('b.longest'), clock(longest / 1e6)], [t('b.answered'), sum('answered')], [t('b.abandoned'), sum('abandoned')],
    [t('b.staffed'), as.filter((a) => a.state !== 'logged_out').length], [t('state.ready'), as.filter((a) => a.state === 'ready').length]];
  $('tiles').replaceChildren(...tiles.map(([k, v]) => el('div', { class: 'tile' }, el('div', { class: 'v', text: String(v) }), el('div', { class: 'k', text: k }))));
  $('queues').replaceChildren(...qs.map((q) => el('tr', {},
    el('td', { text: q.queue + ' (' + q.channel + ')' }), el('td', { class: 'num', text: q.waiting }), el('td', { class: 'num', text: clock((q.longest_wait_ns || 0) / 1e6) }),
    el('td', { class: 'num', text: q.staffed }), el('td', { class: 'num', text: q.available }), el('td', { class: 'num', text: q.answered || 0 }), el('td', { class: 'num', text: q.abandoned || 0 }))));
  $('agents').replaceChildren(...as.map((a) => el('tr', { class: a.offline ? 'offline' : '' },
    el('td', { text: (a.name || a.agent_id) + (a.offline ? ' (' + t('b.offline') + ')' : '') }),
    el('td', {}, el('span', { class: 'pill ' + a.state, text: t('state.' + a.state) + (a.state === 'not_ready' && a.reason ? ' · ' + reason(a.reason) : '') })),
    el('td', { class: 'num', text: clock(Date.now() - new Date(a.since)) }),
    el('td', { text: (a.contacts || []).join(', ') + (a.offer ? ' → ' + a.offer : '') }),
    el('td', {}, el('div', { class: 'row' },
      el('button', { text: t('b.force_ready'), onclick: () => act('sup.force_state', { agent_id: a.agent_id, state: 'ready' }) }),
      el('button', { text: t('b.force_nr'), onclick: () => act('sup.force_state', { agent_id: a.agent_id, state: 'not_ready', reason: 'supervisor' }) }),
      el('button', { class: 'danger', text: t('b.logout'), onclick: () => act('sup.logout', { agent_id: a.agent_id }) }),
      el('button', { text: t('b.set_skills'), onclick: () => editSkills(a) }))))));
}

start();
