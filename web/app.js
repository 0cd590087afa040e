/*
 * parley web client.
 *
 * One WebSocket to /ws speaking the JSON protocol of docs/protocol.md. Every channel the
 * user is in has a "view": its own message list, kept as a map seq -> message plus a
 * sorted array of seqs, so history pages, live messages and resume replays can arrive in
 * any order and overlap: every message is shown once per (channel, seq), in seq order.
 * Messages we sent but the server has not acknowledged yet ("pending") live after all
 * confirmed ones of their channel, keyed by their request id.
 *
 * Only the shown channel's list is in the document; the others are detached DOM trees
 * that keep receiving messages, so switching back is instant and keeps its scroll spot.
 *
 * A list's rows are a window: one contiguous run of its seqs, at most MAX_ROWS long (see
 * "the message window"). Messages outside it keep their data, with `el` null, and come
 * back through renderMessage when scrolled to, so a 50,000-message channel costs a few
 * hundred rows of DOM. A search result can open a channel at an old message: the list then
 * holds a stretch around it, "detached" from the present, and pages forward with
 * `history` `after` until it meets the present again.
 *
 * The channel sidebar, header, dialogs and toasts live in channels.js, which gets a small
 * `core` object from here (see makeCore) and hands back the handlers of channel frames.
 * Threads, reactions, edits, deletes and mentions live in messages.js the same way: it
 * takes thread replies and events out of the list (mx.claim), keeps their effect in data
 * and draws it onto every row renderMessage makes (mx.decorateRow).
 *
 * Text from the network is only ever put in the page through textContent (or as a link's
 * href after checking its scheme): never as HTML.
 */
