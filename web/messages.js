/*
 * parley web client: a message row's extras (UI): reactions, edits, deletes.
 *
 * Draws what messages_data.js folded onto every row list.js (or the thread panel) draws:
 * the reaction chips, "(edited)", tombstones, the reply count, the hover action bar; and
 * runs the reaction picker, the inline editor and the delete dialog. In an archived
 * channel rows are read-only: no action bar, chips that only say who reacted. Also the keyboard
 * and pointer handling shared by threads.js and mentions.js, and `ctx`, what is open
 * now, which those two read and set as well:
 *   ctx.panel    the open thread: { v, seq, req, failed } (set by threads.js)
 *   ctx.editing  the message being edited: { v, seq, place, draft }
 *   ctx.inPanel  renderMessage is drawing a row for the thread panel
 *   ctx.suggest  the open @-list: { box, input, v, start, items, index } (mentions.js)
 *
 * State lives in data, never only in the DOM: rows are thrown away and drawn again (the
 * message window, channel switches), and decorateRow() rebuilds everything from the
 * channel record. Text from the network goes into the page only through textContent.
 */
import { MAX_TEXT, errorText } from "./const.js";
import { el, icon, avatar, hhmm } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as people from "./people.js";
import { page } from "./page.js";
import * as list from "./list.js";
import { rowOf } from "./list.js";
import { toast } from "./channels.js";
import * as threads from "./threads.js";
import * as router from "./router.js";
import * as mentions from "./mentions.js";
import * as emojiPicker from "./emoji_picker.js";
import { initSuggest as emojiSuggest } from "./emoji_suggest.js";
import * as pins from "./pins.js";

const TOMBSTONE = "This message was deleted.";

// 20x20 stroked icons, drawn in currentColor (the style of channels.js's).
const ICONS = {
  smile: ["M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M7 11.5a3.5 3.5 0 0 0 6 0",
          "M7.6 8.2h.01M12.4 8.2h.01"],
  thread: ["M4 5.5A1.5 1.5 0 0 1 5.5 4h9A1.5 1.5 0 0 1 16 5.5v6a1.5 1.5 0 0 1-1.5 1.5H9.5L6 16v-3h-.5A1.5 1.5 0 0 1 4 11.5z"],
  pencil: ["M12.5 4.5l3 3L7 16H4v-3z"],
  trash: ["M4.5 6h11", "M8 6V4.5h4V6", "M6 6l.7 9.5h6.6L14 6"],
  close: ["M5 5l10 10M15 5 5 15"],
  bell: ["M6 8.5a4 4 0 0 1 8 0c0 4 1.5 5 1.5 5h-11S6 12.5 6 8.5z", "M8.5 16a1.6 1.6 0 0 0 3 0"],
  pin: pins.PIN_ICON,
};

export const ui = {};
export const ctx = { panel: null, editing: null, inPanel: false, suggest: null };
let picker = null;          // the open reaction picker (emoji_picker.js): { v, seq, anchor, row }
let deleting = null;        // the message the delete dialog asks about: { v, seq }

/* ---------- small helpers ---------- */

function svg(name) {
  return icon(ICONS[name]);
}

function button(cls, label, iconName) {
  const b = el("button", cls);
  b.type = "button";
  if (iconName) {
    b.append(svg(iconName));
    b.setAttribute("aria-label", label);
    b.title = label;
  } else {
    b.textContent = label;
  }
  return b;
}

function rowSelector(v, seq, place) {
  return '.msg[data-channel="' + CSS.escape(v.name) + '"][data-seq="' + seq + '"][data-place="' + place + '"]';
}

function notConnected() {
  toast("Not connected: try again once parley has reconnected.", "error");
}

// A request of ours was refused (or lost with the connection).
function failed(err) {
  if (err.code === "stopped" || err.code === "disconnected") return;
  if (err.code === "offline") { notConnected(); return; }
  toast(errorText(err) + " (" + err.code + ")", "error");
}

function react(v, seq, emoji) {
  if (!conn.joined()) { notConnected(); return; }
  msgs.react(v, seq, emoji).catch(failed);
}

/* ---------- what the data says changed ---------- */

