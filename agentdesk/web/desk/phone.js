// Desk softphone (docs/desk-protocol.md, "Desk phone"): the ring banner
// with answer and decline, call controls (hang up, hold, mute, DTMF
// keypad), the microphone and speaker choice (remembered in localStorage),
// and WebRTC with the server, signalled over the desk socket (phone.*).
'use strict';
import { el, clock } from '/common/proto.js';
import { currentLang } from '/common/i18n.js';

const words = {
  zh: {
    title: '来电', from: '来电号码', queue: '队列', answer: '接听 (Alt+A)', decline: '拒接 (Alt+R)', hangup: '挂机 (Alt+H)', hold: '保持', unhold: '取回', mute: '静音', unmute: '取消静音',
    keypad: '拨号盘', connecting: '正在接通…', connected: '通话中', mic: '麦克风', speaker: '扬声器', device_default: '系统默认',
    mic_denied: '无法使用麦克风：请在浏览器中允许本页面使用麦克风后再接听。', mic_missing: '找不到麦克风，请检查设备。',
    ended: '通话已结束', 'end.declined': '已拒接', 'end.withdrawn': '来电已撤回', 'end.agent_hangup': '已挂机', 'end.media_failed': '媒体连接失败', 'end.closed': '对方已挂断',
    held: '已保持', muted: '已静音', no_codec: '浏览器不支持 G.711 语音编码，无法接听', idle: '话机空闲', phone: '网页话机',
  },
  en: {
    title: 'Incoming call', from: 'Caller', queue: 'Queue', answer: 'Answer (Alt+A)', decline: 'Decline (Alt+R)', hangup: 'Hang up (Alt+H)', hold: 'Hold', unhold: 'Resume', mute: 'Mute', unmute: 'Unmute',
    keypad: 'Keypad', connecting: 'Connecting…', connected: 'On call', mic: 'Microphone', speaker: 'Speaker', device_default: 'System default',
    mic_denied: 'The microphone is blocked: allow this page to use it in the browser, then answer.', mic_missing: 'No microphone found: check the device.',
    ended: 'Call ended', 'end.declined': 'Declined', 'end.withdrawn': 'The call was withdrawn', 'end.agent_hangup': 'You hung up', 'end.media_failed': 'The media connection failed', 'end.closed': 'The caller hung up',
    held: 'On hold', muted: 'Muted', no_codec: 'This browser offers no G.711 audio: the call cannot be answered', idle: 'Phone idle', phone: 'Desk phone',
  },
};
const w = (k) => (words[currentLang()] || words.zh)[k] || words.zh[k] || k;

const MIC_KEY = 'hotline.phone.mic';
const SPEAKER_KEY = 'hotline.phone.speaker';

// P is the phone's state; exposed for the browser tests and for support.
const P = { sock: null, toast: () => {}, enabled: false, call: null, pc: null, stream: null, muted: false, held: false, since: 0, answering: false, micDenied: false };
window.hotlinePhone = P;

const $ = (id) => document.getElementById(id);

export function initPhone(sock, toast) {
  P.sock = sock;
  P.toast = toast;
  const keys = $('phone-keys');
  keys.replaceChildren(...'123456789*0#'.split('').map((k) => el('button', { type: 'button', 'data-key': k, text: k, onclick: () => dtmf(k) })));
  $('btn-phone-answer').onclick = answer;
  $('btn-phone-decline').onclick = () => command('phone.decline');
  $('btn-phone-hangup').onclick = () => command('phone.hangup');
  $('btn-phone-mute').onclick = () => setMute(!P.muted);
  $('btn-phone-hold').onclick = () => setHold(!P.held);
  $('phone-mic').onchange = () => { localStorage.setItem(MIC_KEY, $('phone-mic').value); switchMic(); };
  $('phone-speaker').onchange = () => { localStorage.setItem(SPEAKER_KEY, $('phone-speaker').value); applySpeaker(); };
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) navigator.mediaDevices.addEventListener('devicechange', listDevices);
  // While the phone rings, the offer shortcuts answer and decline it;
  // Alt+H hangs up a call.
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || !P.call) return;
    const k = e.key.toLowerCase(), ringing = P.call.state === 'ringing';
    const act = ringing && k === 'a' ? answer : ringing && k === 'r' ? () => command('phone.decline') : !ringing && k === 'h' ? () => command('phone.hangup') : null;
    if (!act) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    act();
  }, { capture: true });
  listDevices();
  watchPermission();
  setInterval(tickTimer, 1000);
  render();
}

function tickTimer() {
  $('phone-timer').textContent = P.call && P.call.state === 'connected' && P.since ? clock(Date.now() - P.since) : '';
}

// watchPermission tells the agent before a call rings that the browser
// blocks the microphone (the answer would fail).
async function watchPermission() {
  if (!navigator.permissions || !navigator.permissions.query) return;
  try {
    const st = await navigator.permissions.query({ name: 'microphone' });
    const apply = () => { P.micDenied = st.state === 'denied'; render(); };
    st.onchange = apply;
    apply();
  } catch (e) { /* the browser cannot tell */ }
}

