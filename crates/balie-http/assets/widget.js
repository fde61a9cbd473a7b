/*
 * Balie chat widget: the web chat a shop's customer sees.
 *
 *   <script src="https://BALIE_HOST/widget.js" data-inbox="wgt_..." async></script>
 *
 * Optional attributes: data-lang ("nl"/"en"); for a logged-in customer, rendered by
 * the shop's server: data-customer-id, data-customer-hmac (HMAC-SHA256 hex of the id
 * with the inbox secret), data-customer-name, data-customer-email; data-color (#hex).
 *
 * One hand-written file, no dependencies, no build step. Design rules:
 * - Everything lives in a closed Shadow DOM: the shop's CSS cannot reach in, ours
 *   cannot leak out, and the shop's other scripts (session replay, analytics) cannot
 *   read the conversation. The only global is window.BalieWidget.
 * - CSP-friendly: no eval, no inline handlers, styles via a constructable stylesheet
 *   (not subject to style-src), falling back to a <style> element in the shadow root.
 * - Customer and agent text only ever goes into the page through textContent.
 * - Nothing typed is lost: the draft and unsent messages live in localStorage and
 *   are resent (idempotently, by client_id) until the server acknowledges them.
 * - Bad server data never throws out of a handler; a flaky connection resumes from
 *   the last event id seen.
 */
