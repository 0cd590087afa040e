/*
 * parley web client: the conversation switcher (UI), Ctrl+K / Cmd+K.
 *
 * A dialog with one box and a list: the channels we are in, our direct messages, and the
 * people of the directory (choosing one opens a direct message with them, online or
 * not). Typing narrows the list by a fuzzy match (the letters in order, not necessarily
 * together; word starts and runs of letters count more); with nothing typed, what has
 * unread messages comes first. Up / Down choose, Enter opens, Esc closes. The list is a
 * listbox driven from the box (aria-activedescendant), so focus stays in the box.
 */
import { el, avatar } from "./dom.js";
import * as auth from "./auth_data.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { page } from "./page.js";
import * as list from "./list.js";
import * as chansUi from "./channels.js";

const MAX_SHOWN = 50;
const DIRECTORY_GAP_MS = 5000;   // the directory is read again on opening, at most this often

const ui = {};
let items = [];      // what the list shows, best first
let index = 0;       // the chosen one
let back = null;     // focused before the dialog opened
let directoryAt = 0;

/* ---------- matching ---------- */

// The fuzzy score of query q (lower case) in text, or -1 when its letters are not all
// there in order. Greedy, earliest match: good enough for names of a few dozen letters.
export function score(q, text) {
  const t = text.toLowerCase();
  if (!q) return 0;
  let from = 0, prev = -2, s = 0;
  for (const c of q) {
    const i = t.indexOf(c, from);
    if (i < 0) return -1;
    s += 1;
    if (i === prev + 1) s += 3;                                // a run
    if (i === 0 || /[\s#@_.,-]/.test(t[i - 1])) s += 4;        // a word start
    prev = i;
    from = i + 1;
  }
  if (t.startsWith(q)) s += 8;
  return s - t.length / 100; // the shorter of two equal matches first
}

/* ---------- what can be chosen ---------- */

function candidates() {
  const me = people.user();
  const out = [];
  const dmWith = new Set(), seen = new Set();
  for (const v of chansUi.sidebarChannels().concat(channels.all())) {
    if (seen.has(v)) continue;
    seen.add(v);
    const dm = channels.isDm(v);
    if (dm && !v.seqs.length && !(v.info.lastSeq > 0) && v !== page.view) continue; // never written in
    const who = dm ? channels.dmPeople(v, me) : [];
    if (who.length === 1) dmWith.add(who[0]);
    out.push({
      kind: dm ? "dm" : "channel", v,
      label: dm ? chansUi.title(v) : "#" + v.name,
      keys: dm ? who.concat(who.map((n) => people.displayOf(n) || "")) : [v.name],
      hint: v.info.archived ? "archived" : dm ? "Direct message" : v.info.topic || "",
      unread: v === page.view ? 0 : (v.mentions || 0) * 1000 + (v.unread || 0),
    });
  }
  if (channels.canMessage() && !people.isGuest()) {
    const names = new Set(people.directoryNames().concat(Array.from(people.onlineSet())));
    for (const name of Array.from(names).sort()) {
      if (name === me || dmWith.has(name) || people.infoOf(name).guest) continue;
      const display = people.displayOf(name);
      out.push({
        kind: "person", user: name,
        label: display || name,
        keys: display ? [name, display] : [name],
        hint: (display ? "@" + name + " · " : "") + (people.onlineSet().has(name) ? "online" : "offline"),
        unread: 0,
      });
    }
  }
  return out;
}

function rank(q) {
  const all = candidates();
  if (!q) {
    // Unread first (mentions above plain counts), then the sidebar's order, then people.
    const order = (c) => (c.kind === "person" ? 2 : c.unread ? 0 : 1);
    return all.map((c, i) => ({ c, i })).sort((a, b) =>
      order(a.c) - order(b.c) || b.c.unread - a.c.unread || a.i - b.i).map((x) => x.c);
  }
  const scored = [];
  for (const c of all) {
    const s = Math.max(...c.keys.concat(c.label).map((k) => score(q, k)));
    if (s >= 0) scored.push({ c, s: s + (c.kind === "person" ? 0 : 0.5) });
  }
  return scored.sort((a, b) => b.s - a.s).map((x) => x.c);
}

/* ---------- the dialog ---------- */

function render() {
  items = rank(ui.input.value.trim().toLowerCase()).slice(0, MAX_SHOWN);
  index = Math.min(index, Math.max(0, items.length - 1));
  ui.list.textContent = "";
  items.forEach((c, i) => {
    const li = el("li", "switcher-item");
    li.id = "switcher-opt-" + i;
    li.dataset.testid = "switcher-item";
    li.dataset.kind = c.kind;
    if (c.v) li.dataset.channel = c.v.name;
    if (c.user) li.dataset.user = c.user;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === index));
    const mark = el("span", "switcher-mark");
    mark.setAttribute("aria-hidden", "true");
    if (c.kind === "channel") mark.textContent = c.v.info.kind === "private" ? "🔒" : "#";
    else mark.append(avatar(c.kind === "person" ? c.user : channels.dmPeople(c.v, people.user())[0] || "?", "avatar-xs"));
    const text = el("span", "switcher-text");
    text.append(el("span", "switcher-label", c.kind === "channel" ? c.v.name : c.label));
    if (c.hint) text.append(el("span", "switcher-hint", c.hint));
    li.append(mark, text);
    if (c.unread) {
      const n = c.v.mentions || c.v.unread;
      li.append(el("span", "badge" + (c.v.mentions ? " badge-mention" : ""), n > 99 ? "99+" : String(n)));
    }
    li.addEventListener("mousemove", () => { if (index !== i) { index = i; showChoice(); } });
    li.addEventListener("click", () => { index = i; choose(); });
    ui.list.append(li);
  });
  ui.empty.hidden = items.length > 0;
  showChoice();
}

