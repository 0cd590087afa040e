/*
 * parley web client: the message lists.
 *
 * Every channel the user is in has a "view": its own message list, kept as a map seq ->
 * message plus a sorted array of seqs, so history pages, live messages and resume replays
 * can arrive in any order and overlap: every message is shown once per (channel, seq), in
 * seq order. Messages we sent but the server has not acknowledged yet ("pending", see
 * composer.js) live after all confirmed ones of their channel, keyed by their request id.
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
 * app.js calls window.parleyList(app) once at start, before anything else, and feeds this
 * file the frames it dispatches (history pages, live messages, acks). `app` carries the
 * page's shared state and helpers; composer.js, channels.js and messages.js are reached
 * through it when called (app.composer, app.chans, app.mx), since they are built later.
 * Everything that changes a list's rows goes through this file, so its invariants hold
 * here alone.
 */
(function () {
  "use strict";

  const GROUP_GAP_MS = 5 * 60 * 1000;
  const MAX_ROWS = 400;              // message rows in a list's DOM, at most...
  const KEEP_ROWS = 300;             // ... cut back to this many around the reader
  const HOLD_MAX = 1000;             // live messages a detached list holds for later
  const HIGHLIGHT_MS = 3000;         // a jumped-to message stays highlighted this long
  const NEAR_BOTTOM_PX = 80;
  const NEAR_TOP_PX = 300;

  window.parleyList = function (app) {
    const { GENERAL, PAGE_SIZE, KEY_CHANNEL, state, ui, el, store, hueOf, avatar, hhmm, dayKey,
      dayLabel, minSeq, maxSeq, lowerBound, send, newId, updateTitle } = app;
    const elData = new WeakMap(); // message element -> the message (or pending) it shows

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
      if (app.mx) app.mx.gone(v);
    }

    // Back to one empty #general: a new person signs in, or the old one signs out.
    function resetViews() {
      for (const v of state.views.values()) {
        v.box.remove();
        for (const t of v.typers.values()) clearTimeout(t);
        if (app.mx) app.mx.gone(v);
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
        app.composer.composerChanged();
      }
      hidePill();
      renderHistoryTop();
      app.composer.renderTyping();
      app.composer.updateComposerLabel();
      updateTitle();
      if (v.pinned) scrollToBottom();
      else { ui.scroller.scrollTop = v.scrollTop; state.pinned = false; }
      if (state.joined && !v.synced && !v.awaitHistory && !v.firstReq) fetchLatest(v);
      if (state.everJoined) store(KEY_CHANNEL, name);
      if (app.chans) app.chans.shown(v);
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
      if (app.mx && app.mx.claim(v, raw)) return false; // a thread reply or an event: messages.js folds it
      if (!raw || !Number.isInteger(raw.seq) || typeof raw.text !== "string") return false;
      if (v.messages.has(raw.seq)) return false;
      const msg = {
        seq: raw.seq,
        user: typeof raw.user === "string" ? raw.user : "unknown",
        text: raw.text,
        ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(),
      };
      msg.channel = v.name;
      if (app.mx) app.mx.adopt(v, msg, raw); // mentions, the server's thread summary
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
      if (app.mx) app.mx.decorateRow(row, msg, pend); // reactions, edits, deletes, replies: from data
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
      if (app.mx) app.mx.cleared(v);
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
        top.append(app.chans.intro(v));
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

    return {
      addMessage, appendLinkified, clearMessages, decorate, dropView, ensureView, fillViewport,
      goToPresent, inView, isNearBottom, jumpTo, onPaneResize, onScroll, removeMessageEl,
      renderHistoryTop, renderMessage, resetViews, scrollToBottom, sendResume, showChannel,
      viewOf, windowAtEnd, windowFailed, windowLost, windowPage,
    };
  };
})();
