// Agent desktop: state bar, offers with countdown, chats side by side,
// customer panel, tickets, wrap-up, marketing log, shortcuts, auto-logout.
'use strict';
import { HotlineSocket, wsURL, newMsgID, el, clock } from '/common/proto.js';
import { t, reason, label, applyI18n, toggleLang } from '/common/i18n.js';
import { verifiedBadge, panelIdentity } from '/desk/identity.js';
import { articleCard } from '/common/article.js';
import { showAnnouncement, withdrawAnnouncement, loadAnnouncements } from '/desk/announce.js';
import { whoAmI, showLogin, logout } from '/common/login.js';
import { initPhone, phoneFrame, phoneSnapshot, phoneRinging, phoneOffer, renderPhone } from '/desk/phone.js';

const $ = (id) => document.getElementById(id);
const S = { sock: null, me: null, state: null, offer: null, chats: new Map(), wraps: new Map(), selected: '', reasons: [], codes: [], idleMs: 0, lastInput: Date.now(),
  reported: Date.now(), myGroups: [], form: { groups: [], categories: [] }, dispatch: false };
window.hotlineDesk = S; // for the browser tests and for support

function toast(text) {
  const n = $('toast');
  n.textContent = text;
  n.hidden = false;
  clearTimeout(toast.t);
  toast.t = setTimeout(() => { n.hidden = true; }, 3000);
}

function errText(e) { return (e && (e.code + ': ' + (e.message || ''))) || String(e); }

async function start() {
  applyI18n();
  $('btn-lang').onclick = () => toggleLang(renderAll);
  const me = await whoAmI();
  if (!me) {
    // Say why the desk signed out (idle, a supervisor, an expired session).
    const why = sessionStorage.getItem('hotline.signout');
    sessionStorage.removeItem('hotline.signout');
    $('signout-reason').textContent = why ? t('signout.' + why) : '';
    $('signout-reason').hidden = !why;
    showLogin($('login'), () => { $('signout-reason').hidden = true; connect(); });
    return;
  }
  connect();
}

function connect() {
  $('desk').hidden = false;
  $('btn-logout').hidden = false;
  S.sock = new HotlineSocket(wsURL('/ws/desk'), 'hotline.desk.v1', {
    view: 'desk',
    onFrame: onFrame,
    onStatus: (s) => { const c = $('conn'); c.textContent = t('status.' + s); c.className = 'conn ' + s; },
    onFatal: (code, why) => {
      // Signed out from elsewhere: a supervisor, or the session expired.
      if (S.signingOut) return;
      sessionStorage.setItem('hotline.signout', /supervisor/.test(why || '') ? 'supervisor' : code === 4030 ? 'expired' : 'closed');
      S.sock.stop();
      location.reload();
    },
  });
  S.sock.connect();
  bindControls();
  initPhone(S.sock, toast);
}

function onFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'snapshot':
      S.me = d.agent; S.state = d.state; S.offer = d.offer || null;
      S.reasons = d.not_ready_reasons || []; S.codes = d.wrapup_codes || []; S.idleMs = d.idle_logout_ms || 0;
      S.myGroups = d.my_groups || []; S.form = d.ticket_form || { groups: [], categories: [] }; S.dispatch = !!d.dispatch;
      for (const c of S.chats.values()) c.node.remove();
      S.chats.clear();
      for (const c of d.chats || []) addChat(c);
      S.wraps = new Map((d.wrapups || []).map((w) => [w.contact_id, w]));
      phoneSnapshot(d.softphone, d.phone);
      phoneOffer(S.offer);
      renderAll();
      loadAnnouncements();
      break;
    case 'announcement': showAnnouncement(d); break;
    case 'announcement.withdrawn': withdrawAnnouncement(d); break;
    case 'agent.state': S.state = d; renderState(); break;
    case 'offer': S.offer = d; phoneOffer(d); renderOffer(); break;
    case 'offer.ended': if (S.offer && S.offer.contact_id === d.contact_id) { S.offer = null; renderOffer(); } break;
    case 'chat.started': addChat(d); select(d.contact_id); break;
    case 'chat.message': { const c = S.chats.get(d.contact_id); if (c) addMessage(c, d); break; }
    case 'chat.verified': { const c = S.chats.get(d.contact_id); if (c) { c.view.verified = d.verified; renderChatHead(c); if (S.selected === c.id) select(c.id); } break; }
    case 'chat.typing': { const c = S.chats.get(d.contact_id); if (c) showTyping(c); break; }
    case 'chat.read': { const c = S.chats.get(d.contact_id); if (c) { c.readN = d.n; renderRead(c); } break; }
    case 'chat.ended': { const c = S.chats.get(d.contact_id); if (c) endChat(c, d.reason); break; }
    case 'wrapup.started': S.wraps.set(d.contact_id, d); renderWraps(); break;
    case 'wrapup.ended': S.wraps.delete(d.contact_id); renderWraps(); break;
    case 'contact.started': toast(label('channel', d.channel) + ' ' + d.contact_id); phoneFrame(f); break;
    case 'contact.ended': case 'call.consult': case 'call.monitor': phoneFrame(f); break;
    case 'ticket.call': toast(t('ticket.call_' + d.state) + (d.reason ? ' · ' + d.reason : '')); break;
    case 'phone.ring': case 'phone.connected': case 'phone.ended': phoneFrame(f); renderOffer(); break;
  }
}

