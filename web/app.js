/*
 * parley web client.
 *
 * One WebSocket to /ws speaking the JSON protocol of docs/protocol.md. The message list is
 * kept as a map seq -> message plus a sorted array of seqs, so history pages, live messages
 * and resume replays can arrive in any order and overlap: every message is shown once, in
 * seq order. Messages we sent but the server has not acknowledged yet ("pending") live
 * after all confirmed ones, keyed by their request id.
 *
 * Text from the network is only ever put in the page through textContent (or as a link's
 * href after checking its scheme): never as HTML.
 */
(function () {
  "use strict";

  const CHANNEL = "general";
  const MAX_TEXT = 4000;             // --max-text default; the server counts characters
  const COUNTER_FROM = 3500;         // show the counter only when it starts to matter
  const GROUP_GAP_MS = 5 * 60 * 1000;
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_SHOW_MS = 3000;
  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const BACKOFF_JITTER = 0.3;
  const RESTART_DELAY_MS = 300;      // close 1001: the server is restarting, come back fast
  const PAGE_SIZE = 50;
  const NEAR_BOTTOM_PX = 80;
  const NEAR_TOP_PX = 300;
  const NOTICE_MS = 6000;
  const KEY_NAME = "parley.name";
  const KEY_SESSION = "parley.session";

  // Hues picked by hand to read well as white-on-colour avatars and as name colours.
  const HUES = [4, 22, 36, 140, 162, 184, 200, 214, 232, 256, 276, 300, 322, 342];

  const ERROR_TEXT = {
    name_taken: "That name is already in use. Pick another one.",
    bad_name: "Names are 1-32 characters, without control characters or surrounding spaces.",
    rate_limited: "You're sending messages too fast. Wait a moment and retry.",
    too_large: "That message is too long (4000 characters at most).",
    bad_payload: "The server rejected that request as malformed.",
    not_joined: "Not joined yet. Reconnecting should fix this.",
    no_such_channel: "That channel does not exist.",
    forbidden: "You are not allowed to do that here.",
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
    messages: new Map(),    // seq -> { seq, user, text, ts, el }
    seqs: [],               // sorted seqs of `messages`
    pending: new Map(),     // request id -> { id, text, ts, afterSeq, status, el }
    hasOlder: true,
    olderReq: null,         // id of the outstanding "older history" request
    reloadReq: null,        // id of the history request after a failed resume
    online: new Set(),
    typers: new Map(),      // user -> expiry timer
    lastTypingSent: 0,
    pinned: true,           // the reader is at the bottom of the message list
    unseenBelow: 0,
    unreadHidden: 0,
    noticeTimer: 0,
  };
  const elData = new WeakMap(); // message element -> the message (or pending) it shows

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

  function minSeq() { return state.seqs.length ? state.seqs[0] : null; }
  function maxSeq() { return state.seqs.length ? state.seqs[state.seqs.length - 1] : 0; }

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
      const payload = { user: state.user, channel: CHANNEL };
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
    state.olderReq = state.reloadReq = null;
    stopHeartbeat();
    clearTypers();
    for (const p of state.pending.values()) {
      if (p.status === "sending") p.status = "unconfirmed";
    }
    if (!state.everJoined) {
      loginFailed("Can't reach the server. Check the address and try again.");
      return;
    }
    setComposerEnabled(false);
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
    const reconnecting = state.everJoined || state.seqs.length > 0;
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
    renderOnline();
    showApp();
    setStatus("connected", "connected");
    setComposerEnabled(true);
    startHeartbeat();
    // The welcome's history is only the newest page; resume fills whatever we missed
    // between our last seq and it (duplicates are dropped by seq).
    if (reconnecting) {
      send({ type: "resume", id: newId("r"), payload: { channels: { [CHANNEL]: maxSeq() } } });
    }
  }

  function onHistory(p, m) {
    if (p.channel && p.channel !== CHANNEL) return;
    const list = Array.isArray(p.messages) ? p.messages : [];
    const isOlder = m.id !== undefined && m.id === state.olderReq;
    const isReload = m.id !== undefined && m.id === state.reloadReq;
    const prevMin = minSeq();
    const firstFill = prevMin === null;
    preserveScroll(() => list.forEach(addMessage), firstFill || isReload);
    const newMin = minSeq();
    // `more` speaks about what lies before this page; it only matters to us when this
    // page reached further back than what we held.
    if (newMin === null || prevMin === null || newMin < prevMin || (isOlder && !list.length)) {
      state.hasOlder = !!p.more;
    }
    if (newMin === 1) state.hasOlder = false;
    if (isOlder) state.olderReq = null;
    if (isReload) state.reloadReq = null;
    renderHistoryTop();
    fillViewport();
  }

  function onMsg(p) {
    if (p.channel && p.channel !== CHANNEL) return;
    stopTyping(p.user);
    let added = false;
    preserveScroll(() => { added = addMessage(p); }, false);
    if (!added || p.user === state.user) return;
    if (!isNearBottom()) {
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
    if (!pend) return;
    state.pending.delete(pend.id);
    removeMessageEl(pend.el);
    // The ack tells us everything the msg echo will: show it confirmed right away.
    preserveScroll(() => {
      addMessage({ seq: p.seq, user: state.user, text: pend.text, ts: p.ts, channel: CHANNEL });
    }, false);
  }

  function onPresence(p, m) {
    if (typeof p.user !== "string" || (p.channel && p.channel !== CHANNEL)) return;
    if (m.type === "join") state.online.add(p.user);
    else if (p.user !== state.user) state.online.delete(p.user);
    if (m.type === "leave") stopTyping(p.user);
    renderOnline();
  }

  function onTyping(p) {
    if (typeof p.user !== "string" || p.user === state.user) return;
    if (p.channel && p.channel !== CHANNEL) return;
    clearTimeout(state.typers.get(p.user));
    state.typers.set(p.user, setTimeout(() => stopTyping(p.user), TYPING_SHOW_MS));
    renderTyping();
  }

  function onResumed(p) {
    const r = p.channels && p.channels[CHANNEL];
    if (r && r.recovered === false) {
      // The server cannot prove there is no gap (or its data changed): start over.
      clearMessages();
      state.reloadReq = newId("h");
      send({ type: "history", id: state.reloadReq, payload: { channel: CHANNEL, limit: PAGE_SIZE } });
    }
    reconcileUnconfirmed();
  }

  function onError(_p, m) {
    const code = typeof m.code === "string" ? m.code : "error";
    const text = ERROR_TEXT[code] || (typeof m.message === "string" && m.message) || "Something went wrong.";
    if (!state.joined && ["name_taken", "bad_name", "auth_failed"].includes(code)) {
      dropSocket();
      loginFailed(text);
      return;
    }
    const pend = m.id !== undefined ? state.pending.get(String(m.id)) : null;
    if (pend) {
      markFailed(pend, code === "rate_limited" ? "Not sent: too fast" : "Not sent");
    } else if (m.id !== undefined && (m.id === state.olderReq || m.id === state.reloadReq)) {
      state.olderReq = state.reloadReq = null;
      renderHistoryTop();
    }
    showNotice(text + " (" + code + ")");
  }

  /* ---------- message list ---------- */

  // Adds one message payload unless its seq is already shown. Returns whether it was new.
  function addMessage(raw) {
    if (!raw || !Number.isInteger(raw.seq) || typeof raw.text !== "string") return false;
    if (state.messages.has(raw.seq)) return false;
    const msg = {
      seq: raw.seq,
      user: typeof raw.user === "string" ? raw.user : "unknown",
      text: raw.text,
      ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(),
    };
    msg.el = renderMessage(msg, null);
    const idx = lowerBound(state.seqs, msg.seq);
    state.seqs.splice(idx, 0, msg.seq);
    state.messages.set(msg.seq, msg);
    const next = idx + 1 < state.seqs.length ? state.messages.get(state.seqs[idx + 1]).el : firstPendingEl();
    ui.messages.insertBefore(msg.el, next);
    decorate(msg.el);
    if (next) decorate(next);
    return true;
  }

  function firstPendingEl() {
    for (const p of state.pending.values()) if (p.el.isConnected) return p.el;
    return null;
  }

  function renderMessage(msg, pend) {
    const row = el("div", "msg");
    row.dataset.testid = "message";
    if (msg.seq) row.dataset.seq = msg.seq;
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
    const prev = prevRow ? elData.get(prevRow) : null;
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
    if (!row.isConnected) return;
    const next = nextMessageEl(row);
    const sep = row.previousElementSibling;
    if (sep && sep.classList.contains("day-sep")) sep.remove();
    row.remove();
    if (next) decorate(next);
  }

  function clearMessages() {
    for (const msg of state.messages.values()) msg.el.remove();
    ui.messages.querySelectorAll(".day-sep").forEach((s) => s.remove());
    state.messages.clear();
    state.seqs = [];
    state.hasOlder = true;
    const first = firstPendingEl();
    if (first) decorate(first);
    renderHistoryTop();
  }

  function renderHistoryTop() {
    const top = ui.historyTop;
    top.textContent = "";
    if (state.olderReq || state.reloadReq) {
      top.append(el("div", "loading", "Loading older messages…"));
    } else if (!state.hasOlder) {
      const intro = el("div", "intro");
      intro.append(el("div", "intro-icon", "#"), el("h2", "", "Welcome to #general"),
        el("p", "", "This is the very beginning of the #general channel. Say hello!"));
      top.append(intro);
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
    const rows = ui.messages.children;
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
    const atBottom = forceBottom || isNearBottom();
    const anchor = atBottom ? null : firstVisibleRow();
    const before = anchor ? anchor.getBoundingClientRect().top : 0;
    change();
    if (atBottom) scrollToBottom();
    else if (anchor && anchor.isConnected) ui.scroller.scrollTop += anchor.getBoundingClientRect().top - before;
  }

  function loadOlder() {
    if (!state.joined || !state.hasOlder || state.olderReq || state.reloadReq) return;
    const before = minSeq();
    if (before === null) return;
    if (before <= 1) { state.hasOlder = false; renderHistoryTop(); return; }
    state.olderReq = newId("h");
    send({ type: "history", id: state.olderReq, payload: { channel: CHANNEL, before, limit: PAGE_SIZE } });
    renderHistoryTop();
  }

  // A short first page leaves nothing to scroll, so no scroll event would ever ask for more.
  function fillViewport() {
    const s = ui.scroller;
    if (s.scrollHeight <= s.clientHeight + NEAR_TOP_PX) loadOlder();
  }

  function onScroll() {
    state.pinned = isNearBottom();
    if (ui.scroller.scrollTop < NEAR_TOP_PX) loadOlder();
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
    const pend = { id: "", text, ts: Date.now(), status: "sending", afterSeq: maxSeq(), user: state.user };
    pend.el = renderMessage({ user: state.user, text, ts: pend.ts }, pend);
    ui.messages.append(pend.el);
    decorate(pend.el);
    transmit(pend);
    ui.composer.value = "";
    composerChanged();
    state.lastTypingSent = 0; // the next burst of typing is news again
    scrollToBottom();
  }

  function transmit(pend) {
    pend.id = newId("m");
    pend.status = "sending";
    state.pending.set(pend.id, pend);
    pend.el.classList.remove("is-failed");
    setPendingStatus(pend, "Sending…");
    send({ type: "msg", id: pend.id, payload: { channel: CHANNEL, text: pend.text } });
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
    state.pending.delete(pend.id);
    removeMessageEl(pend.el);
    pend.afterSeq = maxSeq();
    ui.messages.append(pend.el);
    decorate(pend.el);
    transmit(pend);
    scrollToBottom();
  }

  // A message in flight when the link dropped may or may not have been stored. After a
  // resume we hold every stored message, so look for it there before calling it lost.
  function reconcileUnconfirmed() {
    for (const pend of Array.from(state.pending.values())) {
      if (pend.status !== "unconfirmed") continue;
      const landed = state.seqs.some((s) => {
        const m = state.messages.get(s);
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
    if (state.joined && ui.composer.value && now - state.lastTypingSent >= TYPING_SEND_EVERY_MS) {
      state.lastTypingSent = now;
      send({ type: "typing", payload: { channel: CHANNEL } });
    }
  }

  function onComposerKey(ev) {
    // isComposing: Enter that confirms an IME candidate must not send.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendComposer();
    }
  }

  function setComposerEnabled(on) {
    const hadFocus = document.activeElement === ui.composer;
    ui.composer.disabled = !on;
    ui.composer.placeholder = on ? "Message #general" : "Offline: messages can't be sent until parley reconnects";
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
    for (const name of names) {
      const li = el("li", "person");
      const face = avatar(name, "avatar-sm");
      face.append(el("span", "presence"));
      const label = el("span", "person-name", name);
      label.dataset.testid = "online-user";
      li.append(face, label);
      if (name === state.user) li.append(el("span", "you", "you"));
      ui.onlineList.append(li);
    }
    ui.onlineCount.textContent = String(names.length);
    ui.memberCount.textContent = names.length + " online";
  }

  function stopTyping(user) {
    if (!state.typers.has(user)) return;
    clearTimeout(state.typers.get(user));
    state.typers.delete(user);
    renderTyping();
  }

  function clearTypers() {
    for (const t of state.typers.values()) clearTimeout(t);
    state.typers.clear();
    renderTyping();
  }

  function renderTyping() {
    const names = Array.from(state.typers.keys()).sort();
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
    document.title = "#general · parley";
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
    if (name !== state.user) clearMessages(); // another person's view starts fresh
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
    for (const p of state.pending.values()) p.el.remove();
    state.pending.clear();
    clearMessages();
    showLogin("");
  }

  function updateTitle() {
    document.title = (state.unreadHidden ? "(" + state.unreadHidden + ") " : "") + "#general · parley";
  }

  function toggleSidebar(open) {
    ui.app.classList.toggle("sidebar-open", open);
    ui.backdrop.hidden = !open;
    ui.menuBtn.setAttribute("aria-expanded", String(open));
  }

  /* ---------- start ---------- */

  function bind() {
    const ids = {
      login: "login", loginForm: "login-form", loginName: "login-name", loginSubmit: "login-submit",
      loginError: "login-error", app: "app", status: "connection-status", scroller: "scroller",
      messages: "messages", historyTop: "history-top", newPill: "new-pill", composer: "composer",
      composerForm: "composer-form", counter: "composer-counter", sendBtn: "send-btn",
      notice: "composer-notice", typing: "typing", onlineList: "online-list",
      onlineCount: "online-count", memberCount: "member-count", meName: "me-name",
      meAvatar: "me-avatar", signout: "signout", menuBtn: "menu-btn", backdrop: "backdrop",
    };
    for (const k in ids) ui[k] = document.getElementById(ids[k]);
  }

  function init() {
    bind();
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
    ui.newPill.addEventListener("click", scrollToBottom);
    ui.signout.addEventListener("click", signOut);
    ui.menuBtn.addEventListener("click", () => toggleSidebar(!ui.app.classList.contains("sidebar-open")));
    ui.backdrop.addEventListener("click", () => toggleSidebar(false));
    ui.status.addEventListener("click", reconnectNow);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") toggleSidebar(false); });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      state.unreadHidden = 0;
      if (!ui.app.hidden) updateTitle();
      reconnectNow(); // a phone waking up should not sit out the rest of a long backoff
    });
    window.addEventListener("online", reconnectNow);
    window.addEventListener("offline", () => { if (state.reconnectTimer) scheduleReconnect(false); });
    renderHistoryTop();
    showLogin("");
  }

  init();
})();
