// Balie agent inbox: live updates over the WebSocket, forms posted without a
// page reload (a failed send keeps the text), typing and viewing signals,
// unread counts, canned responses and keyboard shortcuts.
//
// Rule: data from the server or the customer only ever reaches the page via
// textContent or attribute setters, never via innerHTML. Refreshed parts of
// the page are whole server-rendered (server-escaped) elements, parsed inert
// with DOMParser and swapped in.

const body = document.body;
const page = body.dataset.page || '';
const lang = body.dataset.lang || document.documentElement.lang || 'nl';
const convId = Number(body.dataset.conversationId || 0);
const contactId = Number(body.dataset.contactId || 0);
const baseTitle = document.title;
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const t = (key) => body.dataset['t' + key[0].toUpperCase() + key.slice(1)] || '';

// ---- Times in the agent's own time zone -----------------------------------
const timeFormat = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'nl-NL', {
  dateStyle: 'medium',
  timeStyle: 'short',
});
function localiseTimes(root) {
  for (const el of $$('time[datetime]', root)) {
    const d = new Date(el.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) {
      el.textContent = timeFormat.format(d);
      el.title = el.getAttribute('datetime');
    }
  }
}
localiseTimes(document);

// Filters and secondary actions fold away on a phone, open on a wide screen.
function openWide(root) {
  if (!window.matchMedia('(min-width: 1000px)').matches) return;
  for (const d of $$('details[data-open-wide]', root)) d.open = true;
}
openWide(document);

// ---- Forms -----------------------------------------------------------------
function showError(el, message) {
  if (!el) return;
  el.textContent = message;
  el.hidden = !message;
}

