/*
 * parley web client: keyboard shortcuts (UI) and their help, Ctrl+/ (Cmd+/).
 *
 * The page-wide keys this file owns: Ctrl/Cmd+K, the conversation switcher
 * (switcher.js); Alt+Shift+Up / Down, the previous / next unread conversation
 * (unread.js); Ctrl/Cmd+/, the list below. The others stay with the modules they act on
 * and are only listed here: Ctrl/Cmd+G and "/" (search.js), Alt+Up / Down (channels.js),
 * Up to edit (messages.js), Esc (each panel and dialog). The browser's own Ctrl+F stays
 * the browser's.
 */
import { el, icon } from "./dom.js";
import * as conn from "./conn.js";
import { ui as pageUi } from "./page.js";
import * as switcher from "./switcher.js";
import * as unread from "./unread.js";

const mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
const MOD = mac ? "⌘" : "Ctrl";

// [keys (each a list of key caps, alternatives separated), what it does]
const HELP = [
  ["Conversations", [
    [[[MOD, "K"]], "Switch to a channel, a direct message or a person"],
    [[["Alt", "↑"], ["Alt", "↓"]], "Previous / next conversation"],
    [[["Alt", "Shift", "↑"], ["Alt", "Shift", "↓"]], "Previous / next conversation with unread messages"],
    [[[MOD, "G"], ["/"]], "Search messages"],
  ]],
  ["Messages", [
    [[["Enter"]], "Send"],
    [[["Shift", "Enter"]], "New line"],
    [[["↑"]], "Edit your last message (in an empty message box)"],
    [[["Esc"]], "Cancel an edit; close a panel or a dialog"],
  ]],
  ["Help", [
    [[[MOD, "/"]], "Show these shortcuts"],
  ]],
];

const ui = {};

function keyCaps(combo) {
  const span = el("span", "shortcut-keys");
  combo.forEach((k, i) => {
    if (i) span.append(el("span", "shortcut-plus", "+"));
    span.append(el("kbd", "", k));
  });
  return span;
}

function build() {
  const d = el("dialog", "modal modal-wide shortcuts");
  d.dataset.testid = "shortcuts";
  d.setAttribute("aria-labelledby", "shortcuts-title");
  const box = el("div", "modal-form");
  const head = el("div", "modal-head");
  const h = el("h2", "", "Keyboard shortcuts");
  h.id = "shortcuts-title";
  const x = el("button", "icon-btn");
  x.type = "button";
  x.setAttribute("aria-label", "Close");
  x.append(icon(["M5 5l10 10M15 5 5 15"]));
  x.addEventListener("click", () => d.close());
  head.append(h, x);
  const body = el("div", "modal-body");
  for (const [title, rows] of HELP) {
    body.append(el("h3", "shortcut-group", title));
    const dl = el("dl", "shortcut-list");
    for (const [alts, what] of rows) {
      const dt = el("dt");
      alts.forEach((combo, i) => {
        if (i) dt.append(el("span", "shortcut-or", "or"));
        dt.append(keyCaps(combo));
      });
      dl.append(dt, el("dd", "", what));
    }
    body.append(dl);
  }
  const foot = el("div", "modal-foot");
  const done = el("button", "btn-primary", "Done");
  done.type = "button";
  done.addEventListener("click", () => d.close());
  foot.append(done);
  box.append(head, body, foot);
  d.append(box);
  d.addEventListener("click", (ev) => { if (ev.target === d) d.close(); });
  document.body.append(d);
  ui.dialog = d;
}

export function openHelp() {
  if (ui.dialog.open) { ui.dialog.close(); return; }
  if (document.querySelector("dialog[open]")) return;
  ui.dialog.showModal();
}

function onKey(ev) {
  if (pageUi.app.hidden || ev.isComposing) return;
  const mod = (ev.ctrlKey || ev.metaKey) && !ev.altKey;
  const k = ev.key;
  if (mod && !ev.shiftKey && (k === "k" || k === "K")) {
    if (document.querySelector("dialog[open]") && !switcher.isOpen()) return; // another dialog is up
    ev.preventDefault();
    switcher.open();
  } else if (mod && (k === "/" || k === "?")) {
    ev.preventDefault();
    openHelp();
  } else if (ev.altKey && ev.shiftKey && !ev.ctrlKey && !ev.metaKey && (k === "ArrowUp" || k === "ArrowDown")) {
    if (!conn.joined() || document.querySelector("dialog[open]")) return;
    ev.preventDefault();
    unread.step(k === "ArrowDown" ? 1 : -1);
  }
}

export function init() {
  build();
  document.addEventListener("keydown", onKey);
}
