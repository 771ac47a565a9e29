// Who the chat customer is, as far as they proved it: the "unverified"
// badge of a chat whose number is only typed, the verified badge once an
// SMS code or the service PIN proved it, and the PIN unlock an agent may
// do for a proved customer.
'use strict';
import { el } from '/common/proto.js';
import { t } from '/common/i18n.js';

export function verifiedBadge(level) {
  const key = level && level !== 'none' ? 'customer.verified_' + level : 'customer.unverified';
  return el('span', { class: 'badge ' + (level && level !== 'none' ? 'verified' : 'unverified'), 'data-verified': level || 'none', 'data-i18n': key, text: t(key) });
}

// panelIdentity is the badge and, for a customer proved by SMS code, the
// service-PIN unlock button.
export function panelIdentity(p, unlock) {
  const parts = [verifiedBadge(p.verified)];
  if (p.verified === 'otp' && unlock) parts.push(el('button', { type: 'button', class: 'unlock', 'data-i18n': 'customer.unlock_pin', text: t('customer.unlock_pin'), onclick: unlock }));
  return el('div', { class: 'identity' }, parts);
}
