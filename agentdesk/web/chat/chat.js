// Customer chat widget: pre-chat form, the IVR's buttons, queue position,
// agent joined/left, typing, read state, resume after network loss or a
// locked phone, rating. Customer and agent text is always set as text.
'use strict';
import { HotlineSocket, wsURL, newMsgID, el } from '/common/proto.js';
import { t, applyI18n, toggleLang, currentLang } from '/common/i18n.js';
import { articleCard } from '/common/article.js';

const $ = (id) => document.getElementById(id);
const W = { sock: null, token: '', seen: new Set(), pending: new Map(), ended: false, agent: false };
window.hotlineChat = W;

function start() {
  applyI18n();
  // The language button switches the page and, in a chat, the assistant.
  $('btn-lang').onclick = () => toggleLang(() => {
    if (W.sock) W.sock.cmd('chat.lang', { lang: currentLang() }).catch(() => {});
    if (W.statusFn) $('status').textContent = W.statusFn();
  });
  // A reload (or a phone that dropped the page) continues the same chat.
  const saved = sessionStorage.getItem('hotline.chat');
  if (saved) { W.token = saved; open(); return; }
  $('prechat').onsubmit = async (e) => {
    e.preventDefault();
    const f = e.target;
    const body = JSON.stringify({ name: f.name.value.trim(), phone: f.phone.value.trim(), topic: f.topic.value.trim(), lang: currentLang() });
    const r = await fetch('/chat/api/start', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!r.ok) { const e2 = await r.json().catch(() => ({})); $('prechat-error').textContent = e2.message || r.statusText; return; }
    const s = await r.json();
    W.token = s.token;
    sessionStorage.setItem('hotline.chat', s.token);
    open();
  };
}

function open() {
  $('prechat').hidden = true;
  $('conversation').hidden = false;
  W.sock = new HotlineSocket(wsURL('/ws/chat'), 'hotline.chat.v1', {
    token: W.token,
    onFrame,
    onStatus: (s) => { const c = $('conn'); c.textContent = t('status.' + s); c.className = 'conn ' + s; },
    onFatal: () => { sessionStorage.removeItem('hotline.chat'); },
  });
  W.sock.connect();
  $('composer').onsubmit = (e) => { e.preventDefault(); send($('text').value); };
  $('text').addEventListener('input', () => { const now = Date.now(); if (W.agent && (!W.typedAt || now - W.typedAt > 2000)) { W.typedAt = now; W.sock.cmd('chat.typing').catch(() => {}); } });
  $('btn-leave').onclick = () => W.sock.cmd('chat.leave').catch(() => {});
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') markRead(); });
}

function onFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'snapshot':
      $('transcript').replaceChildren();
      W.seen.clear();
      W.agent = d.agent;
      for (const m of d.transcript || []) addMessage(m);
      if (d.position) status(() => t('w.position') + d.position);
      if (d.ended) ended();
      break;
    case 'chat.message': addMessage(d); break;
    case 'chat.queue': status(() => t('w.position') + d.position + (d.expected_wait_s ? ' · ' + t('w.expected') + Math.ceil(d.expected_wait_s / 60) + ' ' + t('w.minutes') : '')); break;
    case 'chat.agent_joined': W.agent = true; secret(false); status(() => t('w.agent_joined') + d.agent); break;
    case 'chat.agent_left': W.agent = false; status(() => t('w.agent_left')); break;
    case 'chat.typing': $('typing').textContent = t('w.typing'); clearTimeout(W.tt); W.tt = setTimeout(() => { $('typing').textContent = ''; }, 4000); break;
    case 'chat.read': W.readN = d.n; renderRead(); break;
    case 'chat.ended': ended(); break;
  }
}

// status shows a line that follows the language button: fn renders it.
function status(fn) { W.statusFn = typeof fn === 'function' ? fn : () => fn; $('status').textContent = W.statusFn(); }

// secret: the assistant asked for masked input (a PIN). What the customer
// types is hidden, and their bubble shows dots, never the digits.
function secret(on) {
  W.secret = on;
  const i = $('text');
  i.type = on ? 'password' : 'text';
}

function addMessage(m) {
  if (m.n && W.seen.has(m.n)) return;
  if (m.n) W.seen.add(m.n);
  if (m.from === 'customer' && m.msg_id && W.pending.has(m.msg_id)) { W.pending.get(m.msg_id).remove(); W.pending.delete(m.msg_id); }
  if (m.from === 'system') return;
  const whoKey = { customer: 'w.you', agent: 'w.agent', bot: 'w.bot' }[m.from];
  // An article (the agent's or the assistant's) shows as its card, not its title.
  const node = el('div', { class: 'msg ' + m.from + (m.masked ? ' masked' : ''), 'data-n': m.n }, el('span', { class: 'who', 'data-i18n': whoKey, text: t(whoKey) }),
    m.article && m.text === m.article.title ? '' : m.text, m.article ? articleCard(m.article) : null);
  if (m.buttons && m.buttons.length && !W.ended) {
    node.append(el('div', { class: 'buttons' }, m.buttons.map((b) => el('button', { type: 'button', 'data-key': b.key, text: b.label, onclick: () => send(b.key) }))));
  }
  for (const v of m.copy || []) {
    node.append(el('button', { type: 'button', class: 'copy', 'data-copy': v, 'data-i18n': 'w.copy', text: t('w.copy'),
      onclick: () => navigator.clipboard && navigator.clipboard.writeText(v).catch(() => {}) }));
  }
  if (m.from === 'bot') secret(!!m.secret);
  $('transcript').append(node);
  $('transcript').scrollTop = $('transcript').scrollHeight;
  if (m.from === 'agent') { $('typing').textContent = ''; markRead(); }
}

function markRead() {
  if (document.visibilityState !== 'visible' || !W.agent) return;
  const last = [...$('transcript').querySelectorAll('.msg.agent')].pop();
  if (last && Number(last.dataset.n) > (W.sentRead || 0)) { W.sentRead = Number(last.dataset.n); W.sock.cmd('chat.read', { n: W.sentRead }).catch(() => {}); }
}

function renderRead() {
  for (const n of document.querySelectorAll('.read')) n.remove();
  const mine = [...$('transcript').querySelectorAll('.msg.customer')].filter((n) => Number(n.dataset.n) <= W.readN);
  if (mine.length) mine[mine.length - 1].after(el('div', { class: 'read', text: t('w.read') }));
}

function send(text) {
  text = String(text).trim();
  if (!text || W.ended) return;
  $('text').value = '';
  const id = newMsgID();
  const bubble = el('div', { class: 'msg customer sending' + (W.secret ? ' masked' : '') }, el('span', { class: 'who', 'data-i18n': 'w.you', text: t('w.you') }), W.secret ? '••••••' : text);
  W.pending.set(id, bubble);
  $('transcript').append(bubble);
  $('transcript').scrollTop = $('transcript').scrollHeight;
  W.sock.cmd('chat.send', { msg_id: id, text }).catch((e) => { bubble.classList.add('failed'); status(e.message || e.code); });
}

function ended() {
  if (W.ended) return;
  W.ended = true;
  status(() => t('w.ended'));
  $('text').disabled = true;
  for (const b of document.querySelectorAll('#composer button, .buttons button')) b.disabled = true;
  sessionStorage.removeItem('hotline.chat');
}

start();
