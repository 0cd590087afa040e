/*
 * parley web client: the message lists (UI).
 *
 * Every channel record (channels_data.js) has a list here: a detached DOM tree of rows
 * drawn from its messages (messages_data.js), in seq order, each (channel, seq) once.
 * Only the shown channel's list is in the document; the others keep receiving messages,
 * so switching back is instant and keeps its scroll spot. Our pending messages
 * (composer.js) are rows after all confirmed ones.
 *
 * A list's rows are a window: one contiguous run of its seqs, at most MAX_ROWS long (see
 * "the message window"). Messages outside it keep their data and come back through
 * renderMessage when scrolled to, so a 50,000-message channel costs a few hundred rows of
 * DOM. A search result can open a channel at an old message: the list then holds a
 * stretch around it, detached from the present, and pages forward with `history` `after`
 * until it meets the present again.
 *
 * Each list's page state is `uiOf(ch)`: its box, its rows (seq -> element), its scroll
 * spot and draft, and the history requests it waits for (a token per kind: an answer
 * whose token is no longer the current one is moot). Everything that changes a list's
 * rows goes through this file, so its invariants hold here alone.
 */
import { GENERAL, PAGE_SIZE, KEY_CHANNEL, GROUP_GAP_MS, NEAR_BOTTOM_PX } from "./const.js";
import { el, hueOf, avatar, cardable, hhmm, dayKey, dayLabel } from "./dom.js";
import { render as renderFormatted } from "./format.js";
import { lowerBound, save } from "./util.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as people from "./people.js";
import { ui, page } from "./page.js";
import * as composer from "./composer.js";
import * as mentionPrompt from "./mention_prompt.js";
import * as chansUi from "./channels.js";
import * as mx from "./messages.js";
import * as files from "./files.js";
import { updateTitle, showError } from "./app.js";
import { nameLabel, refreshNames as refreshLabels } from "./badges.js";
import * as apps from "./apps.js";
import { drafts, channelKey } from "./drafts.js";
import * as unread from "./unread.js";
import * as router from "./router.js";
import * as lines from "./lines.js";

const MAX_ROWS = 400;              // message rows in a list's DOM, at most...
const KEEP_ROWS = 300;             // ... cut back to this many around the reader
const HIGHLIGHT_MS = 3000;         // a jumped-to message stays highlighted this long
const NEAR_TOP_PX = 300;
const TOP_GAP_PX = 76;            // a message opened "at the top" sits this far below it (the unread bar)

const uis = new WeakMap();         // channel record -> its list's page state
const elData = new WeakMap();      // message row -> the message (or pending) it shows

/* ---------- channel lists ---------- */

export function uiOf(ch) {
  let u = uis.get(ch);
  if (!u) {
    const box = el("div", "messages");
    box.setAttribute("role", "log");
    box.setAttribute("aria-live", "polite");
    box.setAttribute("aria-relevant", "additions");
    box.setAttribute("aria-label", "Messages in #" + ch.name);
    u = {
      box, rows: new Map(), scrollTop: 0, pinned: true, draft: drafts.get(channelKey(ch.name)),
      olderReq: null,       // token of the outstanding "older history" request
      reloadReq: null,      // ... of the history request after a failed resume
      firstReq: null,       // ... of the first-page request when first shown
      awaitHistory: false,  // the server sends a page unasked (after `join`)
      jumpReq: null,        // ... of the request for the page around jumpSeq
      jumpSeq: 0,
      jumpHow: {},          // ... and how to show it (jumpTo)
      newerReq: null,       // ... of the outstanding `after` request, and its `after`
      newerAfter: 0,
      centerSeq: 0,         // the jumped-to message, to centre again once rows follow it
    };
    uis.set(ch, u);
  }
  return u;
}

export function rowOf(ch, seq) { return uiOf(ch).rows.get(seq) || null; }

// The user left a channel (here or in another tab): its list goes.
channels.changes.on("dropped", (ch) => {
  if (page.view === ch) showChannel(GENERAL);
  uiOf(ch).box.remove();
  people.clearTypers(ch.name);
  mx.gone(ch);
});