// Something about message seq changed: draw its rows again.
function refresh(v, seq) {
  refreshMain(v, seq);
  if (ctx.panel && ctx.panel.v === v) {
    const m = v.mx.extra.get(seq);
    if (seq === ctx.panel.seq || (m && m.thread === ctx.panel.seq)) threads.schedulePanel();
  }
}

msgs.changes.on("changed", refresh);

// A channel became read-only (archived), or writable again: its rows are drawn again,
// and what was being done to them stops.
channels.changes.on("archived", (v) => {
  if (ctx.editing && ctx.editing.v === v) ctx.editing = null;
  if (picker && picker.v === v) closePicker(false);
  if (deleting && deleting.v === v && ui.deleteDialog.open) ui.deleteDialog.close();
  list.inView(v, () => {
    for (const [seq, row] of list.uiOf(v).rows) {
      const m = v.messages.get(seq);
      if (m) decorateRow(row, m);
    }
  }, false);
  if (ctx.panel && ctx.panel.v === v) threads.schedulePanel();
});

msgs.changes.on("deleted", (v, t) => {
  if (ctx.editing && ctx.editing.v === v && ctx.editing.seq === t) ctx.editing = null;
  if (picker && picker.v === v && picker.seq === t) closePicker(false);
  if (deleting && deleting.v === v && deleting.seq === t) ui.deleteDialog.close();
});

// Main-list rows are drawn again once per batch (a history page may hold many events,
// each of them a change to keep the scroll spot through), unless asked for now.
const dirty = new Map();    // view -> seqs whose rows wait to be drawn again

export function refreshMain(v, seq, now) {
  if (now) {
    const m = v.messages.get(seq);
    const row = rowOf(v, seq);
    if (m && row) list.inView(v, () => decorateRow(row, m), false);
    return;
  }
  if (!dirty.size) queueMicrotask(flushMain);
  if (!dirty.has(v)) dirty.set(v, new Set());
  dirty.get(v).add(seq);
}

export function flushMain() {
  const all = Array.from(dirty);
  dirty.clear();
  for (const [v, seqs] of all) {
    if (!channels.has(v.name) || channels.get(v.name) !== v) continue;
    list.inView(v, () => {
      for (const seq of seqs) {
        const m = v.messages.get(seq);
        const row = rowOf(v, seq);
        if (m && row) decorateRow(row, m);
      }
    }, false);
  }
}

/* ---------- a row's extras ---------- */