async function postForm(form) {
  if (form.classList.contains('busy')) return false;
  const errorEl = $('.form-error', form) || $('.head-error');
  const data = new URLSearchParams(new FormData(form));
  form.classList.add('busy');
  let res;
  let reply = null;
  try {
    res = await fetch(form.action, {
      method: 'POST',
      body: data,
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    reply = await res.json().catch(() => null);
  } catch {
    form.classList.remove('busy');
    showError(errorEl, t('network'));
    return false;
  }
  form.classList.remove('busy');
  if (!res.ok || !reply || !reply.ok) {
    showError(errorEl, (reply && reply.error) || t('network'));
    return false;
  }
  showError(errorEl, '');
  if (form.hasAttribute('data-reply')) {
    const ta = $('textarea', form);
    ta.value = '';
    saveDraft();
    stopTyping();
    if (reply.message) addMessage(reply.message);
  } else {
    scheduleRefresh(0);
  }
  return true;
}

document.addEventListener('submit', (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-ajax')) return;
  ev.preventDefault();
  postForm(form);
});

document.addEventListener('change', (ev) => {
  const el = ev.target;
  const form = el.form;
  if (!form) return;
  if (el.tagName === 'SELECT' && (form.hasAttribute('data-autosubmit') || form.hasAttribute('data-autosubmit-nav'))) {
    form.requestSubmit();
  }
});

// ---- The reply box ---------------------------------------------------------
const replyForm = $('#reply');
const replyText = $('#reply-text');
const draftKey = `balie-draft-${convId}`;

function replyMode() {
  const checked = replyForm && $('input[name="op"]:checked', replyForm);
  return checked ? checked.value : 'reply';
}
function setMode(mode) {
  if (!replyForm) return;
  const radio = $(`input[name="op"][value="${mode === 'note' ? 'note' : 'reply'}"]`, replyForm);
  if (radio) radio.checked = true;
  updateMode();
  replyText.focus();
}
function updateMode() {
  const note = replyMode() === 'note';
  replyForm.classList.toggle('note-mode', note);
  replyText.placeholder = note ? replyText.dataset.placeholderNote : replyText.dataset.placeholderReply;
}
function saveDraft() {
  try {
    if (replyText.value) {
      localStorage.setItem(draftKey, JSON.stringify({ op: replyMode(), text: replyText.value }));
    } else {
      localStorage.removeItem(draftKey);
    }
  } catch {
    // Storage may be full or disabled; the text is still in the box.
  }
}

if (replyForm) {
  try {
    const draft = JSON.parse(localStorage.getItem(draftKey) || 'null');
    if (draft && typeof draft.text === 'string' && !replyText.value) {
      replyText.value = draft.text;
      const radio = $(`input[name="op"][value="${draft.op === 'note' ? 'note' : 'reply'}"]`, replyForm);
      if (radio) radio.checked = true;
    }
  } catch {
    // A broken draft is ignored.
  }
  updateMode();
  replyForm.addEventListener('change', (ev) => {
    if (ev.target.name === 'op') updateMode();
  });
  replyText.addEventListener('input', () => {
    saveDraft();
    if (replyMode() === 'reply') typing();
  });
}

// ---- Canned responses --------------------------------------------------------
// The picker (a search box over the account's canned responses) and
// "/code" + Tab in the reply box both ask the server to fill in the
// variables, then insert the plain text at the caret.
const cannedForm = $('#canned-pick');
const cannedInput = $('#canned');
const csrfToken = $('meta[name="csrf-token"]')?.content || '';

function cannedByCode(code) {
  const wanted = (code || '').trim().toLowerCase().replace(/^\//, '');
  return $$('#canned-options option').find((o) => o.value === wanted) || null;
}

async function renderCanned(option) {
  const url = `/api/v1/conversations/${convId}/canned-responses/${encodeURIComponent(option.dataset.id)}/render?lang=${encodeURIComponent(lang)}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { Accept: 'application/json', 'x-csrf-token': csrfToken },
    credentials: 'same-origin',
  });
  const reply = await res.json().catch(() => null);
  if (!res.ok || !reply || typeof reply.text !== 'string') {
    throw new Error((reply && reply.message) || t('network'));
  }
  return reply.text;
}

// Replaces [start, end) of the reply text with a canned response.
async function insertCanned(option, start, end) {
  const errorEl = replyForm && $('.form-error', replyForm);
  try {
    const text = await renderCanned(option);
    replyText.setRangeText(text, start, end, 'end');
    showError(errorEl, '');
    replyText.focus();
    saveDraft();
    return true;
  } catch (err) {
    showError(errorEl, err.message || t('network'));
    return false;
  }
}

if (replyForm && cannedForm && cannedInput) {
  const pick = async () => {
    const option = cannedByCode(cannedInput.value);
    if (!option) return false;
    const start = replyText.selectionStart ?? replyText.value.length;
    const end = replyText.selectionEnd ?? start;
    const ok = await insertCanned(option, start, end);
    if (ok) cannedInput.value = '';
    return ok;
  };
  cannedForm.addEventListener('submit', (ev) => {
    // An unknown code goes to the server, which says so.
    if (!cannedByCode(cannedInput.value)) return;
    ev.preventDefault();
    pick();
  });
  cannedInput.addEventListener('input', (ev) => {
    // Chosen from the suggestions (not typed letter by letter).
    if (!ev.inputType || ev.inputType === 'insertReplacementText') pick();
  });
  cannedInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      if (cannedByCode(cannedInput.value)) pick();
      else cannedForm.requestSubmit();
    }
  });
}

if (replyForm) {
  replyText.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab' || ev.shiftKey || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const caret = replyText.selectionStart;
    if (caret !== replyText.selectionEnd) return;
    const m = /(^|\s)\/([a-z0-9_-]{1,40})$/.exec(replyText.value.slice(0, caret));
    const option = m && cannedByCode(m[2]);
    if (!option) return;
    ev.preventDefault();
    insertCanned(option, caret - m[2].length - 1, caret);
  });
}

// ---- Timeline --------------------------------------------------------------
const timeline = $('#timeline');
if (timeline) timeline.lastElementChild?.scrollIntoView({ block: 'end' });

function channelName(ch) {
  const li = $$('#channel-names li').find((el) => el.dataset.channel === ch);
  return li ? li.textContent : ch;
}
function authorName(m) {
  switch (m.author_type) {
    case 'contact':
      return body.dataset.contactName || '';
    case 'agent': {
      const li = $$('#agent-names li').find((el) => Number(el.dataset.agentId) === m.author_id);
      return li ? li.textContent : $('#t-agent')?.textContent || '';
    }
    case 'bot':
      return $('#t-bot')?.textContent || 'Bot';
    default:
      return $('#t-system')?.textContent || '';
  }
}

// The same markup as the server's attachment list, built from nodes.
function addFiles(li, files) {
  if (!Array.isArray(files) || files.length === 0) return;
  const ul = document.createElement('ul');
  ul.className = 'files';
  for (const f of files) {
    if (!f || typeof f.id !== 'number') continue;
    const item = document.createElement('li');
    const a = document.createElement('a');
    a.href = `/api/v1/attachments/${f.id}`;
    a.target = '_blank';
    a.rel = 'noopener';
    if (typeof f.content_type === 'string' && f.content_type.startsWith('image/')) {
      const img = document.createElement('img');
      img.src = a.href;
      img.alt = String(f.name || '');
      img.loading = 'lazy';
      a.append(img);
    }
    const name = document.createElement('span');
    name.className = 'file-name';
    name.textContent = String(f.name || '');
    a.append(name);
    const size = document.createElement('span');
    size.className = 'file-size';
    size.textContent = `${Math.ceil((Number(f.size) || 0) / 1024)} KB`;
    item.append(a, ' ', size);
    ul.append(item);
  }
  li.append(ul);
}

function addMessage(m) {
  const tpl = $('#tpl-msg');
  if (!timeline || !tpl || typeof m.id !== 'number') return;
  if ($$('.msg', timeline).some((el) => Number(el.dataset.messageId) === m.id)) return;
  $('.empty', timeline)?.remove();
  const li = tpl.content.firstElementChild.cloneNode(true);
  li.classList.add(m.private ? 'note' : m.direction === 'in' ? 'in' : 'out');
  if (m.conversation_id !== convId) li.classList.add('elsewhere');
  li.dataset.messageId = String(m.id);
  li.dataset.conversationId = String(m.conversation_id);
  $('.author', li).textContent = authorName(m);
  const chan = $('.chan', li);
  chan.textContent = channelName(m.channel);
  if (/^[a-z_]+$/.test(m.channel || '')) chan.classList.add(`chan-${m.channel}`);
  const slot = $('.note-slot', li);
  if (m.private) {
    const badge = document.createElement('span');
    badge.className = 'badge note-badge';
    badge.textContent = $('#t-note')?.textContent || '';
    slot.replaceWith(' ', badge);
  } else {
    slot.remove();
  }
  const time = $('time', li);
  time.setAttribute('datetime', String(m.created_at));
  $('.text', li).textContent = m.text;
  addFiles(li, m.attachments);
  localiseTimes(li);
  const later = $$('.msg', timeline).find((el) => Number(el.dataset.messageId) > m.id);
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 200;
  timeline.insertBefore(li, later || null);
  if (nearBottom || m.direction === 'out') li.scrollIntoView({ block: 'end' });
}

// ---- Refreshing server-rendered parts -------------------------------------
let refreshTimer = 0;
function scheduleRefresh(delay) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
}
async function refresh() {
  let res;
  try {
    res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  } catch {
    return;
  }
  if (res.redirected && new URL(res.url).pathname === '/login') {
    location.assign(res.url);
    return;
  }
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  for (const id of ['conv-list', 'conv-head', 'sidebar']) {
    const fresh = doc.getElementById(id);
    const old = document.getElementById(id);
    if (!fresh || !old) continue;
    // Never yank a field from under the agent's fingers.
    const active = document.activeElement;
    if (id !== 'conv-list' && active && old.contains(active) && active.matches('textarea, input[type="text"], input[type="search"]')) continue;
    const node = document.adoptNode(fresh);
    const wasOpen = $$('details', old).map((d) => d.open);
    old.replaceWith(node);
    localiseTimes(node);
    openWide(node);
    $$('details', node).forEach((d, i) => {
      if (wasOpen[i]) d.open = true;
    });
  }
  applyUnread();
}

// ---- Unread counts and notifications --------------------------------------
let unread = {};
try {
  unread = JSON.parse(localStorage.getItem('balie-unread') || '{}') || {};
} catch {
  unread = {};
}
function saveUnread() {
  try {
    localStorage.setItem('balie-unread', JSON.stringify(unread));
  } catch {
    // Not important enough to fail over.
  }
}
if (convId && unread[convId]) {
  delete unread[convId];
  saveUnread();
}
function applyUnread() {
  let total = 0;
  for (const [k, n] of Object.entries(unread)) {
    if (Number(k) === convId) delete unread[k];
    else total += Number(n) || 0;
  }
  for (const row of $$('#conv-list .row')) {
    const n = Number(unread[row.dataset.conversationId] || 0);
    row.classList.toggle('unread', n > 0);
    const badge = $('.unread-badge', row);
    if (badge) {
      badge.hidden = n === 0;
      badge.textContent = String(n);
      badge.title = `${n} ${t('unread')}`;
    }
  }
  document.title = (total ? `(${total}) ` : '') + baseTitle;
  const tot = $('#unread-total');
  if (tot) {
    tot.hidden = total === 0;
    tot.textContent = String(total);
    tot.title = `${total} ${t('unread')}`;
  }
}
applyUnread();

const notifyButton = $('#notify');
if (notifyButton && 'Notification' in window && Notification.permission === 'default') {
  notifyButton.hidden = false;
  notifyButton.addEventListener('click', () => {
    Notification.requestPermission().finally(() => {
      notifyButton.hidden = true;
    });
  });
}
function notify(m) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || !document.hidden) return;
  try {
    const n = new Notification(t('newMessage'), { body: String(m.text || '').slice(0, 140), tag: `balie-${m.conversation_id}` });
    n.onclick = () => {
      window.focus();
      location.assign(`/inbox/c/${Number(m.conversation_id)}`);
    };
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}

// ---- Typing and viewing ----------------------------------------------------
const present = new Map();
function renderSignals() {
  const el = $('#signals');
  if (!el) return;
  const lines = [];
  for (const p of present.values()) {
    lines.push((p.kind === 'typing' ? t('typing') : t('viewing')).replace('{name}', p.name));
  }
  el.textContent = lines.join(' · ');
}
function onSignal(s) {
  if (!convId || s.conversation_id !== convId) return;
  const key = `${s.actor_type}:${s.actor_id}`;
  const prev = present.get(key);
  if (prev) clearTimeout(prev.timer);
  const name = s.actor_name || (s.actor_type === 'contact' ? body.dataset.contactName : '') || '?';
  let kind = s.kind;
  if (kind === 'left' || (kind === 'stopped_typing' && s.actor_type === 'contact')) {
    present.delete(key);
  } else {
    if (kind === 'stopped_typing') kind = 'viewing';
    // A signal not renewed fades: typing after 8 s, viewing after 70 s.
    const timer = setTimeout(() => {
      present.delete(key);
      renderSignals();
    }, kind === 'typing' ? 8000 : 70000);
    present.set(key, { name, kind, timer });
  }
  renderSignals();
}

let typingSentAt = 0;
let typingStop = 0;
function typing() {
  const now = Date.now();
  if (now - typingSentAt > 3000) {
    send({ type: 'typing', conversation_id: convId });
    typingSentAt = now;
  }
  clearTimeout(typingStop);
  typingStop = setTimeout(stopTyping, 4000);
}
function stopTyping() {
  clearTimeout(typingStop);
  if (typingSentAt) {
    send({ type: 'stopped_typing', conversation_id: convId });
    typingSentAt = 0;
  }
}

// ---- The live socket -------------------------------------------------------
let lastId = Number(body.dataset.lastEventId || 0);
let socket = null;
let backoff = 1000;
let connectedOnce = false;
let pingTimer = 0;
let viewingTimer = 0;

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN && frame.conversation_id !== 0) {
    socket.send(JSON.stringify(frame));
  }
}
function setLive(on) {
  const el = $('#live');
  if (!el) return;
  el.classList.toggle('on', on);
  el.textContent = on ? el.dataset.on : el.dataset.off;
}

function onEvent(ev) {
  if (typeof ev.id !== 'number' || ev.id <= lastId) return;
  lastId = ev.id;
  const kind = String(ev.kind || '');
  if (kind === 'message.created') {
    const m = ev.payload && ev.payload.message;
    if (m && page === 'conversation' && ev.contact_id === contactId) addMessage(m);
    if (m && m.direction === 'in' && !m.private && ev.conversation_id !== convId) {
      unread[ev.conversation_id] = (Number(unread[ev.conversation_id]) || 0) + 1;
      saveUnread();
      applyUnread();
      notify(m);
    }
  }
  if (/^(conversation|message|contact|agent|team|inbox)\./.test(kind)) scheduleRefresh(300);
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket = new WebSocket(`${proto}//${location.host}/api/v1/ws?after=${lastId}`);
  socket.addEventListener('message', (msg) => {
    let frame;
    try {
      frame = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (frame.type === 'event') onEvent(frame);
    else if (frame.type === 'signal') onSignal(frame);
    else if (frame.type === 'ready') {
      backoff = 1000;
      if (typeof frame.last_event_id === 'number') lastId = Math.max(lastId, frame.last_event_id);
      setLive(true);
      if (convId) send({ type: 'viewing', conversation_id: convId });
      if (connectedOnce) scheduleRefresh(0);
      connectedOnce = true;
    }
  });
  socket.addEventListener('close', async () => {
    setLive(false);
    socket = null;
    // A session that ended cannot reconnect; go to the login page.
    try {
      const me = await fetch('/api/v1/me', { credentials: 'same-origin' });
      if (me.status === 401) {
        location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
        return;
      }
    } catch {
      // Offline: keep trying.
    }
    setTimeout(connect, backoff + Math.random() * 500);
    backoff = Math.min(backoff * 2, 30000);
  });
}

if (page === 'inbox' || page === 'conversation') {
  connect();
  pingTimer = setInterval(() => send({ type: 'ping' }), 25000);
  if (convId) {
    viewingTimer = setInterval(() => {
      if (!document.hidden) send({ type: 'viewing', conversation_id: convId });
    }, 30000);
    window.addEventListener('pagehide', () => {
      send({ type: 'left', conversation_id: convId });
      clearInterval(viewingTimer);
      clearInterval(pingTimer);
    });
  }
}

// ---- Keyboard shortcuts ----------------------------------------------------
function toggleHelp(force) {
  const help = $('#help');
  if (help) help.hidden = force === undefined ? !help.hidden : !force;
}
$('#help-toggle')?.addEventListener('click', () => toggleHelp());

function move(delta) {
  const links = $$('#conv-list .row a');
  if (!links.length) return;
  const idx = links.findIndex((a) => a.closest('.row').classList.contains('current'));
  const next = idx < 0 ? links[delta > 0 ? 0 : links.length - 1] : links[idx + delta];
  if (next) location.assign(next.href);
}

document.addEventListener('keydown', (ev) => {
  const target = ev.target;
  const inField = target instanceof Element && target.closest('input, textarea, select, [contenteditable]');
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && target === replyText) {
    ev.preventDefault();
    replyForm.requestSubmit();
    return;
  }
  if (ev.key === 'Escape') {
    if (inField) target.blur();
    toggleHelp(false);
    return;
  }
  if (inField || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  switch (ev.key) {
    case 'j':
      move(1);
      break;
    case 'k':
      move(-1);
      break;
    case 'r':
      setMode('reply');
      break;
    case 'n':
      setMode('note');
      break;
    case 'e':
      $('#btn-resolve')?.click();
      break;
    case 'a':
      $('#btn-assign-me')?.click();
      break;
    case '/':
      $('#filters select')?.focus();
      break;
    case '?':
      toggleHelp();
      break;
    default:
      return;
  }
  ev.preventDefault();
});