(function () {
  'use strict';

  if (window.BalieWidget) return; // included twice (theme + plugin): the first one wins

  // ---------------------------------------------------------------- configuration
  var script = document.currentScript;
  if (!script || !script.getAttribute('data-inbox')) {
    var tags = document.querySelectorAll('script[src*="widget.js"][data-inbox]');
    script = tags.length ? tags[tags.length - 1] : null;
  }
  if (!script) return;
  function attr(name) {
    var v = script.getAttribute(name);
    return v && v.trim() ? v.trim() : null;
  }
  var INBOX = attr('data-inbox');
  var BASE;
  try {
    // Talk to the server that served this file, whatever page we are embedded in.
    BASE = new URL(script.src, location.href).origin;
  } catch (e) {
    return;
  }
  if (!INBOX || !/^https?:/.test(BASE)) return;
  var API = BASE + '/widget/v1';
  var ALLOWED = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'];
  var MAX_BYTES = 10 * 1024 * 1024;

  // ---------------------------------------------------------------- language
  var STRINGS = {
    nl: {
      openChat: 'Chat openen',
      openChatUnread: 'Chat openen, {n} nieuw bericht',
      openChatUnreadN: 'Chat openen, {n} nieuwe berichten',
      close: 'Chat sluiten',
      defaultTitle: 'Klantenservice',
      defaultGreeting: 'Hoi! Waarmee kunnen we je helpen?',
      online: 'We zijn online',
      offline: 'Nu offline',
      chattingWith: 'Je chat met {name}',
      offlineDefault: 'We zijn er nu even niet, maar laat gerust een bericht achter.',
      nextOpen: 'Een medewerker antwoordt {when}.',
      nextOpenUnknown: 'Een medewerker antwoordt zo snel mogelijk.',
      whenToday: 'vandaag om {time}',
      whenTomorrow: 'morgen om {time}',
      whenWeekday: '{day} om {time}',
      whenDate: 'op {date} om {time}',
      typing: '{name} is aan het typen…',
      typingAnon: 'Er wordt getypt…',
      inputLabel: 'Je bericht',
      placeholder: 'Typ je bericht…',
      send: 'Versturen',
      attach: 'Bestand toevoegen',
      you: 'Jij',
      agent: 'Medewerker',
      bot: 'Assistent',
      sending: 'Wordt verzonden…',
      uploading: 'Wordt geüpload…',
      failed: 'Niet verzonden — opnieuw proberen',
      st_queued: 'In de wachtrij',
      st_sent: 'Verzonden',
      st_delivered: 'Afgeleverd',
      st_read: 'Gelezen',
      st_failed: 'Niet afgeleverd',
      prechatText: 'Laat je e-mailadres achter, dan kunnen we je ook antwoorden als je deze pagina sluit.',
      prechatLabel: 'E-mailadres (optioneel)',
      prechatSave: 'Opslaan',
      prechatSkip: 'Overslaan',
      prechatInvalid: 'Dat lijkt geen geldig e-mailadres.',
      prechatThanks: 'Bedankt! We antwoorden ook via {email}.',
      errType: 'Dit bestandstype kan niet mee. Kies een afbeelding (PNG, JPEG, GIF, WebP) of een PDF.',
      errSize: 'Dit bestand is te groot: maximaal 10 MB.',
      errUnavailable: 'De chat is op dit moment niet beschikbaar. Probeer het later nog eens.',
      errIdentity: 'We konden de chat niet starten. Vernieuw de pagina of probeer het later opnieuw.',
      errRejected: 'Dit bericht is niet geaccepteerd.',
      connecting: 'Verbinding maken…',
      reconnecting: 'Verbinding verbroken — we proberen het opnieuw…',
      file: 'bestand'
    },
    en: {
      openChat: 'Open chat',
      openChatUnread: 'Open chat, {n} new message',
      openChatUnreadN: 'Open chat, {n} new messages',
      close: 'Close chat',
      defaultTitle: 'Customer service',
      defaultGreeting: 'Hi! How can we help you?',
      online: 'We are online',
      offline: 'Offline now',
      chattingWith: 'You are chatting with {name}',
      offlineDefault: 'We are away right now, but feel free to leave a message.',
      nextOpen: 'An agent will reply {when}.',
      nextOpenUnknown: 'An agent will reply as soon as possible.',
      whenToday: 'today at {time}',
      whenTomorrow: 'tomorrow at {time}',
      whenWeekday: 'on {day} at {time}',
      whenDate: 'on {date} at {time}',
      typing: '{name} is typing…',
      typingAnon: 'Someone is typing…',
      inputLabel: 'Your message',
      placeholder: 'Type your message…',
      send: 'Send',
      attach: 'Attach a file',
      you: 'You',
      agent: 'Agent',
      bot: 'Assistant',
      sending: 'Sending…',
      uploading: 'Uploading…',
      failed: 'Not sent — try again',
      st_queued: 'Queued',
      st_sent: 'Sent',
      st_delivered: 'Delivered',
      st_read: 'Read',
      st_failed: 'Not delivered',
      prechatText: 'Leave your email address so we can also reply when you close this page.',
      prechatLabel: 'Email address (optional)',
      prechatSave: 'Save',
      prechatSkip: 'Skip',
      prechatInvalid: 'That does not look like a valid email address.',
      prechatThanks: 'Thanks! We will also reply to {email}.',
      errType: 'This file type cannot be sent. Choose an image (PNG, JPEG, GIF, WebP) or a PDF.',
      errSize: 'This file is too large: 10 MB at most.',
      errUnavailable: 'The chat is not available right now. Please try again later.',
      errIdentity: 'We could not start the chat. Reload the page or try again later.',
      errRejected: 'This message was not accepted.',
      connecting: 'Connecting…',
      reconnecting: 'Connection lost — reconnecting…',
      file: 'file'
    }
  };
  var LANG = (function () {
    var candidates = [attr('data-lang'), document.documentElement.getAttribute('lang'), navigator.language];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && String(candidates[i]).trim()) return /^nl/i.test(String(candidates[i]).trim()) ? 'nl' : 'en';
    }
    return 'en';
  })();
  // Dates and times in the customer's language; English gets a 24-hour British
  // format unless the browser itself asks for another English.
  var LOCALE = LANG === 'nl' ? 'nl-NL' : (/^en/i.test(navigator.language || '') ? navigator.language : 'en-GB');
  function t(key, vars) {
    var s = STRINGS[LANG][key] || STRINGS.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) {
      return vars && vars[k] != null ? String(vars[k]) : m;
    });
  }

  // ---------------------------------------------------------------- storage
  // localStorage can be missing or throw (private mode, blocked cookies): fall back
  // to memory so the widget still works for this page view.
  var KEY = 'balie.widget.' + INBOX + '.';
  var memory = {};
  var store = {
    get: function (k) {
      try {
        var raw = window.localStorage.getItem(KEY + k);
        return raw === null ? null : JSON.parse(raw);
      } catch (e) {
        return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null;
      }
    },
    set: function (k, v) {
      memory[k] = v;
      try {
        if (v === null || v === undefined) window.localStorage.removeItem(KEY + k);
        else window.localStorage.setItem(KEY + k, JSON.stringify(v));
      } catch (e) { /* memory copy is enough */ }
    }
  };
  // Whether the panel is open survives navigation within the shop, but not a new tab.
  function sessionFlag(name, value) {
    try {
      if (value === undefined) return window.sessionStorage.getItem(KEY + name) === '1';
      if (value) window.sessionStorage.setItem(KEY + name, '1');
      else window.sessionStorage.removeItem(KEY + name);
    } catch (e) { /* ignore */ }
    return false;
  }

  // ---------------------------------------------------------------- identity
  var customer = null;
  if (attr('data-customer-id') && attr('data-customer-hmac')) {
    customer = {
      id: attr('data-customer-id'),
      hmac: attr('data-customer-hmac'),
      name: attr('data-customer-name'),
      email: attr('data-customer-email')
    };
  } else if (attr('data-customer-id')) {
    warn('data-customer-id without data-customer-hmac is ignored; the chat starts anonymously.');
  }
  // A stored conversation belongs to whoever was logged in when it started. If another
  // customer logs in on this browser, or the customer logs out, never show them the
  // previous person's chat: forget it (unsent text included). Anonymous -> logged in
  // keeps it, so the server can attach the visitor's chat to the customer.
  var me = customer ? customer.id : '';
  var previous = store.get('who');
  if (typeof previous === 'string' && previous !== '' && previous !== me) {
    ['session', 'outbox', 'draft', 'email', 'prechat', 'seen'].forEach(function (k) { store.set(k, null); });
  }

  // ---------------------------------------------------------------- state
  var S = {
    session: typeof store.get('session') === 'string' ? store.get('session') : null,
    ready: false,          // a session is confirmed by the server for this page view
    starting: false,
    sessionTries: 0,
    sessionTimer: null,
    fatal: null,           // string key: the chat cannot work (unknown inbox, bad signature)
    inbox: null,
    msgs: {},              // message id -> normalised message
    lastEvent: null,
    outbox: loadOutbox(),  // unsent text messages, persisted
    stalled: false,        // the last send failed for a retryable reason
    flushing: false,
    flushTries: 0,
    flushTimer: null,
    uploads: [],           // files being sent; in memory only (a File cannot be stored)
    open: false,
    typingName: null,
    typingShown: false,
    typingTimer: null,
    readSent: 0,
    seen: Number(store.get('seen')) || 0,
    conn: null,            // null | 'connecting' | 'reconnecting'
    note: null,            // a transient error shown above the composer
    noteTimer: null,
    prechatMsg: null
  };

  function loadOutbox() {
    var list = store.get('outbox');
    if (!Array.isArray(list)) return [];
    return list.filter(function (o) {
      return o && typeof o.client_id === 'string' && typeof o.text === 'string' && o.text;
    }).map(function (o) {
      return { client_id: o.client_id, text: o.text, at: typeof o.at === 'string' ? o.at : new Date().toISOString() };
    });
  }
  function saveOutbox() {
    store.set('outbox', S.outbox.map(function (o) { return { client_id: o.client_id, text: o.text, at: o.at }; }));
  }

  // ---------------------------------------------------------------- helpers
  function warn(msg) {
    if (window.console && console.warn) console.warn('[Balie widget] ' + msg);
  }
  function noop() {}
  // Runs fn, and logs instead of throwing: one bad frame must not stop the widget.
  function safely(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        if (window.console && console.error) console.error('[Balie widget]', e);
      }
    };
  }
  function randomId() {
    var bytes = new Uint8Array(16);
    try {
      window.crypto.getRandomValues(bytes);
    } catch (e) {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return 'c_' + Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }
  // Exponential backoff with jitter, so a thousand widgets don't reconnect in lockstep
  // after a server restart: attempt 0 -> 0.5-1 s, ... capped at 15-30 s.
  function backoff(n) {
    var ceiling = Math.min(30000, 1000 * Math.pow(2, Math.min(n, 5)));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }
  function parseDate(v) {
    if (typeof v !== 'string' && typeof v !== 'number') return null;
    var d = new Date(v);
    return isNaN(d.getTime()) ? null : d;
  }
  function str(v) {
    return typeof v === 'string' ? v : '';
  }
  function safeUrl(u) {
    if (typeof u !== 'string' || !u) return null;
    try {
      var url = new URL(u, BASE);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }
  // Files on the Balie server are only served to the visitor's own session, and an
  // <img src> or a link cannot send the Authorization header: the server also
  // accepts ?session=.
  function withSession(url) {
    if (!S.session || url.indexOf(API + '/') !== 0) return url;
    return url + (url.indexOf('?') < 0 ? '?' : '&') + 'session=' + encodeURIComponent(S.session);
  }
  function dayIndex(d) {
    return Math.floor(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() / 86400000);
  }
  function fmt(d, opts) {
    try {
      return d.toLocaleString(LOCALE, opts);
    } catch (e) {
      return d.toLocaleString();
    }
  }
  function fmtTime(d) {
    return fmt(d, { hour: '2-digit', minute: '2-digit' });
  }
  function fmtStamp(d) {
    if (dayIndex(d) === dayIndex(new Date())) return fmtTime(d);
    return fmt(d, { day: 'numeric', month: 'short' }) + ' ' + fmtTime(d);
  }
  // "morgen om 08:00", "maandag om 08:00", "op maandag 1 december om 08:00", in local time.
  function fmtWhen(d) {
    var days = dayIndex(d) - dayIndex(new Date());
    var time = fmtTime(d);
    if (days <= 0) return t('whenToday', { time: time });
    if (days === 1) return t('whenTomorrow', { time: time });
    if (days < 7) return t('whenWeekday', { day: fmt(d, { weekday: 'long' }), time: time });
    return t('whenDate', { date: fmt(d, { weekday: 'long', day: 'numeric', month: 'long' }), time: time });
  }
  function fmtSize(n) {
    if (!(n > 0)) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return Math.round(n / 1024) + ' kB';
    return (n / 1024 / 1024).toFixed(1).replace('.', LANG === 'nl' ? ',' : '.') + ' MB';
  }

  // Server data is normalised once, here; the rest of the code trusts these shapes.
  function normMessage(m) {
    if (!m || typeof m !== 'object') return null;
    var id = Number(m.id);
    if (!isFinite(id) || id <= 0) return null;
    var dir = m.direction === 'in' ? 'in' : 'out';
    var authors = ['contact', 'agent', 'bot', 'system'];
    return {
      id: id,
      dir: dir,
      author: authors.indexOf(m.author) >= 0 ? m.author : (dir === 'in' ? 'contact' : 'agent'),
      name: str(m.author_name) || null,
      text: str(m.text),
      at: parseDate(m.created_at),
      status: str(m.delivery_status) || 'sent',
      attachments: Array.isArray(m.attachments) ? m.attachments.map(normAttachment).filter(Boolean) : [],
      client_id: str(m.client_id) || null
    };
  }
  function normAttachment(a) {
    if (!a || typeof a !== 'object') return null;
    var url = safeUrl(a.url);
    if (!url) return null;
    return { name: str(a.name) || t('file'), type: str(a.content_type), size: Number(a.size) || 0, url: url };
  }
  function normInbox(i) {
    i = i && typeof i === 'object' ? i : {};
    return {
      name: str(i.name),
      greeting: str(i.greeting),
      online: i.online !== false,
      offlineMessage: str(i.offline_message),
      nextOpen: parseDate(i.next_open)
    };
  }

  // ---------------------------------------------------------------- HTTP
  function api(method, path, body, noAuth) {
    var headers = {};
    if (S.session && !noAuth) headers.Authorization = 'Bearer ' + S.session;
    var init = { method: method, headers: headers, mode: 'cors', credentials: 'omit', cache: 'no-store' };
    if (typeof FormData !== 'undefined' && body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (res.ok) return data && typeof data === 'object' ? data : {};
        var err = new Error((data && str(data.message)) || 'HTTP ' + res.status);
        err.status = res.status;
        err.code = data ? str(data.error) : '';
        throw err;
      });
    });
  }
  // Network errors (no status), 5xx, 408 and 429 may succeed later; other 4xx won't.
  function retryable(err) {
    return !err || !err.status || err.status >= 500 || err.status === 408 || err.status === 429;
  }

  // ---------------------------------------------------------------- session
  function startSession() {
    if (S.starting) return;
    clearTimeout(S.sessionTimer);
    S.starting = true;
    if (!S.ready) setConn('connecting');
    var body = {
      inbox: INBOX,
      session: S.session || null,
      locale: LANG,
      customer: customer,
      email: customer ? null : (str(store.get('email')) || null),
      name: null
    };
    api('POST', '/sessions', body, true).then(safely(onSession), safely(function (err) {
      S.starting = false;
      if (err.status === 403 && err.code === 'bad_identity') {
        // Never fall back to an anonymous or someone else's chat: just stop.
        return fail('errIdentity', 'the shop\'s data-customer-hmac does not match data-customer-id (bad_identity).');
      }
      if (err.status === 403) return fail('errUnavailable', 'this page\'s origin is not allowed for inbox ' + INBOX + ' (' + (err.code || 403) + ').');
      if ((err.status === 404 || err.status === 401) && S.session) {
        // Perhaps only our stored session is gone: start a fresh one once.
        S.session = null;
        store.set('session', null);
        return startSession();
      }
      if (err.status === 404) return fail('errUnavailable', 'unknown inbox ' + INBOX + '.');
      if ((err.status === 400 || err.status === 422) && body.email) {
        // The server didn't accept the pre-chat email: chat without it rather than not at all.
        store.set('email', null);
        return startSession();
      }
      if (!retryable(err)) return fail('errUnavailable', 'the server refused to start a chat: ' + err.message);
      S.stalled = true; // queued messages can't go yet: offer "try again"
      renderMessages();
      S.sessionTimer = setTimeout(startSession, backoff(S.sessionTries++));
    }));
  }
  function fail(key, why) {
    warn(why);
    S.fatal = key;
    setConn(null);
    render();
  }
  function onSession(d) {
    S.starting = false;
    var token = str(d.session);
    if (!token) throw new Error('session answer without a session token');
    if (token !== S.session) {
      // A new conversation: what we showed belonged to the old token.
      S.msgs = {};
      S.lastEvent = null;
      S.readSent = 0;
      dropRealtime();
    }
    S.session = token;
    store.set('session', token);
    store.set('who', me);
    S.inbox = normInbox(d.inbox);
    S.fatal = null;
    S.ready = true;
    S.sessionTries = 0;
    addMessages(d.messages);
    var last = Number(d.last_event_id);
    if (isFinite(last)) S.lastEvent = Math.max(S.lastEvent || 0, last);
    render();
    connect();
    flushOutbox();
    S.uploads.forEach(function (u) { if (!u.busy && !u.failed) upload(u); });
  }

  // ---------------------------------------------------------------- messages
  function addMessages(list) {
    if (!Array.isArray(list)) return;
    var changed = false;
    list.forEach(function (raw) {
      var m = normMessage(raw);
      if (!m) return;
      S.msgs[m.id] = m; // same id again = an update (e.g. delivery status)
      changed = true;
      if (m.client_id) removeOutbox(m.client_id);
      if (m.dir === 'out' && (m.author === 'agent' || m.author === 'bot') && S.typingShown) setTyping(false);
    });
    if (changed) renderMessages();
  }
  function maxMessageId() {
    var max = 0;
    for (var id in S.msgs) if (S.msgs[id].id > max) max = S.msgs[id].id;
    return max;
  }
  // After a reconnect, belt and braces: ask for anything newer than what we hold.
  function catchUp() {
    if (!S.ready) return;
    api('GET', '/messages?after=' + maxMessageId()).then(safely(function (d) { addMessages(d.messages); }), noop);
  }
  function agentName() {
    var best = null;
    for (var id in S.msgs) {
      var m = S.msgs[id];
      if (m.author === 'agent' && m.name && (!best || m.id > best.id)) best = m;
    }
    return best ? best.name : null;
  }

  function send() {
    var text = ui.input.value.replace(/^\s+|\s+$/g, '');
    if (!text) return;
    S.outbox.push({ client_id: randomId(), text: text, at: new Date().toISOString() });
    saveOutbox();
    ui.input.value = '';
    saveDraft();
    autosize();
    stopTyping();
    renderMessages(true);
    if (S.ready) flushOutbox();
    else if (!S.fatal) startSession();
  }
  function removeOutbox(clientId) {
    var before = S.outbox.length;
    S.outbox = S.outbox.filter(function (o) { return o.client_id !== clientId; });
    if (S.outbox.length !== before) saveOutbox();
  }
  // Sends queued messages one at a time, in order. The server stores a client_id
  // once, so resending after an unclear failure cannot duplicate a message.
  function flushOutbox() {
    if (S.flushing || !S.ready) return;
    clearTimeout(S.flushTimer);
    var item = null;
    for (var i = 0; i < S.outbox.length; i++) {
      if (!S.outbox[i].hold) { item = S.outbox[i]; break; }
    }
    if (!item) return;
    S.flushing = true;
    S.stalled = false;
    item.failed = false;
    renderMessages();
    api('POST', '/messages', { text: item.text, client_id: item.client_id }).then(safely(function (m) {
      S.flushing = false;
      S.flushTries = 0;
      removeOutbox(item.client_id);
      if (normMessage(m)) addMessages([m]);
      else catchUp(); // acknowledged but unreadable: fetch it instead
      renderMessages();
      flushOutbox();
    }), safely(function (err) {
      S.flushing = false;
      item.failed = true;
      if (err.status === 401) {
        // The session expired: renew it; onSession flushes again.
        S.ready = false;
        startSession();
      } else if (!retryable(err)) {
        item.hold = true; // the server refused this one; only the customer's retry resends it
        note(err.status === 413 ? t('errSize') : t('errRejected'));
        flushOutbox();
      } else {
        S.stalled = true;
        S.flushTimer = setTimeout(flushOutbox, backoff(S.flushTries++));
      }
      renderMessages();
    }));
  }
  function retry(item) {
    item.hold = false;
    if (item.file && S.ready) upload(item);
    else if (S.ready) flushOutbox();
    else { S.fatal = null; S.sessionTries = 0; startSession(); } // perhaps it works now
  }

  function pickFile(file) {
    if (!file) return;
    var type = file.type || guessType(file.name);
    if (ALLOWED.indexOf(type) < 0) return note(t('errType'));
    if (file.size > MAX_BYTES) return note(t('errSize'));
    var up = { client_id: randomId(), file: file, name: file.name || t('file'), at: new Date().toISOString() };
    S.uploads.push(up);
    renderMessages(true);
    if (S.ready) upload(up);
    else if (!S.fatal) startSession();
  }
  function guessType(name) {
    var ext = String(name || '').split('.').pop().toLowerCase();
    return { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf' }[ext] || '';
  }
  function upload(up) {
    if (up.busy) return;
    up.busy = true;
    up.failed = false;
    renderMessages();
    var form = new FormData();
    form.append('file', up.file, up.name);
    form.append('client_id', up.client_id); // harmless if the server ignores it
    api('POST', '/attachments', form).then(safely(function (m) {
      S.uploads = S.uploads.filter(function (u) { return u !== up; });
      if (normMessage(m)) addMessages([m]);
      else catchUp();
      renderMessages();
    }), safely(function (err) {
      up.busy = false;
      if (err.status === 413 || err.status === 415) {
        // Retrying cannot help: say why and drop it.
        S.uploads = S.uploads.filter(function (u) { return u !== up; });
        note(err.status === 413 ? t('errSize') : t('errType'));
      } else {
        up.failed = true;
        if (err.status === 401) { S.ready = false; startSession(); }
      }
      renderMessages();
    }));
  }

  // ---------------------------------------------------------------- realtime
  var rt = {
    ws: null, es: null,
    mode: 'ws',        // switches to 'sse' for good when WebSockets seem blocked
    wsFails: 0,        // consecutive WebSocket attempts that never got 'ready'
    everReady: false,  // a WebSocket worked at least once on this page
    live: false,       // 'ready' received on the current connection
    attempt: 0,
    timer: null, pingTimer: null, pongTimer: null, connTimer: null,
    wasLive: false     // there was a live connection before: catch up after reconnect
  };
  function connect() {
    if (!S.ready || rt.ws || rt.es) return;
    clearTimeout(rt.timer);
    rt.timer = null;
    var query = '?session=' + encodeURIComponent(S.session) + (S.lastEvent != null ? '&after=' + encodeURIComponent(S.lastEvent) : '');
    if (rt.mode === 'ws' && typeof WebSocket === 'function') openWs(query);
    else openSse(query);
  }
  function openWs(query) {
    var ws;
    var gotReady = false;
    try {
      ws = new WebSocket(API.replace(/^http/, 'ws') + '/ws' + query);
    } catch (e) {
      rt.mode = 'sse'; // e.g. blocked by the page's CSP connect-src
      return scheduleReconnect(0);
    }
    rt.ws = ws;
    ws.addEventListener('message', safely(function (ev) {
      if (rt.ws !== ws) return;
      heard();
      var frame = parseFrame(ev.data);
      if (frame && frame.type === 'ready') gotReady = true;
      handleFrame(frame);
    }));
    ws.addEventListener('close', safely(function () {
      if (rt.ws !== ws) return;
      if (!gotReady) {
        rt.wsFails++;
        if (!rt.everReady && rt.wsFails >= 2) rt.mode = 'sse';
      }
      lost();
    }));
  }
  function openSse(query) {
    if (typeof EventSource !== 'function') return scheduleReconnect(); // nothing better than catch-up polls
    var es = new EventSource(API + '/events' + query);
    rt.es = es;
    var onEvent = safely(function (ev) {
      if (rt.es !== es) return;
      var frame = parseFrame(ev.data);
      if (frame && frame.event_id == null && ev.lastEventId) frame.event_id = Number(ev.lastEventId);
      handleFrame(frame);
    });
    // Unnamed events arrive as 'message'; also accept events named after their type.
    ['message', 'ready', 'typing', 'status', 'pong'].forEach(function (name) { es.addEventListener(name, onEvent); });
    es.addEventListener('error', safely(function () {
      if (rt.es !== es) return;
      // Reconnect ourselves, with our own backoff and a fresh ?after=.
      lost();
    }));
  }
  function parseFrame(data) {
    if (typeof data !== 'string') return null;
    try {
      var f = JSON.parse(data);
      return f && typeof f === 'object' ? f : null;
    } catch (e) {
      return null;
    }
  }
  function handleFrame(f) {
    if (!f) return;
    if (f.type === 'ready') {
      rt.live = true;
      rt.attempt = 0;
      if (rt.ws) { rt.everReady = true; rt.wsFails = 0; startPing(); }
      // Our own cursor wins: the server's may be past events it is about to replay.
      if (S.lastEvent == null && isFinite(Number(f.last_event_id))) S.lastEvent = Number(f.last_event_id);
      setConn(null);
      if (rt.wasLive) catchUp();
      rt.wasLive = true;
      flushOutbox();
      S.readSent = 0; // re-announce what is read: the last one may have been lost
      markRead();
    } else if (f.type === 'message') {
      var ev = Number(f.event_id);
      if (isFinite(ev)) S.lastEvent = Math.max(S.lastEvent || 0, ev);
      addMessages([f.message]);
    } else if (f.type === 'typing') {
      setTyping(f.typing === true, str(f.agent_name) || null);
    } else if (f.type === 'status') {
      // Delivery status of messages already shown (sent -> delivered -> read).
      var evs = Number(f.event_id);
      if (isFinite(evs)) S.lastEvent = Math.max(S.lastEvent || 0, evs);
      var ids = Array.isArray(f.message_ids) ? f.message_ids : [f.message_id];
      var status = str(f.delivery_status);
      ids.forEach(function (id) {
        var m = S.msgs[Number(id)];
        if (m && status) m.status = status;
      });
      renderMessages();
    }
    // 'pong' and unknown types: nothing to do (heard() already noted the sign of life).
  }
  // The connection broke (or never opened): tidy up and try again later.
  function lost() {
    dropRealtime();
    scheduleReconnect();
  }
  function dropRealtime() {
    var ws = rt.ws, es = rt.es;
    rt.ws = null;
    rt.es = null;
    rt.live = false;
    stopPing();
    if (ws) { try { ws.close(); } catch (e) { /* already closed */ } }
    if (es) es.close();
  }
  function scheduleReconnect(delay) {
    clearTimeout(rt.timer);
    var n = rt.attempt++;
    // Every fourth failure in a row, check the session itself is still good.
    if (n > 0 && n % 4 === 0 && S.ready) {
      rt.timer = setTimeout(function () { S.ready = false; startSession(); }, backoff(n));
    } else {
      rt.timer = setTimeout(connect, delay === undefined ? backoff(n) : delay);
    }
    // Only say "connection lost" when it lasts: a quick reconnect should not flash.
    // Counted from the first failure: each failed retry must not restart the clock.
    if (!rt.connTimer) {
      rt.connTimer = setTimeout(function () {
        rt.connTimer = null;
        if (!rt.live && S.ready) setConn('reconnecting');
      }, 3000);
    }
  }
  function reconnectNow() {
    if (S.fatal) return;
    if (!S.ready) {
      if (S.session || S.outbox.length || S.open) { S.sessionTries = 0; startSession(); }
      return;
    }
    if (rt.ws && rt.live) { sendPing(); return; } // probably fine; the ping proves it
    if (rt.ws || rt.es) return;                    // an attempt is under way
    rt.attempt = 0;
    connect();
    flushOutbox();
  }
  // A ping every 25 s keeps proxies from closing an idle socket, and a missing answer
  // within 10 s reveals a dead one (common on mobile) sooner than TCP would.
  function startPing() {
    stopPing();
    rt.pingTimer = setInterval(sendPing, 25000);
  }
  function sendPing() {
    if (!rt.ws || rt.ws.readyState !== 1) return;
    try { rt.ws.send('{"type":"ping"}'); } catch (e) { return lost(); }
    clearTimeout(rt.pongTimer);
    rt.pongTimer = setTimeout(lost, 10000);
  }
  function heard() {
    clearTimeout(rt.pongTimer);
  }
  function stopPing() {
    clearInterval(rt.pingTimer);
    clearTimeout(rt.pongTimer);
  }
  // Typing and read signals: over the socket, or over HTTP when on Server-Sent Events.
  function signal(frame) {
    if (rt.ws && rt.live && rt.ws.readyState === 1) {
      try { rt.ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
    }
    if (rt.es && rt.live) {
      api('POST', '/signals', frame).catch(noop);
      return true;
    }
    return false;
  }

  var typing = { on: false, sentAt: 0, idle: null };
  function userTyped() {
    if (!ui.input.value.trim()) return stopTyping();
    var now = Date.now();
    if ((!typing.on || now - typing.sentAt > 2000) && signal({ type: 'typing', typing: true })) {
      typing.on = true;
      typing.sentAt = now;
    }
    clearTimeout(typing.idle);
    typing.idle = setTimeout(stopTyping, 4000);
  }
  function stopTyping() {
    clearTimeout(typing.idle);
    if (typing.on) {
      typing.on = false;
      signal({ type: 'typing', typing: false });
    }
  }
  function setTyping(on, name) {
    clearTimeout(S.typingTimer);
    S.typingShown = on;
    if (name) S.typingName = name;
    // If the "stopped typing" frame gets lost, don't show the indicator forever.
    if (on) S.typingTimer = setTimeout(function () { setTyping(false); }, 8000);
    renderTyping();
  }

  // Tell the server which agent message the customer has actually seen, and keep the
  // unread badge in step.
  function markRead() {
    if (!S.open || document.hidden || !ui) return;
    var box = ui.scroll.getBoundingClientRect();
    var best = 0;
    for (var id in S.msgs) {
      var m = S.msgs[id];
      if (m.dir !== 'out' || m.id <= best) continue;
      var el = nodes['m' + m.id];
      if (!el) continue;
      var r = el.getBoundingClientRect();
      if (r.bottom > box.top && r.top < box.bottom) best = m.id;
    }
    if (best > S.seen) {
      S.seen = best;
      store.set('seen', best);
      renderBadge();
    }
    if (best > S.readSent && signal({ type: 'read', message_id: best })) S.readSent = best;
  }

  // ---------------------------------------------------------------- UI
  var SVG = 'http://www.w3.org/2000/svg';
  var ICONS = {
    chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6zm8 5H6v-2h8zm4-6H6V6h12z',
    close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
    attach: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
    send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z'
  };
  function icon(name) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.appendChild(path);
    return svg;
  }
  // Builds an element. Text goes in via textContent only; 'on...' props become listeners.
  function h(tag, props, children) {
    var el = document.createElement(tag);
    for (var k in props || {}) {
      var v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), safely(v));
      else el.setAttribute(k, v === true ? '' : v);
    }
    (children || []).forEach(function (c) {
      if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return el;
  }
  // Message text with web links made clickable, built from text nodes.
  function richText(parent, text) {
    var re = /\bhttps?:\/\/[^\s<>"']+/g;
    var at = 0;
    var m;
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]]+$/, '');
      if (m.index > at) parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      var href = safeUrl(url);
      parent.appendChild(href ? h('a', { href: href, target: '_blank', rel: 'noopener noreferrer nofollow', text: url }) : document.createTextNode(url));
      at = m.index + url.length;
      re.lastIndex = at;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  var ACCENT = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(attr('data-color') || '') ? attr('data-color') : '#1d4ed8';
  var CSS = [
    // The host is the one element in the shop's DOM: reset everything the shop's
    // CSS might set on it (!important inside the shadow beats !important outside).
    ':host{all:initial!important;display:block!important;position:static!important}',
    '.root{--accent:' + ACCENT + ';--ink:#1f2328;--muted:#57606a;--line:#dde1e6;--focus:#f59e0b;',
    'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);',
    'text-align:left;-webkit-font-smoothing:antialiased}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    'button,input,textarea{font:inherit;color:inherit;margin:0}',
    'button{cursor:pointer}',
    ':focus{outline:none}',
    ':focus-visible{outline:3px solid var(--focus);outline-offset:2px}',
    '.sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    'svg{width:22px;height:22px;fill:currentColor;display:block}',
    // launcher
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border:0;',
    'border-radius:50%;padding:0;background:var(--accent);color:#fff;display:flex;align-items:center;',
    'justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.28);transition:transform .15s ease}',
    '.launcher:hover{transform:scale(1.06)}',
    '.launcher svg{width:28px;height:28px}',
    '.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;',
    'background:#cf222e;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center;border:2px solid #fff}',
    // panel
    '.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:560px;',
    'max-width:calc(100vw - 40px);max-height:calc(100vh - 112px);display:flex;flex-direction:column;',
    'background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(0,0,0,.28);animation:pop .18s ease-out}',
    '@keyframes pop{from{opacity:0;transform:translateY(12px)}}',
    '.head{display:flex;align-items:center;gap:10px;padding:14px 10px 14px 18px;background:var(--accent);color:#fff;flex:none}',
    '.head-text{flex:1;min-width:0}',
    '.title{margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.sub{margin:2px 0 0;font-size:13px;display:flex;align-items:center;gap:6px}',
    '.dot{width:8px;height:8px;border-radius:50%;background:#4ade80;flex:none}',
    '.dot.off{background:#d0d7de}',
    '.close{flex:none;width:40px;height:40px;border:0;border-radius:50%;background:transparent;color:#fff;',
    'display:flex;align-items:center;justify-content:center;padding:0}',
    '.close:hover{background:rgba(255,255,255,.18)}',
    '.close:focus-visible{outline-color:#fff}',
    '.conn{flex:none;padding:6px 16px;font-size:12.5px;text-align:center;background:#eef1f4;color:#3d444d}',
    '.scroll{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#f6f7f9;overscroll-behavior:contain}',
    '.notice{margin:0 0 12px;padding:10px 12px;border-radius:12px;background:#fff8e1;border:1px solid #ecd58a;color:#4d3a00;font-size:13.5px}',
    '.notice p{margin:0}.notice p+p{margin-top:4px;font-weight:600}',
    // messages
    '.msg{display:flex;flex-direction:column;max-width:82%;margin:0 0 12px}',
    '.msg.in{margin-left:auto;align-items:flex-end}',
    '.msg.out{margin-right:auto;align-items:flex-start}',
    '.msg.system{max-width:100%;align-items:center;margin:6px auto 12px}',
    '.who{font-size:12px;font-weight:600;color:var(--muted);margin:0 6px 3px}',
    '.bubble{padding:9px 13px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}',
    '.in .bubble{background:var(--accent);color:#fff;border-bottom-right-radius:5px}',
    '.out .bubble{background:#fff;border:1px solid var(--line);border-bottom-left-radius:5px}',
    '.system .bubble{background:transparent;color:var(--muted);font-size:12.5px;text-align:center;padding:2px 8px}',
    '.bubble a{color:inherit;text-decoration:underline}',
    '.bubble img{display:block;max-width:100%;max-height:220px;border-radius:10px;margin:2px 0}',
    '.file{display:block;margin:2px 0}',
    '.meta{display:flex;gap:6px;align-items:center;font-size:11.5px;color:var(--muted);margin:3px 6px 0}',
    '.ticks{letter-spacing:-3px;padding-right:3px}',
    '.ticks.read{color:#0969da}.ticks.failed{color:#cf222e;letter-spacing:0}',
    '.pending .bubble{opacity:.75}',
    '.retry{border:0;background:none;padding:0;color:#b42318;font-size:12px;font-weight:600;text-decoration:underline}',
    '.typing{flex:none;padding:4px 18px 6px;font-size:13px;color:var(--muted);background:#f6f7f9;min-height:0}',
    '.typing i{display:inline-block;width:5px;height:5px;margin-right:3px;border-radius:50%;background:currentColor;animation:blink 1.2s infinite}',
    '.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s;margin-right:8px}',
    '@keyframes blink{0%,60%,100%{opacity:.25}30%{opacity:1}}',
    // pre-chat
    '.prechat{margin:0 0 12px;padding:12px;border-radius:12px;background:#fff;border:1px solid var(--line)}',
    '.prechat p{margin:0 0 8px;font-size:13.5px}',
    '.prechat label{display:block;font-size:12.5px;font-weight:600;margin-bottom:4px}',
    '.prechat input{display:block;width:100%;padding:8px 10px;border:1px solid #b9c0c8;border-radius:8px;background:#fff}',
    '.prechat .row{display:flex;gap:8px;margin-top:8px}',
    '.btn{border:0;border-radius:8px;padding:7px 14px;background:var(--accent);color:#fff;font-weight:600}',
    '.btn.plain{background:transparent;color:var(--accent);text-decoration:underline}',
    '.field-err{color:#b42318;font-size:12.5px;margin:4px 0 0}',
    '.error{flex:none;margin:6px 10px 0;padding:8px 12px;border-radius:8px;background:#ffebe9;color:#82071e;font-size:13px}',
    // composer
    '.composer{flex:none;display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid var(--line);background:#fff}',
    '.composer textarea{flex:1;min-width:0;resize:none;height:42px;min-height:42px;max-height:132px;padding:9px 12px;',
    'border:1px solid #b9c0c8;border-radius:12px;background:#fff;line-height:1.45;font-size:15px}',
    '.composer textarea::placeholder{color:#6e7781}',
    '.icon-btn{flex:none;width:42px;height:42px;border:0;border-radius:50%;padding:0;background:transparent;',
    'color:var(--muted);display:flex;align-items:center;justify-content:center}',
    '.icon-btn:hover{background:#eef1f4}',
    '.send{background:var(--accent);color:#fff}.send:hover{background:var(--accent);filter:brightness(1.1)}',
    // phone: the panel is the whole screen
    '@media (max-width:480px){',
    '.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}',
    '.root.is-open .launcher{display:none}',
    '.composer{padding-bottom:max(10px,env(safe-area-inset-bottom))}',
    '.composer textarea{font-size:16px}', // below 16px iOS zooms the page on focus
    '}',
    '@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important}}'
  ].join('');

  var ui = null;
  var nodes = {}; // message key -> element, so updates don't re-announce the whole log

  function mount() {
    var host = document.createElement('div');
    host.setAttribute('data-balie-widget', '');
    var root;
    try {
      root = host.attachShadow({ mode: 'closed' });
    } catch (e) {
      return warn('this browser has no Shadow DOM; the chat is not shown.');
    }
    var sheetDone = false;
    try {
      if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function') {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        sheetDone = true;
      }
    } catch (e) { /* older browser: fall back to <style> */ }
    if (!sheetDone) root.appendChild(h('style', { text: CSS }));

    ui = {};
    ui.badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    ui.launcher = h('button', {
      type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'balie-panel',
      onclick: function () { if (S.open) close(); else open(); }
    }, [icon('chat'), ui.badge]);

    ui.title = h('h2', { class: 'title', id: 'balie-title' });
    ui.dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
    ui.subText = h('span');
    ui.close = h('button', { type: 'button', class: 'close', 'aria-label': t('close'), title: t('close'), onclick: close }, [icon('close')]);
    ui.conn = h('div', { class: 'conn', role: 'status', hidden: true });
    ui.notice = h('div', { class: 'notice', hidden: true });
    ui.greeting = h('div', { class: 'msg out' }, [h('div', { class: 'bubble' })]);
    ui.log = h('div', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'balie-title' });
    ui.prechat = buildPrechat();
    ui.scroll = h('div', { class: 'scroll', onscroll: function () { if (!scrollQueued) { scrollQueued = true; requestAnimationFrame(function () { scrollQueued = false; markRead(); }); } } },
      [ui.notice, ui.greeting, ui.prechat, ui.log]);
    ui.typing = h('div', { class: 'typing', 'aria-live': 'polite', hidden: true });
    ui.error = h('div', { class: 'error', role: 'alert', hidden: true });
    ui.input = h('textarea', {
      id: 'balie-input', rows: '1', placeholder: t('placeholder'), autocomplete: 'off',
      oninput: function () { autosize(); saveDraftSoon(); userTyped(); },
      onkeydown: function (e) {
        // Enter sends, Shift+Enter is a new line; never while an IME is composing.
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
          e.preventDefault();
          send();
        }
      },
      onblur: stopTyping
    });
    ui.file = h('input', {
      type: 'file', accept: ALLOWED.join(','), hidden: true, tabindex: '-1', 'aria-hidden': 'true',
      onchange: function () { var f = ui.file.files && ui.file.files[0]; ui.file.value = ''; pickFile(f); }
    });
    ui.attach = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('attach'), title: t('attach'), onclick: function () { ui.file.click(); } }, [icon('attach')]);
    ui.send = h('button', { type: 'submit', class: 'icon-btn send', 'aria-label': t('send'), title: t('send') }, [icon('send')]);
    ui.form = h('form', { class: 'composer', novalidate: true, onsubmit: function (e) { e.preventDefault(); send(); } }, [
      ui.attach,
      h('label', { class: 'sr', for: 'balie-input', text: t('inputLabel') }),
      ui.input, ui.send, ui.file
    ]);
    ui.panel = h('section', {
      id: 'balie-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'balie-title', tabindex: '-1', hidden: true,
      onkeydown: function (e) {
        if (e.key === 'Escape' || e.key === 'Esc') { e.preventDefault(); close(); }
      }
    }, [
      h('header', { class: 'head' }, [h('div', { class: 'head-text' }, [ui.title, h('p', { class: 'sub' }, [ui.dot, ui.subText])]), ui.close]),
      ui.conn, ui.scroll, ui.typing, ui.error, ui.form
    ]);
    ui.root = h('div', { class: 'root', lang: LANG }, [ui.panel, ui.launcher]);
    root.appendChild(ui.root);
    document.body.appendChild(host);

    var draft = store.get('draft');
    if (typeof draft === 'string') ui.input.value = draft;
    render();
    autosize();
  }
  var scrollQueued = false;

  function buildPrechat() {
    var input = h('input', { type: 'email', id: 'balie-email', autocomplete: 'email', inputmode: 'email', 'aria-describedby': 'balie-email-err' });
    var err = h('p', { class: 'field-err', id: 'balie-email-err', hidden: true });
    return h('form', {
      class: 'prechat', novalidate: true, hidden: true,
      onsubmit: function (e) {
        e.preventDefault();
        var email = input.value.trim();
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
          err.textContent = t('prechatInvalid');
          err.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          return input.focus();
        }
        store.set('email', email);
        store.set('prechat', 'done');
        S.prechatMsg = t('prechatThanks', { email: email });
        setTimeout(function () { S.prechatMsg = null; renderError(); }, 6000);
        render();
        ui.input.focus();
        // The server takes an email only when a session starts, and the conversation is
        // still empty here: start a fresh session that carries it.
        if (!S.starting && !S.fatal) {
          S.ready = false;
          S.session = null;
          startSession();
        }
      }
    }, [
      h('p', { text: t('prechatText') }),
      h('label', { for: 'balie-email', text: t('prechatLabel') }),
      input, err,
      h('div', { class: 'row' }, [
        h('button', { type: 'submit', class: 'btn', text: t('prechatSave') }),
        h('button', {
          type: 'button', class: 'btn plain', text: t('prechatSkip'),
          onclick: function () { store.set('prechat', 'skipped'); render(); ui.input.focus(); }
        })
      ])
    ]);
  }

  function open() {
    if (!ui) return;
    S.open = true;
    sessionFlag('open', true);
    render();
    if (!S.ready && !S.starting && !S.fatal) startSession();
    scrollToBottom();
    // On touch screens focus the panel rather than the text area, so the keyboard
    // doesn't cover the conversation before the customer asked for it.
    var coarse = window.matchMedia && window.matchMedia('(pointer: coarse)').matches;
    (coarse ? ui.panel : ui.input).focus();
    markRead();
  }
  function close() {
    if (!ui || !S.open) return;
    S.open = false;
    sessionFlag('open', false);
    stopTyping();
    render();
    ui.launcher.focus();
  }

  var draftTimer = null;
  function saveDraftSoon() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraft, 300);
  }
  function saveDraft() {
    clearTimeout(draftTimer);
    if (ui) store.set('draft', ui.input.value || null);
  }
  function autosize() {
    // CSSOM writes are allowed under a strict style-src (unlike style attributes).
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 132) + 'px';
  }
  function nearBottom() {
    return ui.scroll.scrollHeight - ui.scroll.scrollTop - ui.scroll.clientHeight < 80;
  }
  function scrollToBottom() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }
  function setConn(state) {
    S.conn = state;
    if (!state) { clearTimeout(rt.connTimer); rt.connTimer = null; }
    if (ui) renderConn();
  }
  function note(text) {
    S.note = text;
    clearTimeout(S.noteTimer);
    S.noteTimer = setTimeout(function () { S.note = null; renderError(); }, 8000);
    renderError();
  }

  function render() {
    if (!ui) return;
    ui.root.className = 'root' + (S.open ? ' is-open' : '');
    ui.panel.hidden = !S.open;
    ui.launcher.setAttribute('aria-expanded', S.open ? 'true' : 'false');
    var inbox = S.inbox || normInbox(null);
    ui.title.textContent = inbox.name || t('defaultTitle');
    var agent = agentName();
    ui.subText.textContent = S.fatal ? '' : agent ? t('chattingWith', { name: agent }) : !S.inbox ? t('connecting') : inbox.online ? t('online') : t('offline');
    ui.dot.className = 'dot' + (S.inbox && inbox.online ? '' : ' off');
    ui.dot.hidden = !!S.fatal;
    ui.greeting.firstChild.textContent = inbox.greeting || t('defaultGreeting');
    ui.greeting.hidden = !S.inbox;
    ui.notice.hidden = !(S.inbox && !inbox.online);
    ui.notice.textContent = '';
    if (!ui.notice.hidden) {
      var next = inbox.nextOpen && inbox.nextOpen.getTime() > Date.now() ? t('nextOpen', { when: fmtWhen(inbox.nextOpen) }) : t('nextOpenUnknown');
      ui.notice.appendChild(h('p', { text: inbox.offlineMessage || t('offlineDefault') }));
      ui.notice.appendChild(h('p', { text: next }));
    }
    renderPrechat();
    renderConn();
    renderTyping();
    renderError();
    renderMessages();
    renderBadge();
  }
  function renderPrechat() {
    var empty = S.outbox.length === 0 && S.uploads.length === 0 && maxMessageId() === 0;
    ui.prechat.hidden = !(S.inbox && !customer && empty && !store.get('prechat'));
  }
  function renderConn() {
    var text = S.fatal ? '' : S.conn === 'reconnecting' ? t('reconnecting') : S.conn === 'connecting' && S.open ? t('connecting') : '';
    ui.conn.textContent = text;
    ui.conn.hidden = !text;
  }
  function renderTyping() {
    ui.typing.hidden = !S.typingShown;
    ui.typing.textContent = '';
    if (S.typingShown) {
      ui.typing.appendChild(h('span', { 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]));
      ui.typing.appendChild(document.createTextNode(S.typingName ? t('typing', { name: S.typingName }) : t('typingAnon')));
    }
  }
  function renderError() {
    var text = S.fatal ? t(S.fatal) : S.note || S.prechatMsg || '';
    ui.error.textContent = text;
    ui.error.hidden = !text;
    ui.error.className = 'error';
    if (!S.fatal && !S.note && S.prechatMsg) ui.error.className = 'conn'; // a thank-you is not an error
  }
  function renderBadge() {
    var unread = 0;
    for (var id in S.msgs) {
      var m = S.msgs[id];
      if (m.dir === 'out' && m.author !== 'system' && m.id > S.seen) unread++;
    }
    if (S.open) unread = 0;
    ui.badge.textContent = unread > 9 ? '9+' : String(unread);
    ui.badge.hidden = unread === 0;
    ui.launcher.setAttribute('aria-label', S.open ? t('close') : unread === 1 ? t('openChatUnread', { n: 1 }) : unread ? t('openChatUnreadN', { n: unread }) : t('openChat'));
  }

  // The list to show: stored messages by id, then what is still on its way.
  function items() {
    var list = Object.keys(S.msgs).map(function (id) { return S.msgs[id]; }).sort(function (a, b) { return a.id - b.id; })
      .map(function (m) {
        return { key: 'm' + m.id, dir: m.dir, author: m.author, name: m.name, text: m.text, at: m.at, status: m.status, attachments: m.attachments };
      });
    var pending = S.outbox.map(function (o) {
      return { key: 'p' + o.client_id, dir: 'in', author: 'contact', text: o.text, at: parseDate(o.at), pending: o.hold || o.failed || S.fatal || (S.stalled && !S.flushing) ? 'failed' : 'sending', source: o };
    }).concat(S.uploads.map(function (u) {
      return { key: 'u' + u.client_id, dir: 'in', author: 'contact', text: u.name, at: parseDate(u.at), pending: u.failed ? 'failed' : 'uploading', source: u };
    }));
    pending.sort(function (a, b) { return (a.at ? a.at.getTime() : 0) - (b.at ? b.at.getTime() : 0); });
    return list.concat(pending);
  }
  function renderMessages(forceScroll) {
    if (!ui) return;
    var stick = forceScroll || nearBottom();
    var keep = {};
    var prev = null;
    items().forEach(function (it) {
      keep[it.key] = true;
      var sig = JSON.stringify([it.dir, it.author, it.name, it.text, it.at && it.at.getTime(), it.attachments]);
      var el = nodes[it.key];
      if (!el || el.balieSig !== sig) {
        var fresh = buildMessage(it);
        fresh.balieSig = sig;
        if (el) ui.log.replaceChild(fresh, el);
        el = nodes[it.key] = fresh;
      }
      var st = it.pending || it.status;
      if (el.balieStatus !== st) {
        el.balieStatus = st;
        fillStatus(el.balieStatusEl, it);
      }
      var want = prev ? prev.nextSibling : ui.log.firstChild;
      if (want !== el) ui.log.insertBefore(el, want);
      prev = el;
    });
    Object.keys(nodes).forEach(function (k) {
      if (!keep[k]) {
        if (nodes[k].parentNode) nodes[k].parentNode.removeChild(nodes[k]);
        delete nodes[k];
      }
    });
    if (stick) scrollToBottom();
    renderPrechat();
    renderBadge();
    var agent = agentName();
    if (agent && ui.subText.textContent !== t('chattingWith', { name: agent })) render();
    markRead();
  }
  function buildMessage(it) {
    var system = it.author === 'system';
    var el = h('div', { class: 'msg ' + (system ? 'system' : it.dir) + (it.pending ? ' pending' : '') });
    if (it.dir === 'out' && !system) el.appendChild(h('div', { class: 'who', text: it.name || t(it.author === 'bot' ? 'bot' : 'agent') }));
    if (it.dir === 'in') el.appendChild(h('span', { class: 'sr', text: t('you') + ': ' }));
    var bubble = h('div', { class: 'bubble' });
    var atts = it.attachments || [];
    // A file sent alone may carry its name as text: don't show the name twice.
    var textIsName = atts.length === 1 && it.text === atts[0].name;
    if (it.text && !textIsName) richText(bubble, it.text);
    atts.forEach(function (a) {
      var isImage = /^image\/(png|jpeg|gif|webp)$/.test(a.type);
      var url = withSession(a.url);
      var link = h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'file' });
      if (isImage) {
        var img = h('img', { src: url, alt: a.name, loading: 'lazy' });
        img.addEventListener('load', function () { if (nearBottom()) scrollToBottom(); });
        link.appendChild(img);
      } else {
        link.textContent = '📄 ' + a.name + (a.size ? ' (' + fmtSize(a.size) + ')' : '');
      }
      bubble.appendChild(link);
    });
    el.appendChild(bubble);
    var meta = h('div', { class: 'meta' });
    if (it.at && !it.pending) meta.appendChild(h('time', { datetime: it.at.toISOString(), text: fmtStamp(it.at) }));
    var status = h('span');
    meta.appendChild(status);
    el.appendChild(meta);
    el.balieStatusEl = status;
    return el;
  }
  // The part of a message that changes in place: ticks, "sending…", or the retry link.
  function fillStatus(span, it) {
    span.textContent = '';
    span.className = '';
    if (it.pending === 'failed') {
      span.appendChild(h('button', { type: 'button', class: 'retry', text: t('failed'), onclick: function () { retry(it.source); } }));
    } else if (it.pending) {
      span.textContent = t(it.pending === 'uploading' ? 'uploading' : 'sending');
    } else if (it.dir === 'in') {
      var s = ['queued', 'sent', 'delivered', 'read', 'failed'].indexOf(it.status) >= 0 ? it.status : 'sent';
      var marks = { queued: '✓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' }[s];
      span.appendChild(h('span', { class: 'ticks ' + s, 'aria-hidden': 'true', title: t('st_' + s), text: marks }));
      span.appendChild(h('span', { class: 'sr', text: t('st_' + s) }));
    }
  }

  // ---------------------------------------------------------------- start
  function boot() {
    mount();
    if (!ui) return;
    window.addEventListener('online', safely(function () { rt.attempt = 0; reconnectNow(); }));
    document.addEventListener('visibilitychange', safely(function () {
      if (document.hidden) return stopTyping();
      reconnectNow();
      markRead();
    }));
    window.addEventListener('pagehide', safely(saveDraft));
    // A returning visitor (or one with unsent messages) gets their chat back straight
    // away, with an unread badge for replies; a new visitor costs the server nothing
    // until they open the chat.
    if (sessionFlag('open')) open();
    else if (S.session || S.outbox.length) startSession();
  }

  window.BalieWidget = Object.freeze({
    open: safely(open),
    close: safely(close),
    version: '1'
  });

  if (document.body) boot();
  else document.addEventListener('DOMContentLoaded', safely(boot));
})();
