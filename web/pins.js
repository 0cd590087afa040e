/*
 * parley web client: pinned messages and edit histories (UI).
 *
 * The header's pin button (the channel's pinned count) opens a dialog listing the pinned
 * messages, newest pin first, from the server's `pins` answer; each opens the message in
 * its channel (list.js jumpTo, as search results do). "(edited)" on a message opens a
 * dialog with its first text and every edit, with their times (`edits`). Pins themselves
 * are events folded by messages_data.js (the "Pinned" mark on rows, drawn by messages.js).
 *
 * Counts are asked for when a channel is shown and again (debounced) when a pin event of
 * it arrives; text from the network goes into the page only through textContent.
 */
import { el, icon, avatar } from "./dom.js";
import * as conn from "./conn.js";
import * as msgs from "./messages_data.js";
import { page } from "./page.js";
import { jumpTo } from "./list.js";
import { errorText } from "./const.js";

export const PIN_ICON = ["M8 3h4l-.5 4 2.5 2.5V11H6V9.5L8.5 7z", "M10 11v6"];

const ui = {};
const counts = new Map(); // channel name -> pinned count (the server's)
let refetch = null;       // a pending refresh of the shown channel's count
let listed = null;        // the channel whose pins the dialog lists
let applying = false;     // folding a `pins` answer

