/*
 * parley web client: messages (data, no DOM).
 *
 * What the client holds of each channel's messages, on its channel record (see
 * channels_data.js), and the message requests of docs/protocol.md as promises.
 *   messages, seqs   seq -> {seq, user, text, ts, channel, mentions, cid, guest}, and the sorted
 *                    seqs: one contiguous stretch, so history pages, live messages and
 *                    resume replays may arrive in any order and overlap.
 *   hasOlder, synced older messages exist; the newest page is in (or the channel was
 *                    empty when we became a member), so every later message comes live.
 *   detached, loadedTo, held, heldLost
 *                    the stretch is in the past (a jump to an old message): live messages
 *                    past loadedTo wait in `held` (at most HOLD_MAX) until paging forward
 *                    reaches them.
 *   mx.folds         target seq -> {text, editSeq, editTs, deleted, reacts: emoji -> user ->
 *                    {on, seq}, local, pin: {on, seq, user, ts}}: what events did to a message. Each part only moves
 *                    forward by seq, so events may come in any order, twice, or first.
 *   mx.replies       parent seq -> (reply seq -> reply), mx.summary parent seq -> the
 *                    server's {count, last_seq, last_ts}, mx.extra seq -> a message not in
 *                    the main list (replies; parents that came only with a thread).
 *   extraLow, extraHigh  the seqs replies and events of pages covered (minSeq / maxSeq
 *                    include them, so paging, resume and read markers go past them).
 *
 * The outbox: messages we sent and the server has not acknowledged. Each has a client key
 * (`cid`) made when it was written and kept for its life; the request is sent with
 * conn's retry, so after a dropped connection it goes again, with the same cid, once the
 * resume has been answered (a server that stored the first try acknowledges the original
 * seq). Our message is recognised by the ack's seq, or by its cid in a `msg` the server
 * sends (a resume replaying it): never by its text.
 *
 * Changes are announced through `changes`: "changed" (ch, seq: redraw that message),
 * "deleted" (ch, seq), "history" (ch: hasOlder / synced changed), "pending" (p: added or
 * its status changed), "confirmed" (p, raw: stored; raw is the message to add, null when
 * it is already in), "failed" (p: the server refused it).
 */
import { MAX_TEXT } from "./const.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { emitter, lowerBound, newCid } from "./util.js";
import * as lines from "./lines.js";

const HOLD_MAX = 1000;            // live messages a detached list holds for later
export const EVERYONE = ["channel", "here"];

export const changes = emitter();
const outbox = new Map();         // cid -> pending message

channels.onCreate((ch) => {
  Object.assign(ch, {
    messages: new Map(), seqs: [], hasOlder: true, synced: false,
    detached: false, loadedTo: 0, held: new Map(), heldLost: false,
    mx: { folds: new Map(), replies: new Map(), summary: new Map(), extra: new Map() },
    extraLow: null, extraHigh: 0,
  });
});

channels.changes.on("empty", (ch) => {
  // An empty channel we are in has nothing to fetch: all of it will come live.
  if (ch.synced) return;
  ch.synced = true;
  ch.hasOlder = false;
  changes.emit("history", ch);
});

channels.changes.on("dropped", (ch) => {
  for (const p of Array.from(outbox.values())) if (p.channel === ch.name) outbox.delete(p.cid);
});

conn.setResumeState(() => {
  const out = {};
  for (const ch of channels.all()) {
    if (!ch.detached && (ch.synced || ch.seqs.length)) out[ch.name] = maxSeq(ch);
  }
  return out;
});

/* ---------- the range held ---------- */

export function minSeq(ch) {
  const s = ch.seqs.length ? ch.seqs[0] : null;
  return ch.extraLow != null && (s === null || ch.extraLow < s) ? ch.extraLow : s;
}

export function maxSeq(ch) {
  return Math.max(ch.seqs.length ? ch.seqs[ch.seqs.length - 1] : 0, ch.extraHigh || 0);
}

// The channel lines held after seq ("bob joined": lines.js): unread does not count them.
export function linesAfter(ch, seq) {
  let n = 0;
  for (let i = lowerBound(ch.seqs, seq + 1); i < ch.seqs.length; i++) if (ch.messages.get(ch.seqs[i]).line) n++;
  return n;
}

export function highestSeq(list) {
  let top = 0;
  for (const raw of list) if (raw && Number.isInteger(raw.seq) && raw.seq > top) top = raw.seq;
  return top;
}

/* ---------- adding ---------- */

