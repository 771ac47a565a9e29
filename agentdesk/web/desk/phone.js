// Desk softphone (docs/desk-protocol.md, "Desk phone"): the ring banner
// with answer and decline, call controls (hang up, hold, mute, DTMF
// keypad), the microphone and speaker choice (remembered in localStorage),
// and WebRTC with the server, signalled over the desk socket (phone.*).
// The call tools (call.*) work on the agent's own call whatever the phone:
// blind transfer to a queue or an agent, consult, conference, complete or
// cancel the consultation; a call on the agent's SIP phone shows here too
// (from contact.started) with hold, mute, keypad and hang-up sent as call.*.
// The board imports the same phone: a supervisor's listen, whisper or
// barge leg (sup.monitor) rings on the page and is answered by itself.
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
    sip_call: '通话中（SIP 话机）', target: '转接目标', pick: '选择转接目标…', queues: '队列', agents: '空闲坐席', nobody: '暂无空闲坐席', waiting: '排队', free: '空闲',
    note: '转接备注', transfer: '盲转', consult: '咨询转接', conference: '三方通话', complete: '完成转接', cancel: '取消咨询', pick_agent: '咨询转接请选择一位坐席',
    'consult.ringing': '正在呼叫坐席', 'consult.talking': '与坐席咨询中（客户听保持音乐）', 'consult.conference': '三方通话中', 'consult.ended': '咨询已结束', consulting: '咨询来电',
    transferred: '已转接', transferred_in: '转接来电', listen: '监听', whisper: '耳语', barge: '强插', 'monitor.ringing': '正在接入通话…', 'monitor.joined': '已接入', 'monitor.failed': '未能接入通话',
    'role.listen': '监听中', 'role.whisper': '耳语中（仅坐席可听见）', 'role.barge': '强插中（三方通话）', 'role.consult': '同事咨询', 'role.visit': '回访电话', visit_ringing: '回访电话：接听后呼叫客户', leave: '离开',
  },
  en: {
    title: 'Incoming call', from: 'Caller', queue: 'Queue', answer: 'Answer (Alt+A)', decline: 'Decline (Alt+R)', hangup: 'Hang up (Alt+H)', hold: 'Hold', unhold: 'Resume', mute: 'Mute', unmute: 'Unmute',
    keypad: 'Keypad', connecting: 'Connecting…', connected: 'On call', mic: 'Microphone', speaker: 'Speaker', device_default: 'System default',
    mic_denied: 'The microphone is blocked: allow this page to use it in the browser, then answer.', mic_missing: 'No microphone found: check the device.',
    ended: 'Call ended', 'end.declined': 'Declined', 'end.withdrawn': 'The call was withdrawn', 'end.agent_hangup': 'You hung up', 'end.media_failed': 'The media connection failed', 'end.closed': 'The caller hung up',
    held: 'On hold', muted: 'Muted', no_codec: 'This browser offers no G.711 audio: the call cannot be answered', idle: 'Phone idle', phone: 'Desk phone',
    sip_call: 'On call (SIP phone)', target: 'Transfer to', pick: 'Choose a queue or an agent…', queues: 'Queues', agents: 'Agents ready', nobody: 'No agent ready', waiting: 'waiting', free: 'free',
    note: 'Note for the next agent', transfer: 'Blind transfer', consult: 'Consult', conference: 'Conference', complete: 'Complete transfer', cancel: 'Cancel consultation', pick_agent: 'Choose an agent to consult',
    'consult.ringing': 'Calling the agent', 'consult.talking': 'Consulting (the caller hears hold music)', 'consult.conference': 'Three-way conference', 'consult.ended': 'Consultation ended', consulting: 'Consultation call',
    transferred: 'Transferred', transferred_in: 'Transferred to you', listen: 'Listen', whisper: 'Whisper', barge: 'Barge in', 'monitor.ringing': 'Joining the call…', 'monitor.joined': 'Joined', 'monitor.failed': 'Could not join the call',
    'role.listen': 'Listening', 'role.whisper': 'Whispering (only the agent hears you)', 'role.barge': 'Barged in (three-way)', 'role.consult': 'A colleague consults you', 'role.visit': 'Return-visit call', visit_ringing: 'Return visit: answer, then the customer is called', leave: 'Leave',
  },
};
const w = (k) => (words[currentLang()] || words.zh)[k] || words.zh[k] || k;