function renderTicketChoices() {
  $('categories').replaceChildren(...(S.form.categories || []).map((c) => el('option', { value: c })));
  const g = $('ticket-group');
  g.hidden = !S.dispatch;
  g.replaceChildren(el('option', { value: '', text: t('ticket.by_rules') }), ...(S.form.groups || []).map((x) => el('option', { value: x, text: x })));
  const p = $('pool-group'), keep = p.value;
  p.replaceChildren(...S.myGroups.map((x) => el('option', { value: x, text: x })));
  if (S.myGroups.includes(keep)) p.value = keep;
  p.disabled = !S.myGroups.length;
}

function renderAll() {
  applyI18n();
  renderTicketChoices();
  $('agent-name').textContent = S.me ? S.me.name : '';
  const r = $('reason');
  r.replaceChildren(...S.reasons.map((x) => el('option', { value: x, text: reason(x) })));
  renderState(); renderOffer(); renderWraps(); renderPhone();
  for (const c of S.chats.values()) renderChatHead(c);
  if (S.selected) select(S.selected); // the customer panel, in the new language
}

function renderState() {
  const s = S.state;
  if (!s) return;
  const p = $('state');
  p.className = 'pill ' + s.state;
  p.textContent = t('state.' + s.state) + (s.state === 'not_ready' && s.reason ? ' · ' + reason(s.reason) : '');
  // The empty chat pane says what the agent's state means for chats.
  const none = { ready: 'chat.none_ready', reserved: 'chat.none_busy', busy: 'chat.none_busy', wrap_up: 'chat.none_wrap' }[s.state] || 'chat.none';
  const nc = $('no-chats');
  nc.dataset.i18n = none;
  nc.textContent = t(none);
  $('btn-ready').disabled = s.state === 'ready';
  $('btn-not-ready').disabled = s.state === 'not_ready' && s.reason === $('reason').value;
}

function renderOffer() {
  const o = S.offer, box = $('offer');
  // A call's offer is answered on the phone's ring banner.
  box.hidden = !o || (o.channel === 'voice' && phoneRinging(o.contact_id));
  if (!o) return;
  const who = [o.customer && o.customer.name, o.customer && o.customer.phone, o.customer && o.customer.topic].filter(Boolean).join(' · ');
  $('offer-who').textContent = who || o.contact_id;
  $('offer-queue').textContent = o.channel + ' / ' + o.queue + (o.transfer ? ' · ' + t('offer.transfer') : '');
  // The system's notes (why a chat comes back) are codes; an agent's are text.
  const nk = 'note.' + (o.note || '');
  $('offer-note').textContent = o.note ? (t(nk) !== nk ? t(nk) : o.note) : '';
  tickOffer();
}

function tickOffer() {
  if (S.offer) $('offer-left').textContent = clock(new Date(S.offer.expires_at) - Date.now());
  for (const w of S.wraps.values()) {
    const n = document.querySelector('[data-wrap="' + CSS.escape(w.contact_id) + '"] .left');
    if (n) n.textContent = clock(new Date(w.ends_at) - Date.now());
  }
  if (S.state && S.state.since) $('state-since').textContent = clock(Date.now() - new Date(S.state.since));
}