// A message as the lists keep it, from a payload the server sent.
function record(ch, raw) {
  const msg = {
    seq: raw.seq,
    user: typeof raw.user === "string" ? raw.user : "unknown",
    text: raw.text,
    ts: Number.isFinite(raw.ts) ? raw.ts : Date.now(),
    channel: ch.name,
    mentions: mentionsOf(raw),
  };
  if (typeof raw.cid === "string") msg.cid = raw.cid;
  if (Array.isArray(raw.files) && raw.files.length) msg.files = raw.files; // files.js draws them
  if (raw.app && typeof raw.app === "object") msg.app = raw.app; // an integration's (apps.js)
  if (raw.guest === true) { msg.guest = true; people.noteEvent(raw); } // the server marks guests
  if (lines.isLine(raw)) return lines.decorate(msg, raw); // "bob joined": a row of its own
  // A page's message as it stands now (its events may be outside the page): deleted ones
  // come as tombstones, edited ones with their latest text.
  if (raw.deleted === true) fold(ch, raw.seq).deleted = true;
  else if (raw.edited === true && typeof raw.text === "string") {
    const f = fold(ch, raw.seq);
    if (f.text === null) f.text = raw.text;
  }
  return msg;
}

// Adds one payload (history, live, resume, an ack). Returns the new message when it joined
// the main list, "claimed" for a thread reply or an event (folded here), else null.
export function add(ch, raw) {
  if (!raw || typeof raw !== "object" || !Number.isInteger(raw.seq)) return null;
  // A detached list takes nothing past its pages (replies and events neither): it stays
  // one contiguous stretch, and paging forward brings the rest in order.
  if (ch.detached && raw.seq > ch.loadedTo) { hold(ch, raw); return null; }
  ownArrived(raw);
  if (claim(ch, raw)) return "claimed";
  if ((typeof raw.text !== "string" && !lines.isLine(raw)) || ch.messages.has(raw.seq)) return null;
  const msg = record(ch, raw);
  adoptSummary(ch, msg.seq, raw.replies);
  ch.seqs.splice(lowerBound(ch.seqs, msg.seq), 0, msg.seq);
  ch.messages.set(msg.seq, msg);
  return msg;
}

// A message of ours that a server with client keys sent back (a resume replaying what
// was stored before the link dropped): its pending copy is done.
function ownArrived(raw) {
  if (typeof raw.cid !== "string" || raw.user !== people.user()) return;
  const p = outbox.get(raw.cid);
  if (!p) return;
  outbox.delete(p.cid);
  changes.emit("confirmed", p, null);
}

function hold(ch, raw) {
  if (ch.held.size >= HOLD_MAX) {
    ch.held.clear();
    ch.heldLost = true; // paging forward fetches them instead
  }
  ch.held.set(raw.seq, raw);
}

// Paging forward reached the newest message: the list is live again; returns what came
// live meanwhile, oldest first, to be added.
export function attach(ch) {
  ch.detached = false;
  const list = Array.from(ch.held.values()).sort((a, b) => a.seq - b.seq);
  ch.held.clear();
  return list;
}

// Empties the main list to fill it again (a jump, a resume the server could not serve).
// What was folded stays: it is keyed by seq, and the pages that come back bring their
// events again, which fold idempotently; only the range the pages covered starts over.
export function clear(ch) {
  ch.messages.clear();
  ch.seqs = [];
  ch.hasOlder = true;
  ch.synced = false;
  ch.detached = false;
  ch.loadedTo = 0;
  ch.held.clear();
  ch.heldLost = false;
  ch.extraLow = null;
  ch.extraHigh = 0;
}

/* ---------- events and replies ---------- */

function fold(ch, seq) {
  let f = ch.mx.folds.get(seq);
  if (!f) {
    f = { text: null, editSeq: 0, editTs: 0, deleted: false, reacts: new Map(), local: null, pin: null };
    ch.mx.folds.set(seq, f);
  }
  return f;
}

export function folded(ch, seq) { return ch.mx.folds.get(seq) || null; }
export function find(ch, seq) { return ch.messages.get(seq) || ch.mx.extra.get(seq) || null; }
export function isDeleted(ch, seq) { const f = folded(ch, seq); return !!(f && f.deleted); }

// The text a message shows now: a pending edit of ours, else the newest edit.
export function textOf(ch, m) {
  const f = folded(ch, m.seq);
  if (f && f.local) return f.local.text;
  return f && f.text !== null ? f.text : m.text;
}

// Replies and events of pages widen the range the list covered; a detached list only
// covers what its own pages reached.
function note(ch, seq) {
  if (ch.detached && seq > (ch.loadedTo || 0)) return;
  if (ch.extraLow == null || seq < ch.extraLow) ch.extraLow = seq;
  if (seq > (ch.extraHigh || 0)) ch.extraHigh = seq;
}

