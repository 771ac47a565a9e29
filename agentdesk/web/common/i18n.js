// UI text in Mandarin (default) and English. Elements with data-i18n get
// their text from the dictionary; data-i18n-ph sets a placeholder.
'use strict';

const dict = {
  zh: {
    'tier.diamond': '钻石', 'tier.gold': '金卡', 'tier.silver': '银卡', 'tier.standard': '普通', 'channel.chat': '在线', 'channel.voice': '电话',
    'outcome.self_service': '自助办结', 'outcome.ivr_abandoned': '自助中挂断', 'outcome.answered': '已接通', 'outcome.abandoned': '排队放弃', 'outcome.system_lost': '系统未接', 'outcome.message': '留言/回呼',
    'var.ani': '来话标识', 'var.customer_name': '客户姓名', 'var.lang': '语言', 'var.phone': '电话', 'var.topic': '咨询主题', 'var.verified_by': '验证方式', 'var.account': '账号', 'var.tier': '客户等级', 'var.menu': '菜单选择', 'var.fault_description': '故障描述', 'var.fault_address': '故障地址', 'var.contact_phone': '联系电话', 'var.entered_account': '输入的账号', 'var.ticket': '工单号', 'var.ivr_path': '导航路径', 'var.question': '客户问题', 'var.kb_article': '已推送文章',
    'app.desk': 'Hotline 坐席工作台', 'app.board': 'Hotline 班长监控台', 'app.chat': '在线客服',
    'login.title': '登录', 'login.user': '工号', 'login.password': '密码', 'login.submit': '登录', 'login.failed': '登录失败：工号或密码错误',
    'logout': '退出', 'lang': 'English', 'status.online': '已连接', 'status.offline': '网络断开，正在重连…', 'status.connecting': '连接中…', 'status.closed': '已断开',
    'state.ready': '就绪', 'state.not_ready': '未就绪', 'state.reserved': '振铃', 'state.busy': '通话中', 'state.wrap_up': '话后整理', 'state.logged_out': '已签出',
    'btn.ready': '就绪 (F2)', 'btn.not_ready': '小休 (F3)', 'reason.break': '休息', 'reason.lunch': '午餐', 'reason.meeting': '会议', 'reason.training': '培训', 'reason.after_call': '话后', 'reason.disconnected': '掉线', 'reason.login': '刚登录', 'reason.rejected': '拒接', 'reason.supervisor': '班长设置',
    'offer.title': '新会话', 'offer.accept': '接受 (Alt+A)', 'offer.reject': '拒绝 (Alt+R)', 'offer.expires': '剩余', 'offer.transfer': '转接',
    'chat.none': '暂无会话。设为就绪以接收新会话。', 'chat.none_ready': '暂无会话。已就绪，等待新的接入。', 'chat.none_busy': '暂无会话。您正在处理其他接入（如通话）。', 'chat.none_wrap': '暂无会话。话后整理结束后接收新接入。', 'chat.send': '发送', 'chat.placeholder': '输入消息，回车发送', 'chat.end': '结束会话', 'chat.transfer': '转接', 'chat.typing': '对方正在输入…', 'chat.read': '已读', 'chat.ended': '会话已结束',
    'transfer.queue': '队列', 'transfer.agent': '或坐席工号', 'transfer.note': '转接备注', 'transfer.go': '转接',
    'customer.title': '客户信息', 'customer.name': '姓名', 'customer.phone': '电话', 'customer.topic': '咨询主题', 'customer.tier': '客户等级', 'customer.account': '账号', 'customer.vars': '语音导航收集', 'customer.contacts': '历史接触', 'customer.tickets': '历史工单', 'customer.transcript': '聊天记录', 'from.customer': '客户', 'from.agent': '坐席', 'from.bot': '自助', 'from.system': '系统', 'customer.none': '无', 'customer.unverified': '未验证', 'customer.verified_otp': '已短信验证', 'customer.verified_pin': '已密码验证', 'customer.verified_ani': '来电号码', 'customer.unlock_pin': '解锁服务密码', 'customer.unlocked': '服务密码已解锁',
    'ticket.title': '工单', 'ticket.type': '类型', 'ticket.category': '分类', 'ticket.subject': '标题', 'ticket.description': '描述', 'ticket.create': '创建工单', 'ticket.created': '已创建工单', 'ticket.pool': '组工单池', 'ticket.refresh': '刷新', 'ticket.claim': '领取', 'ticket.mine': '我的工单', 'ticket.start': '开始处理', 'ticket.resolve': '办结', 'ticket.resume': '恢复处理', 'ticket.resolution': '处理结果', 'ticket.resolved_default': '已在线解决', 'ticket.call': '回访电话', 'ticket.call_ringing': '回访：请先接听您的话机，随后呼叫客户', 'ticket.call_connected': '回访电话已接通', 'ticket.call_failed': '回访电话未接通', 'ticket.call_ended': '回访电话已结束', 'status.new': '新建', 'status.pooled': '待领取', 'status.assigned': '已派单', 'status.in_progress': '处理中', 'status.pending': '挂起', 'status.resolved': '已办结',
    'type.inquiry': '咨询', 'type.fault': '故障', 'type.complaint': '投诉', 'type.service_request': '业务办理', 'type.callback': '回电',
    'wrap.title': '话后整理', 'wrap.code': '小结代码', 'wrap.notes': '备注', 'wrap.done': '完成整理 (Alt+W)', 'wrap.extend': '延长 30 秒', 'wrap.left': '剩余',
    'code.resolved': '已解决', 'code.follow_up': '需跟进', 'code.ticket_created': '已建单', 'code.transferred': '已转接', 'code.no_answer': '无应答',
    'mk.title': '营销推荐', 'mk.offer': '推荐产品', 'mk.outcome': '结果', 'mk.log': '记录', 'mk.presented': '已介绍', 'mk.accepted': '已接受', 'mk.declined': '已拒绝', 'mk.logged': '已记录',
    'idle.logout': '长时间无操作，已自动退出',
    'w.title': '在线客服', 'w.start': '开始咨询', 'w.name': '您的称呼（可选）', 'w.phone': '手机号（可选）', 'w.topic': '咨询主题（可选）', 'w.send': '发送', 'w.placeholder': '请输入…', 'w.leave': '结束', 'w.position': '您前面排队位置：', 'w.agent_joined': '客服已接入：', 'w.agent_left': '客服已离开', 'w.ended': '会话已结束，感谢您的咨询。', 'w.typing': '客服正在输入…', 'w.you': '我', 'w.agent': '客服', 'w.bot': '智能助手', 'w.read': '已读', 'w.expected': '预计等待约 ', 'w.minutes': '分钟', 'w.copy': '复制',
    'idle.warning': '长时间无操作，即将自动退出', 'idle.left': '剩余', 'idle.stay': '继续工作', 'signout.idle': '因长时间无操作已自动退出，请重新登录。', 'signout.supervisor': '班长已将您签出，请重新登录。', 'signout.expired': '登录已过期，请重新登录。', 'signout.closed': '连接已关闭，请重新登录。',
    'note.agent_logged_out': '原坐席已签出，请继续服务', 'note.agent_idle': '原坐席长时间无操作已退出，请继续服务', 'note.agent_disconnected': '原坐席掉线，请继续服务',
    'transfer.target': '转接目标', 'transfer.pick': '选择转接目标…', 'transfer.agents': '空闲坐席', 'transfer.nobody': '暂无空闲坐席', 'transfer.waiting': '排队', 'transfer.free': '空闲', 'ticket.by_rules': '按分派规则', 'ticket.no_group': '您不属于任何工单组',
    'b.waiting_list': '排队中的客户', 'b.position': '位置', 'b.customer': '客户', 'b.wait': '已等待', 'b.moved': '已移至', 'b.nobody_waiting': '无人排队', 'b.anonymous': '访客', 'b.callback': '回呼',
    'b.queues': '队列', 'b.agents': '坐席', 'b.queue': '队列', 'b.waiting': '排队', 'b.longest': '最长等待', 'b.staffed': '签入', 'b.available': '空闲', 'b.answered': '今日接通', 'b.abandoned': '今日放弃', 'b.agent': '坐席', 'b.state': '状态', 'b.in_state': '持续', 'b.contacts': '当前会话', 'b.actions': '操作', 'b.kpis': '监控指标', 'b.interval': '本时段', 'b.target': '目标', 'b.no_data': '无数据', 'b.force_ready': '置就绪', 'b.force_nr': '置小休', 'b.logout': '强制签出', 'b.move': '移动会话', 'b.move_to': '到队列', 'b.skills': '技能', 'b.set_skills': '设置技能', 'b.offline': '离线', 'b.updated': '更新于',
    'b.calls': '通话监听', 'b.listen': '监听', 'b.whisper': '耳语', 'b.barge': '强插', 'b.monitor_ringing': '正在接入通话，本页话机将自动接听…',
  },
  en: {
    'tier.diamond': 'Diamond', 'tier.gold': 'Gold', 'tier.silver': 'Silver', 'tier.standard': 'Standard', 'channel.chat': 'Chat', 'channel.voice': 'Phone',
    'outcome.self_service': 'self-service', 'outcome.ivr_abandoned': 'left in the IVR', 'outcome.answered': 'answered', 'outcome.abandoned': 'abandoned in queue', 'outcome.system_lost': 'not served (system)', 'outcome.message': 'message or callback',
    'var.ani': 'Caller ID', 'var.customer_name': 'Customer name', 'var.lang': 'Language', 'var.phone': 'Phone', 'var.topic': 'Topic', 'var.verified_by': 'Verified by', 'var.account': 'Account', 'var.tier': 'Tier', 'var.menu': 'Menu choice', 'var.fault_description': 'Fault description', 'var.fault_address': 'Fault address', 'var.contact_phone': 'Contact phone', 'var.entered_account': 'Account entered', 'var.ticket': 'Ticket', 'var.ivr_path': 'IVR path', 'var.question': 'Question asked', 'var.kb_article': 'Article shown',
    'app.desk': 'Hotline agent desktop', 'app.board': 'Hotline supervisor board', 'app.chat': 'Online service',
    'login.title': 'Sign in', 'login.user': 'Login', 'login.password': 'Password', 'login.submit': 'Sign in', 'login.failed': 'Sign-in failed: wrong login or password',
    'logout': 'Sign out', 'lang': '中文', 'status.online': 'Connected', 'status.offline': 'Network lost, reconnecting…', 'status.connecting': 'Connecting…', 'status.closed': 'Disconnected',
    'state.ready': 'Ready', 'state.not_ready': 'Not ready', 'state.reserved': 'Offered', 'state.busy': 'Busy', 'state.wrap_up': 'Wrap-up', 'state.logged_out': 'Logged out',
    'btn.ready': 'Ready (F2)', 'btn.not_ready': 'Not ready (F3)', 'reason.break': 'Break', 'reason.lunch': 'Lunch', 'reason.meeting': 'Meeting', 'reason.training': 'Training', 'reason.after_call': 'After call', 'reason.disconnected': 'Disconnected', 'reason.login': 'Just logged in', 'reason.rejected': 'Rejected', 'reason.supervisor': 'Set by supervisor',
    'offer.title': 'New contact', 'offer.accept': 'Accept (Alt+A)', 'offer.reject': 'Reject (Alt+R)', 'offer.expires': 'Expires in', 'offer.transfer': 'Transfer',
    'chat.none': 'No chats. Go ready to receive contacts.', 'chat.none_ready': 'No chats. Ready: waiting for the next contact.', 'chat.none_busy': 'No chats. You are on another contact (such as a call).', 'chat.none_wrap': 'No chats. New contacts come after wrap-up.', 'chat.send': 'Send', 'chat.placeholder': 'Type a message, Enter to send', 'chat.end': 'End chat', 'chat.transfer': 'Transfer', 'chat.typing': 'Customer is typing…', 'chat.read': 'Read', 'chat.ended': 'Chat ended',
    'transfer.queue': 'Queue', 'transfer.agent': 'or agent id', 'transfer.note': 'Note for the next agent', 'transfer.go': 'Transfer',
    'customer.title': 'Customer', 'customer.name': 'Name', 'customer.phone': 'Phone', 'customer.topic': 'Topic', 'customer.tier': 'Tier', 'customer.account': 'Account', 'customer.vars': 'Collected by the IVR', 'customer.contacts': 'Past contacts', 'customer.tickets': 'Tickets', 'customer.transcript': 'Transcript', 'from.customer': 'Customer', 'from.agent': 'Agent', 'from.bot': 'Self-service', 'from.system': 'System', 'customer.none': 'None', 'customer.unverified': 'Unverified', 'customer.verified_otp': 'Verified by SMS', 'customer.verified_pin': 'Verified by PIN', 'customer.verified_ani': 'Caller ID', 'customer.unlock_pin': 'Unlock service PIN', 'customer.unlocked': 'Service PIN unlocked',
    'ticket.title': 'Tickets', 'ticket.type': 'Type', 'ticket.category': 'Category', 'ticket.subject': 'Subject', 'ticket.description': 'Description', 'ticket.create': 'Create ticket', 'ticket.created': 'Ticket created', 'ticket.pool': 'Group pool', 'ticket.refresh': 'Refresh', 'ticket.claim': 'Claim', 'ticket.mine': 'My tickets', 'ticket.start': 'Start', 'ticket.resolve': 'Resolve', 'ticket.resume': 'Resume', 'ticket.resolution': 'Resolution', 'ticket.resolved_default': 'Resolved in chat', 'ticket.call': 'Call customer', 'ticket.call_ringing': 'Return visit: answer your phone first, then the customer is called', 'ticket.call_connected': 'Return-visit call connected', 'ticket.call_failed': 'Return-visit call not connected', 'ticket.call_ended': 'Return-visit call ended', 'status.new': 'New', 'status.pooled': 'In pool', 'status.assigned': 'Assigned', 'status.in_progress': 'In progress', 'status.pending': 'Pending', 'status.resolved': 'Resolved',
    'type.inquiry': 'Inquiry', 'type.fault': 'Fault', 'type.complaint': 'Complaint', 'type.service_request': 'Service request', 'type.callback': 'Callback',
    'wrap.title': 'Wrap-up', 'wrap.code': 'Wrap-up code', 'wrap.notes': 'Notes', 'wrap.done': 'Finish wrap-up (Alt+W)', 'wrap.extend': '+30 s', 'wrap.left': 'Left',
    'code.resolved': 'Resolved', 'code.follow_up': 'Follow-up', 'code.ticket_created': 'Ticket created', 'code.transferred': 'Transferred', 'code.no_answer': 'No answer',
    'mk.title': 'Marketing offer', 'mk.offer': 'Offer', 'mk.outcome': 'Outcome', 'mk.log': 'Log', 'mk.presented': 'Presented', 'mk.accepted': 'Accepted', 'mk.declined': 'Declined', 'mk.logged': 'Logged',
    'idle.logout': 'Signed out after inactivity',
    'w.title': 'Online service', 'w.start': 'Start chat', 'w.name': 'Your name (optional)', 'w.phone': 'Mobile (optional)', 'w.topic': 'Topic (optional)', 'w.send': 'Send', 'w.placeholder': 'Type here…', 'w.leave': 'End', 'w.position': 'Your place in the queue: ', 'w.agent_joined': 'Agent joined: ', 'w.agent_left': 'The agent left', 'w.ended': 'Chat ended. Thank you.', 'w.typing': 'Agent is typing…', 'w.you': 'Me', 'w.agent': 'Agent', 'w.bot': 'Assistant', 'w.read': 'Read', 'w.expected': 'expected wait about ', 'w.minutes': 'min', 'w.copy': 'Copy',
    'idle.warning': 'No activity for a while: you will be signed out', 'idle.left': 'in', 'idle.stay': 'Keep working', 'signout.idle': 'Signed out after inactivity. Please sign in again.', 'signout.supervisor': 'A supervisor signed you out. Please sign in again.', 'signout.expired': 'Your session expired. Please sign in again.', 'signout.closed': 'The connection closed. Please sign in again.',
    'note.agent_logged_out': 'The previous agent signed out: please take over', 'note.agent_idle': 'The previous agent was signed out for inactivity: please take over', 'note.agent_disconnected': 'The previous agent lost the connection: please take over',
    'transfer.target': 'Transfer to', 'transfer.pick': 'Choose where to transfer…', 'transfer.agents': 'Agents ready', 'transfer.nobody': 'No agent ready', 'transfer.waiting': 'waiting', 'transfer.free': 'free', 'ticket.by_rules': 'By dispatch rules', 'ticket.no_group': 'You are in no ticket group',
    'b.waiting_list': 'Customers waiting', 'b.position': 'Place', 'b.customer': 'Customer', 'b.wait': 'Waiting for', 'b.moved': 'Moved to', 'b.nobody_waiting': 'Nobody is waiting', 'b.anonymous': 'Visitor', 'b.callback': 'callback',
    'b.queues': 'Queues', 'b.agents': 'Agents', 'b.queue': 'Queue', 'b.waiting': 'Waiting', 'b.longest': 'Longest wait', 'b.staffed': 'Staffed', 'b.available': 'Available', 'b.answered': 'Answered today', 'b.abandoned': 'Abandoned today', 'b.agent': 'Agent', 'b.state': 'State', 'b.in_state': 'Time in state', 'b.contacts': 'Contacts', 'b.actions': 'Actions', 'b.kpis': 'Monitoring KPIs', 'b.interval': 'this interval', 'b.target': 'target', 'b.no_data': 'no data', 'b.force_ready': 'Set ready', 'b.force_nr': 'Set not ready', 'b.logout': 'Log out', 'b.move': 'Move contact', 'b.move_to': 'to queue', 'b.skills': 'Skills', 'b.set_skills': 'Set skills', 'b.offline': 'offline', 'b.updated': 'Updated',
    'b.calls': 'Live calls', 'b.listen': 'Listen', 'b.whisper': 'Whisper', 'b.barge': 'Barge in', 'b.monitor_ringing': 'Joining the call: this page\'s phone answers by itself…',
  },
};

let lang = localStorage.getItem('hotline.lang') || (navigator.language && navigator.language.startsWith('en') ? 'en' : 'zh');
if (!dict[lang]) lang = 'zh';

export function t(key) { return (dict[lang] && dict[lang][key]) || dict.zh[key] || key; }

// reason names a not-ready reason code; codes the dictionary does not
// know (a center's own) show as they are.
export function reason(code) { return label('reason', code); }
// label names a value of a known family ('tier', 'channel', 'outcome',
// 'var'); values the dictionary does not know show as they are.
export function label(family, value) { if (!value) return ''; const k = family + '.' + value; const v = t(k); return v === k ? value : v; }
export function currentLang() { return lang; }

export function applyI18n(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const n of (root || document).querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  for (const n of (root || document).querySelectorAll('[data-i18n-ph]')) n.placeholder = t(n.dataset.i18nPh);
}

export function toggleLang(after) {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('hotline.lang', lang);
  applyI18n();
  if (after) after();
}