// Called by list.js's renderMessage for every row it draws (and here after changes):
// idempotent, everything from the data.
export function decorateRow(row, msg) {
  const v = msg && msg.channel && channels.has(msg.channel) ? channels.get(msg.channel) : null;
  if (!v || !Number.isInteger(msg.seq)) return;
  row.dataset.channel = v.name;
  if (!row.dataset.place) row.dataset.place = ctx.inPanel ? "thread" : "main";
  const place = row.dataset.place;
  const f = msgs.folded(v, msg.seq);
  const deleted = !!(f && f.deleted);
  const edited = !!(f && (f.local || f.text !== null));
  const text = msgs.textOf(v, msg);
  const names = edited ? msgs.findMentions(text) : msg.mentions || [];
  const mine = msg.user === people.user();
  const readOnly = !!v.info.archived;
  row.classList.toggle("is-deleted", deleted);
  // Slack's rule: a deleted message stays as a tombstone only while it holds replies;
  // without any it is gone from the list (and a deleted reply from its thread).
  const gone = deleted && msgs.threadInfo(v, msg.seq).count === 0;
  if (row.hidden !== gone) {
    row.hidden = gone;
    list.regroup(row);
  }
  row.classList.toggle("is-mention", !deleted && !mine && msgs.mentionsMe(names));
  row.classList.toggle("is-thread-open", place === "main" && !!ctx.panel && ctx.panel.v === v && ctx.panel.seq === msg.seq);
  row.querySelectorAll(".msg-actions, .msg-extras, .msg-edit").forEach((n) => {
    if (n.closest(".msg") === row) n.remove();
  });
  const body = row.querySelector(".msg-body");
  const box = row.querySelector(".msg-text");
  if (!body || !box) return;
  if (deleted) {
    row.querySelectorAll(".msg-files").forEach((n) => { if (n.closest(".msg") === row) n.remove(); });
    box.textContent = "";
    const t = el("span", "msg-tombstone", TOMBSTONE);
    t.dataset.testid = "msg-deleted";
    box.append(t);
    row.dataset.rewritten = "1";
  } else if (edited || names.length || row.dataset.rewritten) {
    box.textContent = "";
    mentions.renderText(box, text, names);
    if (edited) {
      // Opens the edit history (pins.js); a pending edit of ours has none yet.
      const mark = el("button", "msg-edited", "(edited)");
      mark.type = "button";
      mark.dataset.testid = "msg-edited";
      mark.title = (f.editTs ? "Edited " + new Date(f.editTs).toLocaleString() + ". " : "") + "Show the edit history";
      mark.addEventListener("click", () => pins.openEdits(v, msg.seq));
      box.append(" ", mark);
    }
    row.dataset.rewritten = "1";
  }
  const isEditing = !deleted && !readOnly && !!ctx.editing && ctx.editing.v === v && ctx.editing.seq === msg.seq && ctx.editing.place === place;
  box.hidden = isEditing;
  if (isEditing) box.after(editor(v, msg));
  row.querySelectorAll(".msg-pinned").forEach((n) => { if (n.closest(".msg") === row) n.remove(); });
  const pin = deleted ? null : msgs.pinOf(v, msg.seq);
  row.classList.toggle("is-pinned", !!pin);
  if (pin) {
    const mark = el("div", "msg-pinned");
    mark.dataset.testid = "msg-pinned";
    mark.append(svg("pin"), el("span", "", pin.user ? "Pinned by " + pin.user : "Pinned"));
    body.prepend(mark);
  }
  const extras = el("div", "msg-extras");
  if (!deleted) {
    const bar = reactionBar(v, msg.seq, f, readOnly);
    if (bar) extras.append(bar);
  }
  if (place === "main") {
    const info = msgs.threadInfo(v, msg.seq);
    if (info.count > 0) extras.append(threads.threadButton(v, msg.seq, info));
  }
  if (extras.firstChild) body.append(extras);
  if (!deleted && !isEditing && !readOnly) row.append(actions(v, msg, place, mine));
}

function actions(v, msg, place, mine) {
  const bar = el("div", "msg-actions");
  bar.dataset.testid = "msg-actions";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Message actions");
  const react = button("msg-action", "Add reaction", "smile");
  react.dataset.testid = "msg-react-open";
  react.addEventListener("click", () => openPicker(v, msg.seq, react));
  bar.append(react);
  if (place === "main") {
    const reply = button("msg-action", "Reply in thread", "thread");
    reply.dataset.testid = "msg-reply";
    reply.addEventListener("click", () => threads.openThread(v, msg.seq));
    bar.append(reply);
  }
  bar.append(router.linkButton(v, msg, place)); // "Copy link" (router.js)
  if (!(msg.thread > 0 && msg.thread !== msg.seq)) { // replies are not pinned (the server's rule)
    const on = !msgs.pinOf(v, msg.seq);
    const pin = button("msg-action", on ? "Pin to channel" : "Unpin from channel", "pin");
    pin.dataset.testid = "msg-pin";
    pin.setAttribute("aria-pressed", on ? "false" : "true");
    pin.addEventListener("click", () => pins.toggle(v, msg.seq, on).catch(failed));
    bar.append(pin);
  }
  if (mine) {
    const edit = button("msg-action", "Edit message", "pencil");
    edit.dataset.testid = "msg-edit";
    edit.addEventListener("click", () => startEdit(v, msg.seq, place));
    const del = button("msg-action is-danger", "Delete message", "trash");
    del.dataset.testid = "msg-delete";
    del.addEventListener("click", () => confirmDelete(v, msg.seq));
    bar.append(edit, del);
  } else if (people.isStaff()) {
    // Owners and admins moderate: they may delete anyone's message (not edit it).
    const del = button("msg-action is-danger", "Delete message (as a moderator)", "trash");
    del.dataset.testid = "msg-delete";
    del.addEventListener("click", () => confirmDelete(v, msg.seq));
    bar.append(del);
  }
  return bar;
}