// phoneSnapshot takes the desk snapshot: whether the desk is a phone, and
// its call (or none).
export function phoneSnapshot(enabled, v) {
  P.enabled = !!enabled;
  if (!v) { if (P.call) hangupLocal(); P.call = null; render(); return; }
  P.call = v;
  P.muted = !!v.muted; P.held = !!v.held;
  // A page that reloaded during a call has no media for it: the server
  // ends it when the old page's connection goes.
  render();
}

// phoneRinging reports whether the desk phone rings for contact.
export function phoneRinging(contact) { return !!(P.call && P.call.contact_id === contact && P.call.state !== 'connected'); }

export function phoneFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'phone.ring':
      P.call = d; P.muted = false; P.held = false;
      ringTone(true);
      break;
    case 'phone.connected':
      if (P.call && P.call.call_id === d.call_id) { P.call = d; P.since = Date.now(); tickTimer(); }
      ringTone(false);
      break;
    case 'phone.ended':
      if (P.call && P.call.call_id === d.call_id) {
        const why = 'end.' + d.reason;
        P.toast(w('ended') + (w(why) !== why ? ' · ' + w(why) : ''));
        P.call = null;
        hangupLocal();
      }
      ringTone(false);
      break;
    default:
      return;
  }
  render();
}

function render() {
  const c = P.call;
  $('phone').hidden = !c && !P.enabled;
  $('phone-mic-label').textContent = w('mic');
  $('phone-speaker-label').textContent = w('speaker');
  if (!c) {
    // Idle: the devices can be chosen before a call rings.
    $('phone').className = 'card phone idle';
    $('phone-title').textContent = w('phone');
    $('phone-caller').textContent = '';
    $('phone-queue').textContent = '';
    $('phone-status').textContent = P.micDenied ? w('mic_denied') : w('idle');
    $('phone-ringing').hidden = true;
    $('phone-controls').hidden = true;
    tickTimer();
    return;
  }
  const ringing = c.state === 'ringing' || c.state === 'answering';
  $('phone').className = 'card phone ' + c.state;
  $('phone-title').textContent = ringing ? w('title') : w('connected');
  $('phone-caller').textContent = c.caller || c.contact_id;
  $('phone-queue').textContent = c.queue ? w('queue') + ' ' + c.queue : '';
  $('phone-status').textContent = P.answering ? w('connecting') : P.micDenied && ringing ? w('mic_denied') : [P.held ? w('held') : '', P.muted ? w('muted') : ''].filter(Boolean).join(' · ');
  $('phone-ringing').hidden = !ringing;
  $('phone-controls').hidden = ringing;
  $('btn-phone-answer').disabled = P.answering;
  $('btn-phone-mute').textContent = P.muted ? w('unmute') : w('mute');
  $('btn-phone-hold').textContent = P.held ? w('unhold') : w('hold');
  $('btn-phone-answer').textContent = w('answer');
  $('btn-phone-decline').textContent = w('decline');
  $('btn-phone-hangup').textContent = w('hangup');
  $('phone-keys-label').textContent = w('keypad');
  tickTimer();
}

function errText(e) { return (e && (e.code + ': ' + (e.message || ''))) || String(e); }

async function command(type, extra) {
  if (!P.call) return null;
  try {
    return await P.sock.cmd(type, Object.assign({ call_id: P.call.call_id }, extra || {}));
  } catch (e) {
    P.toast(errText(e));
    return null;
  }
}

// micConstraint asks for the remembered microphone, with echo
// cancellation (the agent wears a headset or not).
function micConstraint(useSaved) {
  const a = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  const id = useSaved ? localStorage.getItem(MIC_KEY) : '';
  if (id) a.deviceId = { exact: id };
  return { audio: a, video: false };
}

async function getMic() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw { code: 'mic', message: w('mic_missing') };
  try {
    return await navigator.mediaDevices.getUserMedia(micConstraint(true));
  } catch (e) {
    if (e && (e.name === 'OverconstrainedError' || e.name === 'NotFoundError') && localStorage.getItem(MIC_KEY)) {
      // The remembered device is gone (unplugged): the default one.
      localStorage.removeItem(MIC_KEY);
      return await navigator.mediaDevices.getUserMedia(micConstraint(false));
    }
    throw e;
  }
}