msgs.changes.on("history", (ch) => { if (ch === page.view) renderHistoryTop(); });

// What we know of people changed: every list's names are drawn again, shown or not.
export function refreshNames() {
  for (const ch of channels.all()) refreshLabels(uiOf(ch).box);
}

// Back to one empty #general: a new person signs in, or the old one signs out.
export function resetViews() {
  channels.reset();
  msgs.reset();
  page.view = null;
  showChannel(GENERAL);
}

// Swaps the shown list, keeping each channel's scroll spot and composer draft; a channel
// with unread messages opens at the first of them (unread.js), unless opts.aimed (the
// caller opens it at a message of its own).
export function showChannel(name, opts) {
  const v = channels.get(name);
  if (!v || v.name !== name) return;
  const u = uiOf(v);
  const old = page.view;
  const land = unread.opening(v, old, !!(opts && opts.aimed));
  if (old && old !== v) {
    const o = uiOf(old);
    composer.saveDraftNow(); // the last keystrokes before the switch
    o.scrollTop = ui.scroller.scrollTop;
    o.pinned = page.pinned;
    o.draft = ui.composer.value;
    o.box.remove();
  }
  page.view = v;
  channels.setShown(v);
  v.unread = 0;
  if (u.box.parentNode !== ui.scroller) ui.scroller.append(u.box);
  if (old !== v) { // the first shown too: its draft may come from before a reload
    mentionPrompt.viewChanged(v);
    ui.composer.value = u.draft;
    page.typingNews = true; // typing in another channel is news there
    composer.composerChanged();
  }
  hidePill();
  renderHistoryTop();
  composer.renderTyping();
  composer.updateComposerLabel();
  updateTitle();
  if (land) jumpTo(name, land, { quiet: true, top: true });
  else if (u.pinned) scrollToBottom();
  else { ui.scroller.scrollTop = u.scrollTop; page.pinned = false; }
  if (conn.joined() && !v.synced && !u.awaitHistory && !u.firstReq) fetchLatest(v);
  if (conn.everJoined()) save(KEY_CHANNEL, name);
  chansUi.shown(v);
  router.shown(v);
  fillViewport();
}

// The welcome's own history page of #general follows it.
export function expectJoinPage(ch) { uiOf(ch).awaitHistory = true; }

function fetchLatest(v) {
  const u = uiOf(v);
  const tok = u.firstReq = {};
  if (v === page.view) renderHistoryTop();
  msgs.history(v, { limit: PAGE_SIZE }).then((p) => {
    if (u.firstReq !== tok) return;
    u.firstReq = null;
    if (v.detached) { u.awaitHistory = false; if (v === page.view) renderHistoryTop(); return; }
    historyPage(v, p, { first: true });
  }, (err) => requestFailed(v, tok, err));
}

// A history request failed: a page the list waited for is not coming.
function requestFailed(v, tok, err) {
  const u = uiOf(v);
  let found = false;
  for (const k of ["olderReq", "reloadReq", "firstReq"]) if (u[k] === tok) { u[k] = null; found = true; }
  if (u.jumpReq === tok || u.newerReq === tok) {
    u.jumpReq = u.newerReq = null;
    goToPresent(v); // start over at the present
    found = true;
  }
  if (!found) return;
  if (v === page.view) renderHistoryTop();
  showError(err);
}

// A channel the server could not replay whole after a reconnect starts over at its
// newest page.
export function reload(v) {
  const u = uiOf(v);
  clearMessages(v);
  const tok = u.reloadReq = {};
  if (v === page.view) renderHistoryTop();
  msgs.history(v, { limit: PAGE_SIZE }).then((p) => {
    if (u.reloadReq !== tok) return;
    u.reloadReq = null;
    if (v.detached) { u.awaitHistory = false; if (v === page.view) renderHistoryTop(); return; }
    historyPage(v, p, { reload: true });
  }, (err) => requestFailed(v, tok, err));
}