function addChat(v) {
  let c = S.chats.get(v.contact_id);
  if (!c) {
    c = { id: v.contact_id, view: v, seen: new Set(), pending: new Map(), readN: 0, ended: false };
    c.transcript = el('div', { class: 'transcript', 'aria-live': 'polite' });
    c.typing = el('div', { class: 'typing' });
    c.title = el('span', { class: 'title' });
    c.input = el('input', { name: 'text', autocomplete: 'off', maxlength: '4000', placeholder: t('chat.placeholder'), 'data-i18n-ph': 'chat.placeholder' });
    // Filled from transfer.targets when the agent opens it: the queues of
    // the channel and the agents ready now.
    c.queueSel = el('select', { 'aria-label': t('transfer.target'), class: 'transfer-target', onfocus: () => loadTargets(c), onmousedown: () => loadTargets(c) },
      el('option', { value: '', text: t('transfer.pick') }));
    c.noteIn = el('input', { placeholder: t('transfer.note'), 'data-i18n-ph': 'transfer.note' });
    const form = el('form', { onsubmit: (e) => { e.preventDefault(); send(c); } }, c.input, el('button', { class: 'primary', type: 'submit', text: t('chat.send'), 'data-i18n': 'chat.send' }));
    c.input.addEventListener('input', () => { const now = Date.now(); if (!c.typedAt || now - c.typedAt > 2000) { c.typedAt = now; S.sock.cmd('chat.typing', { contact_id: c.id }).catch(() => {}); } });
    c.endBtn = el('button', { class: 'danger', type: 'button', text: t('chat.end'), 'data-i18n': 'chat.end', onclick: () => S.sock.cmd('chat.end', { contact_id: c.id }).catch((e) => toast(errText(e))) });
    const transfer = el('div', { class: 'transfer' }, c.queueSel, c.noteIn,
      el('button', { type: 'button', text: t('transfer.go'), 'data-i18n': 'transfer.go', onclick: () => doTransfer(c) }));
    c.node = el('article', { class: 'card chat', 'data-contact': c.id, onclick: () => select(c.id) },
      el('header', {}, c.title, c.endBtn), c.transcript, c.typing, form, transfer);
    $('chats').append(c.node);
    S.chats.set(c.id, c);
  }
  c.view = v;
  renderChatHead(c);
  for (const m of v.transcript || []) addMessage(c, m);
  $('no-chats').hidden = S.chats.size > 0;
  return c;
}

function renderChatHead(c) {
  const cu = c.view.customer || {};
  c.title.replaceChildren((cu.name || cu.phone || c.id) + (cu.topic ? ' · ' + cu.topic : ''), ' ', verifiedBadge(c.view.verified));
}

function addMessage(c, m) {
  if (m.n && c.seen.has(m.n)) return;
  if (m.n) c.seen.add(m.n);
  if (m.from === 'agent' && m.msg_id && c.pending.has(m.msg_id)) { c.pending.get(m.msg_id).remove(); c.pending.delete(m.msg_id); }
  let text = m.text;
  if (m.from === 'system' && text.startsWith('agent_joined:')) text = t('w.agent_joined') + text.slice(13);
  const whoKey = { agent: 'w.agent', bot: 'w.bot' }[m.from];
  const who = m.from === 'customer' ? ((c.view.customer && c.view.customer.name) || t('w.you')) : whoKey && t(whoKey);
  const node = el('div', { class: 'msg ' + m.from, 'data-n': m.n }, who ? el('span', { class: 'who', 'data-i18n': whoKey, text: who }) : null,
    m.article && text === m.article.title ? '' : text, m.article ? articleCard(m.article) : null);
  c.transcript.append(node);
  c.transcript.scrollTop = c.transcript.scrollHeight;
  if (m.from === 'customer') { c.typing.textContent = ''; if (document.visibilityState === 'visible') S.sock.cmd('chat.read', { contact_id: c.id, n: m.n }).catch(() => {}); }
}

function renderRead(c) {
  for (const n of c.transcript.querySelectorAll('.read')) n.remove();
  const mine = [...c.transcript.querySelectorAll('.msg.agent')].filter((n) => Number(n.dataset.n) <= c.readN);
  if (mine.length) mine[mine.length - 1].after(el('div', { class: 'read', text: t('chat.read') }));
}

