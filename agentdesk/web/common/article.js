// Knowledge-base article HTML on the desk and in the chat widget. The
// server renders articles from Markdown and sanitizes them (bluemonday's
// UGC policy); here they are parsed into an inert document and only an
// allowlist of elements and attributes is copied into the page, so even a
// sanitizer slip cannot add a script, a handler or a style (the pages' CSP
// forbids inline scripts as well). Hand-written because the page has no
// build step for a sanitizer library; the list is small and closed.
'use strict';

const TAGS = new Set(['P', 'BR', 'HR', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'UL', 'OL', 'LI', 'STRONG', 'B', 'EM', 'I', 'DEL', 'S',
  'CODE', 'PRE', 'BLOCKQUOTE', 'A', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'MARK', 'SPAN']);

const DROP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'IFRAME', 'OBJECT', 'SVG', 'MATH']);

function safeHref(v) {
  try {
    const u = new URL(v, location.href);
    return ['http:', 'https:', 'mailto:', 'tel:'].includes(u.protocol) ? u.href : '';
  } catch { return ''; }
}

function copy(from, to) {
  for (const n of from.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) { to.append(n.textContent); continue; }
    if (n.nodeType !== Node.ELEMENT_NODE) continue;
    if (DROP.has(n.tagName)) continue;
    if (!TAGS.has(n.tagName)) { copy(n, to); continue; } // keep the text of anything else
    const e = document.createElement(n.tagName.toLowerCase());
    if (n.tagName === 'A') {
      const href = safeHref(n.getAttribute('href') || '');
      if (href) { e.setAttribute('href', href); e.setAttribute('target', '_blank'); e.setAttribute('rel', 'noopener noreferrer nofollow'); }
    }
    copy(n, e);
    to.append(e);
  }
}

// safeHTML returns a fragment holding html's allowed elements and text.
export function safeHTML(html) {
  const doc = new DOMParser().parseFromString('<body>' + String(html || ''), 'text/html');
  const frag = document.createDocumentFragment();
  copy(doc.body, frag);
  return frag;
}

// articleCard is an article as a chat shows it: its title and body.
export function articleCard(a) {
  const card = document.createElement('div');
  card.className = 'kb-card';
  card.dataset.article = a.id || '';
  const h = document.createElement('div');
  h.className = 'kb-card-title';
  h.textContent = a.title || '';
  const body = document.createElement('div');
  body.className = 'kb-card-body';
  body.append(safeHTML(a.html));
  card.append(h, body);
  return card;
}
