// The desk's knowledge pane: search as you type, suggestions for the
// selected chat (from the customer's last messages and IVR path), the
// article, and "send to customer" for public articles. It speaks the desk
// socket's kb.* commands (docs/desk-protocol.md) and keeps to itself: the
// desk (desk.js) only has to load it.
'use strict';
import { el, newMsgID } from '/common/proto.js';
import { currentLang } from '/common/i18n.js';
import { safeHTML } from '/common/article.js';

const L = {
  zh: { title: '知识库', search: '搜索知识库…', suggest: '推荐', suggested: '为当前会话推荐', results: '搜索结果', none: '没有找到文章',
    send: '发送给客户', sent: '已发送给客户', internal: '仅限坐席', nochat: '先选择一个会话', back: '返回' },
  en: { title: 'Knowledge', search: 'Search the knowledge base…', suggest: 'Suggest', suggested: 'Suggested for this chat', results: 'Results',
    none: 'No articles found', send: 'Send to customer', sent: 'Sent to the customer', internal: 'Agents only', nochat: 'Select a chat first', back: 'Back' },
};
const tr = (k) => (L[currentLang()] || L.zh)[k] || L.zh[k];

const K = { q: '', seq: 0, article: null, selected: '', list: [], heading: '' };
window.hotlineKB = K; // for the browser tests

const desk = () => window.hotlineDesk;
const cmd = (type, data) => desk().sock.cmd(type, data);

const input = el('input', { type: 'search', id: 'kb-q', autocomplete: 'off', maxlength: '200' });
const suggestBtn = el('button', { type: 'button', id: 'kb-suggest' });
const heading = el('div', { class: 'muted kb-heading', id: 'kb-heading' });
const list = el('ul', { class: 'list kb-hits', id: 'kb-hits' });
const view = el('div', { class: 'kb-view', id: 'kb-view', hidden: '' });
const status = el('span', { class: 'muted', id: 'kb-status' });
const title = el('h2', {});
const pane = el('section', { class: 'card kb-pane', id: 'kb-pane' }, title,
  el('div', { class: 'body stack' }, el('div', { class: 'row' }, input, suggestBtn), heading, list, view, status));

function labels() {
  title.textContent = tr('title');
  input.placeholder = tr('search');
  suggestBtn.textContent = tr('suggest');
  heading.textContent = K.heading ? tr(K.heading) : '';
  if (K.article) renderArticle(K.article);
}

function renderHits(hits, head) {
  K.list = hits; K.heading = head;
  heading.textContent = tr(head);
  list.replaceChildren(...(hits.length ? hits.map((h) => el('li', { class: 'kb-hit', 'data-id': h.id, onclick: () => open(h.id) },
    el('strong', { text: h.title }), h.audience === 'agents' ? el('span', { class: 'badge', text: ' ' + tr('internal') }) : null,
    el('div', { class: 'kb-snippet' }, safeHTML(h.snippet)))) : [el('li', { class: 'muted', text: tr('none') })]));
}

// search runs as the agent types; an answer to an older query is dropped.
async function search() {
  const q = input.value.trim();
  if (q === K.q) return;
  K.q = q;
  const seq = ++K.seq;
  if (!q) { list.replaceChildren(); heading.textContent = ''; return; }
  try {
    const r = await cmd('kb.search', { q, limit: 8 });
    if (seq === K.seq) renderHits(r.hits || [], 'results');
  } catch (e) { if (seq === K.seq) status.textContent = e.code || String(e); }
}

async function suggest() {
  const id = desk().selected;
  if (!id) { status.textContent = tr('nochat'); return; }
  const seq = ++K.seq;
  try {
    const r = await cmd('kb.suggest', { contact_id: id });
    if (seq === K.seq) { status.textContent = ''; renderHits(r.hits || [], 'suggested'); }
  } catch (e) { status.textContent = e.code || String(e); }
}

async function open(id) {
  try {
    K.article = await cmd('kb.article', { id });
    renderArticle(K.article);
  } catch (e) { status.textContent = e.code || String(e); }
}

function canSend(a) {
  const c = desk().chats.get(desk().selected);
  return a.sendable && c && !c.ended;
}

function renderArticle(a) {
  const send = el('button', { type: 'button', class: 'primary', id: 'kb-send', text: tr('send'), onclick: () => sendArticle(a) });
  send.disabled = !canSend(a);
  if (!a.sendable) send.title = tr('internal');
  view.replaceChildren(
    el('div', { class: 'row' }, el('strong', { class: 'kb-title', text: a.title }), a.audience === 'agents' ? el('span', { class: 'badge', text: tr('internal') }) : null),
    el('div', { class: 'muted', text: a.category }),
    el('div', { class: 'kb-card-body kb-body' }, safeHTML(a.html)),
    el('div', { class: 'row' }, send, el('button', { type: 'button', text: tr('back'), onclick: () => { K.article = null; view.hidden = true; } })));
  view.hidden = false;
}

async function sendArticle(a) {
  const contact = desk().selected;
  if (!canSend(a)) { status.textContent = tr('nochat'); return; }
  try {
    await cmd('kb.send', { contact_id: contact, article_id: a.id, msg_id: newMsgID() });
    status.textContent = tr('sent');
  } catch (e) { status.textContent = (e.code || '') + ' ' + (e.message || ''); }
}

function mount() {
  const side = document.querySelector('#desk .side');
  if (!side || !desk()) { setTimeout(mount, 200); return; }
  side.prepend(pane);
  labels();
  let timer;
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); K.q = null; search(); } });
  suggestBtn.onclick = suggest;
  document.getElementById('btn-lang').addEventListener('click', () => setTimeout(labels, 0));
  // A newly selected chat brings its suggestions, unless the agent is
  // searching; the send button follows the selected chat.
  setInterval(() => {
    const d = desk();
    if (!d || !d.sock || d.selected === K.selected) return;
    K.selected = d.selected;
    if (K.article) renderArticle(K.article);
    if (d.selected && !input.value.trim()) suggest();
  }, 500);
}

mount();