const MIC_KEY = 'hotline.phone.mic';
const SPEAKER_KEY = 'hotline.phone.speaker';

// P is the phone's state; exposed for the browser tests and for support.
// sip is the agent's call on a SIP phone (contact_id, queue); consult the
// consultation of the agent's call (state, agent_id, consult_agent_id);
// monitor the supervisor's sup.monitor in progress; offer the desk's
// offer of a call (its queue now, and a transfer's note).
const P = { sock: null, toast: () => {}, enabled: false, call: null, pc: null, stream: null, muted: false, held: false, since: 0, answering: false, micDenied: false,
  sip: null, consult: null, monitor: null, offer: null, autoAnswer: false, err: '' };
window.hotlinePhone = P;

const $ = (id) => document.getElementById(id);

const MONITOR_ROLES = ['listen', 'whisper', 'barge'];

// initPhone binds the phone card. opts.autoAnswer: the page answers a
// supervisor's monitoring leg by itself (the board).
export function initPhone(sock, toast, opts) {
  P.sock = sock;
  P.toast = toast;
  P.autoAnswer = !!(opts && opts.autoAnswer);
  const keys = $('phone-keys');
  keys.replaceChildren(...'123456789*0#'.split('').map((k) => el('button', { type: 'button', 'data-key': k, text: k, onclick: () => dtmf(k) })));
  $('btn-phone-answer').onclick = answer;
  $('btn-phone-decline').onclick = () => command('phone.decline');
  $('btn-phone-hangup').onclick = hangup;
  $('call-target').replaceChildren(el('option', { value: '', text: w('pick') }));
  $('call-target').onchange = () => { P.err = ''; render(); };
  $('call-target').onfocus = loadTargets;
  $('call-target').onmousedown = loadTargets;
  $('btn-call-transfer').onclick = transfer;
  $('btn-call-consult').onclick = consult;
  $('btn-call-conference').onclick = () => callCmd('call.conference');
  $('btn-call-complete').onclick = () => callCmd('call.consult_complete');
  $('btn-call-cancel').onclick = () => callCmd('call.consult_cancel');
  for (const m of MONITOR_ROLES) $('btn-monitor-' + m).onclick = () => setMonitorMode(m);
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
    const act = ringing && k === 'a' ? answer : ringing && k === 'r' ? () => command('phone.decline') : !ringing && k === 'h' ? hangup : null;
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
  $('phone-timer').textContent = ((P.call && P.call.state === 'connected') || P.sip) && P.since ? clock(Date.now() - P.since) : '';
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

// phoneOffer takes the desk's offer: a call's offer names the queue it
// waits in now (the ring names the one it first queued in) and, when it
// comes by transfer, the previous agent's note; the card shows both
// until the call ends.
export function phoneOffer(o) {
  if (!o || o.channel !== 'voice') return;
  P.offer = o;
  render();
}

// offerOf is the offer of the contact, if the desk had one.
function offerOf(contact) { return P.offer && P.offer.contact_id === contact ? P.offer : null; }

// phoneRinging reports whether the desk phone rings for contact.
export function phoneRinging(contact) { return !!(P.call && P.call.contact_id === contact && P.call.state !== 'connected'); }

export function phoneFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'phone.ring':
      P.call = d; P.muted = false; P.held = false; P.err = '';
      if (P.autoAnswer && MONITOR_ROLES.includes(d.role)) { render(); answer(); return; }
      ringTone(true);
      break;
    case 'contact.started':
      // A voice call the agent now holds: on the desk phone (a consultation
      // completed to this agent makes it theirs) or on a SIP phone.
      if (d.channel !== 'voice') return;
      if (P.call && P.call.contact_id === d.contact_id) { P.call.role = ''; if (d.queue) P.call.queue = d.queue; }
      else if (!P.call) { P.sip = { contact_id: d.contact_id, queue: d.queue }; P.since = Date.now(); P.muted = false; P.held = false; }
      P.consult = null; P.err = '';
      break;
    case 'contact.ended':
      if (P.offer && P.offer.contact_id === d.contact_id) P.offer = null;
      if (P.sip && P.sip.contact_id === d.contact_id) { P.sip = null; P.consult = null; if (d.reason) P.toast(w('ended') + ' · ' + (w(d.reason) !== d.reason ? w(d.reason) : d.reason)); }
      else if (P.call && P.call.contact_id === d.contact_id) P.consult = null;
      break;
    case 'call.consult':
      if (contactOf() !== d.contact_id) return;
      P.consult = d.state === 'ended' ? null : Object.assign(P.consult || {}, d);
      if (d.state === 'ended') P.toast(w('consult.ended') + (d.reason ? ' · ' + d.reason : ''));
      break;
    case 'call.monitor':
      P.monitor = d;
      if (d.state === 'failed') { P.err = w('monitor.failed') + (d.reason ? ': ' + d.reason : ''); P.toast(P.err); }
      break;
    case 'phone.connected':
      if (P.call && P.call.call_id === d.call_id) { P.call = d; P.since = Date.now(); tickTimer(); }
      ringTone(false);
      break;
    case 'phone.ended':
      if (P.call && P.call.call_id === d.call_id) {
        const why = 'end.' + d.reason;
        P.toast(w('ended') + (w(why) !== why ? ' · ' + w(why) : ''));
        if (P.offer && P.offer.contact_id === P.call.contact_id && !P.call.role) P.offer = null;
        P.call = null; P.consult = null; P.monitor = null;
        hangupLocal();
      }
      ringTone(false);
      break;
    default:
      return;
  }
  render();
}