(function () {
  "use strict";

  const GENERAL = "general";         // exists from the start; every user is in it for good
  const MAX_TEXT = 4000;             // --max-text default; the server counts characters
  const COUNTER_FROM = 3500;         // show the counter only when it starts to matter
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_SERVER_GAP_MS = 1100; // the server relays one typing a second per connection
  const TYPING_SHOW_MS = 3000;
  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const BACKOFF_JITTER = 0.3;
  const RESTART_DELAY_MS = 300;      // close 1001: the server is restarting, come back fast
  const PAGE_SIZE = 50;
  const MAX_ROWS = 400;              // message rows in a list's DOM, at most...
  const KEEP_ROWS = 300;             // ... cut back to this many around the reader
  const HOLD_MAX = 1000;             // live messages a detached list holds for later
  const HIGHLIGHT_MS = 3000;         // a jumped-to message stays highlighted this long
  const NEAR_BOTTOM_PX = 80;
  const NEAR_TOP_PX = 300;
  const NOTICE_MS = 6000;
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
    views: new Map(),       // channel name -> view (see makeView)
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
  const elData = new WeakMap(); // message element -> the message (or pending) it shows
  let chans = null;             // channels.js, once init ran
  let search = null;            // search.js, once init ran (absent: no search box)
  let mx = null;                // messages.js (threads, reactions, edits), once init ran

  /* ---------- small helpers ---------- */

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
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

  /* ---------- channel views ---------- */

  // `info` holds what the server says about the channel (kind, topic, members, last_seq);
  // the rest is this page's own reading state. `synced` means the newest page is in (or
  // the channel was empty when we became a member), so every later message comes live.
  function makeView(name) {
    const box = el("div", "messages");
    box.setAttribute("role", "log");
    box.setAttribute("aria-live", "polite");
    box.setAttribute("aria-relevant", "additions");
    box.setAttribute("aria-label", "Messages in #" + name);
    return {
      name, box,
      info: { kind: "public", topic: "", members: null, lastSeq: null, readSeq: 0, users: [] },
      messages: new Map(),  // seq -> { seq, user, text, ts, el }
      seqs: [],             // sorted seqs of `messages`
      hasOlder: true,
      olderReq: null,       // id of the outstanding "older history" request
      reloadReq: null,      // id of the history request after a failed resume
      firstReq: null,       // id of the first-page request when first shown
      synced: false,
      awaitHistory: false,  // the server sends a page unasked (after `join`)
      typers: new Map(),    // user -> expiry timer
      unread: 0,
      draft: "",
      scrollTop: 0,
      pinned: true,
      countStale: false,    // member count may be out of date (join/leave seen elsewhere)
      readUpTo: 0,          // newest seq seen while shown, for the next read marker
      readTimer: 0,
      detached: false,      // the list is a stretch of the past: newer messages exist
      jumpReq: null,        // id of the request for the page around jumpSeq
      jumpSeq: 0,
      newerReq: null,       // id of the outstanding `after` request, and its `after`
      newerAfter: 0,
      loadedTo: 0,          // while detached: the newest seq its pages covered
      held: new Map(),      // while detached: live messages past loadedTo, seq -> payload
      heldLost: false,      // ... some had to be dropped (HOLD_MAX)
      centerSeq: 0,         // the jumped-to message, to centre again once rows follow it
    };
  }

  function viewOf(channel) {
    return state.views.get(typeof channel === "string" && channel ? channel : GENERAL) || null;
  }

  function ensureView(name) {
    let v = state.views.get(name);
    if (!v) {
      v = makeView(name);
      state.views.set(name, v);
    }
    return v;
  }

  // The user left the channel (here or in another tab): forget it, pending rows included.
  function dropView(name) {
    const v = state.views.get(name);
    if (!v || name === GENERAL) return;
    for (const p of Array.from(state.pending.values())) if (p.view === v) state.pending.delete(p.id);
    for (const t of v.typers.values()) clearTimeout(t);
    state.views.delete(name);
    if (state.view === v) showChannel(GENERAL);
    v.box.remove();
    if (mx) mx.gone(v);
  }

  // Back to one empty #general: a new person signs in, or the old one signs out.
  function resetViews() {
    for (const v of state.views.values()) {
      v.box.remove();
      for (const t of v.typers.values()) clearTimeout(t);
      if (mx) mx.gone(v);
    }
    state.views.clear();
    state.pending.clear();
    state.view = null;
    showChannel(ensureView(GENERAL).name);
  }

  // Swaps the shown list, keeping each channel's scroll spot and composer draft.
  function showChannel(name) {
    const v = state.views.get(name);
    if (!v) return;
    const old = state.view;
    if (old && old !== v) {
      old.scrollTop = ui.scroller.scrollTop;
      old.pinned = state.pinned;
      old.draft = ui.composer.value;
      old.box.remove();
    }
    state.view = v;
    v.unread = 0;
    if (v.box.parentNode !== ui.scroller) ui.scroller.append(v.box);
    if (old && old !== v) {
      ui.composer.value = v.draft;
      state.typingNews = true; // typing in another channel is news there
      composerChanged();
    }
    hidePill();
    renderHistoryTop();
    renderTyping();
    updateComposerLabel();
    updateTitle();
    if (v.pinned) scrollToBottom();
    else { ui.scroller.scrollTop = v.scrollTop; state.pinned = false; }
    if (state.joined && !v.synced && !v.awaitHistory && !v.firstReq) fetchLatest(v);
    if (state.everJoined) store(KEY_CHANNEL, name);
    if (chans) chans.shown(v);
    fillViewport();
  }

  function fetchLatest(v) {
    v.firstReq = newId("h");
    send({ type: "history", id: v.firstReq, payload: { channel: v.name, limit: PAGE_SIZE } });
    if (v === state.view) renderHistoryTop();
  }

  // Each channel with messages asks for what came after its newest; channels never
  // opened are left out: they fetch their newest page when first shown.
  function sendResume() {
    const channels = {};
    for (const v of state.views.values()) {
      if (!v.detached && (v.synced || v.seqs.length)) channels[v.name] = maxSeq(v);
    }
    if (Object.keys(channels).length) send({ type: "resume", id: newId("r"), payload: { channels } });
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
      windowLost(v);
    }
    stopHeartbeat();
    clearTypers();
    if (chans) chans.connectionLost();
    for (const p of state.pending.values()) {
      if (p.status === "sending") p.status = "unconfirmed";
    }
    if (!state.everJoined) {
      loginFailed("Can't reach the server. Check the address and try again.");
      return;
    }
    setComposerEnabled(false);
    renderHistoryTop();
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
    ensureView(GENERAL).awaitHistory = true; // the join's own history page follows
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
    setComposerEnabled(true);
    startHeartbeat();
    const last = load(KEY_CHANNEL);
    if (!reconnecting && last && state.views.has(last)) showChannel(last);
    else showChannel(state.view && state.views.has(state.view.name) ? state.view.name : GENERAL);
    // The welcome's history is only the newest page; resume fills whatever we missed
    // between our last seq and it (duplicates are dropped by seq).
    if (reconnecting) sendResume();
  }

  function onHistory(p, m) {
    const v = viewOf(p.channel);
    if (!v) return;
    const list = Array.isArray(p.messages) ? p.messages : [];
    if (windowPage(v, p, m, list)) return;
    const has = (id) => m.id !== undefined && m.id === id;
    const isOlder = has(v.olderReq), isReload = has(v.reloadReq), isFirst = has(v.firstReq);
    const prevMin = minSeq(v);
    const firstFill = prevMin === null;
    inView(v, () => list.forEach((raw) => addMessage(v, raw)), firstFill || isReload || isFirst);
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
      renderHistoryTop();
      fillViewport();
      chans.viewed(v);
    }
  }

  function onMsg(p) {
    const v = viewOf(p.channel);
    if (!v) return;
    stopTyping(v, p.user);
    if (mx) mx.live(v, p); // mentions and notifications, before it counts as seen
    let added = false;
    inView(v, () => { added = addMessage(v, p); }, false);
    if (added) chans.arrived(v);
    if (!added || p.user === state.user) return;
    if (v !== state.view) {
      v.unread++;
      chans.renderList();
    } else if (!isNearBottom()) {
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
    removeMessageEl(pend.el);
    // The ack tells us everything the msg echo will: show it confirmed right away.
    const v = pend.view;
    inView(v, () => {
      addMessage(v, { seq: p.seq, user: state.user, text: pend.text, ts: p.ts });
    }, false);
    chans.arrived(v);
  }

  // `online` mirrors #general, where everyone is. In other channels join/leave may be a
  // membership change or presence; channels.js keeps their member counts right.
  function onPresence(p, m) {
    if (typeof p.user !== "string") return;
    const v = viewOf(p.channel);
    if (v && v.name === GENERAL) {
      if (m.type === "join") state.online.add(p.user);
      else if (p.user !== state.user) state.online.delete(p.user);
      renderOnline();
    }
    if (m.type === "leave") {
      if (v && v.name === GENERAL) for (const w of state.views.values()) stopTyping(w, p.user);
      else if (v) stopTyping(v, p.user);
    }
    chans.onPresence(p, m);
  }

  function onTyping(p) {
    const v = viewOf(p.channel);
    if (!v || typeof p.user !== "string" || p.user === state.user) return;
    clearTimeout(v.typers.get(p.user));
    v.typers.set(p.user, setTimeout(() => stopTyping(v, p.user), TYPING_SHOW_MS));
    if (v === state.view) renderTyping();
  }

  // One `resumed` reports every channel. A channel the server could not replay whole
  // (gap too long, or its data is not what we saw) starts over from its newest page.
  function onResumed(p) {
    const report = p.channels && typeof p.channels === "object" ? p.channels : {};
    for (const name of Object.keys(report)) {
      const v = state.views.get(name);
      if (!v || !report[name] || report[name].recovered !== false) continue;
      clearMessages(v);
      v.reloadReq = newId("h");
      send({ type: "history", id: v.reloadReq, payload: { channel: name, limit: PAGE_SIZE } });
      if (v === state.view) renderHistoryTop();
    }
    reconcileUnconfirmed();
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
      markFailed(pend, code === "rate_limited" ? "Not sent: too fast" : code === "too_large" ? "Not sent: too long" : "Not sent");
    } else if (id !== undefined) {
      for (const v of state.views.values()) {
        windowFailed(v, id);
        if (id !== v.olderReq && id !== v.reloadReq && id !== v.firstReq) continue;
        v.olderReq = v.reloadReq = v.firstReq = null;
        if (v === state.view) renderHistoryTop();
      }
    }
    // Requests made from a dialog show their error in it, where the reader is looking.
    if (search && search.onError(code, text, m)) return;
    if (mx && mx.onError(code, text, m)) return;
    if (chans.onError(code, text, m)) return;
    chans.toast(text + " (" + code + ")", "error");
  }

  /* ---------- message list ---------- */

  // Runs a change to v's list. Only the shown list has a scroll position to keep.
  function inView(v, change, forceBottom) {
    if (v !== state.view) {
      change();
      limitRows(v, v.pinned);
      return;
    }
    const bottom = forceBottom || atPresent();
    preserveScroll(() => { change(); limitRows(v, bottom); }, forceBottom);
  }

  // Adds one message payload to v unless its seq is already there. Returns whether it was new.
  function addMessage(v, raw) {
    // A detached list takes nothing past its pages (replies and events neither): it stays
    // one contiguous stretch, and paging forward brings the rest in order.
    if (v.detached && raw && Number.isInteger(raw.seq) && raw.seq > v.loadedTo) return hold(v, raw);
    if (mx && mx.claim(v, raw)) return false; // a thread reply or an event: messages.js folds it
    if (!raw || !Number.isInteger(raw.seq) || typeof raw.text !== "string") return false;
    if (v.messages.has(raw.seq)) return false;
    const msg = {
      seq: raw.seq,
      user: typeof raw.user === "string" ? raw.user : "unknown",
      text: raw.text,
      ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(),
    };
    msg.channel = v.name;
    if (mx) mx.adopt(v, msg, raw); // mentions, the server's thread summary
    msg.el = null;
    const idx = lowerBound(v.seqs, msg.seq);
    v.seqs.splice(idx, 0, msg.seq);
    v.messages.set(msg.seq, msg);
    if (inWindow(v, idx)) placeRow(v, idx);
    return true;
  }

  function firstPendingEl(v) {
    for (const p of state.pending.values()) if (p.view === v && p.el.parentNode === v.box) return p.el;
    return null;
  }

  function renderMessage(msg, pend) {
    const row = el("div", "msg");
    row.dataset.testid = "message";
    if (msg.seq) row.dataset.seq = msg.seq;
    row.dataset.channel = pend ? pend.view.name : msg.channel || "";
    row.style.setProperty("--h", hueOf(msg.user));
    const when = new Date(msg.ts).toLocaleString();

    const gutter = el("div", "msg-gutter");
    gutter.append(avatar(msg.user), el("time", "msg-hover-time", hhmm(msg.ts)));
    gutter.lastChild.title = when;

    const body = el("div", "msg-body");
    const meta = el("div", "msg-meta");
    const time = el("time", "msg-time", hhmm(msg.ts));
    time.title = when;
    time.dateTime = new Date(msg.ts).toISOString();
    // The name stays in the DOM for grouped messages too (hidden visually by CSS), so
    // each message reads whole to screen readers and to textContent.
    meta.append(el("span", "msg-author", msg.user), document.createTextNode(" "), time);
    const text = el("div", "msg-text");
    appendLinkified(text, msg.text);
    body.append(meta, text);
    if (pend) body.append(el("div", "msg-status", "Sending…"));

    row.append(gutter, body);
    elData.set(row, pend || msg);
    if (pend) row.classList.add("is-pending");
    if (mx) mx.decorateRow(row, msg, pend); // reactions, edits, deletes, replies: from data
    return row;
  }

  // Turns http(s) URLs into links; everything else stays plain text nodes.
  function appendLinkified(parent, text) {
    const re = /\bhttps?:\/\/[^\s<>"']+/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      let url = m[0].replace(/[.,;:!?)\]]+$/, "");
      if (m.index > last) parent.append(text.slice(last, m.index));
      const a = el("a", "", url);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.append(a);
      last = m.index + url.length;
      re.lastIndex = last;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  function isMessageEl(node) { return node && node.classList.contains("msg"); }

  function prevMessageEl(row) {
    let n = row.previousElementSibling;
    while (n && !isMessageEl(n)) n = n.previousElementSibling;
    return n;
  }

  function nextMessageEl(row) {
    let n = row.nextElementSibling;
    while (n && !isMessageEl(n)) n = n.nextElementSibling;
    return n;
  }

  // Recomputes what depends on the previous message: whether this one continues its
  // author's group, and whether a day separator goes right before it. Called for every
  // inserted row and its successor, which keeps the whole list consistent.
  function decorate(row) {
    const cur = elData.get(row);
    const prevRow = prevMessageEl(row);
    const prev = prevRow ? elData.get(prevRow) : heldBefore(cur);
    const newDay = !prev || dayKey(prev.ts) !== dayKey(cur.ts);
    // abs(): a pending row carries our clock, its neighbours the server's.
    const grouped = !newDay && prev.user === cur.user && Math.abs(cur.ts - prev.ts) < GROUP_GAP_MS;
    row.classList.toggle("is-grouped", grouped);

    let sep = row.previousElementSibling;
    if (sep && !sep.classList.contains("day-sep")) sep = null;
    if (newDay) {
      if (!sep) {
        sep = el("div", "day-sep");
        sep.setAttribute("role", "separator");
        sep.append(el("span"));
        row.before(sep);
      }
      sep.firstChild.textContent = dayLabel(cur.ts);
    } else if (sep) {
      sep.remove();
    }
  }

  function removeMessageEl(row) {
    if (!row.parentNode) return;
    const next = nextMessageEl(row);
    const sep = row.previousElementSibling;
    if (sep && sep.classList.contains("day-sep")) sep.remove();
    row.remove();
    if (next) decorate(next);
  }

  function clearMessages(v) {
    for (const msg of v.messages.values()) if (msg.el) msg.el.remove();
    v.box.querySelectorAll(".day-sep").forEach((s) => s.remove());
    v.messages.clear();
    v.seqs = [];
    v.hasOlder = true;
    v.synced = false;
    resetWindow(v);
    if (mx) mx.cleared(v);
    const first = firstPendingEl(v);
    if (first) decorate(first);
    if (v === state.view) renderHistoryTop();
  }

  function renderHistoryTop() {
    const v = state.view;
    const top = ui.historyTop;
    top.textContent = "";
    renderJumpBar();
    if (!v) return;
    if (v.olderReq || v.reloadReq || v.firstReq || v.jumpReq) {
      top.append(el("div", "loading", v.firstReq || v.jumpReq ? "Loading messages…" : "Loading older messages…"));
    } else if (!v.hasOlder && edgeIndex(v, false) <= 0) { // the window starts at the start
      top.append(chans.intro(v));
    }
  }

  /* ---------- scrolling ---------- */

  function isNearBottom() {
    const s = ui.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
    state.pinned = true;
    hidePill();
  }

  // Only message rows make anchors: a day separator may be moved when a page is
  // prepended (it belongs to whichever message now starts the day).
  function firstVisibleRow() {
    const rows = state.view.box.children;
    const top = ui.scroller.getBoundingClientRect().top;
    let lo = 0, hi = rows.length - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].getBoundingClientRect().bottom > top) { found = rows[mid]; hi = mid - 1; } else lo = mid + 1;
    }
    return found && !isMessageEl(found) ? nextMessageEl(found) : found;
  }

  // Runs a DOM change and keeps the reader where they were: pinned to the bottom if they
  // were there, else the first visible row stays put (older pages insert above it). The
  // browser's own scroll anchoring is off in CSS so the two do not fight.
  function preserveScroll(change, forceBottom) {
    const atBottom = forceBottom || atPresent();
    const anchor = atBottom ? null : firstVisibleRow();
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    change();
    if (atBottom) scrollToBottom();
    else if (anchor && anchor.isConnected) ui.scroller.scrollTop += anchor.getBoundingClientRect().top - before;
  }

  function loadOlder() {
    const v = state.view;
    if (v && renderMore(v, true)) return; // rows held in memory come back first
    if (!state.joined || !v || !v.hasOlder || v.olderReq || v.reloadReq || v.firstReq) return;
    const before = minSeq(v);
    if (before === null) return;
    if (before <= 1) { v.hasOlder = false; renderHistoryTop(); return; }
    v.olderReq = newId("h");
    send({ type: "history", id: v.olderReq, payload: { channel: v.name, before, limit: PAGE_SIZE } });
    renderHistoryTop();
  }

  // A short first page leaves nothing to scroll, so no scroll event would ever ask for more.
  function fillViewport() {
    const s = ui.scroller;
    if (s.scrollHeight <= s.clientHeight + NEAR_TOP_PX) loadOlder();
  }

  function onScroll() {
    state.pinned = atPresent();
    if (ui.scroller.scrollTop < NEAR_TOP_PX) loadOlder();
    if (nearEnd()) loadNewer();
    renderJumpBar();
    if (state.pinned) hidePill();
  }

  // The pane shrinks when the composer grows or the window (or phone keyboard) resizes;
  // a reader at the bottom should stay there rather than see the last lines slide away.
  function onPaneResize() {
    if (state.pinned) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  function hidePill() {
    state.unseenBelow = 0;
    ui.newPill.hidden = true;
  }

  /* ---------- the message window ---------- */

  // A list's rows are one contiguous run of v.seqs; the messages before and after it keep
  // their data in v.messages with el = null and are drawn again through renderMessage (so
  // whatever decorates a row comes back with it) when the reader scrolls to them. The data
  // itself stays: a message is a small object, 50,000 of them a few MB, while dropping
  // them would turn every scroll back into round trips. The DOM is what makes a long list
  // slow (layout, style, memory per node), so that is what is bounded.

  function rowsOf(v) { return v.box.querySelectorAll(":scope > .msg[data-seq]"); }

  // The window's first (or last) row; pending rows come after all of them.
  function edgeRow(v, last) {
    if (!last) return v.box.querySelector(":scope > .msg[data-seq]");
    let n = v.box.lastElementChild;
    while (n && !(isMessageEl(n) && n.dataset.seq)) n = n.previousElementSibling;
    return n;
  }

  // Index in v.seqs of the window's first (or last) message, -1 when it shows none.
  function edgeIndex(v, last) {
    const row = edgeRow(v, last);
    return row ? lowerBound(v.seqs, elData.get(row).seq) : -1;
  }

  // Whether the window shows the newest message there is.
  function windowAtEnd(v) {
    return !v.detached && (!v.seqs.length || edgeIndex(v, true) === v.seqs.length - 1);
  }

  // The reader sees the newest messages: new ones should scroll into view.
  function atPresent() {
    return isNearBottom() && (!state.view || windowAtEnd(state.view));
  }

  function nearEnd() {
    const s = ui.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_TOP_PX;
  }

  // Whether the message just put at v.seqs[idx] joins the window: it is next to a shown
  // row, or the list's only message.
  function inWindow(v, idx) {
    const prev = idx > 0 ? v.messages.get(v.seqs[idx - 1]) : null;
    const next = idx + 1 < v.seqs.length ? v.messages.get(v.seqs[idx + 1]) : null;
    return (!prev && !next) || !!(prev && prev.el) || !!(next && next.el);
  }

  // Draws v.seqs[idx] at its place in the window, which must be next to it.
  function placeRow(v, idx) {
    const msg = v.messages.get(v.seqs[idx]);
    msg.el = renderMessage(msg, null);
    const after = idx + 1 < v.seqs.length ? v.messages.get(v.seqs[idx + 1]).el : null;
    const next = after || firstPendingEl(v);
    v.box.insertBefore(msg.el, next);
    decorate(msg.el);
    if (next) decorate(next);
  }

  // The message before a window's first row, held in memory: the row continues its group
  // and its day, as if the whole list were drawn.
  function heldBefore(cur) {
    const v = cur.seq && cur.channel ? state.views.get(cur.channel) : null;
    if (!v) return null;
    const i = lowerBound(v.seqs, cur.seq);
    return i > 0 && v.seqs[i] === cur.seq ? v.messages.get(v.seqs[i - 1]) || null : null;
  }

  function dropRow(row) {
    const msg = elData.get(row);
    removeMessageEl(row);
    if (msg) msg.el = null;
  }

  // Cuts a list longer than MAX_ROWS back to KEEP_ROWS: around the first row the reader
  // sees, or the newest ones when they are at the bottom. A list not shown and not at its
  // bottom keeps its top, where its saved scroll spot is.
  function limitRows(v, keepBottom) {
    if (v.box.childElementCount <= MAX_ROWS) return; // rows, day separators, pending
    const rows = rowsOf(v);
    if (rows.length <= MAX_ROWS) return;
    let from = 0;
    if (keepBottom) {
      from = rows.length - KEEP_ROWS;
    } else if (v === state.view) {
      const at = Array.prototype.indexOf.call(rows, firstVisibleRow());
      from = Math.min(Math.max(0, at - (KEEP_ROWS >> 1)), rows.length - KEEP_ROWS);
    }
    for (let i = 0; i < from; i++) dropRow(rows[i]);
    for (let i = from + KEEP_ROWS; i < rows.length; i++) dropRow(rows[i]);
    if (from > 0 && v === state.view && !v.hasOlder) renderHistoryTop(); // the intro goes
  }

  // Draws up to a page of the messages held past the window's top (or bottom) edge, the
  // reader's place kept. Returns whether there were any.
  function renderMore(v, up) {
    const edge = edgeIndex(v, !up);
    if (edge < 0) return false;
    const end = up ? Math.max(0, edge - PAGE_SIZE) : Math.min(v.seqs.length - 1, edge + PAGE_SIZE);
    if (end === edge) return false;
    inView(v, () => {
      if (up) for (let i = edge - 1; i >= end; i--) placeRow(v, i);
      else for (let i = edge + 1; i <= end; i++) placeRow(v, i);
      if (up && end === 0 && !v.hasOlder) renderHistoryTop(); // the intro comes back
    }, false);
    return true;
  }

  // Replaces the window with KEEP_ROWS messages around v.seqs[idx].
  function renderAround(v, idx) {
    for (const row of rowsOf(v)) dropRow(row);
    const from = Math.max(0, Math.min(idx - (KEEP_ROWS >> 1), v.seqs.length - KEEP_ROWS));
    const to = Math.min(v.seqs.length, from + KEEP_ROWS);
    for (let i = from; i < to; i++) placeRow(v, i);
  }

  // The reader reached the window's bottom: held rows first, then, away from the present,
  // the next page from the server.
  function loadNewer() {
    const v = state.view;
    if (v && !renderMore(v, false)) requestNewer(v);
  }

  function requestNewer(v) {
    if (!v.detached || !state.joined || v.newerReq || v.jumpReq) return;
    v.newerAfter = v.loadedTo; // what the pages covered; live events may have gone further
    v.newerReq = newId("h");
    send({ type: "history", id: v.newerReq,
      payload: { channel: v.name, after: v.newerAfter, limit: PAGE_SIZE } });
  }

  // Content shorter than the pane gives no scroll event to page forward with.
  function fillBelow(v) {
    if (v === state.view && v.detached && nearEnd()) loadNewer();
  }

  function highestSeq(list) {
    let top = 0;
    for (const raw of list) if (raw && Number.isInteger(raw.seq) && raw.seq > top) top = raw.seq;
    return top;
  }

  // A live message of a detached list: kept for when paging forward reaches it.
  function hold(v, raw) {
    if (v.held.size >= HOLD_MAX) {
      v.held.clear();
      v.heldLost = true; // paging forward fetches them instead
    }
    v.held.set(raw.seq, raw);
    return false;
  }

  function resetWindow(v) {
    v.detached = false;
    v.olderReq = v.reloadReq = v.firstReq = v.jumpReq = v.newerReq = null;
    v.loadedTo = 0;
    v.held.clear();
    v.heldLost = false;
    v.centerSeq = 0;
  }

  // Opens channel `name` at message `seq`: scrolls to it when the list holds it, else
  // makes the list a window around it (history before seq + 1), detached from the present.
  function jumpTo(name, seq) {
    const v = state.views.get(name);
    if (!v || !Number.isInteger(seq) || seq < 1) return;
    // A synced list holds every message from its oldest on (up to the present, unless
    // detached): a seq in there that is no row is an event, shown by its neighbour.
    const held = v.synced && !v.jumpReq && v.seqs.length > 0 && seq >= minSeq(v) &&
      (seq <= maxSeq(v) || !v.detached);
    if (!held && state.joined) {
      clearMessages(v); // pending rows stay, after the window
      v.synced = true;  // the jump's page fills it: nothing else to fetch when shown
      v.detached = true;
      v.pinned = false;
      v.jumpSeq = seq;
      v.jumpReq = newId("h");
      send({ type: "history", id: v.jumpReq, payload: { channel: name, before: seq + 1, limit: PAGE_SIZE } });
    }
    if (state.view !== v) showChannel(name);
    else renderHistoryTop();
    if (held) reveal(v, seq);
  }

  // Scrolls v's message seq (or the next one shown, for a seq that is not a row) to the
  // middle of the pane and highlights it for a moment (unless quiet).
  function reveal(v, seq, quiet) {
    if (v !== state.view || !v.seqs.length) return;
    const idx = Math.min(lowerBound(v.seqs, seq), v.seqs.length - 1);
    const msg = v.messages.get(v.seqs[idx]);
    if (!msg.el) renderAround(v, idx);
    const row = msg.el, s = ui.scroller;
    const top = row.getBoundingClientRect().top - s.getBoundingClientRect().top;
    s.scrollTop += top - Math.max(0, (s.clientHeight - row.offsetHeight) / 2);
    state.pinned = atPresent();
    if (!quiet) {
      row.dataset.highlight = "true";
      setTimeout(() => { delete row.dataset.highlight; }, HIGHLIGHT_MS);
    }
    renderJumpBar();
    fillBelow(v);
  }

  // History pages that belong to the window: the jump's page, pages after it, and pages
  // that must not land in a detached list (the newest page, sent after a join or asked
  // for before the jump) or in one reset since they were asked for. Returns whether the
  // page was dealt with here.
  function windowPage(v, p, m, list) {
    const id = m.id;
    if (id !== undefined && id === v.jumpReq) return jumpPage(v, p, list);
    if (id !== undefined && id === v.newerReq) return newerPage(v, p, list);
    const asked = id === v.olderReq || id === v.firstReq || id === v.reloadReq;
    if (typeof id === "string" && id.charAt(0) === "h" && !asked) return true; // moot
    if (!v.detached || (id !== undefined && id === v.olderReq)) return false;
    if (id === v.firstReq) v.firstReq = null;
    if (id === v.reloadReq) v.reloadReq = null;
    v.awaitHistory = false;
    if (v === state.view) renderHistoryTop();
    return true;
  }

  function jumpPage(v, p, list) {
    v.jumpReq = null;
    if (!list.length) { goToPresent(v); return true; } // nothing there (any more)
    v.loadedTo = highestSeq(list);
    inView(v, () => list.forEach((raw) => addMessage(v, raw)), false);
    v.hasOlder = !!p.more && minSeq(v) !== 1;
    if (v === state.view) {
      renderHistoryTop();
      v.centerSeq = v.jumpSeq; // its page ends there: centred once the next one is in
      reveal(v, v.jumpSeq);
    }
    return true;
  }

  // `after` pages come oldest first, `more` saying whether newer ones exist. A server
  // without `after` answers with its newest page instead (its first seq is not past
  // `after`): then the list simply becomes the present again.
  function newerPage(v, p, list) {
    v.newerReq = null;
    if (list.length && list[0] && list[0].seq <= v.newerAfter) {
      clearMessages(v);
      inView(v, () => list.forEach((raw) => addMessage(v, raw)), v === state.view);
      v.hasOlder = !!p.more && minSeq(v) !== 1;
      v.synced = true;
      if (v === state.view) renderHistoryTop();
      return true;
    }
    v.loadedTo = Math.max(v.loadedTo, v.newerAfter, highestSeq(list));
    inView(v, () => list.forEach((raw) => addMessage(v, raw)), false);
    if (v.centerSeq) {
      const seq = v.centerSeq;
      v.centerSeq = 0;
      reveal(v, seq, true);
    }
    if (p.more && list.length) {
      fillBelow(v);
    } else if (v.heldLost) {
      v.heldLost = false; // some live messages were dropped: page on to them
      requestNewer(v);
    } else {
      attach(v);
    }
    return true;
  }

  // Paging forward reached the newest message: what came live meanwhile follows it, and
  // the list is live again.
  function attach(v) {
    v.detached = false;
    const held = Array.from(v.held.values()).sort((a, b) => a.seq - b.seq);
    v.held.clear();
    inView(v, () => held.forEach((raw) => addMessage(v, raw)), false);
    if (v === state.view) {
      renderHistoryTop();
      state.pinned = atPresent();
    }
  }

  // The "Jump to recent messages" bar, the new-messages pill, sending: back to the newest
  // messages. A detached list is dropped for the newest page; a window that scrolled away
  // from the end is drawn again at the end.
  function goToPresent(v) {
    if (!v) return;
    if (v.detached || v.jumpReq) {
      clearMessages(v);
      if (state.joined) fetchLatest(v);
    } else if (!windowAtEnd(v)) {
      renderAround(v, v.seqs.length - 1);
    }
    if (v === state.view) {
      renderHistoryTop();
      scrollToBottom();
    }
  }

  // A request of the window failed: start over at the present.
  function windowFailed(v, id) {
    if (id === undefined || (id !== v.jumpReq && id !== v.newerReq)) return;
    v.jumpReq = v.newerReq = null;
    goToPresent(v);
  }

  // The connection dropped: a jump still waiting for its page is given up (the list shows
  // the present again after the reconnect); a detached list pages on once back.
  function windowLost(v) {
    v.newerReq = null;
    if (!v.jumpReq) return;
    v.jumpReq = null;
    v.detached = false;
    v.synced = false;
  }

  // Shown while the list shows the past: detached, or its window far from the newest rows.
  function renderJumpBar() {
    const v = state.view;
    ui.jumpLatest.hidden = !v || (!v.detached && windowAtEnd(v));
  }

  /* ---------- sending ---------- */

  function sendComposer() {
    const text = ui.composer.value.replace(/\s+$/, "");
    if (!text.trim()) return;
    if (charCount(text) > MAX_TEXT) {
      showNotice("That message is too long: " + charCount(text) + " of " + MAX_TEXT + " characters.");
      return;
    }
    if (!state.joined) {
      showNotice("Not connected: your message was not sent. It is still in the box.");
      return;
    }
    const v = state.view;
    if (v.detached || !windowAtEnd(v)) goToPresent(v); // a message goes to the present
    const pend = { id: "", view: v, text, ts: Date.now(), status: "sending", afterSeq: maxSeq(v), user: state.user };
    pend.el = renderMessage({ user: state.user, text, ts: pend.ts }, pend);
    v.box.append(pend.el);
    decorate(pend.el);
    transmit(pend);
    ui.composer.value = "";
    composerChanged();
    state.typingNews = true; // the next burst of typing is news again
    scrollToBottom();
  }

  function transmit(pend) {
    pend.id = newId("m");
    pend.status = "sending";
    state.pending.set(pend.id, pend);
    pend.el.classList.remove("is-failed");
    setPendingStatus(pend, "Sending…");
    send({ type: "msg", id: pend.id, payload: { channel: pend.view.name, text: pend.text } });
  }

  function setPendingStatus(pend, text, withActions) {
    const status = pend.el.querySelector(".msg-status");
    status.textContent = text;
    if (!withActions) return;
    const retry = el("button", "link-btn", "Retry");
    retry.type = "button";
    retry.addEventListener("click", () => retryPending(pend));
    const discard = el("button", "link-btn", "Discard");
    discard.type = "button";
    discard.addEventListener("click", () => {
      state.pending.delete(pend.id);
      removeMessageEl(pend.el);
    });
    status.append(" · ", retry, " · ", discard);
  }

  function markFailed(pend, why) {
    pend.status = "failed";
    pend.el.classList.add("is-failed");
    setPendingStatus(pend, why, true);
  }

  function retryPending(pend) {
    if (!state.joined) { showNotice("Still offline: retry once parley has reconnected."); return; }
    if (!state.views.has(pend.view.name)) return; // left the channel meanwhile
    state.pending.delete(pend.id);
    removeMessageEl(pend.el);
    pend.afterSeq = maxSeq(pend.view);
    pend.view.box.append(pend.el);
    decorate(pend.el);
    transmit(pend);
    if (pend.view === state.view) scrollToBottom();
  }

  // A message in flight when the link dropped may or may not have been stored. After a
  // resume we hold every stored message, so look for it there before calling it lost.
  function reconcileUnconfirmed() {
    for (const pend of Array.from(state.pending.values())) {
      if (pend.status !== "unconfirmed") continue;
      const v = pend.view;
      const landed = v.seqs.some((s) => {
        const m = v.messages.get(s);
        return s > pend.afterSeq && m.user === state.user && m.text === pend.text;
      });
      if (landed) {
        state.pending.delete(pend.id);
        removeMessageEl(pend.el);
      } else {
        markFailed(pend, "Not delivered: the connection dropped");
      }
    }
  }

  /* ---------- composer ---------- */

  function composerChanged() {
    const c = ui.composer;
    c.style.height = "auto";
    c.style.height = Math.min(c.scrollHeight, 200) + "px";
    const n = charCount(c.value);
    const over = n > MAX_TEXT;
    ui.counter.hidden = n < COUNTER_FROM;
    ui.counter.textContent = over ? (n - MAX_TEXT) + " over the limit" : (MAX_TEXT - n) + " left";
    ui.counter.classList.toggle("is-over", over);
    ui.sendBtn.disabled = !state.joined || over || !c.value.trim();
  }

  function onComposerInput() {
    composerChanged();
    const now = Date.now();
    // Right after a message (or a channel switch) typing is sent as soon as the server
    // would relay it; a typing inside its one-second window would be dropped unseen.
    const wait = state.typingNews ? TYPING_SERVER_GAP_MS : TYPING_SEND_EVERY_MS;
    if (state.joined && ui.composer.value && now - state.lastTypingSent >= wait) {
      state.lastTypingSent = now;
      state.typingNews = false;
      send({ type: "typing", payload: { channel: state.view.name } });
    }
  }

  function onComposerKey(ev) {
    // isComposing: Enter that confirms an IME candidate must not send.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendComposer();
    }
  }

  function updateComposerLabel() {
    const label = "Message " + (state.view ? chans.title(state.view) : "#" + GENERAL);
    ui.composerLabel.textContent = label;
    ui.composer.placeholder = ui.composer.disabled
      ? "Offline: messages can't be sent until parley reconnects" : label;
  }

  function setComposerEnabled(on) {
    const hadFocus = document.activeElement === ui.composer;
    ui.composer.disabled = !on;
    updateComposerLabel();
    ui.composerForm.classList.toggle("is-disabled", !on);
    ui.app.classList.toggle("is-offline", !on); // presence is stale until we are back
    composerChanged();
    if (on) {
      hideNotice();
      if (ui.composer.dataset.refocus) { ui.composer.focus(); delete ui.composer.dataset.refocus; }
    } else if (hadFocus) {
      ui.composer.dataset.refocus = "1";
    }
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(hideNotice, NOTICE_MS);
  }

  function hideNotice() { ui.notice.hidden = true; }

  /* ---------- people and typing ---------- */

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

  function stopTyping(v, user) {
    if (!v.typers.has(user)) return;
    clearTimeout(v.typers.get(user));
    v.typers.delete(user);
    if (v === state.view) renderTyping();
  }

  function clearTypers() {
    for (const v of state.views.values()) {
      for (const t of v.typers.values()) clearTimeout(t);
      v.typers.clear();
    }
    renderTyping();
  }

  function renderTyping() {
    const names = state.view ? Array.from(state.view.typers.keys()).sort() : [];
    ui.typing.textContent = "";
    if (!names.length) return;
    let text;
    if (names.length === 1) text = names[0] + " is typing…";
    else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
    else text = "Several people are typing…";
    const dots = el("span", "typing-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("i"), el("i"), el("i"));
    ui.typing.append(dots, el("span", "", text));
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
    if (name !== state.user) resetViews(); // another person's view starts fresh
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
    clearTypers();
    state.joined = false;
    chans.signedOut();
    if (search) search.close(); // the next person's searches are their own
    resetViews();
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
  // these calls, so the invariants above stay in this file.
  function makeCore() {
    return {
      GENERAL, el, send, newId, charCount, ensureView, dropView, avatar, maxSeq,
      views: state.views,
      show: showChannel,
      current: () => state.view,
      user: () => state.user,
      joined: () => state.joined,
      online: () => state.online,
      closeSidebar: () => toggleSidebar(false),
      title: (v) => chans.title(v),
      jumpTo,
      historyChanged: (v) => { if (v === state.view) renderHistoryTop(); },
      // for messages.js
      hhmm, dayLabel, renderMessage, appendLinkified,
      change: (v, fn) => inView(v, fn, false),
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
    chans = window.parleyChannels(makeCore());
    Object.assign(handlers, chans.handlers);
    search = window.parleySearch ? window.parleySearch(makeCore()) : null;
    if (search) Object.assign(handlers, search.handlers);
    mx = window.parleyMessages ? window.parleyMessages(makeCore()) : null;
    if (mx) Object.assign(handlers, mx.handlers);
    state.user = load(KEY_NAME);
    state.session = load(KEY_SESSION);
    ui.loginName.value = state.user;
    ui.loginForm.addEventListener("submit", onLoginSubmit);
    ui.loginName.addEventListener("input", () => { ui.loginError.hidden = true; });
    ui.composerForm.addEventListener("submit", (ev) => { ev.preventDefault(); sendComposer(); });
    ui.composer.addEventListener("input", onComposerInput);
    ui.composer.addEventListener("keydown", onComposerKey);
    ui.scroller.addEventListener("scroll", onScroll, { passive: true });
    if (window.ResizeObserver) new ResizeObserver(onPaneResize).observe(ui.scroller);
    ui.newPill.addEventListener("click", () => goToPresent(state.view));
    ui.jumpLatest.addEventListener("click", () => goToPresent(state.view));
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
    resetViews();
    showLogin("");
  }

  init();
})();