function showTyping(c) {
  c.typing.textContent = t('chat.typing');
  clearTimeout(c.typingT);
  c.typingT = setTimeout(() => { c.typing.textContent = ''; }, 4000);
}

function send(c) {
  const text = c.input.value.trim();
  if (!text || c.ended) return;
  const id = newMsgID();
  c.input.value = '';
  const bubble = el('div', { class: 'msg agent sending' }, text);
  c.pending.set(id, bubble);
  c.transcript.append(bubble);
  S.sock.cmd('chat.send', { contact_id: c.id, msg_id: id, text }).catch((e) => toast(errText(e)));
}

async function loadTargets(c) {
  if (c.loadingTargets || (c.targetsAt && Date.now() - c.targetsAt < 3000)) return;
  c.loadingTargets = true;
  try {
    const r = await S.sock.cmd('transfer.targets', { contact_id: c.id });
    const keep = c.queueSel.value;
    const qs = el('optgroup', { label: t('transfer.queue') }, r.queues.map((q) => el('option', { value: 'q:' + q.queue, text: q.queue + ' · ' + t('transfer.waiting') + ' ' + q.waiting + ' · ' + t('transfer.free') + ' ' + q.available })));
    const as = el('optgroup', { label: t('transfer.agents') }, r.agents.length ? r.agents.map((a) => el('option', { value: 'a:' + a.agent_id, text: a.name })) : [el('option', { value: '', disabled: '', text: t('transfer.nobody') })]);
    c.queueSel.replaceChildren(el('option', { value: '', text: t('transfer.pick') }), qs, as);
    if ([...c.queueSel.options].some((o) => o.value === keep)) c.queueSel.value = keep;
    c.targetsAt = Date.now();
  } catch (e) { toast(errText(e)); } finally { c.loadingTargets = false; }
}

function doTransfer(c) {
  const v = c.queueSel.value;
  if (!v) { toast(t('transfer.pick')); return; }
  const data = { contact_id: c.id, note: c.noteIn.value };
  if (v.startsWith('a:')) data.agent_id = v.slice(2); else data.queue = v.slice(2);
  S.sock.cmd('chat.transfer', data).catch((e) => toast(errText(e)));
}

function endChat(c, reason) {
  c.ended = true;
  c.node.classList.add('ended');
  c.endBtn.disabled = true;
  c.transcript.append(el('div', { class: 'msg system', text: t('chat.ended') + (reason ? ' (' + reason + ')' : '') }));
  setTimeout(() => { if (S.selected !== c.id || S.chats.size > 1) { c.node.remove(); S.chats.delete(c.id); $('no-chats').hidden = S.chats.size > 0; } }, 60000);
}

async function select(id) {
  S.selected = id;
  for (const c of S.chats.values()) c.node.classList.toggle('selected', c.id === id);
  const box = $('customer');
  try {
    const p = await S.sock.cmd('customer.get', { contact_id: id });
    renderCustomer(box, p);
  } catch (e) {
    box.replaceChildren(el('span', { class: 'muted', text: errText(e) }));
  }
}

function renderCustomer(box, p) {
  const cu = p.customer || {};
  const kv = el('dl', { class: 'kv' });
  const row = (k, v) => { if (v) kv.append(el('dt', { text: t(k) }), el('dd', { text: v })); };
  row('customer.name', cu.name); row('customer.phone', cu.phone); row('customer.topic', cu.topic);
  row('customer.account', p.account); row('customer.tier', label('tier', p.tier));
  const vars = Object.entries(p.vars || {}).filter(([k]) => !['contact_id', 'channel', 'entry'].includes(k));
  const list = (items, fmt) => items.length ? el('ul', { class: 'list' }, items.map((x) => el('li', {}, ...fmt(x)))) : el('div', { class: 'muted', text: t('customer.none') });
  const unlock = () => S.sock.cmd('customer.unlock_pin', { contact_id: p.contact_id }).then(() => toast(t('customer.unlocked')), (e) => toast(errText(e)));
  box.replaceChildren(panelIdentity(p, unlock), kv,
    el('h3', { text: t('customer.vars') }), list(vars, ([k, v]) => [el('span', { text: label('var', k), title: k }), el('span', { text: v })]),
    el('h3', { text: t('customer.contacts') }), list(p.contacts || [], (c) => [el('span', { text: new Date(c.started_at).toLocaleString() }), el('span', { text: label('channel', c.channel) + ' ' + label('outcome', c.outcome) }),
      ...(c.transcript ? [el('details', { class: 'transcript' }, el('summary', { text: t('customer.transcript') }), ...c.transcript.map((m) => el('div', { class: 'line ' + m.from, text: t('from.' + m.from) + ': ' + m.text })))] : [])]),
    el('h3', { text: t('customer.tickets') }), list(p.tickets || [], (x) => [el('span', { text: x.number }), el('span', { text: x.subject + ' · ' + t('status.' + x.status) })]));
}