// A thread reply or an event: folded here (returns true), not a message of the main list.
export function claim(ch, raw) {
  if (lines.isLine(raw)) return false; // a channel line is a row of the main list
  if (typeof raw.kind === "string") {
    note(ch, raw.seq);
    applyEvent(ch, raw);
  } else if (Number.isInteger(raw.thread) && raw.thread > 0 && raw.thread !== raw.seq && typeof raw.text === "string") {
    note(ch, raw.seq);
    addReply(ch, raw);
  } else {
    return false;
  }
  return true;
}

// An `edit`, `delete`, `react` or `pin` event (live, or in a page as kind + target).
export function applyEvent(ch, e) {
  const t = e.target;
  if (!Number.isInteger(t)) return;
  const f = fold(ch, t);
  if (e.kind === "edit" && typeof e.text === "string") {
    if (e.seq <= f.editSeq) return;
    f.editSeq = e.seq;
    f.text = e.text;
    f.editTs = Number.isFinite(e.ts) ? e.ts : Date.now();
    if (f.local && (f.local.seq ? e.seq >= f.local.seq : typeof e.cid === "string" && e.cid === f.local.cid)) f.local = null;
  } else if (e.kind === "delete") {
    if (f.deleted) return;
    f.deleted = true;
    f.local = null;
    changes.emit("deleted", ch, t);
  } else if (e.kind === "react" && typeof e.emoji === "string" && typeof e.user === "string") {
    let users = f.reacts.get(e.emoji);
    if (!users) { users = new Map(); f.reacts.set(e.emoji, users); }
    const cur = users.get(e.user);
    if (cur && cur.seq >= e.seq) return;
    users.set(e.user, { on: e.on !== false, seq: e.seq });
  } else if (e.kind === "pin") {
    if (f.pin && f.pin.seq >= e.seq) return;
    f.pin = { on: e.on !== false, seq: e.seq, user: typeof e.user === "string" ? e.user : "", ts: e.ts || 0 };
    changes.emit("pinned", ch, t);
  } else {
    return;
  }
  changes.emit("changed", ch, t);
}

// Whether message seq is pinned, as far as the events seen say: {user, ts} or null.
export function pinOf(ch, seq) {
  const f = folded(ch, seq);
  return f && f.pin && f.pin.on && !f.deleted ? f.pin : null;
}

export function addReply(ch, raw) {
  const s = ch.mx;
  if (s.extra.has(raw.seq) || ch.messages.has(raw.seq)) return false;
  const r = record(ch, raw);
  r.thread = raw.thread;
  s.extra.set(r.seq, r);
  let set = s.replies.get(r.thread);
  if (!set) { set = new Map(); s.replies.set(r.thread, set); }
  set.set(r.seq, r);
  changes.emit("changed", ch, r.thread);
  return true;
}

// A thread parent that came only with a `thread` answer (not in the main list).
export function addParent(ch, raw) {
  if (ch.messages.has(raw.seq) || ch.mx.extra.has(raw.seq)) return;
  ch.mx.extra.set(raw.seq, record(ch, raw));
}

// The server's reply count of a parent, from a history page.
function adoptSummary(ch, seq, r) {
  if (!r || typeof r !== "object" || !Number.isInteger(r.count) || r.count < 0 || !Number.isInteger(r.last_seq)) return;
  const old = ch.mx.summary.get(seq);
  if (!old || r.last_seq >= old.last_seq) {
    ch.mx.summary.set(seq, { count: r.count, last_seq: r.last_seq, last_ts: Number.isFinite(r.last_ts) ? r.last_ts : 0 });
  }
}

// Reply count, newest reply time and the last few repliers of a parent: the server's
// count plus the replies we know of past its last_seq (without one: the known replies).
export function threadInfo(ch, seq) {
  const known = ch.mx.replies.get(seq);
  const sum = ch.mx.summary.get(seq);
  let count = sum ? sum.count : 0, lastTs = sum ? sum.last_ts : 0;
  const people3 = [];
  if (known) {
    const list = Array.from(known.values()).sort((a, b) => b.seq - a.seq);
    for (const r of list) {
      if (!sum || r.seq > sum.last_seq) count++;
      if (r.ts > lastTs) lastTs = r.ts;
      if (people3.length < 3 && !people3.includes(r.user)) people3.push(r.user);
    }
  }
  return { count, lastTs, people: people3 };
}

export function repliesOf(ch, seq) {
  const set = ch.mx.replies.get(seq);
  return set ? Array.from(set.values()).sort((a, b) => a.seq - b.seq) : [];
}

/* ---------- mentions ---------- */

function nameList(raw) {
  return Array.isArray(raw) ? raw.filter((n) => typeof n === "string" && n) : [];
}

