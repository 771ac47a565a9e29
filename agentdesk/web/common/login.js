// Sign-in through the foundation's auth API; the server sets the session
// cookie (HttpOnly) that the desk socket presents.
'use strict';
import { t } from './i18n.js';

export async function whoAmI() {
  const r = await fetch('/api/v1/auth/me', { credentials: 'same-origin' });
  if (!r.ok) return null;
  return r.json();
}

export function showLogin(form, onDone) {
  form.hidden = false;
  const err = form.querySelector('.login-error');
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const body = JSON.stringify({ login: form.login.value.trim(), password: form.password.value });
    const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, credentials: 'same-origin' });
    if (!r.ok) { err.textContent = t('login.failed'); return; }
    form.password.value = '';
    form.hidden = true;
    onDone(await r.json());
  };
}

export async function logout() {
  await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' });
}
