// Hotline desk/chat protocol client (docs/desk-protocol.md): hello with
// resume, durable frames de-duplicated by seq, commands retried with the
// same id after a reconnect (the server answers a retry from its cache),
// heartbeats, and reconnection with backoff.
'use strict';

export class HotlineSocket {
  constructor(url, protocol, opts) {
    this.url = url;
    this.protocol = protocol;
    this.view = opts.view || '';
    this.token = opts.token || ''; // chat: sent as a subprotocol, not in the URL
    this.onFrame = opts.onFrame || (() => {});
    this.onStatus = opts.onStatus || (() => {});
    this.onFatal = opts.onFatal || (() => {});
    this.session = '';
    this.lastSeq = 0;
    this.pending = new Map(); // id -> {frame, resolve, reject}
    this.n = 0;
    this.ws = null;
    this.backoff = 500;
    this.heartbeat = 10000;
    this.stopped = false;
    this.lastHeard = Date.now();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  connect() {
    if (this.stopped) return;
    this.onStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, this.token ? [this.protocol, 'hotline.token.' + this.token] : this.protocol);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      const hello = { view: this.view || undefined };
      if (this.session) { hello.resume = this.session; hello.last_seq = this.lastSeq; }
      ws.send(JSON.stringify({ type: 'hello', id: 'h' + (++this.n), data: hello }));
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (ev.code === 4030 || ev.code === 1008) {
        this.onStatus('closed', ev.reason);
        this.onFatal(ev.code, ev.reason);
        return;
      }
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    this.onStatus('offline');
    setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 5000);
  }

  // drop closes the socket as a lost network would; the client reconnects.
  drop() { if (this.ws) this.ws.close(); }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.ws) this.ws.close(1000);
  }

  tick() {
    if (!this.ws || !this.ready) return;
    const quiet = Date.now() - this.lastHeard;
    if (quiet > this.heartbeat * 2.5) { this.drop(); return; }
    if (quiet > this.heartbeat * 0.8) this.cmd('ping').catch(() => {});
  }

  receive(text) {
    let f;
    try { f = JSON.parse(text); } catch (e) { return; }
    this.lastHeard = Date.now();
    if (f.type === 'welcome') {
      const w = f.data || {};
      this.session = w.session;
      this.heartbeat = w.heartbeat_ms || this.heartbeat;
      if (!w.resumed) this.lastSeq = w.seq || 0;
      this.ready = true;
      this.backoff = 500;
      this.onStatus('online');
      for (const p of this.pending.values()) this.ws.send(JSON.stringify(p.frame));
      return;
    }
    if (f.type === 'ack' || f.type === 'error') {
      const p = f.re && this.pending.get(f.re);
      if (p) {
        this.pending.delete(f.re);
        if (f.type === 'ack') p.resolve(f.data || null);
        else p.reject(f.data || { code: 'error' });
        return;
      }
      if (f.type === 'error' && f.data && f.data.code === 'resume_expired') return; // a snapshot follows
    }
    if (f.seq) {
      if (f.seq <= this.lastSeq) return; // already seen
      this.lastSeq = f.seq;
    }
    this.onFrame(f);
  }

  // cmd sends a command; it is kept until answered and re-sent with the
  // same id after a reconnect, so it runs once.
  cmd(type, data) {
    const id = 'c' + Date.now().toString(36) + '-' + (++this.n);
    const frame = { type, id };
    if (data !== undefined) frame.data = data;
    return new Promise((resolve, reject) => {
      const open = this.ws && this.ready && this.ws.readyState === WebSocket.OPEN;
      if (type === 'ping' && !open) { reject({ code: 'offline' }); return; }
      this.pending.set(id, { frame, resolve, reject });
      if (open) this.ws.send(JSON.stringify(frame));
    });
  }
}

export function wsURL(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

export function newMsgID() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// el builds DOM nodes; text is always set as text, never parsed as HTML.
export function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return n;
}

export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return m + ':' + String(s % 60).padStart(2, '0');
}