function renderWraps() {
  const box = $('wrapups');
  box.replaceChildren(...[...S.wraps.values()].map((w) => {
    const code = el('select', { 'aria-label': t('wrap.code') }, S.codes.map((x) => el('option', { value: x, text: t('code.' + x) })));
    const notes = el('input', { placeholder: t('wrap.notes'), maxlength: '2000' });
    return el('div', { class: 'card wrapup', 'data-wrap': w.contact_id },
      el('strong', { text: t('wrap.title') }), el('span', { class: 'muted', text: w.contact_id }),
      el('span', {}, t('wrap.left') + ' ', el('b', { class: 'left' })), code, notes,
      el('button', { class: 'primary', text: t('wrap.done'), onclick: () => S.sock.cmd('wrapup.done', { contact_id: w.contact_id, code: code.value, notes: notes.value }).catch((e) => toast(errText(e))) }),
      el('button', { text: t('wrap.extend'), onclick: () => S.sock.cmd('wrapup.extend', { contact_id: w.contact_id, seconds: 30 }).catch((e) => toast(errText(e))) }));
  }));
  tickOffer();
}

async function refreshPool() {
  try {
    const group = $('pool-group').value;
    if (!group) { $('pool').replaceChildren(el('li', { class: 'muted', text: t('ticket.no_group') })); return; }
    const r = await S.sock.cmd('ticket.pool', { group });
    $('pool').replaceChildren(...r.tickets.map((x) => el('li', {}, el('span', { text: x.number + ' ' + x.subject }),
      el('button', { text: t('ticket.claim'), 'data-i18n': 'ticket.claim', onclick: () => S.sock.cmd('ticket.act', { id: x.id, command: { action: 'claim', version: x.version } }).then(() => { refreshPool(); refreshMine(); }, (e) => toast(errText(e))) }))));
  } catch (e) { toast(errText(e)); }
}

// The next step an agent takes on a ticket of its own.
const nextStep = { assigned: 'start', in_progress: 'resolve', pending: 'resume' };

async function refreshMine() {
  try {
    const r = await S.sock.cmd('ticket.mine');
    $('mine').replaceChildren(...r.tickets.map((x) => {
      const step = nextStep[x.status];
      const act = () => {
        const command = { action: step, version: x.version };
        if (step === 'resolve') command.resolution = prompt(t('ticket.resolution'), '') || t('ticket.resolved_default');
        S.sock.cmd('ticket.act', { id: x.id, command }).then(refreshMine, (e) => toast(errText(e)));
      };
      // A return visit: the agent's phone rings first, then the customer's.
      const call = () => S.sock.cmd('ticket.call', { id: x.id }).then(() => toast(t('ticket.call_ringing')), (e) => toast(errText(e)));
      return el('li', { 'data-ticket': x.number }, el('span', { text: x.number + ' ' + x.subject + ' · ' + t('status.' + x.status) }),
        step ? el('button', { text: t('ticket.' + step), 'data-i18n': 'ticket.' + step, onclick: act }) : null,
        x.customer && x.customer.phone ? el('button', { class: 'call-customer', text: t('ticket.call'), 'data-i18n': 'ticket.call', onclick: call }) : null);
    }));
  } catch (e) { toast(errText(e)); }
}

