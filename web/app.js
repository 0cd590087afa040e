/*
 * parley web client: the connection and the page.
 *
 * One WebSocket to /ws speaking the JSON protocol of docs/protocol.md: connect, the
 * heartbeat, reconnecting with backoff, resume after a reconnect, and the dispatch of
 * every incoming frame to its handler. This file also owns the page's shared `state`, the
 * people online, the login screen and the start of everything.
 *
 * The client is split in parts that share this file's scope through one object, `app`
 * (built here, below `state`): list.js, the per-channel message lists (views, rows, the
 * bounded DOM window, jumps and paging, scrolling), and composer.js, sending and the
 * pending messages, the composer and the typing line. init() calls
 * window.parleyList(app), then window.parleyComposer(app); each returns its functions,
 * which this file calls as `lists.*` and `composer.*` and which are also on `app` for the
 * parts to reach each other. They read and write `state` directly: they are this client
 * cut in pieces for size, not plug-ins.
 *
 * The channel sidebar, header, dialogs and toasts live in channels.js, which gets a
 * smaller `core` object from here (see makeCore) and hands back the handlers of channel
 * frames. Threads, reactions, edits, deletes and mentions live in messages.js the same
 * way: it takes thread replies and events out of the list (mx.claim), keeps their effect
 * in data and draws it onto every row list.js's renderMessage makes (mx.decorateRow).
 * Search (search.js) gets a `core` too and opens results through core.jumpTo.
 *
 * Text from the network is only ever put in the page through textContent (or as a link's
 * href after checking its scheme): never as HTML.
 */
