// Announcements from administration (a mass outage, a team notice): shown
// above the desk until the agent acknowledges each one.
'use strict';
import { el } from '/common/proto.js';
import { currentLang } from '/common/i18n.js';

const words = {
  zh: { ack: '已知悉', outage: '故障通告', info: '通知' },
  en: { ack: 'Acknowledge', outage: 'Outage', info: 'Notice' },
};
const w = (k) => (words[currentLang()] || words.zh)[k];
const shown = new Map(); // id → node

function box() { return document.getElementById('announcements'); }

// showAnnouncement shows one announcement (from the socket or the list).
export function showAnnouncement(a) {
  if (!a || !a.id || a.acked || shown.has(a.id)) return;
  const btn = el('button', { class: 'primary', type: 'button' }, w('ack'));
  const node = el('div', { class: 'card announcement ' + (a.severity || 'info'), role: 'alert', 'data-id': a.id },
    el('strong', {}, w(a.severity === 'outage' ? 'outage' : 'info')), el('span', { class: 'text' }, a.text), btn);
  btn.onclick = async () => {
    btn.disabled = true;
    const r = await fetch('/api/v1/announcements/' + encodeURIComponent(a.id) + '/ack', { method: 'POST', credentials: 'same-origin' });
    if (r.ok || r.status === 404) withdrawAnnouncement({ id: a.id }); else btn.disabled = false;
  };
  shown.set(a.id, node);
  box().append(node);
}

// withdrawAnnouncement removes one (acknowledged here, or withdrawn).
export function withdrawAnnouncement(d) {
  const n = shown.get(d && d.id);
  if (n) { n.remove(); shown.delete(d.id); }
}

// loadAnnouncements shows those the agent has not acknowledged yet.
export async function loadAnnouncements() {
  try {
    const r = await fetch('/api/v1/announcements', { credentials: 'same-origin' });
    if (!r.ok) return;
    for (const a of (await r.json()).announcements || []) showAnnouncement(a);
  } catch (e) { /* the socket brings the next ones */ }
}