// contactOf is the contact of the call on this page's phone (desk
// softphone or SIP phone).
function contactOf() { return (P.call && P.call.contact_id) || (P.sip && P.sip.contact_id) || ''; }

// ownCall says the call is the agent's own (not a consultation or a
// supervisor's leg): the call tools apply.
function ownCall() { return P.sip ? true : !!(P.call && P.call.state === 'connected' && !P.call.role); }

// renderNote shows that a call comes by transfer, with the previous
// agent's note (the board's card has no place for it).
function renderNote(o) {
  const n = $('phone-note');
  if (!n) return;
  n.hidden = !(o && o.transfer);
  n.textContent = o && o.transfer ? w('transferred_in') + (o.note ? ': ' + o.note : '') : '';
}

// renderPhone redraws the card (a language switch).
export function renderPhone() { render(); }

function render() {
  const c = P.call;
  $('phone').hidden = !c && !P.sip && !P.enabled;
  $('phone-mic-label').textContent = w('mic');
  $('phone-speaker-label').textContent = w('speaker');
  renderTools();
  if (!c && P.sip) {
    // The call is on the agent's SIP phone: the same controls, as call.*.
    $('phone').className = 'card phone connected sip';
    $('phone-title').textContent = w('sip_call');
    $('phone-caller').textContent = P.sip.contact_id;
    $('phone-queue').textContent = P.sip.queue ? w('queue') + ' ' + P.sip.queue : '';
    renderNote(offerOf(P.sip.contact_id));
    $('phone-status').textContent = [P.held ? w('held') : '', P.muted ? w('muted') : ''].filter(Boolean).join(' · ');
    $('phone-ringing').hidden = true;
    $('phone-controls').hidden = false;
    $('btn-phone-hold').hidden = false;
    $('btn-phone-mute').textContent = P.muted ? w('unmute') : w('mute');
    $('btn-phone-hold').textContent = P.held ? w('unhold') : w('hold');
    $('btn-phone-hangup').textContent = w('hangup');
    $('phone-keys-label').textContent = w('keypad');
    tickTimer();
    return;
  }
  if (!c) {
    // Idle: the devices can be chosen before a call rings.
    $('phone').className = 'card phone idle';
    $('phone-title').textContent = w('phone');
    $('phone-caller').textContent = '';
    $('phone-queue').textContent = '';
    renderNote(null);
    $('phone-status').textContent = P.micDenied ? w('mic_denied') : w('idle');
    $('phone-ringing').hidden = true;
    $('phone-controls').hidden = true;
    tickTimer();
    return;
  }
  const ringing = c.state === 'ringing' || c.state === 'answering';
  const monitoring = MONITOR_ROLES.includes(c.role);
  $('phone').className = 'card phone ' + c.state + (c.role ? ' role-' + c.role : '');
  $('phone-title').textContent = ringing ? (c.role === 'consult' ? w('consulting') : c.role === 'visit' ? w('visit_ringing') : monitoring ? w('monitor.ringing') : w('title')) : c.role ? w('role.' + c.role) : w('connected');
  $('phone-caller').textContent = c.caller || c.contact_id;
  // A second leg (consultation, monitoring) is not the offer's.
  const o = c.role ? null : offerOf(c.contact_id);
  const queue = (o && o.queue) || c.queue;
  $('phone-queue').textContent = queue ? w('queue') + ' ' + queue : '';
  renderNote(o);
  $('phone-status').textContent = P.answering ? w('connecting') : P.micDenied && ringing ? w('mic_denied') : [P.held ? w('held') : '', P.muted ? w('muted') : ''].filter(Boolean).join(' · ');
  $('phone-ringing').hidden = !ringing || (monitoring && P.autoAnswer);
  $('phone-controls').hidden = ringing;
  // Hold is the caller's: only the agent who has the call holds it.
  $('btn-phone-hold').hidden = !!c.role;
  $('btn-phone-answer').disabled = P.answering;
  $('btn-phone-mute').textContent = P.muted ? w('unmute') : w('mute');
  $('btn-phone-hold').textContent = P.held ? w('unhold') : w('hold');
  $('btn-phone-answer').textContent = w('answer');
  $('btn-phone-decline').textContent = w('decline');
  $('btn-phone-hangup').textContent = monitoring ? w('leave') : w('hangup');
  $('phone-keys-label').textContent = w('keypad');
  tickTimer();
}