async function answer() {
  const c = P.call;
  if (!c || c.state !== 'ringing' || P.answering) return;
  P.answering = true;
  render();
  ringTone(false);
  try {
    try {
      P.stream = await getMic();
    } catch (e) {
      const denied = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
      throw { code: 'mic', message: denied ? w('mic_denied') : w('mic_missing') };
    }
    listDevices(); // labels are readable once permission is granted
    const pc = new RTCPeerConnection({ iceServers: [] });
    P.pc = pc;
    for (const tr of P.stream.getAudioTracks()) pc.addTrack(tr, P.stream);
    preferG711(pc);
    pc.ontrack = (ev) => {
      const a = $('phone-audio');
      a.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      applySpeaker();
      a.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => { if (pc.connectionState === 'failed' && P.pc === pc) P.toast(w('end.media_failed')); };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await P.sock.cmd('phone.answer', { call_id: c.call_id, sdp: pc.localDescription.sdp });
    if (P.pc !== pc) return; // ended meanwhile
    await pc.setRemoteDescription({ type: 'answer', sdp: r.sdp });
  } catch (e) {
    hangupLocal();
    P.toast(e && e.message && /codec/.test(e.message) ? w('no_codec') : errText(e));
  } finally {
    P.answering = false;
    render();
  }
}

// preferG711 puts PCMU and PCMA first in the offer: the server takes only
// those (it would find them further down the list too).
function preferG711(pc) {
  if (!window.RTCRtpSender || !RTCRtpSender.getCapabilities) return;
  const caps = RTCRtpSender.getCapabilities('audio');
  if (!caps) return;
  const g711 = caps.codecs.filter((x) => /audio\/(PCMU|PCMA)/i.test(x.mimeType));
  const rest = caps.codecs.filter((x) => !/audio\/(PCMU|PCMA)/i.test(x.mimeType));
  for (const t of pc.getTransceivers()) {
    if (t.setCodecPreferences) { try { t.setCodecPreferences([...g711, ...rest]); } catch (e) { /* keep the browser's order */ } }
  }
}

// gathered waits for ICE gathering to complete (at most 3 s: then what
// was found goes; more would arrive as phone.ice, which we do not need on
// a LAN).
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') { pc.removeEventListener('icegatheringstatechange', done); resolve(); } };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, 3000);
  });
}

function setMute(on) {
  P.muted = on;
  if (P.stream) for (const tr of P.stream.getAudioTracks()) tr.enabled = !on && !P.held;
  command('phone.mute', { on });
  render();
}

function setHold(on) {
  P.held = on;
  if (P.stream) for (const tr of P.stream.getAudioTracks()) tr.enabled = !on && !P.muted;
  command('phone.hold', { on });
  render();
}

function dtmf(key) {
  if (!P.call || P.call.state !== 'connected') return;
  command('phone.dtmf', { digits: key });
}

// hangupLocal drops the page's media: the peer connection and the
// microphone (its light goes off).
function hangupLocal() {
  if (P.pc) { try { P.pc.close(); } catch (e) { /* closed */ } P.pc = null; }
  if (P.stream) { for (const tr of P.stream.getTracks()) tr.stop(); P.stream = null; }
  const a = $('phone-audio');
  if (a) a.srcObject = null;
  P.muted = false; P.held = false;
}

// switchMic moves a call in progress to the microphone just chosen.
async function switchMic() {
  if (!P.pc || !P.stream) return;
  try {
    const s = await getMic();
    const tr = s.getAudioTracks()[0];
    tr.enabled = !P.muted && !P.held;
    for (const sender of P.pc.getSenders()) if (sender.track && sender.track.kind === 'audio') await sender.replaceTrack(tr);
    for (const old of P.stream.getTracks()) old.stop();
    P.stream = s;
  } catch (e) { P.toast(errText(e)); }
}

function applySpeaker() {
  const a = $('phone-audio'), id = localStorage.getItem(SPEAKER_KEY) || '';
  if (a && a.setSinkId) a.setSinkId(id).catch(() => {});
}

async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  let devs = [];
  try { devs = await navigator.mediaDevices.enumerateDevices(); } catch (e) { return; }
  const fill = (sel, kind, key) => {
    const saved = localStorage.getItem(key) || '';
    const list = devs.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default');
    sel.replaceChildren(el('option', { value: '', text: w('device_default') }),
      ...list.map((d, i) => el('option', { value: d.deviceId, text: d.label || (kind + ' ' + (i + 1)) })));
    sel.value = list.some((d) => d.deviceId === saved) ? saved : '';
  };
  fill($('phone-mic'), 'audioinput', MIC_KEY);
  fill($('phone-speaker'), 'audiooutput', SPEAKER_KEY);
  $('phone-speaker-row').hidden = !('setSinkId' in HTMLMediaElement.prototype);
}

// ringTone plays the Chinese ring-back cadence (450 Hz, 1 s on, 4 s off)
// while the phone rings, where the browser lets the page play sound.
function ringTone(on) {
  if (ringTone.timer) { clearInterval(ringTone.timer); ringTone.timer = null; }
  if (!on || !window.AudioContext) return;
  const beep = () => {
    try {
      const ctx = ringTone.ctx || (ringTone.ctx = new AudioContext());
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 450; g.gain.value = 0.1;
      o.connect(g).connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 1);
    } catch (e) { /* no sound allowed yet */ }
  };
  beep();
  ringTone.timer = setInterval(beep, 5000);
}

// stats is for the browser tests: what the page's peer connection sent
// and received.
P.stats = async () => {
  const out = { sent: 0, received: 0, energy: 0, codec: '' , state: P.pc ? P.pc.connectionState : 'none' };
  if (!P.pc) return out;
  const r = await P.pc.getStats();
  r.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'audio') out.sent += s.packetsSent || 0;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') { out.received += s.packetsReceived || 0; out.energy += s.totalAudioEnergy || 0; }
    if (s.type === 'codec' && /audio/.test(s.mimeType || '')) out.codec = s.mimeType;
  });
  return out;
};