function reactionBar(v, seq, f, readOnly) {
  if (!f || !f.reacts.size) return null;
  const me = people.user();
  const shown = [];
  for (const [emoji, users] of f.reacts) {
    const on = Array.from(users).filter(([, s]) => s.on);
    if (!on.length) continue;
    shown.push({ emoji, names: on.map(([u]) => u), first: Math.min(...on.map(([, s]) => s.seq)) });
  }
  if (!shown.length) return null;
  shown.sort((a, b) => a.first - b.first);
  const bar = el("div", "reactions");
  for (const r of shown) {
    const chip = el("button", "reaction");
    chip.type = "button";
    chip.dataset.testid = "reaction-chip";
    chip.dataset.emoji = r.emoji;
    const mineToo = r.names.includes(me);
    chip.classList.toggle("is-mine", mineToo);
    chip.setAttribute("aria-pressed", String(mineToo));
    const who = r.names.map((n) => (n === me ? "you" : n));
    chip.title = who.join(", ") + " reacted with " + r.emoji;
    chip.setAttribute("aria-label", r.names.length + " reaction" + (r.names.length === 1 ? "" : "s") +
      " with " + r.emoji + ", by " + who.join(", "));
    chip.append(el("span", "reaction-emoji", r.emoji), el("span", "reaction-count", String(r.names.length)));
    chip.disabled = readOnly;
    chip.addEventListener("click", () => react(v, seq, r.emoji));
    bar.append(chip);
  }
  if (readOnly) return bar;
  const add = button("reaction reaction-add", "Add reaction", "smile");
  add.dataset.testid = "reaction-add";
  add.addEventListener("click", () => openPicker(v, seq, add));
  bar.append(add);
  return bar;
}

function openPicker(v, seq, anchor) {
  const again = picker && picker.v === v && picker.seq === seq;
  closePicker(false);
  if (again) return;
  const row = anchor.closest(".msg");
  if (row) row.classList.add("is-active");
  picker = { v, seq, anchor, row };
  emojiPicker.open({
    anchor, label: "Add a reaction", testid: "reaction-picker", optionTestid: "reaction-option",
    onPick: (e) => react(v, seq, e),
    onClose: () => { if (row) row.classList.remove("is-active"); if (picker && picker.anchor === anchor) picker = null; },
  });
}

export function closePicker(refocus) {
  if (!picker) return;
  picker = null;
  emojiPicker.close(refocus);
}

/* ---------- editing ---------- */

export function startEdit(v, seq, place) {
  const m = msgs.find(v, seq);
  if (!m || m.user !== people.user() || msgs.isDeleted(v, seq) || v.info.archived) return false;
  const prev = ctx.editing;
  ctx.editing = { v, seq, place, draft: msgs.textOf(v, m) };
  if (prev) redraw(prev.v, prev.seq, prev.place);
  redraw(v, seq, place);
  const ta = document.querySelector(rowSelector(v, seq, place) + " .edit-input");
  if (ta) {
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
    ta.scrollIntoView({ block: "nearest" });
  }
  return true;
}

function redraw(v, seq, place) {
  if (place === "thread") { if (ctx.panel && ctx.panel.v === v) threads.renderPanel(); } else refreshMain(v, seq, true);
}

function editor(v, msg) {
  const wrap = el("div", "msg-edit");
  const ta = el("textarea", "edit-input");
  ta.dataset.testid = "edit-input";
  ta.rows = 1;
  ta.value = ctx.editing.draft;
  ta.setAttribute("aria-label", "Edit message");
  const grow = () => { ta.style.height = "auto"; ta.style.height = Math.min(ta.scrollHeight, 240) + "px"; };
  ta.addEventListener("input", () => { if (ctx.editing) ctx.editing.draft = ta.value; grow(); });
  ta.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); saveEdit(); }
    else if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); cancelEdit(); }
  });
  requestAnimationFrame(grow);
  const bar = el("div", "msg-edit-bar");
  const hint = el("span", "msg-edit-hint");
  hint.append("Escape to ", el("kbd", "", "cancel"), " · Enter to ", el("kbd", "", "save"));
  const cancel = el("button", "btn-secondary btn-small", "Cancel");
  cancel.type = "button";
  cancel.dataset.testid = "edit-cancel";
  cancel.addEventListener("click", cancelEdit);
  const save = el("button", "btn-primary btn-small", "Save");
  save.type = "button";
  save.dataset.testid = "edit-save";
  save.addEventListener("click", saveEdit);
  bar.append(hint, cancel, save);
  wrap.append(ta, bar);
  return wrap;
}