// A payload's mentions (the server's list; our own acked messages have none: found here).
export function mentionsOf(raw) {
  return Array.isArray(raw.mentions) ? nameList(raw.mentions) : findMentions(raw.text || "");
}

export function mentionsMe(names) {
  const me = people.user();
  return names.some((n) => n === me || EVERYONE.includes(n));
}

// The @names of a text, by the server's rule: "@" at the start or after a non-word
// character, running to white space or punctuation; at most 16.
export function findMentions(text) {
  const out = [];
  const re = /(^|[^\p{L}\p{N}_])@([^\s!-/:-@[-^`{-~]+)/gu;
  let m;
  while ((m = re.exec(text)) !== null && out.length < 16) out.push(m[2]);
  return out;
}

/* ---------- requests ---------- */

export function history(ch, payload) {
  return conn.request("history", Object.assign({ channel: ch.name }, payload));
}

export function thread(ch, seq) {
  return conn.request("thread", { channel: ch.name, seq });
}

export function tooLong(text) { return Array.from(text).length > MAX_TEXT; }

// Edits a message of ours: shown at once, confirmed by the ack (its seq is the edit's).
export function edit(ch, seq, text) {
  const cid = newCid();
  const f = fold(ch, seq);
  f.local = { text, cid, seq: 0 };
  changes.emit("changed", ch, seq);
  return conn.request("edit", { channel: ch.name, seq, text, cid }).then((ack) => {
    applyEvent(ch, { kind: "edit", seq: ack.seq, target: seq, text, ts: ack.ts, user: people.user(), cid });
    if (f.local && f.local.cid === cid) { f.local = null; changes.emit("changed", ch, seq); }
  }, (err) => {
    if (f.local && f.local.cid === cid) { f.local = null; changes.emit("changed", ch, seq); }
    throw err;
  });
}

export function remove(ch, seq) {
  const cid = newCid();
  return conn.request("delete", { channel: ch.name, seq, cid }).then((ack) => {
    applyEvent(ch, { kind: "delete", seq: ack.seq, target: seq, ts: ack.ts, user: people.user(), cid });
  });
}

// Toggles our emoji on a message; the `react` event says whether it is on now.
export function react(ch, seq, emoji) {
  return conn.request("react", { channel: ch.name, seq, emoji, cid: newCid() });
}

/* ---------- the outbox ---------- */

// Sends text to ch (a reply in thread `thread` when given). Returns the pending message:
// {cid, channel, thread, text, ts, user, afterSeq, status: "sending" | "failed", error}.
export function send(ch, text, threadSeq, files) {
  const p = { cid: newCid(), channel: ch.name, thread: threadSeq || 0, text, ts: Date.now(),
    user: people.user(), afterSeq: maxSeq(ch), status: "sending", error: "" };
  if (files && files.length) p.files = files; // as uploads answered them (files.js)
  outbox.set(p.cid, p);
  transmit(p);
  return p;
}

function transmit(p) {
  p.status = "sending";
  p.error = "";
  changes.emit("pending", p);
  const payload = { channel: p.channel, text: p.text, cid: p.cid };
  if (p.thread) payload.thread = p.thread;
  if (p.files) payload.files = p.files.map((f) => ({ id: f.id }));
  conn.request("msg", payload, { retry: true }).then((ack) => confirmed(p, ack), (err) => refused(p, err));
}

function confirmed(p, ack) {
  if (outbox.get(p.cid) !== p) return; // its cid came back first, or it was discarded
  outbox.delete(p.cid);
  const raw = { seq: ack.seq, user: p.user, text: p.text, ts: Number.isFinite(ack.ts) ? ack.ts : p.ts, cid: p.cid };
  if (p.thread) raw.thread = p.thread;
  if (p.files) raw.files = p.files;
  changes.emit("confirmed", p, Number.isInteger(ack.seq) ? raw : null);
}

function refused(p, err) {
  if (outbox.get(p.cid) !== p) return;
  if (err.code === "stopped") { outbox.delete(p.cid); return; } // signed out
  p.status = "failed";
  p.error = err.code;
  if (p.thread) outbox.delete(p.cid); // a reply goes back into its box (threads.js)
  changes.emit("failed", p);
}

// Sends a failed message again, with the same cid: it was not stored.
export function retry(p) {
  if (outbox.get(p.cid) !== p || p.status !== "failed") return;
  const ch = channels.get(p.channel);
  if (ch) p.afterSeq = maxSeq(ch);
  transmit(p);
}

export function discard(p) { outbox.delete(p.cid); }

// The pending messages of a channel (of one thread, or of the main list: thread 0).
export function pendingOf(ch, threadSeq) {
  return Array.from(outbox.values()).filter((p) => p.channel === ch.name && p.thread === (threadSeq || 0));
}

export function reset() { outbox.clear(); }
