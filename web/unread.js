/*
 * parley web client: unread landing (UI).
 *
 * A channel with unread messages opens at the first of them, as Slack does: a "New" line
 * above that message and, at the top of the pane, "N new messages · Mark as read". The
 * read marker (channels.js, "read markers") moves only once the reader has the newest
 * message in view: opening a channel reads nothing by itself. Alt+Shift+Up / Down go to
 * the previous / next conversation with something unread (shortcuts.js routes the keys).
 *
 * A channel never read at all (a newcomer) opens at its newest messages, as before.
 *
 * The landing is one record at a time, for the channel shown: {v, after (the marker when
 * it opened: messages past it are new), count}. list.js asks `opening` which message a
 * channel should open at, and draws rows through `decorate`, so the line comes back with
 * its row however often the bounded window drops and redraws it.
 */
import { lowerBound } from "./util.js";
import { el } from "./dom.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as conn from "./conn.js";
import { ui, page } from "./page.js";
import * as list from "./list.js";
import * as chansUi from "./channels.js";
import { muted } from "./notify.js";

const NEW_CLASS = "is-first-unread";

let landing = null;          // {v, after, count} for the channel shown, while it has news
let bar = null;              // the "N new messages · Mark as read" bar
let barText = null;
const opened = new WeakSet(); // records shown since the sign-in (a record is per person)
let scrollQueued = false;

// The newest seq of a channel we know of: described, held in the list, or held back
// while the list shows the past.
function latestOf(v) {
  let top = Math.max(v.info.lastSeq || 0, msgs.maxSeq(v), v.loadedTo || 0);
  if (v.held) for (const seq of v.held.keys()) if (seq > top) top = seq;
  return top;
}

function markerOf(v) { return Math.max(v.info.readSeq || 0, v.readUpTo || 0); }

/* ---------- opening a channel ---------- */

// list.js's showChannel, before the channel counts as shown. old: the channel shown until
// now; aimed: the caller opens it at a message of its own (a search result, a link).
// Returns the seq to open v at (its first unread), or 0 to open it as it was.
export function opening(v, old, aimed) {
  if (old === v && opened.has(v)) return 0; // shown again (a reconnect): stay put
  if (old && old !== v) left(old);
  if (conn.joined()) opened.add(v);
  clearLanding();
  if (!channels.hasReadMarkers() || v.unread <= 0) return 0;
  const after = markerOf(v);
  // Never read at all (just joined, a new account and #general's past): the newest
  // messages, as Slack shows a newcomer, rather than the channel's very first.
  if (after <= 0) return 0;
  if (after >= latestOf(v) && v.info.lastSeq !== null) return 0;
  landing = { v, after, count: v.unread };
  showBar();
  // Rows drawn while the channel was not shown get the line now; the others, when drawn.
  const first = v.seqs[lowerBound(v.seqs, after + 1)];
  const row = first ? list.rowOf(v, first) : null;
  if (row) decorate(row, v.messages.get(first));
  return aimed ? 0 : after + 1;
}

// The reader leaves a channel: what they did not scroll to stays unread (the sidebar
// counts it again), and its "New" line goes.
function left(v) {
  if (!channels.hasReadMarkers()) return;
  const rest = Math.max(0, latestOf(v) - markerOf(v));
  if (rest > 0) v.unread = rest;
}

function clearLanding() {
  if (landing) {
    const box = list.uiOf(landing.v).box;
    box.querySelectorAll(":scope > ." + NEW_CLASS).forEach((row) => unmark(row));
  }
  landing = null;
  hideBar();
}

/* ---------- the "New" line ---------- */

// Called for every message row list.js draws: the first message past the marker the
// channel opened with carries the line.
export function decorate(row, msg) {
  if (!landing || !msg || msg.channel !== landing.v.name || !Number.isInteger(msg.seq)) return;
  const v = landing.v;
  if (msg.seq <= landing.after) return;
  const idx = lowerBound(v.seqs, landing.after + 1);
  if (v.seqs[idx] !== msg.seq) return;
  // The message before it must be in the list (or there is none): else it is only the
  // first of a stretch, not the first unread.
  if (idx === 0 && v.hasOlder && msgs.minSeq(v) > landing.after + 1) return;
  mark(row);
}