// renderTools shows the transfer and consultation tools on the agent's
// own call, and the mode switch on a supervisor's leg.
function renderTools() {
  const mine = ownCall(), cs = P.consult;
  const consulting = !!cs && mine;
  $('call-tools').hidden = !mine || consulting;
  $('call-consult').hidden = !consulting;
  $('call-target-label').textContent = w('target');
  $('call-note').placeholder = w('note');
  $('btn-call-transfer').textContent = w('transfer');
  $('btn-call-consult').textContent = w('consult');
  $('btn-call-conference').textContent = w('conference');
  $('btn-call-complete').textContent = w('complete');
  $('btn-call-cancel').textContent = w('cancel');
  if (consulting) {
    const st = cs.conference ? 'consult.conference' : cs.state === 'talking' ? 'consult.talking' : 'consult.ringing';
    const who = cs.consult_name || cs.consult_agent_id;
    $('call-consult-status').textContent = w(st) + (who ? ' · ' + who : '');
    $('btn-call-conference').disabled = cs.state !== 'talking' || !!cs.conference;
    $('btn-call-complete').disabled = cs.state !== 'talking';
  }
  const mon = P.call && MONITOR_ROLES.includes(P.call.role) && P.call.state === 'connected';
  $('call-monitor').hidden = !mon;
  for (const m of MONITOR_ROLES) {
    const b = $('btn-monitor-' + m);
    b.textContent = w(m);
    b.classList.toggle('primary', !!mon && P.call.role === m);
  }
  $('call-error').textContent = P.err;
  $('call-error').hidden = !P.err;
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

// callCmd sends a call.* command on the call's contact; its error stays
// on the card until the next command.
async function callCmd(type, extra) {
  const contact = contactOf();
  if (!contact) return null;
  P.err = '';
  try {
    const r = await P.sock.cmd(type, Object.assign({ contact_id: contact }, extra || {}));
    if (type === 'call.conference' && P.consult) P.consult.conference = true;
    return r || {};
  } catch (e) {
    P.err = errText(e);
    P.toast(P.err);
    return null;
  } finally {
    render();
  }
}

// loadTargets fills the transfer target from transfer.targets: the voice
// queues (waiting, free agents) and the agents ready now.
async function loadTargets() {
  const sel = $('call-target'), contact = contactOf();
  if (!contact || loadTargets.busy || (loadTargets.at && loadTargets.contact === contact && Date.now() - loadTargets.at < 3000)) return;
  loadTargets.busy = true;
  try {
    const r = await P.sock.cmd('transfer.targets', { contact_id: contact });
    const keep = sel.value;
    const qs = el('optgroup', { label: w('queues') }, (r.queues || []).map((q) => el('option', { value: 'q:' + q.queue, text: q.queue + ' · ' + w('waiting') + ' ' + q.waiting + ' · ' + w('free') + ' ' + q.available })));
    const as = el('optgroup', { label: w('agents') }, (r.agents || []).length ? r.agents.map((a) => el('option', { value: 'a:' + a.agent_id, text: a.name || a.agent_id })) : [el('option', { value: '', disabled: '', text: w('nobody') })]);
    sel.replaceChildren(el('option', { value: '', text: w('pick') }), qs, as);
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    loadTargets.at = Date.now(); loadTargets.contact = contact;
  } catch (e) { P.err = errText(e); render(); } finally { loadTargets.busy = false; }
}

async function transfer() {
  const v = $('call-target').value;
  if (!v) { P.err = w('pick'); render(); return; }
  const data = { note: $('call-note').value };
  if (v.startsWith('a:')) data.agent_id = v.slice(2); else data.queue = v.slice(2);
  if (await callCmd('call.transfer', data)) { $('call-note').value = ''; $('call-target').value = ''; P.toast(w('transferred')); }
}

async function consult() {
  const v = $('call-target').value;
  if (!v.startsWith('a:')) { P.err = w('pick_agent'); render(); return; }
  const opt = $('call-target').selectedOptions[0];
  if (await callCmd('call.consult', { agent_id: v.slice(2) })) {
    // The agent's name from the targets list, for the status line (the
    // frames name the agent by id).
    P.consult = { state: 'ringing', consult_agent_id: v.slice(2), consult_name: opt ? opt.textContent : '' };
    render();
  }
}

// setMonitorMode switches the supervisor's leg between listen, whisper
// and barge.
async function setMonitorMode(mode) {
  if (!P.call || P.call.role === mode) return;
  P.err = '';
  try {
    await P.sock.cmd('sup.monitor_mode', { contact_id: P.call.contact_id, mode });
    P.call.role = mode;
  } catch (e) { P.err = errText(e); P.toast(P.err); }
  render();
}

// hangup ends the page's call: the softphone's leg, or the SIP phone's
// call (call.hangup).
function hangup() {
  if (P.call) command('phone.hangup');
  else if (P.sip) callCmd('call.hangup');
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

async function setMute(on) {
  if (!P.call && P.sip) { if (await callCmd('call.mute', { on })) P.muted = on; render(); return; }
  P.muted = on;
  if (P.stream) for (const tr of P.stream.getAudioTracks()) tr.enabled = !on && !P.held;
  command('phone.mute', { on });
  render();
}

async function setHold(on) {
  if (!P.call && P.sip) { if (await callCmd('call.hold', { on })) P.held = on; render(); return; }
  P.held = on;
  if (P.stream) for (const tr of P.stream.getAudioTracks()) tr.enabled = !on && !P.muted;
  if (!(await command('phone.hold', { on }))) {
    // Not held (the call is not bridged yet): the page's state follows.
    P.held = !on;
    if (P.stream) for (const tr of P.stream.getAudioTracks()) tr.enabled = !P.held && !P.muted;
  }
  render();
}

function dtmf(key) {
  if (!P.call && P.sip) { callCmd('call.dtmf', { digits: key }); return; }
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