// A page the server sent unasked (after a join, channel_join or dm_open).
export function unaskedPage(p) {
  const v = channels.get(p.channel);
  if (!v) return;
  const u = uiOf(v);
  if (v.detached) { u.awaitHistory = false; if (v === page.view) renderHistoryTop(); return; }
  historyPage(v, p, {});
}

function historyPage(v, p, how) {
  const u = uiOf(v);
  const list = Array.isArray(p.messages) ? p.messages : [];
  const prevMin = msgs.minSeq(v);
  const firstFill = prevMin === null;
  inView(v, () => list.forEach((raw) => addMessage(v, raw)), firstFill || how.reload || how.first);
  const newMin = msgs.minSeq(v);
  // `more` speaks about what lies before this page; it only matters to us when this
  // page reached further back than what we held.
  if (newMin === null || prevMin === null || newMin < prevMin || (how.older && !list.length)) {
    v.hasOlder = !!p.more;
  }
  if (newMin === 1) v.hasOlder = false;
  if (!how.older) { v.synced = true; u.awaitHistory = false; }
  if (v === page.view) {
    renderHistoryTop();
    fillViewport();
    chansUi.viewed(v);
  }
}

/* ---------- message list ---------- */

// Runs a change to v's list. Only the shown list has a scroll position to keep.
export function inView(v, change, forceBottom) {
  if (v !== page.view) {
    change();
    limitRows(v, uiOf(v).pinned);
    return;
  }
  const bottom = forceBottom || atPresent();
  preserveScroll(() => { change(); limitRows(v, bottom); }, forceBottom);
}

// Adds one message payload to v unless its seq is already there. Returns whether it was
// a new message of the main list.
export function addMessage(v, raw) {
  const r = msgs.add(v, raw);
  if (r === "claimed") { chansUi.viewed(v); return false; } // read past replies and events too
  if (!r) return false;
  const idx = lowerBound(v.seqs, r.seq);
  if (inWindow(v, idx)) placeRow(v, idx);
  return true;
}

function firstPendingEl(v) {
  return uiOf(v).box.querySelector(":scope > .msg.is-pending");
}

// A message row (or a pending one: pend is the outbox entry), decorated by messages.js.
export function renderMessage(msg, pend) {
  if (msg.line) { const r = lines.row(msg); elData.set(r, msg); return r; } // lines.js
  const row = el("div", "msg");
  row.dataset.testid = "message";
  if (msg.seq) row.dataset.seq = msg.seq;
  row.dataset.channel = pend ? pend.channel : msg.channel || "";
  row.style.setProperty("--h", hueOf(msg.user));
  const when = new Date(msg.ts).toLocaleString();

  const gutter = el("div", "msg-gutter");
  const app = pend ? null : apps.appOf(msg); // an integration's message (apps.js)
  gutter.append(app ? apps.avatar(app) : avatar(msg.user), el("time", "msg-hover-time", hhmm(msg.ts)));
  gutter.lastChild.title = when;

  const body = el("div", "msg-body");
  const meta = el("div", "msg-meta");
  const time = el("time", "msg-time", hhmm(msg.ts));
  time.title = when;
  time.dateTime = new Date(msg.ts).toISOString();
  // The name stays in the DOM for grouped messages too (hidden visually by CSS), so
  // each message reads whole to screen readers and to textContent.
  // Display name, name and badges (role, guest); our own pending rows are us.
  // The name opens the author's profile card (person_card.js), like the avatar.
  const label = app ? apps.nameLabel(app, "msg-author")
    : cardable(nameLabel(msg.user, pend ? {} : msg, "msg-author"), msg.user);
  meta.append(label, document.createTextNode(" "), time);
  if (app) row.classList.add("is-app");
  const text = el("div", "msg-text");
  renderFormatted(text, msg.text); // bold, code, quotes, lists, links, :emoji: (format.js)
  body.append(meta, text);
  const attached = files.render(msg.files); // files.js: images inline, other files as cards
  if (attached) body.append(attached);
  if (pend) body.append(el("div", "msg-status", "Sending…"));

  row.append(gutter, body);
  elData.set(row, pend || msg);
  if (pend) row.classList.add("is-pending");
  else {
    mx.decorateRow(row, msg); // reactions, edits, deletes, replies: from data
    unread.decorate(row, msg); // the "New" line
  }
  return row;
}