(function () {
  "use strict";

  const GENERAL = "general";         // exists from the start; every user is in it for good
  const MAX_TEXT = 4000;             // --max-text default; the server counts characters
  const TYPING_SHOW_MS = 3000;
  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const BACKOFF_JITTER = 0.3;
  const RESTART_DELAY_MS = 300;      // close 1001: the server is restarting, come back fast
  const PAGE_SIZE = 50;
  const KEY_NAME = "parley.name";
  const KEY_SESSION = "parley.session";
  const KEY_CHANNEL = "parley.channel";

  // Hues picked by hand to read well as white-on-colour avatars and as name colours.
  const HUES = [4, 22, 36, 140, 162, 184, 200, 214, 232, 256, 276, 300, 322, 342];

  const ERROR_TEXT = {
    name_taken: "That name is already in use. Pick another one.",
    bad_name: "Names are 1-32 characters, without control characters or surrounding spaces.",
    rate_limited: "You're sending messages too fast. Wait a moment and retry.",
    too_large: "That is too long for the server.",
    bad_payload: "The server rejected that request as malformed.",
    bad_type: "This server does not know that request (it may be older than this page).",
    not_joined: "Not joined yet. Reconnecting should fix this.",
    no_such_channel: "That channel does not exist.",
    forbidden: "You are not allowed to do that here.",
    bad_channel: "Channel names are 1-80 lowercase letters, digits, hyphens or underscores.",
    channel_exists: "A channel with that name already exists.",
    auth_failed: "Sign-in failed.",
    internal: "The server had a problem; nothing was changed. Try again.",
  };

  const ui = {};
  const state = {
    user: "",
    session: "",
    ws: null,
    joined: false,          // the current socket got its welcome
    everJoined: false,      // a welcome arrived since login: failures now mean "reconnect"
    signingIn: false,
    attempt: 0,
    reconnectTimer: 0,
    countdownTimer: 0,
    reconnectAt: 0,
    pingTimer: 0,
    pongTimer: 0,
    nextId: 1,
    views: new Map(),       // channel name -> view (see makeView in list.js)
    view: null,             // the view shown
    pending: new Map(),     // request id -> { id, view, text, ts, afterSeq, status, el }
    online: new Set(),      // presence in #general, where everyone is: the workspace's
    lastTypingSent: 0,
    typingNews: false,      // a message went out: the next typing should not wait long
    pinned: true,           // the reader is at the bottom of the shown list
    unseenBelow: 0,
    unreadHidden: 0,
    noticeTimer: 0,
  };
  let lists = null;             // list.js, once init ran
  let composer = null;          // composer.js, once init ran
  let chans = null;             // channels.js, once init ran
  let search = null;            // search.js, once init ran (absent: no search box)
  let mx = null;                // messages.js (threads, reactions, edits), once init ran

  // What list.js and composer.js share with this file. The module handles are filled in by
  // init(), so the parts look them up when called, not when built.
  const app = {
    GENERAL, MAX_TEXT, PAGE_SIZE, KEY_CHANNEL, state, ui,
    el, store, charCount, hueOf, avatar, hhmm, dayKey, dayLabel, minSeq, maxSeq, lowerBound,
    send, newId, updateTitle,
    lists: null, composer: null, chans: null, search: null, mx: null,
  };

  /* ---------- small helpers ---------- */

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A 20x20 line icon from its path data (each module keeps its own set of paths).
  function icon(paths) {
    const ns = "http://www.w3.org/2000/svg";
    const s = document.createElementNS(ns, "svg");
    s.setAttribute("viewBox", "0 0 20 20");
    s.setAttribute("width", "18");
    s.setAttribute("height", "18");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("class", "icon");
    for (const d of paths) {
      const p = document.createElementNS(ns, "path");
      p.setAttribute("d", d);
      s.append(p);
    }
    return s;
  }

  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* private mode: just forget */ }
  }

  function load(key) {
    try { return localStorage.getItem(key) || ""; } catch (e) { return ""; }
  }

  function charCount(s) {
    return Array.from(s).length; // code points, as the server counts them
  }

  function hueOf(name) {
    let h = 2166136261; // FNV-1a: cheap, stable across sessions and browsers
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 16777619);
    }
    return HUES[(h >>> 0) % HUES.length];
  }

  function initials(name) {
    const words = name.split(/[\s._-]+/).filter(Boolean);
    const first = (w) => (Array.from(w)[0] || "").toUpperCase();
    if (words.length === 0) return "?";
    if (words.length === 1) return first(words[0]);
    return first(words[0]) + first(words[1]);
  }

  function avatar(name, cls) {
    const a = el("span", "avatar" + (cls ? " " + cls : ""), initials(name));
    a.style.setProperty("--h", hueOf(name));
    a.setAttribute("aria-hidden", "true");
    return a;
  }

  function pad2(n) { return String(n).padStart(2, "0"); }

  function hhmm(ts) {
    const d = new Date(ts);
    return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  }

  function dayKey(ts) {
    const d = new Date(ts);
    return d.getFullYear() * 10000 + d.getMonth() * 100 + d.getDate();
  }

  function dayLabel(ts) {
    const now = Date.now();
    if (dayKey(ts) === dayKey(now)) return "Today";
    if (dayKey(ts) === dayKey(now - 864e5)) return "Yesterday";
    const opts = { weekday: "long", month: "long", day: "numeric" };
    if (new Date(ts).getFullYear() !== new Date(now).getFullYear()) opts.year = "numeric";
    return new Date(ts).toLocaleDateString(undefined, opts);
  }

  // The range of seqs the view's pages covered. Thread replies and events (edits, deletes,
  // reactions) take seqs too but are not in `seqs`: messages.js keeps their range in
  // extraLow / extraHigh, so paging, resume and read markers go past them.
  function minSeq(v) {
    const s = v.seqs.length ? v.seqs[0] : null;
    return v.extraLow != null && (s === null || v.extraLow < s) ? v.extraLow : s;
  }
  function maxSeq(v) { return Math.max(v.seqs.length ? v.seqs[v.seqs.length - 1] : 0, v.extraHigh || 0); }

  function lowerBound(arr, x) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /* ---------- connection ---------- */

  function send(obj) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  function newId(prefix) { return prefix + state.nextId++; }

  function connect() {
    clearReconnect();
    setStatus("connecting", "connecting…");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(scheme + "//" + location.host + "/ws", "parley.v1");
    } catch (e) {
      socketGone(0);
      return;
    }
    state.ws = ws;
    ws.onopen = () => {
      const payload = { user: state.user, channel: GENERAL };
      // The token lets a second tab (or this one, reconnecting) reclaim our own name.
      if (state.session && load(KEY_NAME) === state.user) payload.session = state.session;
      send({ type: "join", payload });
    };
    ws.onmessage = (ev) => onFrame(ev.data);
    ws.onclose = (ev) => { if (state.ws === ws) socketGone(ev.code); };
  }

  // Forget the socket without waiting for its close event: a dead link may take minutes
  // to report it, and a refused login should not look like a dropped connection.
  function dropSocket() {
    const ws = state.ws;
    state.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(1000); } catch (e) { /* already closing */ }
  }

  function socketGone(code) {
    state.ws = null;
    state.joined = false;
    for (const v of state.views.values()) {
      v.olderReq = v.reloadReq = v.firstReq = null;
      v.awaitHistory = false;
      lists.windowLost(v);
    }
    stopHeartbeat();
    composer.clearTypers();
    if (chans) chans.connectionLost();
    for (const p of state.pending.values()) {
      if (p.status === "sending") p.status = "unconfirmed";
    }
    if (!state.everJoined) {
      loginFailed("Can't reach the server. Check the address and try again.");
      return;
    }
    composer.setComposerEnabled(false);
    lists.renderHistoryTop();
    scheduleReconnect(code === 1001);
  }

  function scheduleReconnect(restarting) {
    clearReconnect();
    if (navigator.onLine === false) {
      setStatus("offline", "offline");
      return; // the "online" event reconnects
    }
    let delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, state.attempt));
    if (restarting && state.attempt === 0) delay = RESTART_DELAY_MS;
    delay *= 1 + (Math.random() * 2 - 1) * BACKOFF_JITTER;
    state.attempt++;
    state.reconnectAt = Date.now() + delay;
    state.reconnectTimer = setTimeout(connect, delay);
    const tick = () => {
      const s = Math.max(1, Math.ceil((state.reconnectAt - Date.now()) / 1000));
      setStatus("reconnecting", "reconnecting in " + s + " s");
    };
    tick();
    state.countdownTimer = setInterval(tick, 250);
  }

  function clearReconnect() {
    clearTimeout(state.reconnectTimer);
    clearInterval(state.countdownTimer);
    state.reconnectTimer = state.countdownTimer = 0;
  }

  function reconnectNow() {
    if (state.everJoined && !state.ws) { state.attempt = 0; connect(); }
  }

  // Application pings catch links that died without a close (sleeping laptops, NAT
  // timeouts); the browser exposes no WebSocket-level ping.
  function startHeartbeat() {
    stopHeartbeat();
    state.pingTimer = setInterval(() => {
      if (!send({ type: "ping" })) return;
      if (!state.pongTimer) {
        state.pongTimer = setTimeout(() => { dropSocket(); socketGone(0); }, PONG_TIMEOUT_MS);
      }
    }, PING_EVERY_MS);
  }

  function stopHeartbeat() {
    clearInterval(state.pingTimer);
    clearTimeout(state.pongTimer);
    state.pingTimer = state.pongTimer = 0;
  }

  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.status.textContent = text;
  }

  /* ---------- incoming frames ---------- */

  const handlers = {
    welcome: onWelcome,
    history: onHistory,
    msg: onMsg,
    ack: onAck,
    join: onPresence,
    leave: onPresence,
    typing: onTyping,
    resumed: onResumed,
    pong: () => {},
    error: onError,
  };

  function onFrame(data) {
    let m;
    try { m = JSON.parse(data); } catch (e) { return; }
    if (!m || typeof m !== "object" || typeof m.type !== "string") return;
    // Any frame proves the link is alive, even a pong stuck behind a burst of messages.
    clearTimeout(state.pongTimer);
    state.pongTimer = 0;
    const h = handlers[m.type];
    if (h) h(m.payload && typeof m.payload === "object" ? m.payload : {}, m);
  }

  function onWelcome(p) {
    let reconnecting = state.everJoined;
    for (const v of state.views.values()) if (v.seqs.length) reconnecting = true;
    state.joined = true;
    state.everJoined = true;
    state.signingIn = false;
    state.attempt = 0;
    state.user = typeof p.user === "string" ? p.user : state.user;
    if (typeof p.session === "string") state.session = p.session;
    store(KEY_NAME, state.user);
    store(KEY_SESSION, state.session);
    state.online = new Set(Array.isArray(p.online) ? p.online : []);
    state.online.add(state.user);
    lists.ensureView(GENERAL).awaitHistory = true; // the join's own history page follows
    // The membership list is the server's word: channels left from another tab while we
    // were away disappear here, channels joined meanwhile appear.
    chans.applyWelcome(Array.isArray(p.channels) ? p.channels : []);
    if (mx) mx.welcome();
    // Unread mention counts ride on each channel of the welcome.
    if (mx && Array.isArray(p.channels)) {
      const counts = {};
      for (const c of p.channels) {
        if (c && typeof c.name === "string" && Number.isInteger(c.mentions) && c.mentions > 0) counts[c.name] = c.mentions;
      }
      mx.handlers.mentions({ channels: counts });
    }
    renderOnline();
    showApp();
    setStatus("connected", "connected");
    composer.setComposerEnabled(true);
    startHeartbeat();
    const last = load(KEY_CHANNEL);
    if (!reconnecting && last && state.views.has(last)) lists.showChannel(last);
    else lists.showChannel(state.view && state.views.has(state.view.name) ? state.view.name : GENERAL);
    // The welcome's history is only the newest page; resume fills whatever we missed
    // between our last seq and it (duplicates are dropped by seq).
    if (reconnecting) lists.sendResume();
  }

  function onHistory(p, m) {
    const v = lists.viewOf(p.channel);
    if (!v) return;
    const list = Array.isArray(p.messages) ? p.messages : [];
    if (lists.windowPage(v, p, m, list)) return;
    const has = (id) => m.id !== undefined && m.id === id;
    const isOlder = has(v.olderReq), isReload = has(v.reloadReq), isFirst = has(v.firstReq);
    const prevMin = minSeq(v);
    const firstFill = prevMin === null;
    lists.inView(v, () => list.forEach((raw) => lists.addMessage(v, raw)), firstFill || isReload || isFirst);
    const newMin = minSeq(v);
    // `more` speaks about what lies before this page; it only matters to us when this
    // page reached further back than what we held.
    if (newMin === null || prevMin === null || newMin < prevMin || (isOlder && !list.length)) {
      v.hasOlder = !!p.more;
    }
    if (newMin === 1) v.hasOlder = false;
    if (isOlder) v.olderReq = null;
    if (isReload) v.reloadReq = null;
    if (isFirst) v.firstReq = null;
    if (!isOlder) { v.synced = true; v.awaitHistory = false; }
    if (v === state.view) {
      lists.renderHistoryTop();
      lists.fillViewport();
      chans.viewed(v);
    }
  }

  function onMsg(p) {
    const v = lists.viewOf(p.channel);
    if (!v) return;
    composer.stopTyping(v, p.user);
    if (mx) mx.live(v, p); // mentions and notifications, before it counts as seen
    let added = false;
    lists.inView(v, () => { added = lists.addMessage(v, p); }, false);
    if (added) chans.arrived(v);
    if (!added || p.user === state.user) return;
    if (v !== state.view) {
      v.unread++;
      chans.renderList();
    } else if (!lists.isNearBottom()) {
      state.unseenBelow++;
      ui.newPill.hidden = false;
      ui.newPill.textContent = state.unseenBelow === 1 ? "1 new message" : state.unseenBelow + " new messages";
    }
    if (document.hidden) {
      state.unreadHidden++;
      updateTitle();
    }
  }

  function onAck(p, m) {
    const pend = state.pending.get(String(m.id));
    if (!pend) { if (mx) mx.onAck(p, m); return; }
    state.pending.delete(pend.id);
    lists.removeMessageEl(pend.el);
    // The ack tells us everything the msg echo will: show it confirmed right away.
    const v = pend.view;
    lists.inView(v, () => {
      lists.addMessage(v, { seq: p.seq, user: state.user, text: pend.text, ts: p.ts });
    }, false);
    chans.arrived(v);
  }

  // `online` mirrors #general, where everyone is. In other channels join/leave may be a
  // membership change or presence; channels.js keeps their member counts right.
  function onPresence(p, m) {
    if (typeof p.user !== "string") return;
    const v = lists.viewOf(p.channel);
    if (v && v.name === GENERAL) {
      if (m.type === "join") state.online.add(p.user);
      else if (p.user !== state.user) state.online.delete(p.user);
      renderOnline();
    }
    if (m.type === "leave") {
      if (v && v.name === GENERAL) for (const w of state.views.values()) composer.stopTyping(w, p.user);
      else if (v) composer.stopTyping(v, p.user);
    }
    chans.onPresence(p, m);
  }

  function onTyping(p) {
    const v = lists.viewOf(p.channel);
    if (!v || typeof p.user !== "string" || p.user === state.user) return;
    clearTimeout(v.typers.get(p.user));
    v.typers.set(p.user, setTimeout(() => composer.stopTyping(v, p.user), TYPING_SHOW_MS));
    if (v === state.view) composer.renderTyping();
  }

  // One `resumed` reports every channel. A channel the server could not replay whole
  // (gap too long, or its data is not what we saw) starts over from its newest page.
  function onResumed(p) {
    const report = p.channels && typeof p.channels === "object" ? p.channels : {};
    for (const name of Object.keys(report)) {
      const v = state.views.get(name);
      if (!v || !report[name] || report[name].recovered !== false) continue;
      lists.clearMessages(v);
      v.reloadReq = newId("h");
      send({ type: "history", id: v.reloadReq, payload: { channel: name, limit: PAGE_SIZE } });
      if (v === state.view) lists.renderHistoryTop();
    }
    composer.reconcileUnconfirmed();
  }

  function onError(_p, m) {
    const code = typeof m.code === "string" ? m.code : "error";
    const pend = m.id !== undefined ? state.pending.get(String(m.id)) : null;
    const text = pend && code === "too_large" ? "That message is too long (" + MAX_TEXT + " characters at most)."
      : ERROR_TEXT[code] || (typeof m.message === "string" && m.message) || "Something went wrong.";
    if (!state.joined && ["name_taken", "bad_name", "auth_failed"].includes(code)) {
      dropSocket();
      loginFailed(text);
      return;
    }
    const id = m.id;
    if (pend) {
      composer.markFailed(pend, code === "rate_limited" ? "Not sent: too fast" : code === "too_large" ? "Not sent: too long" : "Not sent");
    } else if (id !== undefined) {
      for (const v of state.views.values()) {
        lists.windowFailed(v, id);
        if (id !== v.olderReq && id !== v.reloadReq && id !== v.firstReq) continue;
        v.olderReq = v.reloadReq = v.firstReq = null;
        if (v === state.view) lists.renderHistoryTop();
      }
    }
    // Requests made from a dialog show their error in it, where the reader is looking.
    if (search && search.onError(code, text, m)) return;
    if (mx && mx.onError(code, text, m)) return;
    if (chans.onError(code, text, m)) return;
    chans.toast(text + " (" + code + ")", "error");
  }

  /* ---------- people ---------- */

  function renderOnline() {
    const names = Array.from(state.online).sort((a, b) =>
      (a === state.user ? -1 : b === state.user ? 1 : a.localeCompare(b)));
    ui.onlineList.textContent = "";
    const dm = chans.canMessage();
    for (const name of names) {
      const li = el("li");
      // Another person is a button when the server has direct messages: click to talk.
      const row = el(dm && name !== state.user ? "button" : "div", "person");
      const face = avatar(name, "avatar-sm");
      face.append(el("span", "presence"));
      const label = el("span", "person-name", name);
      label.dataset.testid = "online-user";
      row.append(face, label);
      if (name === state.user) row.append(el("span", "you", "you"));
      if (row.tagName === "BUTTON") {
        row.type = "button";
        row.title = "Message " + name;
        row.addEventListener("click", () => chans.openDm(name));
      }
      li.append(row);
      ui.onlineList.append(li);
    }
    ui.onlineCount.textContent = String(names.length);
  }

  /* ---------- screens ---------- */

  function showApp() {
    ui.login.hidden = true;
    ui.app.hidden = false;
    ui.meName.textContent = state.user;
    ui.meAvatar.textContent = initials(state.user);
    ui.meAvatar.style.setProperty("--h", hueOf(state.user));
    updateTitle();
    if (!ui.composer.value) ui.composer.focus();
  }

  function showLogin(error) {
    ui.app.hidden = true;
    ui.login.hidden = false;
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = "Join #general";
    ui.loginError.hidden = !error;
    ui.loginError.textContent = error || "";
    ui.loginName.setAttribute("aria-invalid", error ? "true" : "false");
    ui.loginName.focus();
    ui.loginName.select();
    document.title = "parley";
  }

  function loginFailed(text) {
    state.signingIn = false;
    state.everJoined = false;
    state.joined = false;
    clearReconnect();
    stopHeartbeat();
    showLogin(text);
  }

  // Mirrors the server's name rule so the common mistakes are caught without a round trip.
  function nameProblem(name) {
    const n = charCount(name);
    if (n === 0) return "Enter a name to join.";
    if (n > 32) return "Names can be at most 32 characters.";
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "Names can't contain control characters.";
    return "";
  }

  function onLoginSubmit(ev) {
    ev.preventDefault();
    if (state.signingIn) return;
    const name = ui.loginName.value.trim(); // the server refuses surrounding spaces anyway
    const problem = nameProblem(name);
    if (problem) { showLogin(problem); return; }
    if (name !== state.user) lists.resetViews(); // another person's view starts fresh
    state.user = name;
    state.signingIn = true;
    ui.loginError.hidden = true;
    ui.loginSubmit.disabled = true;
    ui.loginSubmit.textContent = "Joining…";
    dropSocket();
    connect();
  }

  function signOut() {
    state.everJoined = false;
    dropSocket();
    clearReconnect();
    stopHeartbeat();
    composer.clearTypers();
    state.joined = false;
    chans.signedOut();
    if (search) search.close(); // the next person's searches are their own
    lists.resetViews();
    showLogin("");
  }

  function updateTitle() {
    const name = state.view ? chans.title(state.view) : "#" + GENERAL;
    document.title = (state.unreadHidden ? "(" + state.unreadHidden + ") " : "") + name + " · parley";
  }

  function toggleSidebar(open) {
    ui.app.classList.toggle("sidebar-open", open);
    ui.backdrop.hidden = !open;
    ui.menuBtn.setAttribute("aria-expanded", String(open));
  }

  /* ---------- start ---------- */

  // What channels.js may use. It reads views but changes message lists only through
  // these calls, so the invariants of list.js stay there.
  function makeCore() {
    return {
      GENERAL, el, icon, send, newId, charCount, avatar, maxSeq,
      ensureView: lists.ensureView,
      dropView: lists.dropView,
      views: state.views,
      show: lists.showChannel,
      current: () => state.view,
      user: () => state.user,
      joined: () => state.joined,
      online: () => state.online,
      closeSidebar: () => toggleSidebar(false),
      title: (v) => chans.title(v),
      jumpTo: lists.jumpTo,
      historyChanged: (v) => { if (v === state.view) lists.renderHistoryTop(); },
      // for messages.js
      hhmm, dayLabel,
      renderMessage: lists.renderMessage,
      appendLinkified: lists.appendLinkified,
      change: (v, fn) => lists.inView(v, fn, false),
      viewed: (v) => chans.viewed(v),
      renderList: () => chans.renderList(),
      toast: (text, kind) => chans.toast(text, kind),
    };
  }

  function bind() {
    const ids = {
      login: "login", loginForm: "login-form", loginName: "login-name", loginSubmit: "login-submit",
      loginError: "login-error", app: "app", status: "connection-status", scroller: "scroller",
      historyTop: "history-top", newPill: "new-pill", composer: "composer",
      composerForm: "composer-form", composerLabel: "composer-label", counter: "composer-counter",
      sendBtn: "send-btn", notice: "composer-notice", typing: "typing", onlineList: "online-list",
      onlineCount: "online-count", meName: "me-name",
      meAvatar: "me-avatar", signout: "signout", menuBtn: "menu-btn", backdrop: "backdrop",
      jumpLatest: "jump-latest",
    };
    for (const k in ids) ui[k] = document.getElementById(ids[k]);
  }

  function init() {
    bind();
    lists = app.lists = window.parleyList(app);
    composer = app.composer = window.parleyComposer(app);
    chans = app.chans = window.parleyChannels(makeCore());
    Object.assign(handlers, chans.handlers);
    search = app.search = window.parleySearch ? window.parleySearch(makeCore()) : null;
    if (search) Object.assign(handlers, search.handlers);
    mx = app.mx = window.parleyMessages ? window.parleyMessages(makeCore()) : null;
    if (mx) Object.assign(handlers, mx.handlers);
    state.user = load(KEY_NAME);
    state.session = load(KEY_SESSION);
    ui.loginName.value = state.user;
    ui.loginForm.addEventListener("submit", onLoginSubmit);
    ui.loginName.addEventListener("input", () => { ui.loginError.hidden = true; });
    ui.composerForm.addEventListener("submit", (ev) => { ev.preventDefault(); composer.sendComposer(); });
    ui.composer.addEventListener("input", composer.onComposerInput);
    ui.composer.addEventListener("keydown", composer.onComposerKey);
    ui.scroller.addEventListener("scroll", lists.onScroll, { passive: true });
    if (window.ResizeObserver) new ResizeObserver(lists.onPaneResize).observe(ui.scroller);
    ui.newPill.addEventListener("click", () => lists.goToPresent(state.view));
    ui.jumpLatest.addEventListener("click", () => lists.goToPresent(state.view));
    ui.signout.addEventListener("click", signOut);
    ui.menuBtn.addEventListener("click", () => toggleSidebar(!ui.app.classList.contains("sidebar-open")));
    ui.backdrop.addEventListener("click", () => toggleSidebar(false));
    ui.status.addEventListener("click", reconnectNow);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") toggleSidebar(false); });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      state.unreadHidden = 0;
      if (!ui.app.hidden) updateTitle();
      if (state.view) chans.viewed(state.view); // read now that someone is looking
      reconnectNow(); // a phone waking up should not sit out the rest of a long backoff
    });
    window.addEventListener("online", reconnectNow);
    window.addEventListener("offline", () => { if (state.reconnectTimer) scheduleReconnect(false); });
    lists.resetViews();
    showLogin("");
  }

  init();
})();