function mark(row) {
  if (row.classList.contains(NEW_CLASS)) return;
  row.classList.add(NEW_CLASS);
  const line = el("div", "new-line");
  line.dataset.testid = "unread-divider";
  line.setAttribute("role", "separator");
  line.setAttribute("aria-label", "New messages");
  line.append(el("span", "new-line-label", "New"));
  row.prepend(line);
}

function unmark(row) {
  row.classList.remove(NEW_CLASS);
  row.querySelectorAll(":scope > .new-line").forEach((n) => n.remove());
}

/* ---------- the bar ---------- */

function showBar() {
  if (!bar) return;
  const n = landing.count;
  barText.textContent = (n === 1 ? "1 new message" : (n > 999 ? "999+" : n) + " new messages");
  bar.hidden = false;
}

function hideBar() { if (bar) bar.hidden = true; }

// "Mark as read": everything in the channel is read, wherever the reader is.
function markAllRead() {
  const v = landing && landing.v;
  hideBar();
  if (!v || v !== page.view) return;
  v.readUpTo = Math.max(v.readUpTo || 0, latestOf(v));
  const r = channels.markRead(v, v.readUpTo);
  if (r) r.catch(() => {});
  v.unread = 0;
  chansUi.renderList();
}

function jumpToFirst() {
  const v = landing && landing.v;
  if (v && v === page.view) list.jumpTo(v.name, landing.after + 1, { quiet: true, top: true });
}

/* ---------- the read marker ---------- */

// The newest seq the reader has in view in v: its newest message when the list shows the
// present and the reader is at its bottom, else nothing (0). channels.js moves the
// marker no further than this.
export function seenUpTo(v) {
  if (v !== page.view || !list.windowAtEnd(v) || !list.isNearBottom()) return 0;
  if (landing && landing.v === v) hideBar(); // read to the end: the bar has done its job
  return msgs.maxSeq(v);
}

// Scrolling to the bottom reads, and so do rows arriving under a reader who is there
// (a page that completes a short channel scrolls nothing): checked once a frame at most.
function check() {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    const v = page.view;
    if (v && seenUpTo(v) > (v.readUpTo || 0)) chansUi.viewed(v);
  });
}

/* ---------- Alt+Shift+Up / Down ---------- */

// The previous (dir -1) or next (dir 1) conversation in the sidebar's order with unread
// messages or mentions; returns whether there was one.
export function step(dir) {
  const order = chansUi.sidebarChannels();
  if (!order.length) return false;
  const n = order.length, at = order.indexOf(page.view);
  for (let k = 1; k <= n; k++) {
    const v = order[(((at + dir * k) % n) + n) % n];
    if (v !== page.view && ((v.unread > 0 && !muted(v)) || v.mentions > 0)) { // muted: mentions only
      list.showChannel(v.name);
      return true;
    }
  }
  return false;
}

/* ---------- start ---------- */

export function reset() {
  clearLanding();
}

export function init() {
  bar = el("div", "unread-bar");
  bar.dataset.testid = "unread-bar";
  bar.setAttribute("role", "status");
  bar.hidden = true;
  const jump = el("button", "unread-bar-text");
  jump.type = "button";
  jump.title = "Go to the first new message";
  barText = el("span");
  jump.append(barText);
  const read = el("button", "unread-bar-read", "Mark as read");
  read.type = "button";
  read.dataset.testid = "unread-mark-read";
  jump.addEventListener("click", jumpToFirst);
  read.addEventListener("click", markAllRead);
  bar.append(jump, read);
  ui.scroller.parentNode.append(bar);
  ui.scroller.addEventListener("scroll", check, { passive: true });
  new MutationObserver(check).observe(ui.scroller, { childList: true, subtree: true });
  // Another tab (or "Mark as read" there) read this channel to its end.
  conn.onFrame("read", (p) => {
    if (landing && p && p.channel === landing.v.name && Number.isInteger(p.seq) && p.seq >= latestOf(landing.v)) hideBar();
  });
}