function isMessageEl(node) { return node && node.classList.contains("msg"); }

// The shown message before row: a hidden one (deleted, nothing to hold) is not there.
function prevMessageEl(row) {
  let n = row.previousElementSibling;
  while (n && (!isMessageEl(n) || n.hidden)) n = n.previousElementSibling;
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
export function decorate(row) {
  const cur = elData.get(row);
  if (row.hidden) {
    // Not shown: it neither starts a day nor a group; its successor takes them over.
    const sep = row.previousElementSibling;
    if (sep && sep.classList.contains("day-sep")) sep.remove();
    return;
  }
  const prevRow = prevMessageEl(row);
  const prev = prevRow ? elData.get(prevRow) : heldBefore(cur);
  const newDay = !prev || dayKey(prev.ts) !== dayKey(cur.ts);
  // abs(): a pending row carries our clock, its neighbours the server's.
  const grouped = !newDay && prev.user === cur.user && !prev.app === !cur.app &&
    Math.abs(cur.ts - prev.ts) < GROUP_GAP_MS &&
    !prev.line && !cur.line; // a channel line starts no group and joins none
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

// A row was hidden or shown again where it stands: it and the next shown one regroup.
export function regroup(row) {
  if (!row.parentNode) return;
  decorate(row);
  let n = row.nextElementSibling;
  while (n && (!isMessageEl(n) || n.hidden)) n = n.nextElementSibling;
  if (n) decorate(n);
}

export function removeMessageEl(row) {
  if (!row.parentNode) return;
  const next = nextMessageEl(row);
  const sep = row.previousElementSibling;
  if (sep && sep.classList.contains("day-sep")) sep.remove();
  row.remove();
  if (next) decorate(next);
}

export function clearMessages(v) {
  const u = uiOf(v);
  for (const row of u.rows.values()) row.remove();
  u.rows.clear();
  u.box.querySelectorAll(".day-sep").forEach((s) => s.remove());
  msgs.clear(v);
  u.olderReq = u.reloadReq = u.firstReq = u.jumpReq = u.newerReq = null;
  u.centerSeq = 0;
  mx.cleared(v);
  const first = firstPendingEl(v);
  if (first) decorate(first);
  if (v === page.view) renderHistoryTop();
}

export function renderHistoryTop() {
  const v = page.view;
  const top = ui.historyTop;
  top.textContent = "";
  renderJumpBar();
  if (!v) return;
  const u = uiOf(v);
  if (u.olderReq || u.reloadReq || u.firstReq || u.jumpReq) {
    top.append(el("div", "loading", u.firstReq || u.jumpReq ? "Loading messages…" : "Loading older messages…"));
  } else if (!v.hasOlder && edgeIndex(v, false) <= 0) { // the window starts at the start
    top.append(chansUi.intro(v));
  }
}

/* ---------- scrolling ---------- */

export function isNearBottom() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
}

export function scrollToBottom() {
  ui.scroller.scrollTop = ui.scroller.scrollHeight;
  page.pinned = true;
  hidePill();
}

// Only message rows make anchors: a day separator may be moved when a page is
// prepended (it belongs to whichever message now starts the day).
function firstVisibleRow() {
  const rows = uiOf(page.view).box.children;
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
  const v = page.view;
  if (v && renderMore(v, true)) return; // rows held in memory come back first
  if (!v) return;
  const u = uiOf(v);
  if (!conn.joined() || !v.hasOlder || u.olderReq || u.reloadReq || u.firstReq) return;
  const before = msgs.minSeq(v);
  if (before === null) return;
  if (before <= 1) { v.hasOlder = false; renderHistoryTop(); return; }
  const tok = u.olderReq = {};
  renderHistoryTop();
  msgs.history(v, { before, limit: PAGE_SIZE }).then((p) => {
    if (u.olderReq !== tok) return;
    u.olderReq = null;
    historyPage(v, p, { older: true });
  }, (err) => requestFailed(v, tok, err));
}

// A short first page leaves nothing to scroll, so no scroll event would ever ask for more.
export function fillViewport() {
  const s = ui.scroller;
  if (s.scrollHeight <= s.clientHeight + NEAR_TOP_PX) loadOlder();
}

export function onScroll() {
  page.pinned = atPresent();
  if (ui.scroller.scrollTop < NEAR_TOP_PX) loadOlder();
  if (nearEnd()) loadNewer();
  renderJumpBar();
  if (page.pinned) hidePill();
}

// The pane shrinks when the composer grows or the window (or phone keyboard) resizes;
// a reader at the bottom should stay there rather than see the last lines slide away.
export function onPaneResize() {
  if (page.pinned) ui.scroller.scrollTop = ui.scroller.scrollHeight;
}

export function hidePill() {
  page.unseenBelow = 0;
  ui.newPill.hidden = true;
}

/* ---------- the message window ---------- */

// A list's rows are one contiguous run of its seqs; the messages before and after it keep
// their data and are drawn again through renderMessage (so whatever decorates a row comes
// back with it) when the reader scrolls to them. The data itself stays: a message is a
// small object, 50,000 of them a few MB, while dropping them would turn every scroll back
// into round trips. The DOM is what makes a long list slow, so that is what is bounded.

function rowsOf(v) { return uiOf(v).box.querySelectorAll(":scope > .msg[data-seq]"); }

// The window's first (or last) row; pending rows come after all of them.
function edgeRow(v, last) {
  const box = uiOf(v).box;
  if (!last) return box.querySelector(":scope > .msg[data-seq]");
  let n = box.lastElementChild;
  while (n && !(isMessageEl(n) && n.dataset.seq)) n = n.previousElementSibling;
  return n;
}

// Index in v.seqs of the window's first (or last) message, -1 when it shows none.
function edgeIndex(v, last) {
  const row = edgeRow(v, last);
  return row ? lowerBound(v.seqs, elData.get(row).seq) : -1;
}

// Whether the window shows the newest message there is.
export function windowAtEnd(v) {
  return !v.detached && (!v.seqs.length || edgeIndex(v, true) === v.seqs.length - 1);
}

// The reader sees the newest messages: new ones should scroll into view.
function atPresent() {
  return isNearBottom() && (!page.view || windowAtEnd(page.view));
}

function nearEnd() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_TOP_PX;
}