function showChoice() {
  Array.from(ui.list.children).forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
  const cur = ui.list.children[index];
  if (cur) {
    ui.input.setAttribute("aria-activedescendant", cur.id);
    cur.scrollIntoView({ block: "nearest" });
  } else {
    ui.input.removeAttribute("aria-activedescendant");
  }
}

function choose() {
  const c = items[index];
  if (!c) return;
  close(false);
  if (c.kind === "person") chansUi.openDm(c.user);
  else list.showChannel(c.v.name);
}

function onKey(ev) {
  const n = items.length;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    if (!n) return;
    index = (index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
    showChoice();
  } else if (ev.key === "Enter" && !ev.isComposing) {
    ev.preventDefault();
    choose();
  }
}

export function isOpen() { return !!ui.dialog && ui.dialog.open; }

export function open() {
  if (isOpen()) { close(true); return; }
  back = document.activeElement;
  ui.input.value = "";
  index = 0;
  render();
  ui.dialog.showModal();
  ui.input.focus();
  refreshDirectory();
}

// People who signed up since the directory was read can be messaged too.
function refreshDirectory() {
  if (!people.me.account || people.isGuest() || Date.now() - directoryAt < DIRECTORY_GAP_MS) return;
  directoryAt = Date.now();
  auth.users().then((found) => {
    if (!people.me.account) return;
    people.setDirectory(found);
    if (isOpen()) render();
  }, () => {});
}

function close(refocus) {
  if (ui.dialog.open) ui.dialog.close();
  if (refocus && back && back.isConnected) back.focus();
  back = null;
}

export function init() {
  const d = el("dialog", "modal switcher");
  d.dataset.testid = "switcher";
  d.setAttribute("aria-label", "Switch conversation");
  const head = el("div", "switcher-head");
  const input = el("input", "switcher-input");
  input.type = "text";
  input.dataset.testid = "switcher-input";
  input.placeholder = "Jump to a channel, a direct message or a person";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-label", "Conversation name");
  input.setAttribute("aria-expanded", "true");
  input.setAttribute("aria-controls", "switcher-list");
  input.setAttribute("aria-autocomplete", "list");
  head.append(input);
  const listBox = el("ul", "switcher-list");
  listBox.id = "switcher-list";
  listBox.dataset.testid = "switcher-list";
  listBox.setAttribute("role", "listbox");
  listBox.setAttribute("aria-label", "Conversations");
  const empty = el("p", "switcher-empty", "Nothing matches.");
  empty.hidden = true;
  const foot = el("p", "switcher-foot", "↑ ↓ to choose · Enter to open · Esc to close");
  foot.setAttribute("aria-hidden", "true");
  d.append(head, listBox, empty, foot);
  document.body.append(d);
  Object.assign(ui, { dialog: d, input, list: listBox, empty });
  input.addEventListener("input", () => { index = 0; render(); });
  input.addEventListener("keydown", onKey);
  d.addEventListener("click", (ev) => { if (ev.target === d) close(true); }); // the backdrop
  d.addEventListener("cancel", () => { setTimeout(() => { if (back && back.isConnected) back.focus(); back = null; }); });
}
