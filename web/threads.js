/*
 * parley web client: the thread panel (UI).
 *
 * A thread opens beside the messages (Slack's layout, shared with search.js's results):
 * its parent, its replies and a composer of its own. It asks with `thread` and sends
 * replies through the outbox (messages_data.js) as `msg` with `thread`; our replies not
 * yet stored show as pending rows at the end. Also the reply-count button a parent shows
 * in the main list. The panel is small (a thread has at most a few hundred replies), so
 * it is drawn whole, once per batch of changes (schedulePanel). What it draws is the
 * channel record's data (messages_data.js); what is open is messages.js's ctx.panel,
 * set only here.
 *
 * Text from the network goes into the page only through textContent.
 */
import { MAX_TEXT, GROUP_GAP_MS, NEAR_BOTTOM_PX, errorText } from "./const.js";
import { el, avatar, hhmm } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as list from "./list.js";
import { toast, title } from "./channels.js";
import { ui, ctx, closePicker, refreshMain, editLast } from "./messages.js";
import { suggestKey } from "./mentions.js";
import * as files from "./files.js";
import { drafts } from "./drafts.js"; // "channel/seq" -> a reply box's unsent text, kept

let panelDirty = false;     // the panel waits to be drawn again, once per batch of changes

/* ---------- a parent's reply count ---------- */

function shortWhen(ts) {
  const d = new Date(ts), now = new Date();
  if (d.toDateString() === now.toDateString()) return hhmm(ts);
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " + hhmm(ts);
}

export function schedulePanel() {
  if (panelDirty) return;
  panelDirty = true;
  queueMicrotask(() => { if (panelDirty) renderPanel(); });
}

export function threadButton(v, seq, info) {
  const b = el("button", "thread-summary");
  b.type = "button";
  b.dataset.testid = "thread-open";
  const faces = el("span", "thread-faces");
  for (const name of info.people) faces.append(avatar(name, "avatar-xs"));
  const count = info.count === 1 ? "1 reply" : info.count + " replies";
  b.append(faces, el("span", "thread-count", count));
  if (info.lastTs) {
    const when = el("span", "thread-last", "· " + shortWhen(info.lastTs));
    when.title = "Last reply " + new Date(info.lastTs).toLocaleString();
    b.append(when);
  }
  b.append(el("span", "thread-view", "View thread"));
  b.setAttribute("aria-label", count + ", open the thread");
  b.addEventListener("click", () => openThread(v, seq));
  return b;
}

/* ---------- the thread panel ---------- */

// hl: a reply's seq to scroll to and light up for a moment (a search result).
export function openThread(v, seq, hl) {
  closePicker(false);
  const mark = Number.isInteger(hl) ? { seq: hl, until: Date.now() + HIGHLIGHT_MS, shown: false } : null;
  if (ctx.panel && ctx.panel.v === v && ctx.panel.seq === seq) {
    if (mark) { ctx.panel.hl = mark; renderPanel(); }
    ui.threadComposer.focus();
    return;
  }
  const prev = ctx.panel;
  if (prev) saveDraft();
  if (ctx.editing && ctx.editing.place === "thread") ctx.editing = null;
  ctx.panel = { v, seq, req: null, failed: false, hl: mark };
  // Search results (search.js) and a thread share the right-hand side, as in Slack.
  const search = document.getElementById("search-panel");
  const searchClose = document.getElementById("search-close");
  if (search && !search.hidden && searchClose) searchClose.click();
  if (prev) refreshMain(prev.v, prev.seq, true);
  refreshMain(v, seq, true);
  ui.app.classList.add("thread-open");
  ui.panel.hidden = false;
  fetchThread();
  ui.threadComposer.value = drafts.get(v.name + "/" + seq) || "";
  threadComposerChanged();
  renderPanel(true);
  ui.threadComposer.focus();
}