// Whether the message just put at v.seqs[idx] joins the window: it is next to a shown
// row, or the list's only message.
function inWindow(v, idx) {
  const rows = uiOf(v).rows;
  const prev = idx > 0 ? v.seqs[idx - 1] : null;
  const next = idx + 1 < v.seqs.length ? v.seqs[idx + 1] : null;
  return (prev === null && next === null) || (prev !== null && rows.has(prev)) || (next !== null && rows.has(next));
}

// Draws v.seqs[idx] at its place in the window, which must be next to it.
function placeRow(v, idx) {
  const u = uiOf(v);
  const msg = v.messages.get(v.seqs[idx]);
  const row = renderMessage(msg, null);
  u.rows.set(msg.seq, row);
  const after = idx + 1 < v.seqs.length ? u.rows.get(v.seqs[idx + 1]) || null : null;
  const next = after || firstPendingEl(v);
  u.box.insertBefore(row, next);
  decorate(row);
  if (next) decorate(next);
}

// The message before a window's first row, held in memory: the row continues its group
// and its day, as if the whole list were drawn.
function heldBefore(cur) {
  const v = cur.seq && cur.channel ? channels.get(cur.channel) : null;
  if (!v || v.name !== cur.channel) return null;
  const i = lowerBound(v.seqs, cur.seq);
  return i > 0 && v.seqs[i] === cur.seq ? v.messages.get(v.seqs[i - 1]) || null : null;
}

function dropRow(v, row) {
  const msg = elData.get(row);
  removeMessageEl(row);
  if (msg) uiOf(v).rows.delete(msg.seq);
}