function composerFor(place) { return place === "thread" ? ui.threadComposer : document.getElementById("composer"); }

export function cancelEdit() {
  if (!ctx.editing) return;
  const e = ctx.editing;
  ctx.editing = null;
  redraw(e.v, e.seq, e.place);
  composerFor(e.place).focus();
}

function saveEdit() {
  if (!ctx.editing) return;
  const e = ctx.editing;
  const m = msgs.find(e.v, e.seq);
  const text = e.draft.replace(/\s+$/, "");
  if (!m) { cancelEdit(); return; }
  if (!text.trim()) { cancelEdit(); confirmDelete(e.v, e.seq); return; } // as Slack does
  if (Array.from(text).length > MAX_TEXT) {
    toast("That message is too long (" + MAX_TEXT + " characters at most).", "error");
    return;
  }
  if (text === msgs.textOf(e.v, m)) { cancelEdit(); return; }
  if (!conn.joined()) { notConnected(); return; }
  cancelEdit();
  msgs.edit(e.v, e.seq, text).catch(failed); // shown at once; the ack confirms it
}

// Up in an empty composer edits one's last message there (Slack's shortcut).
export function editLast(v, place) {
  const me = people.user();
  if (place === "thread") {
    const replies = msgs.repliesOf(v, ctx.panel.seq).reverse();
    for (const r of replies) if (r.user === me && !msgs.isDeleted(v, r.seq)) return startEdit(v, r.seq, "thread");
    return false;
  }
  for (let i = v.seqs.length - 1; i >= 0; i--) {
    const m = v.messages.get(v.seqs[i]);
    if (m && m.user === me && !m.line && !msgs.isDeleted(v, m.seq)) {
      if (!rowOf(v, m.seq)) return false; // outside the rendered window
      return startEdit(v, m.seq, "main");
    }
  }
  return false;
}

function onMainComposerKey(ev) {
  if (mentions.suggestKey(ev)) return;
  if (ev.key !== "ArrowUp" || ev.shiftKey || ev.altKey || ev.ctrlKey || ev.metaKey || ev.isComposing) return;
  const v = page.view;
  if (!v || ev.target.value !== "") return;
  if (editLast(v, "main")) ev.preventDefault();
}

/* ---------- deleting ---------- */

function confirmDelete(v, seq) {
  const m = msgs.find(v, seq);
  if (!m || msgs.isDeleted(v, seq)) return;
  deleting = { v, seq };
  ui.deletePreview.textContent = "";
  const author = el("div", "delete-author");
  author.append(avatar(m.user, "avatar-xs"), el("strong", "", m.user), el("span", "", hhmm(m.ts)));
  ui.deletePreview.append(author, el("div", "delete-text", msgs.textOf(v, m)));
  ui.deleteDialog.showModal();
  ui.deleteConfirm.focus();
}

function onDeleteConfirm() {
  const d = deleting;
  ui.deleteDialog.close();
  if (!d) return;
  if (!conn.joined()) { notConnected(); return; }
  msgs.remove(d.v, d.seq).catch(failed);
}

/* ---------- keyboard and pointer ---------- */

// Escape closes the innermost thing: the @-list, the picker, the editor, then the
// search panel (search.js's own key) or else the thread panel. Dialogs close themselves
// (the browser's cancel). Runs in the capture phase, before the other Escape handlers,
// so one press closes one thing.
function onKey(ev) {
  if (ev.key !== "Escape" || ev.defaultPrevented) return;
  if (document.querySelector("dialog[open]")) return;
  const inner = ctx.suggest ? mentions.closeSuggest : picker ? () => closePicker(true) : ctx.editing ? cancelEdit : null;
  if (inner) {
    ev.preventDefault();
    ev.stopPropagation();
    inner();
    return;
  }
  const search = document.getElementById("search-panel");
  if (search && !search.hidden) return;
  if (ctx.panel) threads.closeThread();
}