export function fetchThread() {
  if (!conn.joined()) return;
  const panel = ctx.panel;
  const { v, seq } = panel;
  const tok = panel.req = {};
  msgs.thread(v, seq).then((p) => {
    onThread(v, p);
    if (ctx.panel === panel && panel.req === tok) { panel.req = null; renderPanel(); }
  }, (err) => {
    if (ctx.panel !== panel || panel.req !== tok) return;
    panel.req = null;
    panel.failed = true;
    renderPanel();
    if (err.code !== "no_such_message" && err.code !== "disconnected" && err.code !== "stopped") {
      toast(errorText(err) + " (" + err.code + ")", "error"); // a deleted parent: the panel says so
    }
  });
}

function saveDraft() {
  if (!ctx.panel) return;
  const key = ctx.panel.v.name + "/" + ctx.panel.seq;
  if (ui.threadComposer.value) drafts.set(key, ui.threadComposer.value); else drafts.delete(key);
}

export function closeThread() {
  if (!ctx.panel) return;
  saveDraft();
  const p = ctx.panel;
  ctx.panel = null;
  if (ctx.editing && ctx.editing.place === "thread") ctx.editing = null;
  ui.panel.hidden = true;
  ui.app.classList.remove("thread-open");
  ui.threadParent.textContent = "";
  ui.threadReplies.textContent = "";
  refreshMain(p.v, p.seq, true);
  const main = document.getElementById("composer");
  if (main && !main.disabled) main.focus();
}

// A `thread` answer: the parent (kept aside when the main list does not hold it) and
// the replies.
function onThread(v, p) {
  if (!Number.isInteger(p.seq)) return;
  const all = Array.isArray(p.messages) ? p.messages : [];
  for (const raw of all) {
    if (!raw || !Number.isInteger(raw.seq) || typeof raw.text !== "string") continue;
    if (raw.seq === p.seq) msgs.addParent(v, raw);
    else if (raw.thread === p.seq) msgs.addReply(v, raw); // not a page of the channel: no range
  }
}

const HIGHLIGHT_MS = 3000; // as list.js: a reply opened from search stays lit this long

// The reply a search result opened: lit while its moment lasts (the panel is redrawn whole,
// so each drawing marks it again), and scrolled to once, when it first is there.
function markReply(panel) {
  const hl = panel.hl;
  if (!hl) return;
  const row = ui.threadReplies.querySelector('.msg[data-seq="' + hl.seq + '"]');
  if (!row) return;
  const left = hl.until - Date.now();
  if (left <= 0) { panel.hl = null; return; }
  row.dataset.highlight = "true";
  setTimeout(() => { if (panel.hl === hl) { delete row.dataset.highlight; panel.hl = null; } }, left);
  if (!hl.shown) {
    hl.shown = true;
    row.scrollIntoView({ block: "center" });
  }
}

function nearBottom(s) { return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX; }

function panelRow(m, prev) {
  let row;
  ctx.inPanel = true;
  try { row = list.renderMessage(m, null); } finally { ctx.inPanel = false; }
  row.dataset.testid = "thread-msg";
  const grouped = prev && prev.user === m.user && Math.abs(m.ts - prev.ts) < GROUP_GAP_MS &&
    new Date(prev.ts).toDateString() === new Date(m.ts).toDateString();
  row.classList.toggle("is-grouped", !!grouped);
  return row;
}

// The panel is small (a thread has at most a few hundred replies): drawn whole.
export function renderPanel(toBottom) {
  panelDirty = false;
  if (!ctx.panel) return;
  const { v, seq } = ctx.panel;
  const sc = ui.threadScroller;
  const stick = toBottom || nearBottom(sc);
  const top = sc.scrollTop;
  const active = document.activeElement;
  const refocus = active && active.classList.contains("edit-input") && ui.panel.contains(active);
  ui.threadSub.textContent = title(v);
  const readOnly = !!v.info.archived; // an archived channel's threads are read, not added to
  ui.threadForm.hidden = readOnly;
  ui.threadArchived.hidden = !readOnly;
  ui.threadParent.textContent = "";
  ui.threadReplies.textContent = "";
  const parent = msgs.find(v, seq);
  if (parent) ui.threadParent.append(panelRow(parent, null));
  else ui.threadParent.append(el("div", "loading", ctx.panel.failed ? "This message is not available." : "Loading the thread…"));
  const replies = msgs.repliesOf(v, seq);
  const count = Math.max(replies.length, msgs.threadInfo(v, seq).count);
  ui.threadDivider.hidden = !count;
  ui.threadDivider.firstChild.textContent = count === 1 ? "1 reply" : count + " replies";
  let prev = null;
  for (const r of replies) {
    ui.threadReplies.append(panelRow(r, prev));
    prev = r;
  }
  for (const q of msgs.pendingOf(v, seq)) {
    const row = list.renderMessage({ user: q.user, text: q.text, ts: q.ts, files: q.files }, q);
    row.dataset.testid = "thread-pending";
    ui.threadReplies.append(row);
  }
  if (ctx.panel.req && parent) ui.threadReplies.append(el("div", "loading", "Loading replies…"));
  if (stick) sc.scrollTop = sc.scrollHeight; else sc.scrollTop = top;
  markReply(ctx.panel);
  if (refocus) {
    const ta = ui.panel.querySelector(".edit-input");
    if (ta) { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); }
  }
}