// Cuts a list longer than MAX_ROWS back to KEEP_ROWS: around the first row the reader
// sees, or the newest ones when they are at the bottom. A list not shown and not at its
// bottom keeps its top, where its saved scroll spot is.
function limitRows(v, keepBottom) {
  if (uiOf(v).box.childElementCount <= MAX_ROWS) return; // rows, day separators, pending
  const rows = rowsOf(v);
  if (rows.length <= MAX_ROWS) return;
  let from = 0;
  if (keepBottom) {
    from = rows.length - KEEP_ROWS;
  } else if (v === page.view) {
    const at = Array.prototype.indexOf.call(rows, firstVisibleRow());
    from = Math.min(Math.max(0, at - (KEEP_ROWS >> 1)), rows.length - KEEP_ROWS);
  }
  for (let i = 0; i < from; i++) dropRow(v, rows[i]);
  for (let i = from + KEEP_ROWS; i < rows.length; i++) dropRow(v, rows[i]);
  if (from > 0 && v === page.view && !v.hasOlder) renderHistoryTop(); // the intro goes
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
  for (const row of rowsOf(v)) dropRow(v, row);
  const from = Math.max(0, Math.min(idx - (KEEP_ROWS >> 1), v.seqs.length - KEEP_ROWS));
  const to = Math.min(v.seqs.length, from + KEEP_ROWS);
  for (let i = from; i < to; i++) placeRow(v, i);
}

// The reader reached the window's bottom: held rows first, then, away from the present,
// the next page from the server.
function loadNewer() {
  const v = page.view;
  if (v && !renderMore(v, false)) requestNewer(v);
}

function requestNewer(v) {
  const u = uiOf(v);
  if (!v.detached || !conn.joined() || u.newerReq || u.jumpReq) return;
  u.newerAfter = v.loadedTo; // what the pages covered; live events may have gone further
  const tok = u.newerReq = {};
  msgs.history(v, { after: u.newerAfter, limit: PAGE_SIZE }).then((p) => {
    if (u.newerReq === tok) newerPage(v, p, Array.isArray(p.messages) ? p.messages : []);
  }, (err) => requestFailed(v, tok, err));
}

// Content shorter than the pane gives no scroll event to page forward with.
function fillBelow(v) {
  if (v === page.view && v.detached && nearEnd()) loadNewer();
}

// Opens channel `name` at message `seq`: scrolls to it when the list holds it, else
// makes the list a window around it (history before seq + 1), detached from the present.
// how: {quiet: no highlight, top: near the top of the pane rather than in the middle}.
export function jumpTo(name, seq, how) {
  const v = channels.get(name);
  if (!v || v.name !== name || !Number.isInteger(seq) || seq < 1) return;
  const u = uiOf(v);
  // A synced list holds every message from its oldest on (up to the present, unless
  // detached): a seq in there that is no row is an event, shown by its neighbour.
  const held = v.synced && !u.jumpReq && v.seqs.length > 0 && seq >= msgs.minSeq(v) &&
    (seq <= msgs.maxSeq(v) || !v.detached);
  if (!held && conn.joined()) {
    clearMessages(v); // pending rows stay, after the window
    v.synced = true;  // the jump's page fills it: nothing else to fetch when shown
    v.detached = true;
    u.pinned = false;
    u.jumpSeq = seq;
    u.jumpHow = how || {};
    const tok = u.jumpReq = {};
    msgs.history(v, { before: seq + 1, limit: PAGE_SIZE }).then((p) => {
      if (u.jumpReq === tok) jumpPage(v, p, Array.isArray(p.messages) ? p.messages : []);
    }, (err) => requestFailed(v, tok, err));
  }
  if (page.view !== v) showChannel(name, { aimed: true });
  else renderHistoryTop();
  if (held) reveal(v, seq, how && how.quiet, how && how.top);
}