// Phones have no hover: a tap on a message shows its actions.
function onTap(ev) {
  if (!window.matchMedia || !window.matchMedia("(hover: none)").matches) return;
  const row = ev.target.closest && ev.target.closest(".msg");
  if (ev.target.closest("button, a, textarea, input")) return;
  document.querySelectorAll(".msg.is-touched").forEach((r) => { if (r !== row) r.classList.remove("is-touched"); });
  if (row) row.classList.toggle("is-touched");
}

/* ---------- start ---------- */

function bind() {
  const ids = {
    app: "app", panel: "thread-panel", threadSub: "thread-sub", threadClose: "thread-close",
    threadScroller: "thread-scroller", threadParent: "thread-parent", threadDivider: "thread-divider",
    threadReplies: "thread-replies", threadForm: "thread-form", threadComposer: "thread-composer",
    threadArchived: "thread-archived",
    threadSend: "thread-send", notify: "notify-enable", deleteDialog: "delete-dialog",
    deletePreview: "delete-preview", deleteConfirm: "delete-confirm",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  document.querySelectorAll("[data-mx-icon]").forEach((n) => n.replaceWith(svg(n.dataset.mxIcon)));
}

function listen() {
  ui.threadClose.addEventListener("click", threads.closeThread);
  ui.threadForm.addEventListener("submit", (ev) => { ev.preventDefault(); threads.sendReply(); });
  threads.initFiles(); // the panel's composer takes files too (files.js)
  ui.threadComposer.addEventListener("input", () => {
    threads.threadComposerChanged();
    mentions.updateSuggest(ui.threadComposer, ctx.panel && ctx.panel.v);
  });
  ui.threadComposer.addEventListener("blur", mentions.closeSuggest);
  ui.threadComposer.addEventListener("keydown", threads.onThreadComposerKey);
  const main = document.getElementById("composer");
  if (main) {
    main.addEventListener("keydown", onMainComposerKey);
    main.addEventListener("input", () => mentions.updateSuggest(main, page.view));
    main.addEventListener("blur", mentions.closeSuggest);
  }
  for (const box of [main, ui.threadComposer]) { emojiPicker.initComposer(box); emojiSuggest(box); }
  ui.notify.addEventListener("click", mentions.enableNotify);
  ui.deleteConfirm.addEventListener("click", onDeleteConfirm);
  ui.deleteDialog.addEventListener("close", () => { deleting = null; });
  ui.deleteDialog.addEventListener("click", (ev) => { if (ev.target === ui.deleteDialog) ui.deleteDialog.close(); });
  ui.deleteDialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.deleteDialog.close()));
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("click", onTap);
  window.addEventListener("resize", () => { closePicker(false); mentions.closeSuggest(); });
  document.addEventListener("visibilitychange", mentions.renderNotify);
}

/* ---------- a new connection, the list's life cycle ---------- */

// A welcome starts a connection: the open thread is fetched again (or closed, when its
// channel is gone).
export function welcome() {
  mentions.renderNotify();
  if (ctx.panel && channels.has(ctx.panel.v.name) && channels.get(ctx.panel.v.name) === ctx.panel.v) threads.fetchThread();
  else if (ctx.panel) threads.closeThread();
  if (ctx.panel) threads.threadComposerChanged();
}

// The list was emptied to be filled again: the open thread is fetched again too.
export function cleared(v) {
  if (ctx.panel && ctx.panel.v === v) { ctx.panel.failed = false; threads.fetchThread(); threads.renderPanel(); }
}

export function gone(v) {
  if (ctx.panel && ctx.panel.v === v) threads.closeThread();
  if (ctx.editing && ctx.editing.v === v) ctx.editing = null;
  if (picker && picker.v === v) closePicker(false);
  if (deleting && deleting.v === v && ui.deleteDialog.open) ui.deleteDialog.close();
}

export function init() {
  bind();
  listen();
  mentions.renderNotify();
}