function bindControls() {
  $('btn-ready').onclick = () => S.sock.cmd('state.ready').catch((e) => toast(errText(e)));
  $('btn-not-ready').onclick = () => S.sock.cmd('state.not_ready', { reason: $('reason').value }).catch((e) => toast(errText(e)));
  $('btn-accept').onclick = () => { if (S.offer) S.sock.cmd('offer.accept', { contact_id: S.offer.contact_id }).catch((e) => toast(errText(e))); };
  $('btn-reject').onclick = () => { if (S.offer) S.sock.cmd('offer.reject', { contact_id: S.offer.contact_id }).catch((e) => toast(errText(e))); };
  $('btn-logout').onclick = () => signOut();
  $('btn-pool').onclick = refreshPool;
  $('btn-mine').onclick = refreshMine;
  $('ticket-form').onsubmit = async (e) => {
    e.preventDefault();
    const f = e.target;
    const draft = { type: f.type.value, category: f.category.value.trim(), subject: f.subject.value.trim(), description: f.description.value, channel: 'chat', contact: S.selected || undefined, customer: {} };
    // Without a group the dispatch rules route it, like any other ticket.
    if (S.dispatch && f.group.value) draft.group = f.group.value;
    try {
      const r = await S.sock.cmd('ticket.create', { draft, key: newMsgID() });
      $('ticket-result').textContent = t('ticket.created') + ' ' + r.ticket.number;
      f.subject.value = ''; f.description.value = '';
      if (S.selected) select(S.selected);
    } catch (err) { $('ticket-result').textContent = errText(err); }
  };
  $('mk-form').onsubmit = async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      await S.sock.cmd('marketing.log', { contact_id: S.selected, offer: f.offer.value.trim(), outcome: f.outcome.value });
      $('mk-result').textContent = t('mk.logged');
    } catch (err) { $('mk-result').textContent = errText(err); }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'F2') { e.preventDefault(); $('btn-ready').click(); }
    else if (e.key === 'F3') { e.preventDefault(); $('btn-not-ready').click(); }
    else if (e.altKey && (e.key === 'a' || e.key === 'A')) { e.preventDefault(); $('btn-accept').click(); }
    else if (e.altKey && (e.key === 'r' || e.key === 'R')) { e.preventDefault(); $('btn-reject').click(); }
    else if (e.altKey && (e.key === 'w' || e.key === 'W')) { e.preventDefault(); const b = document.querySelector('.wrapup .primary'); if (b) b.click(); }
  });
  for (const ev of ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart', 'focus']) document.addEventListener(ev, noteInput, { passive: true, capture: true });
  $('btn-stay').onclick = () => { noteInput(); reportActivity(true); };
  setInterval(() => {
    tickOffer();
    idleTick();
  }, 1000);
}

// Activity: keyboard and mouse use is reported to the server (which keeps
// the sign-in session alive) at most every quarter of the idle time; a
// warning shows for the last 20 % of it (at least 10 s) with a way to stay;
// at the limit the desk signs out and says why on the login page.
function noteInput(ev) {
  // Once the warning shows, staying takes a click or a key: a mouse that
  // drifts across the screen is no answer.
  if (ev && ev.type === 'mousemove' && !$('idle-warning').hidden) return;
  S.lastInput = Date.now();
  if (!$('idle-warning').hidden) { $('idle-warning').hidden = true; reportActivity(true); }
}

function reportEvery() { return Math.max(1000, Math.min(60000, S.idleMs / 4)); }

function reportActivity(now) {
  if (!S.sock || S.idleMs <= 0) return;
  if (!now && (S.lastInput <= S.reported || Date.now() - S.reported < reportEvery())) return;
  S.reported = Date.now();
  S.sock.cmd('activity').catch(() => {});
}

function idleTick() {
  if (S.idleMs <= 0 || S.signingOut) return;
  reportActivity(false);
  const idle = Date.now() - S.lastInput;
  const warnAt = S.idleMs - Math.max(10000, S.idleMs / 5);
  const w = $('idle-warning');
  if (idle >= S.idleMs) { signOut('idle'); return; }
  if (idle >= warnAt) {
    w.hidden = false;
    $('idle-left').textContent = clock(S.idleMs - idle);
  } else if (!w.hidden) w.hidden = true;
}

async function signOut(why) {
  S.signingOut = true;
  if (why) sessionStorage.setItem('hotline.signout', why);
  try { await S.sock.cmd('logout', why ? { reason: why } : undefined); } catch (e) { /* the session ends anyway */ }
  S.sock.stop();
  await logout();
  location.reload();
}

start();