function when(ts) {
  if (!Number.isFinite(ts) || ts <= 0) return "";
  return new Date(ts).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function timeEl(ts, cls) {
  const t = el("time", cls, when(ts));
  if (ts > 0) t.dateTime = new Date(ts).toISOString();
  return t;
}

function modal(id, titleText) {
  const d = el("dialog", "modal modal-wide pins-dialog");
  d.id = id;
  d.dataset.testid = id;
  const head = el("div", "modal-head");
  const h = el("h2", "", titleText);
  h.id = id + "-title";
  d.setAttribute("aria-labelledby", h.id);
  const close = el("button", "icon-btn");
  close.type = "button";
  close.setAttribute("aria-label", "Close");
  close.append(icon(["M5 5l10 10M15 5 5 15"]));
  close.addEventListener("click", () => d.close());
  head.append(h, close);
  const body = el("div", "modal-body pins-body");
  d.append(head, body);
  d.addEventListener("click", (ev) => { if (ev.target === d) d.close(); }); // the backdrop
  document.body.append(d);
  return { d, h, body };
}

function renderCount(v) {
  if (!ui.button) return;
  const n = v ? counts.get(v.name) : undefined;
  ui.button.hidden = !v;
  ui.count.textContent = n ? String(n) : "";
  const label = n ? n + (n === 1 ? " pinned message" : " pinned messages") : "Pinned messages";
  ui.button.setAttribute("aria-label", label);
  ui.button.title = label;
}

// The pinned rows of v (the server's answer), folded as pins too: marks on rows whose pin
// event the client never saw (older than what it loaded).
function fetchPins(v) {
  return conn.request("pins", { channel: v.name }).then((p) => {
    const rows = Array.isArray(p.messages) ? p.messages : [];
    counts.set(v.name, rows.length);
    applying = true; // the answer's own pins need no refresh
    for (const r of rows) {
      if (Number.isInteger(r.seq) && Number.isInteger(r.pinned_seq)) {
        msgs.applyEvent(v, { kind: "pin", seq: r.pinned_seq, target: r.seq, on: true,
          user: r.pinned_by, ts: r.pinned_ts });
      }
    }
    applying = false;
    if (page.view === v) renderCount(v);
    return rows;
  });
}

// Called by channels.js whenever the header is drawn (a switch, a channel change).
export function onHeader(v) {
  renderCount(v);
  if (v && !counts.has(v.name)) fetchPins(v).catch(() => {});
}

// A pin event of v arrived (live, or replayed): the count and an open list follow.
function onPinned(v) {
  if (applying) return;
  if (page.view !== v && !(ui.list && ui.list.d.open && listed === v)) {
    counts.delete(v.name); // asked again when it is shown
    return;
  }
  clearTimeout(refetch);
  refetch = setTimeout(() => {
    fetchPins(v).then((rows) => { if (ui.list.d.open && listed === v) renderList(v, rows); })
      .catch(() => {});
  }, 150);
}

function renderList(v, rows) {
  const body = ui.list.body;
  body.textContent = "";
  if (!rows.length) {
    const empty = el("p", "pins-empty", "Nothing is pinned here yet. Pin a message from its menu to keep it at hand.");
    empty.dataset.testid = "pins-empty";
    body.append(empty);
    return;
  }
  const ul = el("ul", "pins-list");
  for (const r of rows) {
    const li = el("li");
    const b = el("button", "pins-item");
    b.type = "button";
    b.dataset.testid = "pins-item";
    b.dataset.seq = String(r.seq);
    const user = typeof r.user === "string" ? r.user : "unknown";
    const head = el("div", "pins-item-head");
    head.append(el("span", "pins-item-author", user), timeEl(r.ts, "pins-item-time"));
    const text = el("div", "pins-item-text", typeof r.text === "string" ? r.text : "");
    const by = el("div", "pins-item-by", "Pinned by " + (r.pinned_by || "someone") +
      (r.pinned_ts ? " · " + when(r.pinned_ts) : ""));
    const main = el("div", "pins-item-body");
    main.append(head, text, by);
    b.append(avatar(user, "avatar-sm"), main);
    b.addEventListener("click", () => {
      ui.list.d.close();
      jumpTo(v.name, r.seq);
    });
    li.append(b);
    ul.append(li);
  }
  body.append(ul);
}

export function openList() {
  const v = page.view;
  if (!v) return;
  listed = v;
  ui.list.h.textContent = "Pinned in " + (v.name.startsWith("dm-") ? "this conversation" : "#" + v.name);
  ui.list.body.textContent = "";
  ui.list.body.append(el("p", "pins-empty", "Loading…"));
  ui.list.d.showModal();
  fetchPins(v).then((rows) => { if (listed === v) renderList(v, rows); }).catch((e) => {
    ui.list.body.textContent = "";
    ui.list.body.append(el("p", "form-error", errorText(e)));
  });
}

// The edit history of message seq of v, in a dialog.
export function openEdits(v, seq) {
  const box = ui.edits;
  box.h.textContent = "Edit history";
  box.body.textContent = "";
  box.body.append(el("p", "pins-empty", "Loading…"));
  box.d.showModal();
  conn.request("edits", { channel: v.name, seq }).then((p) => {
    box.body.textContent = "";
    const ol = el("ol", "edits-list");
    const add = (label, ts, text, testid) => {
      const li = el("li", "edits-item");
      li.dataset.testid = testid;
      const head = el("div", "edits-item-head");
      head.append(el("span", "edits-item-label", label), timeEl(ts, "edits-item-time"));
      li.append(head, el("div", "edits-item-text", text || "(no text)"));
      ol.append(li);
    };
    add("Original", p.ts, typeof p.original === "string" ? p.original : "", "edits-original");
    const list = Array.isArray(p.edits) ? p.edits : [];
    list.forEach((e, i) => add(i === list.length - 1 ? "Current" : "Edit " + (i + 1), e.ts,
      typeof e.text === "string" ? e.text : "", "edits-item"));
    box.body.append(ol);
  }).catch((e) => {
    box.body.textContent = "";
    box.body.append(el("p", "form-error", errorText(e)));
  });
}

// Pins or unpins message seq of v; the `pin` event marks the row.
export function toggle(v, seq, on) {
  return conn.request("pin", { channel: v.name, seq, on });
}

export function init() {
  const actions = document.querySelector(".channel-header .header-actions");
  const b = el("button", "icon-btn pins-open");
  b.type = "button";
  b.id = "pins-open";
  b.dataset.testid = "pins-open";
  b.setAttribute("aria-haspopup", "dialog");
  b.append(icon(PIN_ICON));
  ui.count = el("span", "pins-count");
  ui.count.dataset.testid = "pins-count";
  b.append(ui.count);
  b.hidden = true;
  b.addEventListener("click", openList);
  ui.button = b;
  if (actions) actions.prepend(b);
  ui.list = modal("pins-dialog", "Pinned messages");
  ui.edits = modal("edits-dialog", "Edit history");
  msgs.changes.on("pinned", (v) => onPinned(v));
}