// Scrolls v's message seq (or the next one shown, for a seq that is not a row) to the
// middle of the pane (or near its top) and highlights it for a moment (unless quiet).
function reveal(v, seq, quiet, top) {
  if (v !== page.view || !v.seqs.length) return;
  const idx = Math.min(lowerBound(v.seqs, seq), v.seqs.length - 1);
  if (!rowOf(v, v.seqs[idx])) renderAround(v, idx);
  const row = rowOf(v, v.seqs[idx]), s = ui.scroller;
  const at = row.getBoundingClientRect().top - s.getBoundingClientRect().top;
  s.scrollTop += at - (top ? TOP_GAP_PX : Math.max(0, (s.clientHeight - row.offsetHeight) / 2));
  page.pinned = atPresent();
  if (!quiet) {
    row.dataset.highlight = "true";
    setTimeout(() => { delete row.dataset.highlight; }, HIGHLIGHT_MS);
  }
  renderJumpBar();
  fillBelow(v);
}

function jumpPage(v, p, list) {
  const u = uiOf(v);
  u.jumpReq = null;
  if (!list.length) { goToPresent(v); return; } // nothing there (any more)
  v.loadedTo = msgs.highestSeq(list);
  inView(v, () => list.forEach((raw) => addMessage(v, raw)), false);
  v.hasOlder = !!p.more && msgs.minSeq(v) !== 1;
  if (v === page.view) {
    renderHistoryTop();
    u.centerSeq = u.jumpSeq; // its page ends there: centred once the next one is in
    reveal(v, u.jumpSeq, u.jumpHow.quiet, u.jumpHow.top);
  }
}

// `after` pages come oldest first, `more` saying whether newer ones exist. A server
// without `after` answers with its newest page instead (its first seq is not past
// `after`): then the list simply becomes the present again.
function newerPage(v, p, list) {
  const u = uiOf(v);
  u.newerReq = null;
  if (list.length && list[0] && list[0].seq <= u.newerAfter) {
    clearMessages(v);
    inView(v, () => list.forEach((raw) => addMessage(v, raw)), v === page.view);
    v.hasOlder = !!p.more && msgs.minSeq(v) !== 1;
    v.synced = true;
    if (v === page.view) renderHistoryTop();
    return;
  }
  v.loadedTo = Math.max(v.loadedTo, u.newerAfter, msgs.highestSeq(list));
  inView(v, () => list.forEach((raw) => addMessage(v, raw)), false);
  if (u.centerSeq) {
    const seq = u.centerSeq;
    u.centerSeq = 0;
    reveal(v, seq, true, !!(u.jumpHow && u.jumpHow.top));
  }
  if (p.more && list.length) {
    fillBelow(v);
  } else if (v.heldLost) {
    v.heldLost = false; // some live messages were dropped: page on to them
    requestNewer(v);
  } else {
    attach(v);
  }
}

// Paging forward reached the newest message: what came live meanwhile follows it, and
// the list is live again.
function attach(v) {
  const held = msgs.attach(v);
  inView(v, () => held.forEach((raw) => addMessage(v, raw)), false);
  if (v === page.view) {
    renderHistoryTop();
    page.pinned = atPresent();
  }
}

// The "Jump to recent messages" bar, the new-messages pill, sending: back to the newest
// messages. A detached list is dropped for the newest page; a window that scrolled away
// from the end is drawn again at the end.
export function goToPresent(v) {
  if (!v) return;
  const u = uiOf(v);
  if (v.detached || u.jumpReq) {
    clearMessages(v);
    if (conn.joined()) fetchLatest(v);
  } else if (!windowAtEnd(v)) {
    renderAround(v, v.seqs.length - 1);
  }
  if (v === page.view) {
    renderHistoryTop();
    scrollToBottom();
  }
}

// The connection dropped: nothing asked is coming. A jump still waiting for its page is
// given up (the list shows the present again after the reconnect); a detached list pages
// on once back.
export function connectionLost() {
  for (const v of channels.all()) {
    const u = uiOf(v);
    u.olderReq = u.reloadReq = u.firstReq = u.newerReq = null;
    u.awaitHistory = false;
    if (u.jumpReq) {
      u.jumpReq = null;
      v.detached = false;
      v.synced = false;
    }
  }
  renderHistoryTop();
}

// Shown while the list shows the past: detached, or its window far from the newest rows.
function renderJumpBar() {
  const v = page.view;
  ui.jumpLatest.hidden = !v || (!v.detached && windowAtEnd(v));
}