// The panel composer's attachments (files.js): a tray per thread.
let replyFiles = null;

export function initFiles() {
  replyFiles = files.attach(ui.threadForm, ui.threadComposer, ui.panel,
    () => (ctx.panel ? { key: ctx.panel.v.name + "/" + ctx.panel.seq, channel: ctx.panel.v } : null),
    threadComposerChanged);
}

export function threadComposerChanged() {
  const c = ui.threadComposer;
  c.style.height = "auto";
  c.style.height = Math.min(c.scrollHeight, 200) + "px";
  const ready = !!replyFiles && replyFiles.hasReady();
  ui.threadSend.disabled = !conn.everJoined() || (!c.value.trim() && !ready); // offline: queued
  if (replyFiles) replyFiles.sync(); // this thread's attachments only
  saveDraft();
}

export function sendReply() {
  if (!ctx.panel || ctx.panel.v.info.archived) return;
  const text = ui.threadComposer.value.replace(/\s+$/, "");
  if (replyFiles && replyFiles.uploading()) {
    toast("Your files are still uploading: send once they are done.", "info");
    return;
  }
  if (!text.trim() && !(replyFiles && replyFiles.hasReady())) return;
  if (msgs.tooLong(text)) {
    toast("That reply is too long (" + MAX_TEXT + " characters at most).", "error");
    return;
  }
  if (!conn.everJoined()) { toast("Not connected: try again once parley has connected.", "error"); return; }
  const { v, seq } = ctx.panel; // offline: queued, sent with its cid after the resume
  msgs.send(v, text, seq, replyFiles ? replyFiles.take() : []);
  ui.threadComposer.value = "";
  drafts.delete(v.name + "/" + seq);
  threadComposerChanged();
  renderPanel(true);
}

export function onThreadComposerKey(ev) {
  if (suggestKey(ev)) return;
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    sendReply();
  } else if (ev.key === "ArrowUp" && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey &&
             !ev.isComposing && ui.threadComposer.value === "" && ctx.panel) {
    if (editLast(ctx.panel.v, "thread")) ev.preventDefault();
  }
}

// A reply that was not stored goes back into its composer, where it can be sent again.
function replyFailed(p) {
  const v = channels.has(p.channel) ? channels.get(p.channel) : null;
  if (!v) return;
  if (ctx.panel && ctx.panel.v === v && ctx.panel.seq === p.thread) {
    if (!ui.threadComposer.value) { ui.threadComposer.value = p.text; threadComposerChanged(); }
    renderPanel();
  } else {
    const key = v.name + "/" + p.thread;
    if (!drafts.get(key)) drafts.set(key, p.text);
  }
}

function panelOf(p) {
  return p.thread && ctx.panel && ctx.panel.v.name === p.channel && ctx.panel.seq === p.thread;
}

msgs.changes.on("pending", (p) => { if (panelOf(p)) schedulePanel(); });
msgs.changes.on("failed", (p) => { if (p.thread) replyFailed(p); });
msgs.changes.on("confirmed", (p, raw) => {
  if (!p.thread) return;
  const v = channels.has(p.channel) ? channels.get(p.channel) : null;
  if (v && raw) list.addMessage(v, raw);
  if (panelOf(p)) schedulePanel();
});
